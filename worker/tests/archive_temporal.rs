//! Archive before delete, end to end on Temporal: a live run with the worker's ARCHIVE_URI leaves
//! every deleted version's package and record, `restore --apply` brings one back, and a worker
//! killed during the deletion neither archives a version twice nor deletes one it had not
//! archived.

mod common;

use std::time::Duration;

use base64::Engine;
use common::{eventually, run::Harness};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use snapstart_proto::{archive::ArchiveRecord, v1::CleanupResult};

const BUCKET: &str = "archive-bucket";

/// A live harness whose worker archives to `s3://archive-bucket/versions/` (its ARCHIVE_URI).
async fn archiving_harness() -> Harness {
    let mut h = Harness::start(true).await;
    let location = aws_sdk_s3::types::CreateBucketConfiguration::builder().location_constraint(aws_sdk_s3::types::BucketLocationConstraint::UsWest2).build();
    h.emulator.s3_client_as(None, "us-west-2").await.create_bucket().bucket(BUCKET).create_bucket_configuration(location).send().await.unwrap();
    h.worker_env.push(("ARCHIVE_URI".into(), format!("s3://{BUCKET}/versions/")));
    h
}

async fn object(h: &Harness, key: &str) -> Option<Vec<u8>> {
    let out = h.emulator.s3_client_as(None, "us-west-2").await.get_object().bucket(BUCKET).key(key).send().await.ok()?;
    Some(out.body.collect().await.unwrap().into_bytes().to_vec())
}

/// Every result's archive: `code.zip` hashing to the version's CodeSha256 and a `version.json` of this run.
async fn assert_archived(h: &Harness, id: &str, result: &CleanupResult, versions: &[&str]) {
    for name in versions {
        let (function, version) = name.split_once(':').unwrap();
        let r = result.deletion_results.iter().find(|r| r.function_name == function && r.version == version).unwrap_or_else(|| panic!("{name}: {result:?}"));
        let folder = format!("versions/123456789012/us-west-2/{function}/{version}/");
        if r.outcome == "deleted" {
            assert_eq!(r.archive_uri, format!("s3://{BUCKET}/{folder}"), "{name}");
        }
        let record = ArchiveRecord::parse(&object(h, &format!("{folder}version.json")).await.unwrap_or_else(|| panic!("{name}: no version.json"))).unwrap();
        assert_eq!(record.workflow_id, id, "{name}");
        let package = object(h, &format!("{folder}code.zip")).await.unwrap_or_else(|| panic!("{name}: no code.zip"));
        let sha = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(&package));
        assert_eq!(sha, record.code_sha256, "{name}: the package hashes to its CodeSha256");
        assert_eq!(record.scan_row.code_sha256_prefix, snapstart_proto::archive::hash_prefix(&record.code_sha256), "{name}: the scan saw the same package");
    }
}

async fn downloads(h: &Harness) -> u64 {
    let resp = reqwest::Client::new().get(format!("{}/_emulator/lambda/code", h.emulator.url)).send().await.unwrap();
    resp.json::<Value>().await.unwrap()["downloads"].as_u64().unwrap()
}

#[tokio::test]
#[ignore = "needs the services scripts/test.sh starts (Temporal dev server, AWS emulator, SMTP sink, Chromium): run scripts/test.sh"]
async fn a_live_run_archives_every_deleted_version_and_restore_brings_one_back() {
    let mut h = archiving_harness().await;
    h.start_worker(0);
    let id = h.cli_start(r#"{"region": "us-west-2"}"#);
    let status = h.wait_for_phase(&id, "awaiting_approval").await;
    assert_eq!(status.archive_uri, format!("s3://{BUCKET}/versions/"), "the worker's ARCHIVE_URI, fixed when the email went out");

    h.cli_signal(&id, Some(r#"{"approved": true}"#));
    let result = h.result(&id).await;

    assert_eq!(result.deletion_counts.get("deleted"), Some(&4), "{:?}", result.deletion_results);
    assert_archived(&h, &id, &result, &["orders:1", "orders:3", "billing:1", "billing:2"]).await;
    h.assert_replays(&id, "archived_and_deleted").await;

    let out = std::process::Command::new(common::cleaner_bin())
        .args(["restore", &format!("s3://{BUCKET}/versions/123456789012/us-west-2/billing/2/"), "--apply", "--format", "json"])
        .env("AWS_ENDPOINT_URL", &h.emulator.url)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-west-2")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let restored: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((restored["restored_from_version"].clone(), restored["latest_restored"].clone()), (json!("2"), json!(true)));
    let version = restored["new_version"].as_str().unwrap();
    let config = h.emulator.lambda_client().await.get_function_configuration().function_name("billing").qualifier(version).send().await.unwrap();
    assert_eq!((config.memory_size(), config.runtime().map(|r| r.as_str())), (Some(1024), Some("python3.13")));
    assert!(h.emulator.versions_of("billing").await.contains(&version.to_string()));
}

#[tokio::test]
#[ignore = "needs the services scripts/test.sh starts (Temporal dev server, AWS emulator, SMTP sink, Chromium): run scripts/test.sh"]
async fn a_worker_killed_during_an_archiving_deletion_archives_each_version_once_and_deletes_none_unarchived() {
    let mut h = archiving_harness().await;
    h.start_worker(0);
    let id = h.cli_start(r#"{"region": "us-west-2"}"#);
    h.wait_for_phase(&id, "awaiting_approval").await;
    h.stop_worker();
    h.cli_signal(&id, Some(r#"{"approved": true}"#));
    // A slow control-plane budget spreads the deletion out so the kill lands inside it.
    h.start_worker(1);
    h.wait_for_phase(&id, "delete-versions").await;
    let total = 11; // orders 6 + billing 5
    eventually(Duration::from_secs(60), "a first deletion", || async {
        let left = h.emulator.versions_of("orders").await.len() + h.emulator.versions_of("billing").await.len();
        (left < total).then_some(())
    })
    .await;
    h.stop_worker();
    let at_kill = downloads(&h).await;
    eprintln!("downloads at the kill: {at_kill}");
    h.start_worker(0);
    let result = h.result(&id).await;

    assert!(at_kill < 4, "the kill landed before every version was archived ({at_kill} downloads)");
    let gone = result.deletion_counts.get("deleted").copied().unwrap_or(0) + result.deletion_counts.get("already_deleted").copied().unwrap_or(0);
    assert_eq!(gone, 4, "{:?}", result.deletion_results);
    assert_archived(&h, &id, &result, &["orders:1", "orders:3", "billing:1", "billing:2"]).await;
    // One download per version; a second only for a copy the kill cut short (never stored).
    let total_downloads = downloads(&h).await;
    assert!((4..=5).contains(&total_downloads), "{total_downloads} downloads for 4 versions");
}
