//! The `snapstart-cleaner` binary as a user runs it: `scan` output formats and exit codes.

mod common;

use std::process::Command;

use common::{cleaner_bin, run::Harness, versions, Emulator};
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

async fn seeded() -> Emulator {
    let emu = Emulator::start().await;
    emu.seed(json!({"functions": [
        {"name": "orders", "runtime": "python3.12", "memory_size": 512, "snapstart": true, "versions": versions(5, 40.0)},
    ]}))
    .await;
    emu
}

#[tokio::test]
#[ignore = "needs the AWS emulator: run scripts/test.sh"]
async fn scan_json_prints_exactly_the_report_on_stdout() {
    let emu = seeded().await;

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
#[ignore = "needs the AWS emulator: run scripts/test.sh"]
async fn scan_csv_has_a_header_and_a_line_per_version() {
    let emu = seeded().await;

    let out = scan(&emu, &["--format", "csv"]);

    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("function_name,version,runtime"));
    assert_eq!(lines.len(), 6);
}

#[tokio::test]
#[ignore = "needs the AWS emulator: run scripts/test.sh"]
async fn scan_table_explains_candidates_and_the_saving() {
    let emu = seeded().await;

    let out = scan(&emu, &[]);

    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("no_activity_and_stale"), "{text}");
    assert!(text.contains("candidates for deletion: 2"), "{text}");
}

#[tokio::test]
#[ignore = "needs the AWS emulator: run scripts/test.sh"]
async fn a_scan_over_two_regions_says_where_each_row_is_and_fails_only_when_no_region_could_be_scanned() {
    let emu = seeded().await;
    emu.seed(json!({"region": "us-west-2", "disabled_regions": ["eu-west-1"]})).await;

    let partly = scan(&emu, &["--region", "eu-west-1"]);
    let nothing = Command::new(cleaner_bin())
        .args(["scan", "--region", "eu-west-1", "--lambda-rps", "0"])
        .env("AWS_ENDPOINT_URL", &emu.url)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .output()
        .unwrap();

    let text = String::from_utf8(partly.stdout).unwrap();
    assert!(partly.status.success(), "{}", String::from_utf8_lossy(&partly.stderr));
    assert!(text.starts_with("ACCOUNT      REGION         FUNCTION"), "{text}");
    assert!(text.contains("123456789012 us-west-2      orders"), "{text}");
    assert!(text.contains("123456789012 eu-west-1: FAILED, not scanned: could not learn the account (STS)"), "{text}");
    assert!(String::from_utf8_lossy(&partly.stderr).contains("error: account 123456789012 region eu-west-1 not scanned"));
    assert_eq!(nothing.status.code(), Some(1), "{}", String::from_utf8_lossy(&nothing.stderr));
    assert!(String::from_utf8_lossy(&nothing.stderr).contains("no account and region could be scanned"));
}

#[tokio::test]
#[ignore = "needs the AWS emulator: run scripts/test.sh"]
async fn log_format_json_writes_one_json_object_per_line_and_an_unknown_format_is_refused() {
    let emu = seeded().await;
    let run = |format: &str| {
        Command::new(cleaner_bin())
            .args(["scan", "--region", "us-west-2", "--lambda-rps", "0", "--format", "json"])
            .env("LOG_FORMAT", format)
            .env("AWS_ENDPOINT_URL", &emu.url)
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .output()
            .unwrap()
    };

    let json = run("json");
    let typo = run("jsn");
    let resolver = Command::new(common::run::resolver_bin()).env("LOG_FORMAT", "xml").output().unwrap();

    assert!(json.status.success());
    let lines: Vec<Value> = String::from_utf8(json.stderr).unwrap().lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"))).collect();
    assert!(lines.iter().any(|l| l["message"] == "scan finished" && l["level"] == "INFO" && l["timestamp"].is_string()), "{lines:?}");
    assert_eq!(typo.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&typo.stderr).contains("LOG_FORMAT must be \"text\" or \"json\"; got \"jsn\""));
    assert_eq!(resolver.status.code(), Some(2), "{}", String::from_utf8_lossy(&resolver.stderr));
}

#[test]
fn invalid_options_exit_2_naming_the_field() {
    for (args, field) in [
        (vec!["--lookback-days", "900"], "lookback_days"),
        (vec!["--period-seconds", "90"], "period_seconds"),
        (vec!["--keep-last-n=-1"], "keep_last_n"),
        (vec!["--function-level-fallback", "loose"], "function_level_fallback"),
        (vec!["--region", "us-west-2"], "regions"),
        (vec!["--assume-role", "arn:aws:iam::1:role/x"], "assume_role_arns"),
        (vec!["--external-id", "abc"], "external_id"),
    ] {
        let out = Command::new(cleaner_bin()).args(["scan", "--region", "us-west-2"]).args(&args).output().unwrap();

        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(String::from_utf8_lossy(&out.stderr).contains(field), "{args:?}");
    }
    let out = Command::new(cleaner_bin()).args(["scan", "--region", "mars-north-1"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn help_lists_the_commands_and_schedule_its_subcommands() {
    let out = Command::new(cleaner_bin()).arg("--help").output().unwrap();

    let text = String::from_utf8(out.stdout).unwrap();
    let commands: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(commands, vec!["worker", "start", "scan", "schedule", "restore", "help"], "{text}");
    let out = Command::new(cleaner_bin()).args(["schedule", "--help"]).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    for sub in ["create", "describe", "update", "pause", "unpause", "trigger", "delete"] {
        assert!(text.contains(&format!("  {sub} ")), "{sub}: {text}");
    }
}

#[test]
fn help_never_prints_a_secret_from_the_environment() {
    for args in [&["worker", "--help"][..], &["--help"][..]] {
        let out = Command::new(cleaner_bin()).args(args).env("SMTP_URL", "smtps://mailer:s3cr3t-pw@mail.example.com").env("APPROVAL_LINK_SECRET", "link-secret-0123456789abcdef0123456789").output().unwrap();

        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{args:?}");
        assert!(!text.contains("s3cr3t-pw") && !text.contains("link-secret-0123"), "{args:?} printed a secret: {text}");
    }
    let worker = Command::new(cleaner_bin()).args(["worker", "--help"]).output().unwrap();
    assert!(String::from_utf8_lossy(&worker.stdout).contains("SMTP_URL"), "the variable is still named");
}

/// Runs a binary with `APPROVAL_LINK_SECRET` set to `secret` (unset when None) and nothing it
/// could connect to; returns its exit status and stderr.
fn with_secret(bin: &std::path::Path, args: &[&str], secret: Option<&str>) -> (Option<i32>, String) {
    let mut cmd = Command::new(bin);
    cmd.args(args).env_remove("APPROVAL_LINK_SECRET").env("TEMPORAL_ADDRESS", "127.0.0.1:1").env("RUST_LOG", "error");
    for channel in ["APPROVAL_TOPIC_ARN", "SMTP_URL", "NOTIFY_LOG_LINKS"] {
        cmd.env_remove(channel);
    }
    if let Some(s) = secret {
        cmd.env("APPROVAL_LINK_SECRET", s);
    }
    let out = cmd.output().unwrap();
    (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn the_worker_and_the_resolver_refuse_to_start_without_a_long_enough_secret() {
    let resolver = common::run::resolver_bin();
    let listen = format!("127.0.0.1:{}", common::free_port());
    let binaries: [(&std::path::Path, Vec<&str>); 2] =
        [(&cleaner_bin(), vec!["worker"]), (&resolver, vec!["--listen", &listen, "--public-url", "https://resolver.example.com"])];
    for (bin, args) in binaries {
        for secret in [None, Some(""), Some("x".repeat(31).as_str())] {
            let (code, stderr) = with_secret(bin, &args, secret.as_deref());

            assert_ne!(code, Some(0), "{bin:?} {secret:?}");
            assert!(stderr.contains("APPROVAL_LINK_SECRET"), "{bin:?} {secret:?}: {stderr}");
        }
    }
    // 32 bytes are enough: the worker gets past the secret and fails on the Temporal address instead.
    let (code, stderr) = with_secret(&cleaner_bin(), &["worker", "--log-links"], Some(&"x".repeat(32)));
    assert_ne!(code, Some(0));
    assert!(!stderr.contains("APPROVAL_LINK_SECRET") && stderr.contains("Temporal"), "{stderr}");
}

#[test]
fn the_worker_refuses_to_start_without_a_notification_channel_and_says_how_to_add_one() {
    let secret = "x".repeat(32);

    let (code, stderr) = with_secret(&cleaner_bin(), &["worker"], Some(&secret));
    let (_, with_log) = with_secret(&cleaner_bin(), &["worker", "--log-links"], Some(&secret));

    assert_ne!(code, Some(0));
    for hint in ["no notification channel", "APPROVAL_TOPIC_ARN", "SMTP_URL", "NOTIFY_LOG_LINKS"] {
        assert!(stderr.contains(hint), "{hint}: {stderr}");
    }
    assert!(!with_log.contains("no notification channel"), "--log-links is a channel: {with_log}");
}

/// `snapstart-cleaner start` against the harness's Temporal and task queue.
fn start(h: &Harness, extra: &[&str]) -> std::process::Output {
    Command::new(cleaner_bin())
        .args(["start", "--region", "us-west-2", "--address", h.address(), "--task-queue", h.task_queue()])
        .args(extra)
        .output()
        .expect("running snapstart-cleaner start")
}

#[tokio::test]
#[ignore = "needs the services scripts/test.sh starts (Temporal dev server, AWS emulator): run scripts/test.sh"]
async fn start_wait_prints_the_candidates_and_a_second_start_for_the_region_is_refused() {
    let mut h = Harness::start(false).await;
    h.start_worker(0);
    let id = "snapstart-cleanup-us-west-2";

    let first = start(&h, &["--wait", "--format", "json"]);
    let second = start(&h, &[]);
    h.temporal(&["workflow", "terminate", "--workflow-id", id, "--reason", "test done"]);

    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    let stdout = String::from_utf8(first.stdout).unwrap();
    assert!(stdout.contains(&format!("workflow id: {id}")), "{stdout}");
    for candidate in ["\"orders\"", "\"billing\""] {
        assert!(stdout.contains(candidate), "--wait prints the candidates: {stdout}");
    }
    assert!(stdout.contains("phase: awaiting_approval"), "{stdout}");
    assert_ne!(second.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(stderr.contains(id) && stderr.contains("still open"), "{stderr}");
}

#[tokio::test]
async fn the_resolver_health_check_exits_0_only_when_healthz_answers() {
    let port = common::free_port();
    let listen = format!("127.0.0.1:{port}");
    let check = || Command::new(common::run::resolver_bin()).arg("--check-health").env("RESOLVER_LISTEN", &listen).output().unwrap();

    let nobody = check();
    let mut resolver = common::group::Group::spawn(
        Command::new(common::run::resolver_bin())
            .args(["--listen", &listen, "--public-url", "http://localhost:8787", "--address", "127.0.0.1:1"])
            .env("APPROVAL_LINK_SECRET", common::run::SECRET)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null()),
        "the resolver",
    );
    let healthy = common::eventually(std::time::Duration::from_secs(30), "a healthy resolver", || async { Some(check()).filter(|o| o.status.success()) }).await;
    resolver.kill();

    assert_eq!(nobody.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&nobody.stderr).starts_with("unhealthy: 127.0.0.1:"));
    assert!(healthy.status.success());
}
