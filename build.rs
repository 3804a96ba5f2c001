//! Link-time choices for the mqrr binary on Linux that make a one-shot run
//! cheaper. Each is measured in issue #6, and each can be turned off.

use std::env;
use std::path::{Path, PathBuf};

fn main() {
    for var in ["MQRR_PIE", "MQRR_HOT_TEXT", "MQRR_STATIC_UNWIND"] {
        println!("cargo:rerun-if-env-changed={var}");
    }
    println!("cargo:rerun-if-changed=link/hot-text.ld");
    if env::var("CARGO_CFG_TARGET_OS").as_deref() != Ok("linux") {
        return;
    }
    let release = env::var("PROFILE").as_deref() == Ok("release");
    let off = |var| env::var(var).as_deref() == Ok("0");

    // A position-dependent executable. A PIE's dynamic relocations dirty
    // every page of pointer tables at start (OpenSSL's method tables above
    // all): `mqrr --version` went from 276 page faults and 2.3 ms to 116 and
    // 1.1 ms. For a one-shot tool that runs in shell loops that is the
    // largest single cost. `MQRR_PIE=1` builds a PIE anyway (e.g. for a
    // distribution whose hardening policy requires it).
    if env::var("MQRR_PIE").as_deref() != Ok("1") {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }

    // GCC's unwinder linked in, as `gcc -static-libgcc` does: 140 KiB less
    // peak RSS. `MQRR_STATIC_UNWIND=0` turns it off.
    if release
        && !off("MQRR_STATIC_UNWIND")
        && env::var("CARGO_CFG_TARGET_ENV").as_deref() == Ok("gnu")
    {
        link_unwinder_statically();
    }

    // The code a request runs, placed together (link/hot-text.ld explains
    // and `scripts/bench --layout` regenerates it): peak RSS of a plain
    // request went from 4.12 to 3.33 MiB. Release builds only, since the
    // patterns describe the release profile's code. `MQRR_HOT_TEXT=0` turns
    // it off.
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("link/hot-text.ld");
    if release && !off("MQRR_HOT_TEXT") && script.exists() {
        if let Some(linker) = linker_without_insert() {
            println!(
                "cargo:warning=link/hot-text.ld not used: the linker looks like {linker}, \
                 which has no linker-script INSERT"
            );
        } else {
            // Two arguments, not `-Wl,-T,PATH`: a comma in PATH would split it.
            println!("cargo:rustc-link-arg-bins=-Xlinker");
            println!("cargo:rustc-link-arg-bins=--script={}", script.display());
        }
    }
}

/// Links GCC's unwinder (libgcc_eh.a) into the binary instead of loading
/// libgcc_s.so.1 at start. Rust's standard library refers to `_Unwind_*`
/// even with `panic = "abort"` (backtraces), so every run loaded, relocated
/// and mapped one more shared library. The archive comes before the standard
/// library's `-lgcc_s` on the link line, so it defines those symbols first,
/// and rustc's `--as-needed` then drops libgcc_s. Skipped when the target's
/// C compiler has no libgcc_eh.a (clang with compiler-rt, for one).
fn link_unwinder_statically() {
    // The cc crate finds the target's C compiler as every -sys crate does
    // (CC, CC_<target>, TARGET_CC, wrappers such as ccache) and asks cargo
    // to rerun this script when those variables change.
    let Ok(out) = cc::Build::new()
        .get_compiler()
        .to_command()
        .arg("-print-file-name=libgcc_eh.a")
        .output()
    else {
        return;
    };
    let archive = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    // A compiler that does not know the file prints the bare name back.
    if let (true, Some(dir)) = (archive.is_absolute() && archive.exists(), archive.parent()) {
        println!("cargo:rustc-link-search=native={}", dir.display());
        // `-bundle`: not copied into the rlib; the final link names it.
        println!("cargo:rustc-link-lib=static:-bundle=gcc_eh");
    }
}

/// mold and gold reject the `INSERT` in link/hot-text.ld, failing the link.
/// Names the one the build is configured to use, if any. (A linker swapped
/// in behind cargo's back, as `mold -run` does, needs `MQRR_HOT_TEXT=0`.)
fn linker_without_insert() -> Option<&'static str> {
    let flags = env::var("CARGO_ENCODED_RUSTFLAGS").unwrap_or_default();
    let linker = env::var("RUSTC_LINKER").unwrap_or_default();
    let linker = Path::new(&linker)
        .file_name()
        .unwrap_or_default()
        .to_string_lossy();
    let linker_flags = flags
        .split('\x1f')
        .filter(|f| f.contains("fuse-ld=") || f.contains("ld-path="));
    [linker.as_ref()]
        .into_iter()
        .chain(linker_flags)
        .find_map(|f| ["mold", "gold"].into_iter().find(|name| f.contains(name)))
}
