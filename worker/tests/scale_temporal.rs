//! The approval loop at scale, end to end on the Temporal dev server: 10,000 versions (7,000+
//! candidates) through a small `status` answer, the confirm page in the browser and an
//! approve-all dry run; and a flood of malformed signals that leaves the run decidable.

mod common;

use std::time::Duration;

use common::{browser::Browser, eventually, run::Harness};
use serde_json::{json, Value};
use snapstart_worker::workflow::SnapStartCleanup;
use temporalio_client::WorkflowSignalOptions;
use temporalio_common::{data_converters::RawValue, protos::temporal::api::common::v1::Payload};

const SMALL: usize = 64 * 1024;

/// The `status` answer as the Temporal CLI prints it.
fn status_json(h: &Harness, id: &str) -> String {
    let out = std::process::Command::new(h.cli())
        .args(["workflow", "query", "--workflow-id", id, "--name", "status", "--output", "json", "--address", h.address()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn approve_link(message: &str) -> String {
    message.split_whitespace().find(|w| w.contains("/approve?token=")).expect("an approve link").to_string()
}

#[tokio::test]
#[ignore = "needs the services scripts/test.sh starts (Temporal dev server, AWS emulator, Chromium): run scripts/test.sh"]
async fn ten_thousand_versions_reach_approval_with_a_small_status_and_approve_all_dry_runs_every_candidate() {
    let mut h = Harness::start(false).await;
    let old = common::days_ago(40.0);
    let functions: Vec<Value> = (0..1000)
        .map(|i| json!({"name": format!("payments-{i:04}"), "runtime": "python3.12", "snapstart": true,
            "versions": vec![json!({"last_modified": old}); 10], "aliases": [{"name": "live", "version": "10"}]}))
        .collect();
    h.emulator.seed(json!({"functions": functions})).await;
    h.start_resolver().await;
    h.start_worker(0);
    let id = h.cli_start(r#"{"region": "us-west-2"}"#);

    let status = h.wait_for_phase_within(&id, "awaiting_approval", Duration::from_secs(600)).await;
    let answer = status_json(&h, &id);
    let message = h.emulator.sns_messages().await[0]["message"].as_str().unwrap().to_string();
    let browser = Browser::start().await;
    let started = std::time::Instant::now();
    browser.goto(&approve_link(&message)).await;
    let page = browser.text().await;
    println!("confirm page in the browser: {:?}", started.elapsed());
    browser.click(&browser.find("button[type=submit]").await).await;
    let confirmation = browser.text().await;
    let result = h.result_within(&id, Duration::from_secs(600)).await;

    assert_eq!(status.candidates_total, 7_004, "7 of each 10 versions, plus the demo account's 4");
    assert!(answer.len() < SMALL, "status answer {} bytes", answer.len());
    assert!(page.contains("7004") || page.contains("7,004"), "the page counts every candidate");
    assert!(confirmation.contains("recorded"), "{confirmation}");
    assert_eq!((result.status.as_str(), result.dry_run), ("done", true));
    assert_eq!(result.deletion_counts.values().sum::<u32>(), 7_004, "{:?}", result.deletion_counts);
    assert_eq!(result.deletion_counts.get("dry_run_would_delete"), Some(&7_004), "{:?}", result.deletion_counts);
    assert_eq!(result.approval.unwrap().approved_count, 7_004);
}

#[tokio::test]
#[ignore = "needs the services scripts/test.sh starts (Temporal dev server, AWS emulator): run scripts/test.sh"]
async fn a_flood_of_malformed_signals_leaves_the_status_small_and_the_run_decidable() {
    let mut h = Harness::start(false).await;
    h.start_resolver().await;
    h.start_worker(0);
    let id = h.cli_start(r#"{"region": "us-west-2"}"#);
    h.wait_for_phase(&id, "awaiting_approval").await;
    let client = h.client().await;
    let handle = client.get_workflow_handle::<SnapStartCleanup>(id.clone());

    for i in 0..300 {
        let junk = format!("{{\"approved\": \"{i}{}\"}}", "x".repeat(16 * 1024));
        let payload = Payload { metadata: [("encoding".to_string(), b"json/plain".to_vec())].into(), data: junk.into_bytes(), ..Default::default() };
        handle.signal(SnapStartCleanup::approval, RawValue::new(vec![payload]), WorkflowSignalOptions::default()).await.unwrap();
    }
    let status = eventually(Duration::from_secs(60), "300 ignored decisions", || async {
        h.status(&id).await.filter(|s| s.ignored_decisions_total == 300)
    })
    .await;
    let answer = status_json(&h, &id);
    let message = h.emulator.sns_messages().await[0]["message"].as_str().unwrap().to_string();
    let page = reqwest::get(approve_link(&message)).await.unwrap();
    let page_status = page.status();
    h.cli_signal(&id, Some(r#"{"approved": true}"#));
    let result = h.result(&id).await;

    assert_eq!(status.ignored_decisions.len(), 20, "the latest 20 are kept");
    assert!(answer.len() < 16 * 1024, "status answer {} bytes after 300 signals of 16 KiB", answer.len());
    assert_eq!(page_status, 200, "the confirm page still works");
    assert_eq!(result.status, "done");
}
