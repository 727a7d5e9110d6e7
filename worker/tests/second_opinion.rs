//! The second opinion (emulator/FIDELITY.md): the scan and the deletion run against our emulator
//! and against stock moto server behind its thin shim, on one fixture arranged through AWS's own
//! APIs (emulator/api_fixture.py). Both must give the verdicts below. An assumption baked into our
//! emulator (the GetPolicy wording that hid every candidate, say) shows up as the two disagreeing.

mod common;

use std::{collections::BTreeMap, process::Command, time::Duration};

use common::{eventually, service_env, settings, Emulator};
use serde_json::json;
use snapstart_proto::v1::{Report, ReportRow};
use snapstart_rules::FallbackMode;
use snapstart_aws::factory::AwsFactory;
use snapstart_deletion::outcome;
use snapstart_scan::run_all;

/// (function, version) → reason flags.
type Verdicts = BTreeMap<String, Vec<String>>;

/// Which emulator, by name, for the failure messages.
#[derive(Clone, Copy, Debug)]
enum Kind {
    Ours,
    StockMoto,
}

async fn arranged(kind: Kind) -> Emulator {
    let emu = match kind {
        Kind::Ours => Emulator::start().await,
        Kind::StockMoto => Emulator::start_stock().await,
    };
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../emulator/api_fixture.py");
    let out = Command::new(service_env("SNAPSTART_TEST_PYTHON")).arg(script).args(["--endpoint", &emu.url]).output().expect("running api_fixture.py");
    assert!(out.status.success(), "{kind:?}: api_fixture.py failed: {}", String::from_utf8_lossy(&out.stderr));
    emu
}

/// The scan, once every version is at least a second old (the scan's clock has whole seconds, and
/// a version published in the same second would be in its future).
async fn scan(emu: &Emulator) -> Report {
    let published = chrono::Utc::now();
    eventually(Duration::from_secs(5), "a second to pass", || async move { (chrono::Utc::now() - published > chrono::Duration::milliseconds(1100)).then_some(()) }).await;
    let deps = snapstart_scan::deps(&AwsFactory::for_emulator(&emu.url, 0, 4), "us-west-2").await.0;
    let overrides = json!({"min_age_days": 0, "keep_last_n": 1, "function_level_fallback": "attributed", "versions": "all"});
    run_all(&deps, settings(overrides)).await.expect("scan")
}

fn verdicts(report: &Report) -> Verdicts {
    report.rows.iter().map(|r| (format!("{}:{}", r.function_name, r.version), r.reason_flags.clone())).collect()
}

fn expected() -> Verdicts {
    let kept = || vec!["protected_kept_last_n".to_string()];
    let mut want: Verdicts = BTreeMap::new();
    let mut put = |key: &str, flags: &[&str]| {
        want.insert(key.to_string(), flags.iter().map(|f| f.to_string()).collect());
    };
    for f in ["idle", "esm", "provisioned", "wired", "invoked", "aliased", "plain"] {
        put(&format!("{f}:3"), &["no_activity_and_stale"]);
    }
    for f in ["idle", "plain"] {
        put(&format!("{f}:1"), &["no_activity_and_stale"]);
        put(&format!("{f}:2"), &["no_activity_and_stale"]);
    }
    put("aliased:1", &["alias_protected"]);
    put("aliased:2", &["alias_protected"]);
    put("invoked:1", &["has_recent_invocations"]);
    put("invoked:2", &["has_recent_invocations"]);
    put("esm:1", &["event_source_mapping_protected"]);
    put("esm:2", &["no_activity_and_stale"]);
    put("wired:1", &["resource_policy_protected"]);
    put("wired:2", &["resource_policy_protected", "lambda_edge_protected"]);
    put("provisioned:1", &["no_activity_and_stale"]);
    put("provisioned:2", &["provisioned_concurrency_protected"]);
    for v in ["1", "2", "3"] {
        put(&format!("tagged:{v}"), &["excluded_by_tag"]);
    }
    for f in ["idle", "aliased", "invoked", "esm", "wired", "provisioned", "plain"] {
        want.insert(format!("{f}:4"), kept());
    }
    want.insert("tagged:4".into(), vec!["protected_kept_last_n".into(), "excluded_by_tag".into()]);
    for f in ["aliased", "invoked"] {
        want.insert(format!("{f}:4"), vec!["protected_kept_last_n".into(), "alias_protected".into()]);
    }
    want
}

#[tokio::test]
#[ignore = "needs both AWS emulators: run scripts/test.sh"]
async fn the_scan_gives_the_same_verdicts_on_our_emulator_and_on_stock_moto() {
    for kind in [Kind::Ours, Kind::StockMoto] {
        let emu = arranged(kind).await;

        let report = scan(&emu).await;

        let got = verdicts(&report);
        let want = expected();
        for (key, flags) in &want {
            assert_eq!(got.get(key), Some(flags), "{kind:?}: {key}: {:?}", report.rows.iter().find(|r| format!("{}:{}", r.function_name, r.version) == *key).map(|r| &r.failed_checks));
        }
        assert_eq!(got.len(), want.len(), "{kind:?}: no other row: {:?}", got.keys().collect::<Vec<_>>());
        let snapstart: Vec<String> = report.rows.iter().filter(|r| !r.snapstart).map(|r| r.function_name.clone()).collect::<std::collections::BTreeSet<_>>().into_iter().collect();
        assert_eq!(snapstart, vec!["plain", "provisioned"], "{kind:?}: rows say which versions have SnapStart");
    }
}

fn row(key: &str) -> ReportRow {
    let (function, version) = key.split_once(':').unwrap();
    ReportRow { function_name: function.into(), version: version.into(), candidate_for_deletion: true, ..Default::default() }
}

/// A live deletion of `rows`, re-checked against what the emulator says now.
async fn delete(emu: &Emulator, rows: &[ReportRow]) -> BTreeMap<String, String> {
    let since = chrono::Utc::now() - chrono::Duration::minutes(10);
    let done = common::delete_on(&emu.url, rows, since, false, false, FallbackMode::Attributed).await;
    done.into_iter().map(|r| (format!("{}:{}", r.function_name, r.version), r.outcome)).collect()
}

async fn remaining(emu: &Emulator, function: &str) -> Vec<String> {
    emu.versions_of(function).await
}

#[tokio::test]
#[ignore = "needs both AWS emulators: run scripts/test.sh"]
async fn the_deletion_re_checks_and_deletes_the_same_on_our_emulator_and_on_stock_moto() {
    for kind in [Kind::Ours, Kind::StockMoto] {
        let emu = arranged(kind).await;
        // Someone else deletes idle:1 after the scan; aliased:1 and wired:1 were never candidates
        // but are approved here to prove the re-check reads the alias and the policy.
        emu.lambda_client().await.delete_function().function_name("idle").qualifier("1").send().await.unwrap();
        let approved: Vec<ReportRow> = ["idle:1", "idle:2", "idle:3", "aliased:1", "wired:1", "wired:3", "esm:1", "esm:2", "provisioned:2", "provisioned:3"].map(row).to_vec();

        let outcomes = delete(&emu, &approved).await;

        let want: BTreeMap<String, String> = [
            ("idle:1", outcome::ALREADY_DELETED),
            ("idle:2", outcome::DELETED),
            ("idle:3", outcome::DELETED),
            ("aliased:1", outcome::CHANGED),
            ("wired:1", outcome::CHANGED),
            ("wired:3", outcome::DELETED),
            ("esm:1", outcome::CHANGED),
            ("esm:2", outcome::DELETED),
            ("provisioned:2", outcome::CHANGED),
            ("provisioned:3", outcome::DELETED),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        assert_eq!(outcomes, want, "{kind:?}");
        assert_eq!(remaining(&emu, "idle").await, ["4"], "{kind:?}");
        assert_eq!(remaining(&emu, "wired").await, ["1", "2", "4"], "{kind:?}");
        assert_eq!(remaining(&emu, "aliased").await, ["1", "2", "3", "4"], "{kind:?}");
    }
}
