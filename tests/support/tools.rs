//! Tests that need a tool of the machine (nginx, a Vulkan driver) say so and pass where it is missing,
//! unless `SKVOZ_REQUIRE_TOOLS=1` (set by CI): there a missing tool fails the test, so nothing is
//! skipped unnoticed.
#![allow(dead_code)]

pub const REQUIRE_TOOLS: &str = "SKVOZ_REQUIRE_TOOLS";

/// Reports that a test cannot run here: a note, or a failure where the tools are required.
pub fn missing(what: &str) {
    if std::env::var(REQUIRE_TOOLS).is_ok_and(|v| v == "1") {
        panic!("{what}, and {REQUIRE_TOOLS}=1 requires it: install it (see .ci/run)");
    }
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "note: {what}; the test did not run");
}
