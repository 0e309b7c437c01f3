//! Compile-fail and must-compile cases for `#[recorded]`, in `ui-tests/`. Each failing case
//! checks the exact compiler output against its `.stderr`; regenerate with
//! `TRYBUILD=overwrite cargo test --test ui` after a deliberate change, and review the diff.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("ui-tests/fail/*.rs");
    cases.pass("ui-tests/pass/*.rs");
}
