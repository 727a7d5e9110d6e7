//! The `snapstart-cleaner` binary as a user runs it: `scan` output formats and exit codes.

mod common;

use std::process::Command;

use common::{cleaner_bin, versions, Emulator};
use serde_json::{json, Value};

const ROW_FIELDS: &[&str] = &[
    "function_name", "version", "runtime", "memory_size_mb", "state", "state_reason_code",
    "snapstart_optimization_status", "last_modified", "age_days", "is_among_keep_last_n",
    "version_last_invoked_utc", "function_level_last_invoked_utc", "aliases", "event_source_mappings",
    "protected_by_alias", "stage_a_pass", "stage_b_pass", "candidate_for_deletion", "reason_flags",
    "estimated_monthly_cost_usd",
];

fn scan(emulator: &Emulator, args: &[&str]) -> std::process::Output {
    Command::new(cleaner_bin())
        .args(["scan", "--region", "us-west-2", "--lambda-rps", "0"])
        .args(args)
        .env("AWS_ENDPOINT_URL", &emulator.url)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .output()
        .expect("running snapstart-cleaner")
}

async fn seeded() -> Option<Emulator> {
    let emu = Emulator::start().await?;
    emu.seed(json!({"functions": [
        {"name": "orders", "runtime": "python3.12", "memory_size": 512, "snapstart": true, "versions": versions(5, 40.0)},
    ]}))
    .await;
    Some(emu)
}

#[tokio::test]
async fn scan_json_prints_exactly_the_report_on_stdout() {
    let Some(emu) = seeded().await else { return };

    let out = scan(&emu, &["--format", "json"]);

    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).expect("stdout is one JSON document");
    let keys: Vec<&String> = report.as_object().unwrap().keys().collect();
    assert_eq!(keys, vec!["rows", "summary"]);
    let rows = report["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 5);
    for field in ROW_FIELDS {
        assert!(rows[0].get(*field).is_some(), "row lacks {field}");
    }
    assert_eq!(report["summary"]["candidates"], 2);
}

#[tokio::test]
async fn scan_csv_has_a_header_and_a_line_per_version() {
    let Some(emu) = seeded().await else { return };

    let out = scan(&emu, &["--format", "csv"]);

    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("function_name,version,runtime"));
    assert_eq!(lines.len(), 6);
}

#[tokio::test]
async fn scan_table_explains_candidates_and_the_saving() {
    let Some(emu) = seeded().await else { return };

    let out = scan(&emu, &[]);

    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("no_activity_and_stale"), "{text}");
    assert!(text.contains("candidates for deletion: 2"), "{text}");
}

#[test]
fn invalid_options_exit_2_naming_the_field() {
    for (args, field) in [
        (vec!["--lookback-days", "900"], "lookback_days"),
        (vec!["--period-seconds", "90"], "period_seconds"),
        (vec!["--keep-last-n=-1"], "keep_last_n"),
        (vec!["--function-level-fallback", "loose"], "function_level_fallback"),
    ] {
        let out = Command::new(cleaner_bin()).args(["scan", "--region", "us-west-2"]).args(&args).output().unwrap();

        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(String::from_utf8_lossy(&out.stderr).contains(field), "{args:?}");
    }
    let out = Command::new(cleaner_bin()).args(["scan", "--region", "mars-north-1"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn help_lists_the_three_commands() {
    let out = Command::new(cleaner_bin()).arg("--help").output().unwrap();

    let text = String::from_utf8(out.stdout).unwrap();
    for cmd in ["worker", "start", "scan"] {
        assert!(text.contains(cmd), "{text}");
    }
}
