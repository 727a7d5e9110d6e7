//! A run's scope against the AWS emulator: several regions and a second account (an assumed
//! role) in one scan, a region that fails without touching the others, a role that cannot be
//! assumed, and deletion with each row's own account's credentials.

mod common;

use std::collections::BTreeSet;

use common::{settings, versions, Emulator};
use serde_json::{json, Value};
use snapstart_proto::v1::{DeletionResult, Report, ReportRow, ScanSettings};
use snapstart_aws::factory::AwsFactory;
use snapstart_deletion::{self as deletion, Progress, Scope};
use snapstart_scan::fanout;

const OTHER: &str = "111111111111";
const ROLE: &str = "arn:aws:iam::111111111111:role/snapstart-cleaner";
const OWN: &str = "123456789012";

fn function(name: &str) -> Value {
    json!({"name": name, "runtime": "python3.12", "memory_size": 1024, "snapstart": true, "versions": versions(5, 60.0)})
}

/// `a` in the worker's own account in us-west-2, `b` there in eu-west-1, `c` in account
/// 111111111111 (role with ExternalId `ext-1`) in us-west-2; eu-west-1 of that account is empty.
async fn organisation() -> Emulator {
    let emu = Emulator::start().await;
    emu.seed(json!({"region": "us-west-2", "functions": [function("a")], "roles": [{"arn": ROLE, "external_id": "ext-1"}]})).await;
    emu.seed(json!({"region": "eu-west-1", "functions": [function("b")]})).await;
    emu.seed(json!({"region": "us-west-2", "account_id": OTHER, "functions": [function("c")]})).await;
    emu
}

fn whole_organisation() -> ScanSettings {
    settings(json!({"region": null, "regions": ["us-west-2", "eu-west-1"], "assume_role_arns": [ROLE], "external_id": "ext-1", "include_own_account": true}))
}

async fn scan(emu: &Emulator, settings: &ScanSettings) -> Report {
    fanout::run_all(&AwsFactory::for_emulator(&emu.url, 0, 4), settings, &Default::default()).await
}

fn candidates_by_place(report: &Report) -> BTreeSet<(String, String, String)> {
    report.rows.iter().filter(|r| r.candidate_for_deletion).map(|r| (r.account_id.clone(), r.region.clone(), r.function_name.clone())).collect()
}

fn place(account: &str, region: &str, function: &str) -> (String, String, String) {
    (account.into(), region.into(), function.into())
}

#[tokio::test]
#[ignore = "needs the AWS emulator (scripts/test.sh)"]
async fn two_regions_and_a_second_account_are_scanned_in_one_run_and_every_row_says_where_it_is() {
    let emu = organisation().await;

    let report = scan(&emu, &whole_organisation()).await;

    assert_eq!(
        candidates_by_place(&report),
        BTreeSet::from([place(OWN, "us-west-2", "a"), place(OWN, "eu-west-1", "b"), place(OTHER, "us-west-2", "c")])
    );
    let summary = report.summary.unwrap();
    let targets: Vec<(String, String, String, u32)> =
        summary.targets.iter().map(|t| (t.account_id.clone(), t.region.clone(), t.status.clone(), t.candidates)).collect();
    assert_eq!(targets, vec![
        (OWN.into(), "us-west-2".into(), "scanned".into(), 2),
        (OWN.into(), "eu-west-1".into(), "scanned".into(), 2),
        (OTHER.into(), "us-west-2".into(), "scanned".into(), 2),
        (OTHER.into(), "eu-west-1".into(), "scanned".into(), 0),
    ]);
    assert_eq!((summary.candidates, summary.functions_scanned, summary.targets_failed), (6, 3, 0));
    assert_eq!(summary.region, "us-west-2, eu-west-1");
    // The other account was read with the role's credentials, never the worker's own.
    let requests = emu.requests().await;
    let on_other: Vec<&Value> = requests.iter().filter(|r| r["account_id"] == OTHER && r["service"] == "lambda").collect();
    assert!(!on_other.is_empty());
    assert!(on_other.iter().all(|r| r["access_key"] != "testing"), "account {OTHER} was read with an assumed role's key");
    assert_eq!(requests.iter().filter(|r| r["operation"] == "AssumeRole").count(), 2, "one AssumeRole per role and region");
}

#[tokio::test]
#[ignore = "needs the AWS emulator (scripts/test.sh)"]
async fn a_region_that_is_not_enabled_fails_alone_and_the_others_complete() {
    let emu = organisation().await;
    emu.seed(json!({"region": "us-west-2", "disabled_regions": ["eu-west-1"]})).await;

    let report = scan(&emu, &whole_organisation()).await;

    assert_eq!(candidates_by_place(&report), BTreeSet::from([place(OWN, "us-west-2", "a"), place(OTHER, "us-west-2", "c")]));
    let summary = report.summary.unwrap();
    let failed: Vec<(&str, &str, &str)> =
        summary.targets.iter().filter(|t| t.status == "failed").map(|t| (t.account_id.as_str(), t.region.as_str(), t.error.as_str())).collect();
    assert_eq!(failed.len(), 2, "{failed:?}");
    for (account, region, error) in &failed {
        assert_eq!(*region, "eu-west-1");
        assert!([OWN, OTHER].contains(account));
        // AWS refuses the regional STS endpoint first, as it refuses every regional service there.
        assert!(error.starts_with("could not learn the account (STS): GetCallerIdentity: ") && error.contains("InvalidClientTokenId"), "{error}");
    }
    assert_eq!(summary.targets_failed, 2);
    assert!(report.rows.iter().all(|r| r.region == "us-west-2"), "a failed region contributes no row");
}

#[tokio::test]
#[ignore = "needs the AWS emulator (scripts/test.sh)"]
async fn a_role_that_cannot_be_assumed_fails_its_account_only() {
    let emu = organisation().await;
    let wrong_external_id = settings(json!({"assume_role_arns": [ROLE], "external_id": "not-it", "include_own_account": true}));

    let report = scan(&emu, &wrong_external_id).await;

    assert_eq!(candidates_by_place(&report), BTreeSet::from([place(OWN, "us-west-2", "a")]));
    let summary = report.summary.unwrap();
    let other = summary.targets.iter().find(|t| t.account_id == OTHER).expect("the role's account is named from its ARN");
    assert_eq!(other.status, "failed");
    assert!(other.error.starts_with("could not learn the account (STS)") && other.error.contains("AccessDenied"), "{}", other.error);
    assert_eq!(emu.requests().await.iter().filter(|r| r["account_id"] == OTHER && r["service"] == "lambda").count(), 0);
}

#[tokio::test]
#[ignore = "needs the AWS emulator (scripts/test.sh)"]
async fn the_own_account_is_left_out_when_roles_are_given_unless_asked_for() {
    let emu = organisation().await;

    let report = scan(&emu, &settings(json!({"assume_role_arns": [ROLE], "external_id": "ext-1"}))).await;

    assert_eq!(candidates_by_place(&report), BTreeSet::from([place(OTHER, "us-west-2", "c")]));
    assert_eq!(emu.requests().await.iter().filter(|r| r["account_id"] == OWN && r["service"] == "lambda").count(), 0);
}

struct Quiet;

impl Progress for Quiet {
    async fn record(&mut self, _: &[DeletionResult], _: usize) {}
}

async fn delete(emu: &Emulator, rows: &[ReportRow], roles: &[String], external_id: &str) -> Vec<DeletionResult> {
    let aws = AwsFactory::for_emulator(&emu.url, 0, 4);
    let scope = Scope {
        default_region: "us-west-2",
        roles,
        external_id,
        since: chrono::Utc::now() - chrono::Duration::minutes(5),
        dry_run: false,
        resumed: false,
        function_level: Default::default(),
        archive: None,
    };
    let mut done = Vec::new();
    deletion::run_everywhere(&aws, &scope, rows, &mut done, &mut Quiet).await;
    done
}

/// The versions of `function` that exist in `account` (the worker's own, or 111111111111 through
/// the role) and `region`.
async fn versions_in(emu: &Emulator, account: &str, region: &str, function: &str) -> Vec<String> {
    let role = (account == OTHER).then_some((ROLE, "ext-1"));
    let client = emu.lambda_client_as(role, region).await;
    let out = client.list_versions_by_function().function_name(function).send().await.unwrap();
    out.versions().iter().filter_map(|v| v.version()).filter(|v| *v != "$LATEST").map(str::to_string).collect()
}

#[tokio::test]
#[ignore = "needs the AWS emulator (scripts/test.sh)"]
async fn each_version_is_deleted_with_its_own_account_s_credentials_in_its_own_region() {
    let emu = organisation().await;
    let report = scan(&emu, &whole_organisation()).await;
    let approved: Vec<ReportRow> = report.rows.into_iter().filter(|r| r.candidate_for_deletion && r.version == "1").collect();
    assert_eq!(approved.len(), 3);
    emu.clear_requests().await;

    let results = delete(&emu, &approved, &[ROLE.to_string()], "ext-1").await;

    let outcomes: BTreeSet<(String, String, String, String)> =
        results.iter().map(|r| (r.account_id.clone(), r.region.clone(), r.function_name.clone(), r.outcome.clone())).collect();
    assert_eq!(outcomes, BTreeSet::from([
        (OWN.into(), "us-west-2".into(), "a".into(), "deleted".into()),
        (OWN.into(), "eu-west-1".into(), "b".into(), "deleted".into()),
        (OTHER.into(), "us-west-2".into(), "c".into(), "deleted".into()),
    ]));
    assert_eq!(versions_in(&emu, OWN, "us-west-2", "a").await, ["2", "3", "4", "5"]);
    assert_eq!(versions_in(&emu, OWN, "eu-west-1", "b").await, ["2", "3", "4", "5"]);
    assert_eq!(versions_in(&emu, OTHER, "us-west-2", "c").await, ["2", "3", "4", "5"]);
    let deletes: Vec<(String, String)> = emu
        .requests()
        .await
        .iter()
        .filter(|r| r["operation"] == "DeleteFunction")
        .map(|r| (r["account_id"].as_str().unwrap().to_string(), r["region"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(deletes.len(), 3);
    assert!(deletes.contains(&(OTHER.into(), "us-west-2".into())));
}

#[tokio::test]
#[ignore = "needs the AWS emulator (scripts/test.sh)"]
async fn rows_of_an_account_the_credentials_do_not_reach_are_errors_and_nothing_there_is_deleted() {
    let emu = organisation().await;
    let report = scan(&emu, &whole_organisation()).await;
    let approved: Vec<ReportRow> = report.rows.into_iter().filter(|r| r.candidate_for_deletion && r.account_id == OTHER).collect();
    assert_eq!(approved.len(), 2);

    // The role is gone from the deletion's scope: the worker's own credentials act on 123456789012.
    let results = delete(&emu, &approved, &[], "").await;

    assert!(results.iter().all(|r| r.outcome == "error"), "{results:?}");
    assert!(results[0].message.contains("the credentials for account 111111111111 act on account 123456789012"), "{}", results[0].message);
    assert_eq!(versions_in(&emu, OTHER, "us-west-2", "c").await.len(), 5);
    assert_eq!(emu.count("DeleteFunction").await, 0);
}

#[tokio::test]
#[ignore = "needs the AWS emulator (scripts/test.sh)"]
async fn an_account_reached_twice_is_scanned_once() {
    let emu = organisation().await;
    // The worker's own account, also listed as a role (a role in its own account).
    let own_role = format!("arn:aws:iam::{OWN}:role/snapstart-cleaner");
    let settings = settings(json!({"assume_role_arns": [ROLE, own_role], "external_id": "ext-1", "include_own_account": true}));
    emu.clear_requests().await;

    let report = scan(&emu, &settings).await;

    let summary = report.summary.clone().unwrap();
    let places: Vec<(String, String)> = summary.targets.iter().map(|t| (t.account_id.clone(), t.region.clone())).collect();
    assert_eq!(places.len(), 2, "one target per account and region: {places:?}");
    assert_eq!(places.iter().filter(|(a, _)| a == OWN).count(), 1, "{places:?}");
    let rows_of_a = report.rows.iter().filter(|r| r.function_name == "a").count();
    assert_eq!(rows_of_a, 5, "the own account's versions once, not twice");
    assert_eq!(emu.count("ListFunctions").await, 2, "one listing per account and region");
}
