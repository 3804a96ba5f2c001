//! Link-time choices for the mqrr binary that make a one-shot run cheaper.
//! Both are measured in issue #6 and can be turned off.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=MQRR_PIE");
    println!("cargo:rerun-if-env-changed=MQRR_HOT_TEXT");
    if env::var("CARGO_CFG_TARGET_OS").as_deref() != Ok("linux") {
        return;
    }

    // A position-dependent executable. A PIE's dynamic relocations dirty
    // every page of pointer tables at start (OpenSSL's method tables above
    // all): `mqrr --version` went from 276 page faults and 2.3 ms to 116 and
    // 1.1 ms. For a one-shot tool that runs in shell loops that is the
    // largest single cost. `MQRR_PIE=1` builds a PIE anyway (e.g. for a
    // distribution whose hardening policy requires it).
    if env::var("MQRR_PIE").as_deref() != Ok("1") {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }

    // The host's C compiler knows the host's libgcc_eh.a only.
    if env::var("PROFILE").as_deref() == Ok("release") && env::var("HOST") == env::var("TARGET") {
        link_unwinder_statically();
    }

    // The code a request runs, placed together (link/hot-text.ld explains
    // and `scripts/bench --layout` regenerates it). Peak RSS of a plain
    // request went from 4.12 to 3.33 MiB. Release builds only: the patterns
    // describe the release profile's code. `MQRR_HOT_TEXT=0` turns it off,
    // e.g. for a linker without linker-script INSERT (mold).
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("link/hot-text.ld");
    println!("cargo:rerun-if-changed=link/hot-text.ld");
    if env::var("PROFILE").as_deref() == Ok("release")
        && env::var("MQRR_HOT_TEXT").as_deref() != Ok("0")
        && script.exists()
    {
        // Two arguments, not `-Wl,-T,PATH`: a comma in PATH would split it.
        println!("cargo:rustc-link-arg-bins=-Xlinker");
        println!("cargo:rustc-link-arg-bins=--script={}", script.display());
    }
}

/// Links GCC's unwinder (libgcc_eh.a) into the binary instead of loading
/// libgcc_s.so.1 at start, as `gcc -static-libgcc` does. Rust's standard
/// library refers to `_Unwind_*` even with `panic = "abort"` (backtraces),
/// so every run loaded, relocated and mapped one more shared library:
/// 140 KiB of peak RSS. Skipped when the C compiler has no libgcc_eh.a.
fn link_unwinder_statically() {
    let Ok(out) = Command::new(env::var("CC").unwrap_or_else(|_| "cc".into()))
        .arg("-print-file-name=libgcc_eh.a")
        .output()
    else {
        return;
    };
    let archive = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    // A compiler that does not know the file prints the bare name back.
    if let (true, Some(dir)) = (archive.is_absolute() && archive.exists(), archive.parent()) {
        println!("cargo:rustc-link-search=native={}", dir.display());
        // Not bundled into the rlib: the archive is passed to the final link,
        // where it comes before the standard library's -lgcc_s, which the
        // linker then drops as not needed.
        println!("cargo:rustc-link-lib=static:-bundle=gcc_eh");
    }
}
