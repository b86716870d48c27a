//! Compile-fail and compile-pass suites of `#[derive(AuthUser)]` and `#[protected]`.
//!
//! Regenerate the `.stderr` snapshots with `TRYBUILD=overwrite cargo test -p lucia-tests
//! --test macros_ui`, then review them like code.

#[test]
fn macros_ui() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("ui/derive/fail/*.rs");
    cases.pass("ui/derive/pass/*.rs");
    cases.compile_fail("ui/protected/fail/*.rs");
    cases.pass("ui/protected/pass/*.rs");
}
