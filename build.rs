//! Links the mqrr binary as a position-dependent executable.
//!
//! A PIE's dynamic relocations dirty every page of pointer tables at start
//! (OpenSSL's method tables above all): measured in issue #6, `mqrr
//! --version` went from 276 page faults and 2.3 ms to 116 and 1.1 ms. For a
//! one-shot tool that runs in shell loops that is the largest single cost.
//! Set `MQRR_PIE=1` to build a PIE anyway (e.g. for a distribution whose
//! hardening policy requires it).

fn main() {
    println!("cargo:rerun-if-env-changed=MQRR_PIE");
    if std::env::var("MQRR_PIE").is_ok_and(|v| v == "1") {
        return;
    }
    if std::env::var("CARGO_CFG_TARGET_OS").is_ok_and(|os| os == "linux") {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
}
