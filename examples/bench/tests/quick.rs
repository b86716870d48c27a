//! The load harness still runs: one quick round of bare axum, the memory adapter and SQLite,
//! checking the report's shape and the one-adapter-call-per-request assertion (the process
//! fails otherwise). Numbers are not checked: this is a debug build on a shared machine.
#![allow(clippy::unwrap_used)]

use std::process::Command;

#[test]
fn a_quick_round_reports_one_adapter_call_per_request() {
    let target = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_lucia-bench"))
        .args(["--quick", "--only", "memory,sqlite"])
        .env("CARGO_TARGET_DIR", target.path())
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&output.stdout);
    let log = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "lucia-bench failed:\n{log}\n{report}"
    );
    for row in ["| bare axum |", "| memory |", "| SQLite (WAL) |"] {
        let line = report.lines().find(|line| line.starts_with(row));
        let line = line.unwrap_or_else(|| panic!("no {row} row in:\n{report}"));
        if row != "| bare axum |" {
            assert!(
                line.ends_with("| 1.00 |"),
                "not one adapter call per request: {line}"
            );
        }
    }
    assert!(target.path().join("lucia-bench.md").exists());
}
