//! Archive before delete, against the AWS emulator: every deleted version leaves its package
//! (hashing to its CodeSha256) and its `version.json`; a dry run archives nothing; any archive
//! failure (access denied, an expired link, a hash mismatch) skips the version and deletes
//! nothing of it; a version changed since the scan is skipped; a retried attempt does not
//! archive a version again; a package larger than one part goes up in parts.

mod common;

use base64::Engine;
use common::{versions, Emulator};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use snapstart_aws::factory::AwsFactory;
use snapstart_deletion::{self as deletion, outcome, ArchiveScope, Scope};
use snapstart_proto::{
    archive::ArchiveRecord,
    v1::{DeletionResult, ReportRow},
};

const BUCKET: &str = "archive-bucket";
const PREFIX: &str = "versions/";
const ACCOUNT: &str = "123456789012";

struct Quiet;

impl deletion::Progress for Quiet {
    async fn record(&mut self, _: &[DeletionResult], _: usize) {}
}

/// An emulator with `f` (5 SnapStart versions, an environment) and the archive bucket.
async fn account() -> Emulator {
    let emu = Emulator::start().await;
    let f = json!({"name": "f", "runtime": "python3.12", "memory_size": 1024, "snapstart": true, "environment": {"TABLE": "orders"}, "versions": versions(5, 40.0)});
    emu.seed(json!({"functions": [f]})).await;
    emu.s3_client_as(None, "us-west-2").await.create_bucket().bucket(BUCKET).create_bucket_configuration(location()).send().await.unwrap();
    emu
}

fn location() -> aws_sdk_s3::types::CreateBucketConfiguration {
    aws_sdk_s3::types::CreateBucketConfiguration::builder().location_constraint(aws_sdk_s3::types::BucketLocationConstraint::UsWest2).build()
}

/// The row the scan would have approved: CodeSha256's prefix and LastModified as AWS reports them.
async fn scanned(emu: &Emulator, function: &str, version: &str) -> ReportRow {
    scanned_with_hash(emu, function, version).await.0
}

/// [`scanned`], and the version's whole CodeSha256.
async fn scanned_with_hash(emu: &Emulator, function: &str, version: &str) -> (ReportRow, String) {
    let out = emu.lambda_client().await.get_function_configuration().function_name(function).qualifier(version).send().await.unwrap();
    let row = ReportRow {
        account_id: ACCOUNT.into(),
        region: "us-west-2".into(),
        function_name: function.into(),
        version: version.into(),
        candidate_for_deletion: true,
        code_sha256_prefix: snapstart_proto::archive::hash_prefix(out.code_sha256().unwrap()),
        last_modified: out.last_modified().unwrap().into(),
        ..Default::default()
    };
    (row, out.code_sha256().unwrap().to_string())
}

/// The deletion phase with the archive at `bucket`, as run in production (run_everywhere).
async fn delete(emu: &Emulator, rows: &[ReportRow], dry_run: bool, bucket: &str) -> Vec<DeletionResult> {
    let aws = AwsFactory::for_emulator(&emu.url, 0, 2);
    let scope = Scope {
        default_region: "us-west-2",
        roles: &[],
        external_id: "",
        since: chrono::Utc::now() - chrono::Duration::minutes(5),
        dry_run,
        resumed: false,
        function_level: Default::default(),
        archive: Some(ArchiveScope { bucket, prefix: PREFIX, kms_key_id: "", workflow_id: "wf-1", run_id: "run-1" }),
    };
    let mut done = Vec::new();
    deletion::run_everywhere(&aws, &scope, rows, &mut done, &mut Quiet).await;
    done
}

async fn object(emu: &Emulator, key: &str) -> Option<Vec<u8>> {
    let s3 = emu.s3_client_as(None, "us-west-2").await;
    let out = s3.get_object().bucket(BUCKET).key(key).send().await.ok()?;
    Some(out.body.collect().await.unwrap().into_bytes().to_vec())
}

async fn keys(emu: &Emulator) -> Vec<String> {
    let s3 = emu.s3_client_as(None, "us-west-2").await;
    let out = s3.list_objects_v2().bucket(BUCKET).send().await.unwrap();
    out.contents().iter().filter_map(|o| o.key()).map(str::to_string).collect()
}

fn sha256(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(Sha256::digest(bytes))
}

fn outcomes(results: &[DeletionResult]) -> Vec<(String, String)> {
    results.iter().map(|r| (r.version.clone(), r.outcome.clone())).collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
}

async fn links(emu: &Emulator, setting: Value) -> Value {
    emu.post("/_emulator/lambda/code", setting).await
}

#[tokio::test]
#[ignore = "needs the AWS emulator: run scripts/test.sh"]
async fn a_live_deletion_leaves_each_version_s_package_and_record_before_deleting_it() {
    let emu = account().await;
    let (one, sha) = scanned_with_hash(&emu, "f", "1").await;
    let rows = [one, scanned(&emu, "f", "2").await];

    let results = delete(&emu, &rows, false, BUCKET).await;

    assert_eq!(outcomes(&results), pairs(&[("1", outcome::DELETED), ("2", outcome::DELETED)]));
    assert_eq!(emu.versions_of("f").await, vec!["3", "4", "5"]);
    for (row, result) in rows.iter().zip(&results) {
        let folder = format!("{PREFIX}{ACCOUNT}/us-west-2/f/{}/", row.version);
        assert_eq!(result.archive_uri, format!("s3://{BUCKET}/{folder}"), "the result names its archive");
        let package = object(&emu, &format!("{folder}code.zip")).await.expect("code.zip");
        assert_eq!(sha256(&package), sha, "the package hashes to CodeSha256 (every seeded version has the same package)");
        let record = ArchiveRecord::parse(&object(&emu, &format!("{folder}version.json")).await.expect("version.json")).unwrap();
        assert_eq!((record.function_name.as_str(), record.version.as_str(), record.code_sha256.as_str()), ("f", row.version.as_str(), sha.as_str()));
        assert_eq!(record.configuration["MemorySize"], 1024);
        assert_eq!(record.configuration["Environment"]["Variables"]["TABLE"], "orders", "the restore needs the environment");
        assert_eq!(record.configuration["SnapStart"]["ApplyOn"], "PublishedVersions");
        assert_eq!(record.code_size_bytes, package.len() as u64);
        assert_eq!((record.workflow_id.as_str(), record.run_id.as_str()), ("wf-1", "run-1"));
        assert_eq!(record.scan_row, *row, "the scan's row");
    }
}

#[tokio::test]
#[ignore = "needs the AWS emulator: run scripts/test.sh"]
async fn a_dry_run_archives_nothing_and_says_where_it_would() {
    let emu = account().await;
    let rows = [scanned(&emu, "f", "1").await];

    let results = delete(&emu, &rows, true, BUCKET).await;

    assert_eq!(outcomes(&results), pairs(&[("1", outcome::DRY_RUN)]));
    assert_eq!(results[0].archive_uri, format!("s3://{BUCKET}/{PREFIX}{ACCOUNT}/us-west-2/f/1/"));
    assert!(keys(&emu).await.is_empty(), "nothing archived");
    assert_eq!(links(&emu, json!({})).await["downloads"], 0);
}

/// Runs the deletion of f:1 and f:2 with the links set to `setting`; both must be skipped as
/// archive failures, nothing archived and nothing deleted.
async fn archive_fails(setting: Value, bucket: &str, reason: &str) {
    let emu = account().await;
    links(&emu, setting).await;
    let rows = [scanned(&emu, "f", "1").await, scanned(&emu, "f", "2").await];

    let results = delete(&emu, &rows, false, bucket).await;

    assert_eq!(outcomes(&results), pairs(&[("1", outcome::ARCHIVE_FAILED), ("2", outcome::ARCHIVE_FAILED)]), "{results:?}");
    assert!(results.iter().all(|r| r.message.contains(reason) && r.archive_uri.is_empty()), "{results:?}");
    assert_eq!(emu.versions_of("f").await, vec!["1", "2", "3", "4", "5"], "nothing deleted");
    assert_eq!(emu.count("DeleteFunction").await, 0);
    assert!(keys(&emu).await.is_empty(), "nothing left in the archive");
}

#[tokio::test]
#[ignore = "needs the AWS emulator: run scripts/test.sh"]
async fn an_expired_link_twice_skips_the_version() {
    archive_fails(json!({"valid_seconds": 0}), BUCKET, "Request has expired").await;
}

#[tokio::test]
#[ignore = "needs the AWS emulator: run scripts/test.sh"]
async fn an_expired_link_is_replaced_by_a_fresh_one_from_getfunction() {
    let emu = account().await;
    links(&emu, json!({"expired_first": 1})).await;
    let (row, sha) = scanned_with_hash(&emu, "f", "1").await;
    emu.clear_requests().await;

    let results = delete(&emu, &[row], false, BUCKET).await;

    assert_eq!(outcomes(&results), pairs(&[("1", outcome::DELETED)]), "{results:?}");
    assert_eq!(emu.count("GetFunction").await, 2, "a second GetFunction for a fresh link");
    let package = object(&emu, &format!("{PREFIX}{ACCOUNT}/us-west-2/f/1/code.zip")).await.unwrap();
    assert_eq!(sha256(&package), sha);
}

#[tokio::test]
#[ignore = "needs the AWS emulator: run scripts/test.sh"]
async fn a_refused_download_skips_the_version() {
    archive_fails(json!({"refuse": true}), BUCKET, "AccessDenied").await;
}

#[tokio::test]
#[ignore = "needs the AWS emulator: run scripts/test.sh"]
async fn a_package_that_does_not_hash_to_its_code_sha256_skips_the_version_and_is_not_stored() {
    archive_fails(json!({"tamper": true}), BUCKET, "not its CodeSha256").await;
}

#[tokio::test]
#[ignore = "needs the AWS emulator: run scripts/test.sh"]
async fn an_archive_bucket_of_another_account_skips_the_version() {
    let emu = account().await;
    let theirs = emu.s3_client_as(Some(("arn:aws:iam::111111111111:role/other", "")), "us-west-2").await;
    theirs.create_bucket().bucket("their-archive").create_bucket_configuration(location()).send().await.unwrap();
    let rows = [scanned(&emu, "f", "1").await];

    let results = delete(&emu, &rows, false, "their-archive").await;

    assert_eq!(outcomes(&results), pairs(&[("1", outcome::ARCHIVE_FAILED)]));
    assert!(results[0].message.contains("AccessDenied"), "{results:?}");
    assert_eq!(emu.versions_of("f").await, vec!["1", "2", "3", "4", "5"]);
}

#[tokio::test]
#[ignore = "needs the AWS emulator: run scripts/test.sh"]
async fn a_version_whose_package_differs_from_the_scan_s_is_not_archived_or_deleted() {
    let emu = account().await;
    let mut row = scanned(&emu, "f", "1").await;
    row.code_sha256_prefix = snapstart_proto::archive::hash_prefix(&sha256(b"another package"));

    let results = delete(&emu, &[row], false, BUCKET).await;

    assert_eq!(outcomes(&results), pairs(&[("1", outcome::CHANGED)]));
    assert!(results[0].message.contains("CodeSha256"), "{results:?}");
    assert!(keys(&emu).await.is_empty());
    assert_eq!(emu.versions_of("f").await.len(), 5);
}

#[tokio::test]
#[ignore = "needs the AWS emulator: run scripts/test.sh"]
async fn a_version_archived_by_an_earlier_attempt_is_not_downloaded_again() {
    let emu = account().await;
    let rows = [scanned(&emu, "f", "1").await];
    // The first attempt archives f:1, then its DeleteFunction keeps failing.
    emu.fault(json!({"service": "lambda", "operation": "DeleteFunction", "status": 500, "count": -1})).await;
    let first = delete(&emu, &rows, false, BUCKET).await;
    assert_eq!(outcomes(&first), pairs(&[("1", outcome::ERROR)]));
    assert_eq!(first[0].archive_uri, format!("s3://{BUCKET}/{PREFIX}{ACCOUNT}/us-west-2/f/1/"), "archived before the delete failed");
    emu.clear_faults().await;
    let downloads = links(&emu, json!({})).await["downloads"].as_u64().unwrap();
    let record = object(&emu, &format!("{PREFIX}{ACCOUNT}/us-west-2/f/1/version.json")).await.unwrap();

    let second = delete(&emu, &rows, false, BUCKET).await;

    assert_eq!(outcomes(&second), pairs(&[("1", outcome::DELETED)]));
    assert_eq!(links(&emu, json!({})).await["downloads"].as_u64().unwrap(), downloads, "not downloaded again");
    assert_eq!(object(&emu, &format!("{PREFIX}{ACCOUNT}/us-west-2/f/1/version.json")).await.unwrap(), record, "the record is the first attempt's");
}

#[tokio::test]
#[ignore = "needs the AWS emulator: run scripts/test.sh"]
async fn an_archive_of_another_package_in_the_folder_is_neither_trusted_nor_overwritten() {
    // A folder whose version.json records another package (left by an earlier tool, a hand
    // edit, or an account whose numbers we cannot vouch for) must not stand for this version.
    let emu = account().await;
    let (row, sha) = scanned_with_hash(&emu, "f", "1").await;
    let folder = format!("{PREFIX}{ACCOUNT}/us-west-2/f/1/");
    let old = ArchiveRecord { format: snapstart_proto::archive::FORMAT.into(), function_name: "f".into(), version: "1".into(), region: "us-west-2".into(), code_sha256: sha256(b"an older package"), package_type: "Zip".into(), configuration: json!({}), ..Default::default() };
    let s3 = emu.s3_client_as(None, "us-west-2").await;
    s3.put_object().bucket(BUCKET).key(format!("{folder}version.json")).body(serde_json::to_vec(&old).unwrap().into()).send().await.unwrap();

    let results = delete(&emu, &[row], false, BUCKET).await;

    assert_eq!(outcomes(&results), pairs(&[("1", outcome::ARCHIVE_FAILED)]), "{results:?}");
    assert!(results[0].message.contains("archive of another package"), "{results:?}");
    let record = ArchiveRecord::parse(&object(&emu, &format!("{folder}version.json")).await.unwrap()).unwrap();
    assert_eq!(record, old, "the folder's archive is left as it was");
    assert!(object(&emu, &format!("{folder}code.zip")).await.is_none());
    assert_ne!(record.code_sha256, sha);
    assert_eq!(emu.versions_of("f").await.len(), 5, "nothing deleted");
}

#[tokio::test]
#[ignore = "needs the AWS emulator: run scripts/test.sh"]
async fn a_package_larger_than_a_part_is_uploaded_in_parts_and_hashes_to_its_code_sha256() {
    let emu = account().await;
    let lambda = emu.lambda_client().await;
    // 9 MiB that do not compress: more than one 8 MiB part.
    let mut rng = fastrand::Rng::with_seed(7);
    let big: Vec<u8> = (0..9 * 1024 * 1024).map(|_| rng.u8(..)).collect();
    let role = lambda.get_function_configuration().function_name("f").send().await.unwrap().role().unwrap().to_string();
    lambda
        .create_function()
        .function_name("big")
        .runtime(aws_sdk_lambda::types::Runtime::Python312)
        .handler("app.handler")
        .role(role)
        .code(aws_sdk_lambda::types::FunctionCode::builder().zip_file(aws_sdk_lambda::primitives::Blob::new(big.clone())).build())
        .send()
        .await
        .unwrap();
    lambda.publish_version().function_name("big").send().await.unwrap();
    let (row, sha) = scanned_with_hash(&emu, "big", "1").await;
    assert_eq!(sha, sha256(&big));
    let rows = [row];

    let results = delete(&emu, &rows, false, BUCKET).await;

    assert_eq!(outcomes(&results), pairs(&[("1", outcome::DELETED)]), "{results:?}");
    let package = object(&emu, &format!("{PREFIX}{ACCOUNT}/us-west-2/big/1/code.zip")).await.unwrap();
    assert_eq!(sha256(&package), sha);
    let head = emu.s3_client_as(None, "us-west-2").await.head_object().bucket(BUCKET).key(format!("{PREFIX}{ACCOUNT}/us-west-2/big/1/code.zip")).send().await.unwrap();
    assert!(head.e_tag().unwrap().trim_matches('"').ends_with("-2"), "a multipart upload of two parts: {:?}", head.e_tag());
}

#[tokio::test]
#[ignore = "needs the AWS emulator: run scripts/test.sh"]
async fn an_image_version_is_archived_as_its_image_uris_without_a_package() {
    let emu = account().await;
    emu.seed(json!({"functions": [{"name": "resizer", "package_type": "Image", "snapstart": true, "memory_size": 2048, "versions": versions(4, 40.0)}]})).await;
    let (row, sha) = scanned_with_hash(&emu, "resizer", "1").await;

    let results = delete(&emu, &[row], false, BUCKET).await;

    assert_eq!(outcomes(&results), pairs(&[("1", outcome::DELETED)]), "{results:?}");
    let folder = format!("{PREFIX}{ACCOUNT}/us-west-2/resizer/1/");
    let record = ArchiveRecord::parse(&object(&emu, &format!("{folder}version.json")).await.expect("version.json")).unwrap();
    assert_eq!(record.package_type, "Image");
    assert_eq!(record.image_uri, "123456789012.dkr.ecr.us-west-2.amazonaws.com/resizer:latest");
    assert_eq!(record.resolved_image_uri, format!("123456789012.dkr.ecr.us-west-2.amazonaws.com/resizer@sha256:{sha}"));
    assert_eq!(record.configuration["MemorySize"], 2048);
    assert!(object(&emu, &format!("{folder}code.zip")).await.is_none(), "the image stays in ECR");
    assert_eq!(links(&emu, json!({})).await["downloads"], 0);
}

// ---- restore ----

/// Changes f's $LATEST after its versions were published: another package, memory and
/// environment (so a restore that leaves $LATEST as it was is told apart from one that does not).
async fn move_latest_on(emu: &Emulator) -> (String, i32) {
    let lambda = emu.lambda_client().await;
    let out = lambda.update_function_code().function_name("f").zip_file(aws_sdk_lambda::primitives::Blob::new(zip_of("def handler(e, c):\n    return 'next'\n"))).send().await.unwrap();
    lambda.update_function_configuration().function_name("f").memory_size(2048).environment(aws_sdk_lambda::types::Environment::builder().variables("TABLE", "next").build()).send().await.unwrap();
    (out.code_sha256().unwrap().to_string(), 2048)
}

/// A zip holding `app.py` with `source`, with a fixed timestamp (the same bytes every time).
fn zip_of(source: &str) -> Vec<u8> {
    // A stored (uncompressed) zip written by hand: local header, data, central directory, end.
    let (name, data) = (b"app.py", source.as_bytes());
    let crc = crc32(data);
    let mut out = Vec::new();
    let header = |out: &mut Vec<u8>, central: bool, offset: u32| {
        out.extend_from_slice(if central { &[0x50, 0x4b, 1, 2, 20, 0] } else { &[0x50, 0x4b, 3, 4] });
        out.extend_from_slice(&[20, 0, 0, 0, 0, 0, 0, 0, 0x21, 0]);
        out.extend_from_slice(&crc.to_le_bytes());
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        out.extend_from_slice(&(name.len() as u16).to_le_bytes());
        out.extend_from_slice(&[0, 0]);
        if central {
            out.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
            out.extend_from_slice(&offset.to_le_bytes());
        }
        out.extend_from_slice(name);
    };
    header(&mut out, false, 0);
    out.extend_from_slice(data);
    let central_at = out.len() as u32;
    header(&mut out, true, 0);
    let central_len = out.len() as u32 - central_at;
    out.extend_from_slice(&[0x50, 0x4b, 5, 6, 0, 0, 0, 0, 1, 0, 1, 0]);
    out.extend_from_slice(&central_len.to_le_bytes());
    out.extend_from_slice(&central_at.to_le_bytes());
    out.extend_from_slice(&[0, 0]);
    out
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for b in data {
        crc ^= u32::from(*b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xedb8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

/// Archives and deletes f:1; returns its folder and its CodeSha256.
async fn archived_and_deleted(emu: &Emulator) -> (String, String) {
    let (row, sha) = scanned_with_hash(emu, "f", "1").await;
    let results = delete(emu, &[row], false, BUCKET).await;
    assert_eq!(outcomes(&results), pairs(&[("1", outcome::DELETED)]));
    (results[0].archive_uri.clone(), sha)
}

fn restore(emu: &Emulator, args: &[&str]) -> std::process::Output {
    std::process::Command::new(common::cleaner_bin())
        .arg("restore")
        .args(args)
        .env("AWS_ENDPOINT_URL", &emu.url)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-west-2")
        .output()
        .unwrap()
}

fn stdout_json(out: &std::process::Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: stdout {} stderr {}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

/// $LATEST's CodeSha256, memory and TABLE variable.
async fn latest_of(emu: &Emulator, qualifier: &str) -> (String, i32, String, String) {
    let c = emu.lambda_client().await.get_function_configuration().function_name("f").qualifier(qualifier).send().await.unwrap();
    let table = c.environment().and_then(|e| e.variables()).and_then(|v| v.get("TABLE")).cloned().unwrap_or_default();
    let snapstart = c.snap_start().and_then(|s| s.apply_on()).map(|a| a.as_str().to_string()).unwrap_or_default();
    (c.code_sha256().unwrap().to_string(), c.memory_size().unwrap(), table, snapstart)
}

#[tokio::test]
#[ignore = "needs the AWS emulator: run scripts/test.sh"]
async fn restore_publishes_the_archived_version_again_and_leaves_latest_as_it_was() {
    let emu = account().await;
    let (folder, sha) = archived_and_deleted(&emu).await;
    let (latest_sha, _) = move_latest_on(&emu).await;
    let before = latest_of(&emu, "$LATEST").await;
    let lambda = emu.lambda_client().await;
    lambda.create_alias().function_name("f").name("live").function_version("5").send().await.unwrap();

    let plan = restore(&emu, &[&folder]);
    assert!(plan.status.success() && String::from_utf8_lossy(&plan.stdout).contains("Nothing was changed"), "{plan:?}");
    assert_eq!(latest_of(&emu, "$LATEST").await, before, "the plan changes nothing");

    let out = restore(&emu, &[&folder, "--apply", "--format", "json", "--point-alias", "live"]);

    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let done = stdout_json(&out);
    let new_version = done["new_version"].as_str().unwrap().to_string();
    assert_eq!(done, json!({"function_name": "f", "restored_from_version": "1", "new_version": new_version, "code_sha256": sha, "latest_restored": true}));
    assert_eq!(latest_of(&emu, &new_version).await, (sha.clone(), 1024, "orders".into(), "PublishedVersions".into()), "same code, memory, environment and SnapStart");
    assert_eq!(latest_of(&emu, "$LATEST").await, before, "$LATEST as it was");
    assert_eq!(before.0, latest_sha);
    assert!(!emu.versions_of("f").await.contains(&"1".to_string()), "Lambda never reuses a number");
    let alias = lambda.get_alias().function_name("f").name("live").send().await.unwrap();
    assert_eq!(alias.function_version(), Some(new_version.as_str()), "--point-alias moved it");
}

#[tokio::test]
#[ignore = "needs the AWS emulator: run scripts/test.sh"]
async fn a_restore_that_finds_latest_changed_mid_way_aborts_and_puts_it_back() {
    let emu = account().await;
    let (folder, _) = archived_and_deleted(&emu).await;
    move_latest_on(&emu).await;
    let before = latest_of(&emu, "$LATEST").await;
    let versions = emu.versions_of("f").await;
    emu.post("/_emulator/lambda/interfere", json!({"function_name": "f", "after": "UpdateFunctionConfiguration", "times": 1})).await;

    let out = restore(&emu, &[&folder, "--apply", "--format", "json"]);

    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let failed = stdout_json(&out);
    assert_eq!(failed["latest_restored"], true, "{failed}");
    assert!(failed["error"].as_str().unwrap().contains("changed under the restore"), "{failed}");
    assert_eq!(failed["new_version"], Value::Null);
    assert_eq!(emu.versions_of("f").await, versions, "nothing published");
    assert_eq!(latest_of(&emu, "$LATEST").await, before, "$LATEST put back");
}

#[tokio::test]
#[ignore = "needs the AWS emulator: run scripts/test.sh"]
async fn an_archive_in_another_region_is_restored_through_a_staging_bucket_in_the_function_s() {
    let emu = account().await;
    let (folder, sha) = archived_and_deleted(&emu).await;
    // The same archive in a bucket in eu-west-1 (as a run whose first region was eu-west-1 keeps it).
    let key = folder.trim_start_matches(&format!("s3://{BUCKET}/")).to_string();
    let far = emu.s3_client_as(None, "eu-west-1").await;
    let eu = aws_sdk_s3::types::CreateBucketConfiguration::builder().location_constraint(aws_sdk_s3::types::BucketLocationConstraint::EuWest1).build();
    far.create_bucket().bucket("far-archive").create_bucket_configuration(eu).send().await.unwrap();
    for name in ["code.zip", "version.json"] {
        let body = object(&emu, &format!("{key}{name}")).await.unwrap();
        far.put_object().bucket("far-archive").key(format!("{key}{name}")).body(body.into()).send().await.unwrap();
    }
    let far_folder = format!("s3://far-archive/{key}");

    let refused = restore(&emu, &[&far_folder, "--apply"]);
    let done = restore(&emu, &[&far_folder, "--apply", "--format", "json", "--staging-bucket", BUCKET]);

    assert_eq!(refused.status.code(), Some(2), "{refused:?}");
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--staging-bucket"), "{}", String::from_utf8_lossy(&refused.stderr));
    assert!(done.status.success(), "{}", String::from_utf8_lossy(&done.stderr));
    let new_version = stdout_json(&done)["new_version"].as_str().unwrap().to_string();
    assert_eq!(latest_of(&emu, &new_version).await.0, sha);
    assert!(keys(&emu).await.iter().all(|k| !k.starts_with("snapstart-cleaner-restore/")), "staging copies removed: {:?}", keys(&emu).await);
}

#[tokio::test]
#[ignore = "needs the AWS emulator: run scripts/test.sh"]
async fn an_image_version_is_restored_from_its_image_digest() {
    let emu = account().await;
    emu.seed(json!({"functions": [{"name": "resizer", "package_type": "Image", "snapstart": true, "memory_size": 2048, "versions": versions(4, 40.0)}]})).await;
    let (row, sha) = scanned_with_hash(&emu, "resizer", "1").await;
    let results = delete(&emu, &[row], false, BUCKET).await;
    assert_eq!(outcomes(&results), pairs(&[("1", outcome::DELETED)]));
    let lambda = emu.lambda_client().await;
    lambda.update_function_configuration().function_name("resizer").memory_size(4096).send().await.unwrap();
    let latest = lambda.get_function_configuration().function_name("resizer").send().await.unwrap();

    let out = restore(&emu, &[&results[0].archive_uri, "--apply", "--format", "json"]);

    assert!(out.status.success(), "{} {}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    let version = stdout_json(&out)["new_version"].as_str().unwrap().to_string();
    let restored = lambda.get_function_configuration().function_name("resizer").qualifier(&version).send().await.unwrap();
    assert_eq!((restored.code_sha256(), restored.memory_size()), (Some(sha.as_str()), Some(2048)));
    let now = lambda.get_function_configuration().function_name("resizer").send().await.unwrap();
    assert_eq!((now.code_sha256(), now.memory_size()), (latest.code_sha256(), Some(4096)), "$LATEST as it was");
}

#[tokio::test]
#[ignore = "needs the AWS emulator: run scripts/test.sh"]
async fn restore_refuses_a_folder_that_is_not_a_whole_archive_with_status_2() {
    let emu = account().await;
    let (folder, _) = archived_and_deleted(&emu).await;
    let key = folder.trim_start_matches(&format!("s3://{BUCKET}/")).to_string();
    let s3 = emu.s3_client_as(None, "us-west-2").await;
    let put = |name: &str, body: &[u8]| s3.put_object().bucket(BUCKET).key(format!("{key}{name}")).body(body.to_vec().into()).send();

    put("code.zip", b"not the archived package").await.unwrap();
    let tampered = restore(&emu, &[&folder, "--apply"]);
    put("version.json", b"{\"format\": ").await.unwrap();
    let malformed = restore(&emu, &[&folder, "--apply"]);
    let missing = restore(&emu, &[&format!("s3://{BUCKET}/versions/nothing-here/"), "--apply"]);

    for (out, says) in [(tampered, "not its CodeSha256"), (malformed, "not an archive record"), (missing, "has no version.json")] {
        assert_eq!(out.status.code(), Some(2), "{out:?}");
        assert!(String::from_utf8_lossy(&out.stderr).contains(says), "{says}: {}", String::from_utf8_lossy(&out.stderr));
    }
    assert_eq!(emu.count("UpdateFunctionCode").await, 0, "nothing changed");
}
