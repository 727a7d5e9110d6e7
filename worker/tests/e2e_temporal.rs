//! End to end: a real Temporal dev server, the worker binary, the emulator, and runs started and
//! signalled through the Temporal CLI exactly as users type them.

mod common;

use std::time::Duration;

use common::{
    eventually,
    run::{Harness, ORIGINAL_PAYLOAD},
};
use serde_json::Value;
use snapstart_proto::status::RunStatus;
use snapstart_worker::workflow::SnapStartCleanup;
use temporalio_client::WorkflowGetResultOptions;

/// Published versions of the demo account's two functions that still exist.
async fn remaining(h: &Harness) -> usize {
    h.emulator.versions_of("orders").await.len() + h.emulator.versions_of("billing").await.len()
}

fn names(status: &RunStatus) -> Vec<String> {
    let mut v: Vec<String> = status.candidates.iter().map(|r| format!("{}:{}", r.function_name, r.version)).collect();
    v.sort();
    v
}

#[tokio::test]
#[ignore = "needs the services scripts/test.sh starts (Temporal dev server, AWS emulator, SMTP sink, Chromium): run scripts/test.sh"]
async fn the_original_payload_scans_asks_and_a_rejection_deletes_nothing() {
    let mut h = Harness::start(true).await;
    h.start_worker(0);

    let id = h.cli_start(ORIGINAL_PAYLOAD);
    let status = h.wait_for_phase(&id, "awaiting_approval").await;
    h.cli_signal(&id, Some(r#"{"approved": false, "approver": "ana"}"#));
    let result = h.result(&id).await;

    assert_eq!(names(&status), vec!["billing:1", "billing:2", "orders:1", "orders:3"]);
    assert_eq!(status.summary.unwrap().snapstart_versions, 11);
    assert!(status.deadline.is_some());
    assert_eq!(result.status, "rejected");
    assert_eq!(h.emulator.versions_of("orders").await.len(), 6);
    let subjects = h.subjects().await;
    assert_eq!(subjects.len(), 2, "{subjects:?}");
    assert!(subjects[0].contains("Approve") && subjects[1].contains("rejected"), "{subjects:?}");
    let query = format!("WorkflowId = '{id}' AND SnapStartOutcome = 'rejected' AND SnapStartRegions = 'us-west-2' AND SnapStartCandidates = 4 AND SnapStartDryRun = false");
    let found = eventually(Duration::from_secs(10), "the run by its search attributes", || async { Some(list(&h, &query)).filter(|l| l.contains(&id)) }).await;
    assert!(found.contains(&id));
    h.assert_replays(&id, "rejected_by_signal").await;
}

/// `temporal workflow list --query <query>` as a user types it.
fn list(h: &Harness, query: &str) -> String {
    let out = std::process::Command::new(h.cli()).args(["workflow", "list", "--query", query, "--address", h.address()]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test]
#[ignore = "needs the services scripts/test.sh starts (Temporal dev server, AWS emulator, SMTP sink, Chromium): run scripts/test.sh"]
async fn a_namespace_without_the_search_attributes_still_runs_untagged() {
    let mut h = Harness::start(false).await;
    let namespace = format!("bare-{}", common::run::uuid_ish());
    h.temporal(&["operator", "namespace", "create", "--namespace", &namespace]);
    h.namespace = namespace.clone();
    h.start_worker(0);

    let id = format!("bare-{}", common::run::uuid_ish());
    h.temporal(&["workflow", "start", "--namespace", &namespace, "--type", "SnapStartCleanup", "--task-queue", h.task_queue(), "--workflow-id", &id,
        "--input", r#"{"region": "us-west-2", "approval_timeout_seconds": 2}"#]);
    // `workflow result` waits for the end; `timeout` keeps a stuck run from hanging the suite.
    let out = std::process::Command::new("timeout")
        .args(["120", h.cli(), "workflow", "result", "--namespace", &namespace, "--workflow-id", &id, "--address", h.address()])
        .output()
        .unwrap();

    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && text.contains("timed_out"), "{text}{}", String::from_utf8_lossy(&out.stderr));
}

#[tokio::test]
#[ignore = "needs the services scripts/test.sh starts (Temporal dev server, AWS emulator, SMTP sink, Chromium): run scripts/test.sh"]
async fn an_invalid_input_fails_fast_naming_the_field() {
    let mut h = Harness::start(false).await;
    h.start_worker(0);
    let client = h.client().await;
    for (input, field) in [
        (r#"{"region": "us-west-2", "min_age_day": 14}"#, "min_age_day"),
        (r#"{"region": "us-west-2", "lookback_days": 900}"#, "lookback_days"),
        (r#"{"lookback_days": 30}"#, "region"),
        (r#"{"region": "us-west-2", "period_seconds": 90}"#, "period_seconds"),
    ] {
        let id = h.cli_start(input);

        let handle = client.get_workflow_handle::<SnapStartCleanup>(id.clone());
        let result = tokio::time::timeout(Duration::from_secs(30), handle.get_result(WorkflowGetResultOptions::default()))
            .await
            .expect("an invalid input fails fast");

        let err = format!("{:?}", result.expect_err("the run fails"));
        assert!(err.contains(field), "{input}: {err}");
    }
}

#[tokio::test]
#[ignore = "needs the services scripts/test.sh starts (Temporal dev server, AWS emulator, SMTP sink, Chromium): run scripts/test.sh"]
async fn a_live_approval_deletes_exactly_the_approved_subset() {
    let mut h = Harness::start(true).await;
    h.start_worker(0);
    let id = h.cli_start(r#"{"region": "us-west-2"}"#);
    h.wait_for_phase(&id, "awaiting_approval").await;

    h.cli_signal(&id, Some(r#"{"approved": true, "approver": "ana", "decision_source": "cli", "approved_versions": [{"function_name": "orders", "version": "1"}, {"function_name": "billing", "version": 2}, {"function_name": "orders", "version": "5"}]}"#));
    let result = h.result(&id).await;

    assert_eq!(result.status, "done");
    assert!(!result.dry_run);
    assert_eq!(result.deletion_counts.get("deleted"), Some(&2));
    assert_eq!(h.emulator.versions_of("orders").await, vec!["2", "3", "4", "5", "6"]);
    assert_eq!(h.emulator.versions_of("billing").await, vec!["1", "3", "4", "5"]);
    let approval = result.approval.unwrap();
    assert_eq!((approval.approver.as_deref(), approval.approved_versions.len()), (Some("ana"), 2), "orders:5 is not a candidate");
    assert_eq!(result.ignored_versions.len(), 1, "and is listed as ignored");
    h.assert_replays(&id, "subset_approved_and_deleted").await;
}

#[tokio::test]
#[ignore = "needs the services scripts/test.sh starts (Temporal dev server, AWS emulator, SMTP sink, Chromium): run scripts/test.sh"]
async fn a_worker_started_without_delete_dry_run_deletes_nothing_even_when_approved() {
    let mut h = Harness::start(false).await;
    h.delete_dry_run = None; // the shipped default: not in the environment at all
    h.start_worker(0);
    let id = h.cli_start(r#"{"region": "us-west-2"}"#);
    h.wait_for_phase(&id, "awaiting_approval").await;

    h.cli_signal(&id, Some(r#"{"approved": true}"#));
    let result = h.result(&id).await;

    assert!(result.dry_run);
    assert_eq!(result.deletion_counts.get("dry_run_would_delete"), Some(&4));
    assert_eq!(h.emulator.versions_of("orders").await.len(), 6);
    assert_eq!(h.emulator.versions_of("billing").await.len(), 5);
    assert_eq!(h.emulator.count("DeleteFunction").await, 0);
}

#[tokio::test]
#[ignore = "needs the services scripts/test.sh starts (Temporal dev server, AWS emulator, SMTP sink, Chromium): run scripts/test.sh"]
async fn malformed_signals_are_recorded_and_a_valid_one_still_completes_the_run() {
    let mut h = Harness::start(true).await;
    h.start_worker(0);
    let id = h.cli_start(r#"{"region": "us-west-2", "dry_run": true}"#);
    h.wait_for_phase(&id, "awaiting_approval").await;

    // The last two name the approver with a right-to-left override and a bell: a name that hides
    // what it is must not be recorded as who approved.
    for bad in [Some(r#""yes""#), Some(r#"{"approved": "maybe"}"#), Some("[]"), Some(r#"{"approver": "x"}"#), None,
        Some(r#"{"approved": true, "approver": "ana\u202eevil"}"#), Some(r#"{"approved": true, "approver": "bo\u0007"}"#)] {
        h.cli_signal(&id, bad);
    }
    let status = eventually(Duration::from_secs(30), "seven ignored decisions", || async {
        h.status(&id).await.filter(|s| s.ignored_decisions.len() == 7)
    })
    .await;
    h.cli_signal(&id, Some(r#"{"approved": true}"#));
    let result = h.result(&id).await;

    assert_eq!(status.phase, "awaiting_approval");
    let names: Vec<&str> = status.ignored_decisions.iter().map(|d| d.reason.as_str()).filter(|r| r.contains("control or bidirectional")).collect();
    assert_eq!(names.len(), 2, "{:?}", status.ignored_decisions);
    assert!(names[0].contains("U+202E") && names[1].contains("U+0007"), "{names:?}");
    assert_eq!(result.status, "done");
    assert!(result.approval.as_ref().is_some_and(|d| d.approver.is_none()), "only the valid, anonymous one counted: {:?}", result.approval);
    assert!(result.dry_run, "the input's dry_run forces a dry run on a live worker");
    assert_eq!(h.emulator.versions_of("orders").await.len(), 6);
    h.assert_replays(&id, "malformed_signals_then_approved_dry_run").await;
}

#[tokio::test]
#[ignore = "needs the services scripts/test.sh starts (Temporal dev server, AWS emulator, SMTP sink, Chromium): run scripts/test.sh"]
async fn no_decision_before_the_deadline_times_out_and_says_so() {
    let mut h = Harness::start(true).await;
    h.start_worker(0);

    let id = h.cli_start(r#"{"region": "us-west-2", "approval_timeout_seconds": 3}"#);
    let result = h.result(&id).await;

    assert_eq!(result.status, "timed_out");
    h.assert_replays(&id, "timed_out").await;
    assert_eq!(h.emulator.versions_of("billing").await.len(), 5);
    let subjects = h.subjects().await;
    assert!(subjects.last().unwrap().contains("timed_out"), "{subjects:?}");
}

#[tokio::test]
#[ignore = "needs the services scripts/test.sh starts (Temporal dev server, AWS emulator, SMTP sink, Chromium): run scripts/test.sh"]
async fn an_alias_moved_onto_a_candidate_after_the_scan_skips_it() {
    let mut h = Harness::start(true).await;
    h.start_worker(0);
    let id = h.cli_start(r#"{"region": "us-west-2"}"#);
    h.wait_for_phase(&id, "awaiting_approval").await;

    let lambda = h.emulator.lambda_client().await;
    lambda.update_alias().function_name("orders").name("live").function_version("3").send().await.unwrap();
    h.cli_signal(&id, Some(r#"{"approved": true}"#));
    let result = h.result(&id).await;

    let skipped: Vec<String> = result
        .deletion_results
        .iter()
        .filter(|r| r.outcome == "skipped_changed_since_scan")
        .map(|r| format!("{}:{}", r.function_name, r.version))
        .collect();
    assert_eq!(skipped, vec!["orders:3"], "{:?}", result.deletion_results);
    assert!(h.emulator.versions_of("orders").await.contains(&"3".to_string()));
    assert_eq!(result.deletion_counts.get("deleted"), Some(&3));
}

#[tokio::test]
#[ignore = "needs the services scripts/test.sh starts (Temporal dev server, AWS emulator, SMTP sink, Chromium): run scripts/test.sh"]
async fn invocations_recorded_during_the_approval_wait_skip_the_version() {
    let mut h = Harness::start(true).await;
    h.start_worker(0);
    let id = h.cli_start(r#"{"region": "us-west-2"}"#);
    h.wait_for_phase(&id, "awaiting_approval").await;

    // billing:1 is called (directly, as Lambda records it) while the approver reads the email.
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    h.emulator.seed(serde_json::json!({"metrics": [
        {"namespace": "AWS/Lambda", "metric_name": "Invocations", "dimensions": {"FunctionName": "billing", "Resource": "billing:1"}, "timestamps": [now], "values": [3.0]},
        {"namespace": "AWS/Lambda", "metric_name": "Invocations", "dimensions": {"FunctionName": "billing"}, "timestamps": [now], "values": [3.0]},
    ]})).await;
    h.cli_signal(&id, Some(r#"{"approved": true}"#));
    let result = h.result(&id).await;

    let skipped: Vec<(String, String)> = result.deletion_results.iter().filter(|r| r.outcome == "skipped_changed_since_scan").map(|r| (format!("{}:{}", r.function_name, r.version), r.message.clone())).collect();
    assert_eq!(skipped.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(), vec!["billing:1", "billing:2"], "{:?}", result.deletion_results);
    assert!(skipped[0].1.contains("invoked since the scan") || skipped[0].1.contains("function was invoked"), "{skipped:?}");
    assert_eq!(h.emulator.versions_of("billing").await.len(), 5, "nothing of billing was deleted");
    assert_eq!(result.deletion_counts.get("deleted"), Some(&2), "orders:1 and orders:3 still go");
}

#[tokio::test]
#[ignore = "needs the services scripts/test.sh starts (Temporal dev server, AWS emulator, SMTP sink, Chromium): run scripts/test.sh"]
async fn a_worker_killed_mid_scan_during_the_wait_and_during_deletion_finishes_without_repeats() {
    let mut h = Harness::start(true).await;
    // A slow rate budget keeps the run in stage B (usage, then the reads behind it) long enough
    // to kill the worker there.
    h.start_worker(1);
    let id = h.cli_start(r#"{"region": "us-west-2"}"#);
    h.wait_for_phase(&id, "stage-b-usage-and-alias").await;
    h.stop_worker();
    h.start_worker(0);
    h.wait_for_phase(&id, "awaiting_approval").await;

    h.stop_worker();
    h.cli_signal(&id, Some(r#"{"approved": true}"#));
    h.start_worker(1);
    h.wait_for_phase(&id, "delete-versions").await;
    eventually(Duration::from_secs(60), "two deletions", || async { (remaining(&h).await < 10).then_some(()) }).await;
    h.stop_worker();
    let pending_at_kill = remaining(&h).await - 7;
    h.start_worker(0);
    let result = h.result(&id).await;

    assert!((1..4).contains(&pending_at_kill), "the kill landed mid-deletion: {pending_at_kill} of 4 candidates still there");
    assert_eq!(result.status, "done");
    let mut seen: Vec<String> = result.deletion_results.iter().map(|r| format!("{}:{}", r.function_name, r.version)).collect();
    seen.sort();
    assert_eq!(seen, vec!["billing:1", "billing:2", "orders:1", "orders:3"], "one result per version");
    let gone = result.deletion_counts.get("deleted").copied().unwrap_or(0) + result.deletion_counts.get("already_deleted").copied().unwrap_or(0);
    assert_eq!(gone, 4, "{:?}", result.deletion_counts);
    let deletes: Vec<Value> = h.emulator.requests().await.into_iter().filter(|r| r["operation"] == "DeleteFunction").collect();
    // A version deleted just before the kill is found gone by the listing the retry makes first.
    assert_eq!(deletes.len(), 4, "exactly one DeleteFunction per deleted version, across the kills: {deletes:?}");
    assert!(deletes.iter().all(|r| r["status"].as_u64().is_some_and(|s| s < 300)), "{deletes:?}");
    assert_eq!(h.emulator.versions_of("orders").await, vec!["2", "4", "5", "6"]);
    h.assert_replays(&id, "killed_three_times_then_deleted").await;
    let subjects = h.subjects().await;
    assert_eq!(subjects.iter().filter(|s| s.contains("Approve")).count(), 1, "{subjects:?}");
    assert_eq!(subjects.len(), 2, "{subjects:?}");
}

#[tokio::test]
#[ignore = "needs the services scripts/test.sh starts (Temporal dev server, AWS emulator, SMTP sink, Chromium): run scripts/test.sh"]
async fn a_scan_with_nothing_to_delete_mails_the_summary_and_ends_no_candidates() {
    let mut h = Harness::start(true).await;
    h.start_worker(0);

    let id = h.cli_start(r#"{"region": "us-west-2", "function_name_prefix": "no-such-function"}"#);
    let result = h.result(&id).await;

    assert_eq!(result.status, "no_candidates");
    assert!(result.approval.is_none() && result.deletion_results.is_empty());
    let subjects = h.subjects().await;
    assert_eq!(subjects.len(), 1, "no approval email, one completion email: {subjects:?}");
    assert!(subjects[0].contains("nothing to delete"), "{subjects:?}");
    h.assert_replays(&id, "no_candidates").await;
}

#[tokio::test]
#[ignore = "needs the services scripts/test.sh starts (Temporal dev server, AWS emulator, SMTP sink, Chromium): run scripts/test.sh"]
async fn dry_run_false_in_the_input_cannot_make_a_dry_run_worker_delete() {
    let mut h = Harness::start(false).await;
    h.delete_dry_run = Some("False".into()); // anything but exactly `false` is a dry run
    h.start_worker(0);
    let id = h.cli_start(r#"{"region": "us-west-2", "dry_run": false}"#);
    h.wait_for_phase(&id, "awaiting_approval").await;

    h.cli_signal(&id, Some(r#"{"approved": true}"#));
    let result = h.result(&id).await;

    assert!(result.dry_run);
    assert_eq!(result.deletion_counts.get("dry_run_would_delete"), Some(&4), "{:?}", result.deletion_counts);
    assert_eq!(h.emulator.count("DeleteFunction").await, 0);
    assert_eq!(h.emulator.versions_of("billing").await.len(), 5);
}

#[tokio::test]
#[ignore = "needs the services scripts/test.sh starts (Temporal dev server, AWS emulator, SMTP sink, Chromium): run scripts/test.sh"]
async fn the_dry_run_promised_in_the_email_holds_when_a_live_worker_deletes() {
    let mut h = Harness::start(false).await;
    h.start_worker(0);
    let id = h.cli_start(r#"{"region": "us-west-2"}"#);
    h.wait_for_phase(&id, "awaiting_approval").await;
    let email = h.emulator.sns_messages().await[0]["message"].as_str().unwrap_or_default().to_string();
    h.stop_worker();
    h.delete_dry_run = Some("false".into());
    h.start_worker(0);

    h.cli_signal(&id, Some(r#"{"approved": true}"#));
    let result = h.result(&id).await;

    assert!(email.contains("DRY RUN"), "{email}");
    assert!(result.dry_run, "the mode promised in the email holds");
    assert_eq!(h.emulator.count("DeleteFunction").await, 0);
    assert_eq!(h.emulator.versions_of("orders").await.len(), 6);
}

#[tokio::test]
#[ignore = "needs the services scripts/test.sh starts (Temporal dev server, AWS emulator, SMTP sink, Chromium): run scripts/test.sh"]
async fn a_live_promise_only_gets_safer_when_a_dry_run_worker_deletes() {
    let mut h = Harness::start(true).await;
    h.start_worker(0);
    let id = h.cli_start(r#"{"region": "us-west-2"}"#);
    h.wait_for_phase(&id, "awaiting_approval").await;
    h.stop_worker();
    h.delete_dry_run = Some("true".into());
    h.start_worker(0);

    h.cli_signal(&id, Some(r#"{"approved": true}"#));
    let result = h.result(&id).await;

    assert!(result.dry_run);
    assert_eq!(h.emulator.count("DeleteFunction").await, 0);
}

#[tokio::test]
#[ignore = "needs the services scripts/test.sh starts (Temporal dev server, AWS emulator, SMTP sink, Chromium): run scripts/test.sh"]
async fn report_dir_receives_the_full_report_of_the_run() {
    let mut h = Harness::start(false).await;
    let dir = tempfile::tempdir().unwrap();
    h.worker_env.push(("REPORT_DIR".into(), dir.path().display().to_string()));
    h.start_worker(0);

    let id = h.cli_start(r#"{"region": "us-west-2"}"#);
    h.wait_for_phase(&id, "awaiting_approval").await;

    let text = std::fs::read_to_string(dir.path().join(format!("{id}.json"))).expect("the report file");
    let report: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(report["rows"].as_array().unwrap().len(), 11, "every version, not only candidates");
    assert_eq!(report["summary"]["candidates"], 4);
    h.temporal(&["workflow", "terminate", "--workflow-id", &id, "--reason", "test done"]);
}

/// An S3 client on the emulator (path-style, as for any endpoint URL).
async fn s3(h: &Harness) -> aws_sdk_s3::Client {
    let creds = aws_credential_types::Credentials::new("testing", "testing", None, None, "test");
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-west-2"))
        .endpoint_url(&h.emulator.url)
        .credentials_provider(creds)
        .load()
        .await;
    aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(&config).force_path_style(true).build())
}

#[tokio::test]
#[ignore = "needs the services scripts/test.sh starts (Temporal dev server, AWS emulator, SMTP sink, Chromium): run scripts/test.sh"]
async fn s3_report_uri_receives_the_report_before_the_email_and_the_deletion_results_after() {
    let mut h = Harness::start(false).await;
    let client = s3(&h).await;
    let bucket = aws_sdk_s3::types::CreateBucketConfiguration::builder().location_constraint(aws_sdk_s3::types::BucketLocationConstraint::UsWest2).build();
    client.create_bucket().bucket("audit-bucket").create_bucket_configuration(bucket).send().await.unwrap();
    h.start_worker(0);
    let get = |key: String| {
        let client = client.clone();
        async move { client.get_object().bucket("audit-bucket").key(&key).send().await.unwrap_or_else(|e| panic!("{key}: {e:?}")) }
    };

    let id = h.cli_start(r#"{"region": "us-west-2", "s3_report_uri": "s3://audit-bucket/snapstart/"}"#);
    h.wait_for_phase(&id, "awaiting_approval").await;
    let run = h.run_id(&id).await;
    let json = get(format!("snapstart/{id}/{run}.json")).await;
    let encryption = json.server_side_encryption().cloned();
    let report: Value = serde_json::from_slice(&json.body.collect().await.unwrap().into_bytes()).unwrap();
    let csv = String::from_utf8(get(format!("snapstart/{id}/{run}.csv")).await.body.collect().await.unwrap().into_bytes().to_vec()).unwrap();
    let email = h.emulator.sns_messages().await.into_iter().find(|m| m["subject"].as_str().unwrap_or_default().contains("Approve")).expect("the approval email");
    h.cli_signal(&id, Some(r#"{"approved": false}"#));
    h.result(&id).await;
    let outcome: Value = serde_json::from_slice(&get(format!("snapstart/{id}/{run}.deletions.json")).await.body.collect().await.unwrap().into_bytes()).unwrap();
    // A rerun of the same scope (same workflow id) writes a trail of its own beside the first.
    let again = h.cli_start_as(&id, r#"{"region": "us-west-2", "s3_report_uri": "s3://audit-bucket/snapstart/"}"#);
    h.wait_for_phase(&again, "awaiting_approval").await;
    let second = h.run_id(&again).await;
    h.cli_signal(&again, Some(r#"{"approved": false}"#));
    h.result(&again).await;
    let listed = client.list_objects_v2().bucket("audit-bucket").prefix(format!("snapstart/{id}/")).send().await.unwrap();
    let keys: std::collections::BTreeSet<String> = listed.contents().iter().filter_map(|o| o.key().map(str::to_string)).collect();

    assert_eq!(encryption, Some(aws_sdk_s3::types::ServerSideEncryption::Aes256), "encrypted at rest");
    assert_eq!((report["rows"].as_array().unwrap().len(), report["summary"]["candidates"].as_u64()), (11, Some(4)));
    assert_eq!(csv.lines().count(), 12, "a header and every version");
    assert!(email["message"].as_str().unwrap().contains(&format!("Full report: s3://audit-bucket/snapstart/{id}/{run}.json")), "{email}");
    assert_eq!(outcome["status"], "rejected");
    assert_eq!((again.as_str(), run != second), (id.as_str(), true), "the same scope, another run");
    let want: std::collections::BTreeSet<String> =
        [&run, &second].iter().flat_map(|r| [".json", ".csv", ".deletions.json"].map(|s| format!("snapstart/{id}/{r}{s}"))).collect();
    assert_eq!(keys, want, "neither run overwrote the other's trail");
}

#[tokio::test]
#[ignore = "needs the services scripts/test.sh starts (Temporal dev server, AWS emulator, SMTP sink, Chromium): run scripts/test.sh"]
async fn a_report_that_cannot_be_written_to_s3_stops_the_run_before_anyone_is_asked() {
    let mut h = Harness::start(false).await;
    h.start_worker(0);

    // No such bucket: every PutObject fails (404 NoSuchBucket), through every retry.
    let id = h.cli_start(r#"{"region": "us-west-2", "s3_report_uri": "s3://no-such-bucket/x/"}"#);
    let client = h.client().await;
    let handle = client.get_workflow_handle::<SnapStartCleanup>(id.clone());
    let result = tokio::time::timeout(Duration::from_secs(150), handle.get_result(WorkflowGetResultOptions::default())).await.expect("the run ends");

    let err = format!("{:?}", result.expect_err("the run fails"));
    assert!(err.contains("writing the report to s3://no-such-bucket/x/") && err.contains("NoSuchBucket"), "{err}");
    assert!(h.emulator.sns_messages().await.is_empty(), "nobody was asked to approve");
}

#[tokio::test]
#[ignore = "needs the services scripts/test.sh starts (Temporal dev server, AWS emulator, SMTP sink, Chromium): run scripts/test.sh"]
async fn a_result_over_the_payload_limit_fails_the_run_once_without_retrying() {
    let mut h = Harness::start(false).await;
    h.worker_env.push(("MAX_PAYLOAD_BYTES".into(), "64".into()));
    h.start_worker(0);

    let id = h.cli_start(r#"{"region": "us-west-2"}"#);
    let client = h.client().await;
    let handle = client.get_workflow_handle::<SnapStartCleanup>(id.clone());
    let result = tokio::time::timeout(Duration::from_secs(60), handle.get_result(WorkflowGetResultOptions::default())).await.expect("fails fast");

    let err = format!("{:?}", result.expect_err("the run fails"));
    assert!(err.contains("PayloadsTooLarge") && err.contains("discover-snapstart"), "{err}");
    assert_eq!(h.emulator.count("ListFunctions").await, 1, "discover ran once: not retried");
    assert_eq!(h.activity_attempts(&id), vec![("discover-snapstart".to_string(), 1)]);
}

#[tokio::test]
#[ignore = "needs the services scripts/test.sh starts (Temporal dev server, AWS emulator, SMTP sink, Chromium): run scripts/test.sh"]
async fn a_channel_that_fails_after_another_delivered_is_retried_alone() {
    let mut h = Harness::start(false).await;
    h.sns_too = true;
    h.reserve_smtp_sink(); // SMTP refuses connections until the sink starts
    h.start_worker(0);
    let id = h.cli_start(r#"{"region": "us-west-2"}"#);
    eventually(Duration::from_secs(60), "the SNS approval message", || async { (!h.emulator.sns_messages().await.is_empty()).then_some(()) }).await;

    h.start_smtp_sink().await;
    h.wait_for_phase(&id, "awaiting_approval").await;
    let run_id = h.run_id(&id).await;

    let approvals = h.subjects().await.into_iter().filter(|s| s.contains("Approve")).count();
    assert_eq!(approvals, 1, "SNS delivered on the first attempt and was not sent again");
    let mails = h.raw_mails();
    assert_eq!(mails.len(), 1, "SMTP delivered once, on a later attempt");
    let message_id = mails[0].lines().find(|l| l.to_ascii_lowercase().starts_with("message-id:")).expect("a Message-ID header").to_string();
    assert_eq!(message_id.split_once(':').unwrap().1.trim(), format!("<approval.{run_id}@snapstart-cleaner>"), "stable per run");
    let attempts = h.activity_attempts(&id);
    assert!(attempts.contains(&("send-approval-email".to_string(), 2)) || attempts.iter().any(|(t, a)| t == "send-approval-email" && *a > 1), "{attempts:?}");
    h.temporal(&["workflow", "terminate", "--workflow-id", &id, "--reason", "test done"]);
}

#[tokio::test]
#[ignore = "needs the services scripts/test.sh starts (Temporal dev server, AWS emulator, SMTP sink, Chromium): run scripts/test.sh"]
async fn scan_progress_shows_on_the_pending_activity_and_a_killed_scan_resumes_from_its_checkpoint() {
    let mut h = Harness::start(false).await;
    let functions: Vec<Value> = (0..120)
        .map(|i| serde_json::json!({"name": format!("svc-{i:03}"), "runtime": "python3.12", "snapstart": true, "versions": common::versions(5, 40.0)}))
        .collect();
    h.emulator.seed(serde_json::json!({"functions": functions})).await;
    h.start_worker(5);
    let id = h.cli_start(r#"{"region": "us-west-2"}"#);

    // Stage B checks usage 50 functions at a time (one ListAliases each, 10 s at 5/s) and
    // checkpoints after each chunk.
    let beat = eventually(Duration::from_secs(90), "a checkpointed stage-b heartbeat", || async {
        h.pending_heartbeat(&id).filter(|b| b.step.starts_with("stage-b") && b.done >= 50 && b.checkpoint.is_some())
    })
    .await;
    h.stop_worker();
    let before_kill = h.emulator.count("ListAliases").await as u64;
    h.start_worker(0);
    h.wait_for_phase(&id, "awaiting_approval").await;

    assert!(beat.total >= 120, "{beat:?}");
    let after_kill = h.emulator.count("ListAliases").await as u64 - before_kill;
    assert!(
        after_kill <= beat.total - beat.done,
        "the retry listed {after_kill} functions' aliases; resuming from a checkpoint of {} it needs at most {}",
        beat.done,
        beat.total - beat.done
    );
    // Nothing a candidate needs was lost on the way: every one had its state and policy read.
    let status = h.status(&id).await.unwrap();
    assert_eq!(status.candidates_total, 240 + 4, "2 of each 5 versions, and the demo account's 4");
    h.temporal(&["workflow", "terminate", "--workflow-id", &id, "--reason", "test done"]);
}

#[tokio::test]
#[ignore = "needs the services scripts/test.sh starts (Temporal dev server, AWS emulator, SMTP sink, Chromium): run scripts/test.sh"]
async fn a_report_bucket_of_another_account_is_refused_and_the_run_stops_before_anyone_is_asked() {
    let mut h = Harness::start(false).await;
    // The bucket exists, but another account owns it (a typo, or a name someone else took).
    let theirs = h.emulator.s3_client_as(Some(("arn:aws:iam::111111111111:role/owner", "")), "us-west-2").await;
    let bucket = aws_sdk_s3::types::CreateBucketConfiguration::builder().location_constraint(aws_sdk_s3::types::BucketLocationConstraint::UsWest2).build();
    theirs.create_bucket().bucket("their-bucket").create_bucket_configuration(bucket).send().await.unwrap();
    h.start_worker(0);

    let id = h.cli_start(r#"{"region": "us-west-2", "s3_report_uri": "s3://their-bucket/x/"}"#);
    let client = h.client().await;
    let handle = client.get_workflow_handle::<SnapStartCleanup>(id.clone());
    let result = tokio::time::timeout(Duration::from_secs(150), handle.get_result(WorkflowGetResultOptions::default())).await.expect("the run ends");

    let err = format!("{:?}", result.expect_err("the run fails"));
    assert!(err.contains("writing the report to s3://their-bucket/x/") && err.contains("AccessDenied"), "{err}");
    assert!(h.emulator.sns_messages().await.is_empty(), "nobody was asked to approve");
    let listed = theirs.list_objects_v2().bucket("their-bucket").send().await.unwrap();
    assert!(listed.contents().is_empty(), "the other account's bucket received nothing");
}


#[tokio::test]
#[ignore = "needs the services scripts/test.sh starts (Temporal dev server, AWS emulator, SMTP sink, Chromium): run scripts/test.sh"]
async fn a_decision_that_reaches_the_worker_after_the_deadline_is_late_even_before_its_timer_fired() {
    let mut h = Harness::start(true).await;
    h.start_worker(0);
    let id = h.cli_start(r#"{"region": "us-west-2", "approval_timeout_seconds": 4}"#);
    let waiting = h.wait_for_phase(&id, "awaiting_approval").await;
    let deadline = waiting.deadline_unix.expect("a deadline");

    // The worker is down when the deadline passes; the approval arrives after it. The restarted
    // worker sees the timer and the signal in one activation: the timer has not fired for it yet.
    h.stop_worker();
    common::eventually(Duration::from_secs(30), "the deadline to pass", || async { (chrono::Utc::now().timestamp() > deadline + 1).then_some(()) }).await;
    h.cli_signal(&id, Some(r#"{"approved": true, "approver": "late-larry"}"#));
    h.start_worker(0);
    let result = h.result(&id).await;
    let status = h.status(&id).await.expect("the status query");

    assert_eq!(result.status, "timed_out", "a late approval deletes nothing");
    assert!(status.decision.is_none(), "{:?}", status.decision);
    assert!(status.ignored_decisions.iter().any(|d| d.reason.starts_with("late: ")), "{:?}", status.ignored_decisions);
    assert_eq!(h.emulator.count("DeleteFunction").await, 0);
    h.assert_replays(&id, "late-decision").await;
}
