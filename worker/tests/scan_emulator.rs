//! The scan phases against the AWS emulator: every reason flag, both fallback modes, paging,
//! numeric ordering, event source mappings, weighted aliases, ExecutedVersion, and injected
//! throttling / 5xx on each operation (retried, or failed closed — never a candidate).

mod common;

use std::collections::BTreeMap;

use common::{days_ago, settings, versions, Emulator};
use serde_json::{json, Value};
use snapstart_proto::v1::Report;
use snapstart_scan::run_all;

fn metric(dimensions: Value, days_ago_: f64, value: f64) -> Value {
    json!({"namespace": "AWS/Lambda", "metric_name": "Invocations", "dimensions": dimensions,
           "timestamps": [days_ago(days_ago_)], "values": [value]})
}

fn function(name: &str, versions: Vec<Value>) -> Value {
    json!({"name": name, "runtime": "python3.12", "memory_size": 1024, "snapstart": true, "versions": versions})
}

/// One function per reason flag (and a non-SnapStart one that must not appear).
fn every_flag_scenario() -> Value {
    let mut aliased = function("aliased", versions(5, 60.0));
    aliased["aliases"] = json!([{"name": "live", "version": "1"}, {"name": "canary", "version": "5", "weights": {"2": 0.1}}]);
    let mut invoked = function("invoked", versions(5, 60.0));
    invoked["aliases"] = json!([{"name": "prod", "version": "5"}]);
    let mut esm = function("esm", versions(5, 60.0));
    esm["event_source_mappings"] = json!([{"target": "esm:1", "event_source_arn": "arn:aws:sqs:us-west-2:123456789012:q1"}]);
    let mut states = function("states", versions(6, 60.0));
    states["versions"][0]["state"] = json!("Failed");
    states["versions"][0]["state_reason_code"] = json!("FunctionError");
    states["versions"][1]["state"] = json!("Inactive");
    states["versions"][2]["state"] = json!("Pending");
    let mut accounted = function("accounted", versions(5, 60.0));
    accounted["aliases"] = json!([{"name": "live", "version": "5"}]);
    let mut plain = function("plain", versions(5, 60.0));
    plain["snapstart"] = json!(false);
    // API Gateway wired to version 1; the function's own (unqualified) policy protects no version.
    let mut wired = function("wired", versions(5, 60.0));
    wired["permissions"] = json!([
        {"statement_id": "apigw", "principal": "apigateway.amazonaws.com", "qualifier": "1",
         "source_arn": "arn:aws:execute-api:us-west-2:123456789012:abc123/*/GET/orders"},
        {"statement_id": "s3", "principal": "s3.amazonaws.com"},
    ]);
    // CloudFront replicates version 2 (Lambda adds the replicator's permission to its policy).
    wired["permissions"].as_array_mut().unwrap().push(json!(
        {"statement_id": "replicator", "principal": "replicator.lambda.amazonaws.com", "qualifier": "2", "action": "lambda:GetFunction"}
    ));
    // AWS allows provisioned concurrency only on versions without SnapStart: this function is
    // scanned when a run covers every version.
    let mut provisioned = function("provisioned", versions(5, 60.0));
    provisioned["snapstart"] = json!(false);
    provisioned["provisioned_concurrency"] = json!([{"qualifier": "2", "count": 1}]);
    json!({
        "functions": [
            function("idle", versions(5, 60.0)),
            function("young", versions(5, 3.0)),
            aliased, invoked, esm, states,
            function("unqualified", versions(5, 60.0)),
            accounted, plain, wired, provisioned,
        ],
        "metrics": [
            metric(json!({"FunctionName": "invoked", "Resource": "invoked:1"}), 2.0, 4.0),
            metric(json!({"FunctionName": "invoked", "Resource": "invoked:prod", "ExecutedVersion": "2"}), 3.0, 7.0),
            metric(json!({"FunctionName": "unqualified"}), 1.0, 5.0),
            metric(json!({"FunctionName": "accounted"}), 1.0, 5.0),
            metric(json!({"FunctionName": "accounted", "Resource": "accounted:live"}), 1.0, 5.0),
        ],
    })
}

async fn scan(emulator: &Emulator, overrides: Value) -> Report {
    run_all(&emulator.deps().await, settings(overrides)).await.expect("scan")
}

/// (function, version) → flags.
fn flags(report: &Report) -> BTreeMap<(String, String), Vec<String>> {
    report.rows.iter().map(|r| ((r.function_name.clone(), r.version.clone()), r.reason_flags.clone())).collect()
}

fn flags_of(report: &Report, function: &str, version: &str) -> Vec<String> {
    flags(report).get(&(function.to_string(), version.to_string())).cloned().unwrap_or_else(|| panic!("no row {function}:{version}"))
}

fn candidates(report: &Report) -> Vec<String> {
    report.rows.iter().filter(|r| r.candidate_for_deletion).map(|r| format!("{}:{}", r.function_name, r.version)).collect()
}

#[tokio::test]
#[ignore = "needs the AWS emulator: run scripts/test.sh"]
async fn every_reason_flag_is_explained_on_its_row() {
    let emu = Emulator::start().await;
    emu.seed(every_flag_scenario()).await;
    let snapstart_only = scan(&emu, json!({})).await;
    assert!(snapstart_only.rows.iter().all(|r| r.function_name != "plain" && r.function_name != "provisioned" && r.snapstart), "non-SnapStart versions are out of the default scope");
    assert_eq!(emu.count("ListProvisionedConcurrencyConfigs").await, 0, "none can exist on a SnapStart version: never listed");
    emu.clear_requests().await;

    let report = scan(&emu, json!({"versions": "all"})).await;

    let expect = [
        ("idle", "1", vec!["no_activity_and_stale"]),
        ("idle", "3", vec!["protected_kept_last_n"]),
        ("young", "1", vec!["too_recent"]),
        ("young", "5", vec!["too_recent", "protected_kept_last_n"]),
        ("aliased", "1", vec!["alias_protected"]),
        ("aliased", "2", vec!["alias_protected"]),
        ("invoked", "1", vec!["has_recent_invocations"]),
        ("invoked", "2", vec!["has_recent_invocations"]),
        ("esm", "1", vec!["event_source_mapping_protected"]),
        ("esm", "2", vec!["no_activity_and_stale"]),
        ("states", "1", vec!["no_activity_and_stale"]),
        ("states", "2", vec!["no_activity_and_stale"]),
        ("states", "3", vec!["state_not_deletable"]),
        ("unqualified", "1", vec!["function_level_activity_uncertain"]),
        ("accounted", "1", vec!["function_level_activity_uncertain"]),
        ("wired", "1", vec!["resource_policy_protected"]),
        ("wired", "2", vec!["resource_policy_protected", "lambda_edge_protected"]),
        ("provisioned", "1", vec!["no_activity_and_stale"]),
        ("provisioned", "2", vec!["provisioned_concurrency_protected"]),
    ];
    for (f, v, want) in expect {
        assert_eq!(flags_of(&report, f, v), want, "{f}:{v}");
    }
    assert_eq!(flags_of(&report, "plain", "1"), vec!["no_activity_and_stale"], "every version is in scope");
    assert!(report.rows.iter().all(|r| r.snapstart == !["plain", "provisioned"].contains(&r.function_name.as_str())));
    let listed: Vec<String> = emu.requests().await.iter().filter(|r| r["operation"] == "ListProvisionedConcurrencyConfigs").map(|r| r["function_name"].as_str().unwrap().to_string()).collect();
    assert_eq!(listed, vec!["plain", "provisioned"], "provisioned concurrency is listed only where it can exist");
    let young = report.rows.iter().find(|r| r.function_name == "young" && r.version == "1").unwrap();
    assert_eq!(young.state, "NotChecked", "stage A rejected it, so its state was never read");
    let aliased = report.rows.iter().find(|r| r.function_name == "aliased" && r.version == "1").unwrap();
    assert_eq!(aliased.state, "NotChecked", "stage B kept it, so its state was never read");
    let read = report.rows.iter().filter(|r| r.state != "NotChecked").count();
    assert!(read > 0 && read < report.rows.iter().filter(|r| r.stage_a_pass).count());
    assert_eq!(emu.count("GetFunction").await, read, "one state read per version still in the running");
    let wired = report.rows.iter().find(|r| r.function_name == "wired" && r.version == "1").unwrap();
    assert_eq!(wired.resource_policy_principals, vec!["apigateway.amazonaws.com"]);
    assert!(report.rows.iter().find(|r| r.function_name == "provisioned" && r.version == "2").unwrap().provisioned_concurrency);
    // Policies are read exactly for the versions every usage check lets go (side by side with
    // their state, so also for one whose state then keeps it).
    let decided_by_protections = |r: &&snapstart_proto::v1::ReportRow| {
        let only = ["no_activity_and_stale", "resource_policy_protected", "lambda_edge_protected", "provisioned_concurrency_protected", "state_not_deletable"];
        r.reason_flags.iter().all(|f| only.contains(&f.as_str()))
    };
    let mut wanted: Vec<String> = report.rows.iter().filter(decided_by_protections).map(|r| format!("{}:{}", r.function_name, r.version)).collect();
    let mut read: Vec<String> = emu
        .requests()
        .await
        .iter()
        .filter(|r| r["operation"] == "GetPolicy")
        .map(|r| format!("{}:{}", r["function_name"].as_str().unwrap(), r["qualifier"].as_str().unwrap()))
        .collect();
    wanted.sort();
    read.sort();
    assert_eq!(read, wanted);
    let failed = report.rows.iter().find(|r| r.function_name == "states" && r.version == "1").unwrap();
    assert_eq!((failed.state.as_str(), failed.state_reason_code.as_str()), ("Failed", "FunctionError"));
    assert_eq!(report.summary.as_ref().unwrap().candidates as usize, candidates(&report).len());
}

#[tokio::test]
#[ignore = "needs the AWS emulator: run scripts/test.sh"]
async fn every_row_keeps_the_start_of_its_version_s_code_sha256_as_listfunctions_gave_it() {
    let emu = Emulator::start().await;
    emu.seed(json!({"functions": [function("idle", common::versions(3, 40.0))]})).await;

    let report = scan(&emu, json!({})).await;

    let lambda = emu.lambda_client().await;
    for row in &report.rows {
        let sha = lambda.get_function_configuration().function_name("idle").qualifier(&row.version).send().await.unwrap().code_sha256().unwrap().to_string();
        assert_eq!(row.code_sha256_prefix, sha[..12], "{}:{}", row.function_name, row.version);
    }
    assert_eq!(report.rows.len(), 3);
}

#[tokio::test]
#[ignore = "needs the AWS emulator: run scripts/test.sh"]
async fn attributed_fallback_clears_functions_whose_traffic_is_all_accounted_for() {
    let emu = Emulator::start().await;
    emu.seed(every_flag_scenario()).await;

    let report = scan(&emu, json!({"function_level_fallback": "attributed"})).await;

    assert_eq!(flags_of(&report, "accounted", "1"), vec!["no_activity_and_stale"]);
    assert_eq!(flags_of(&report, "unqualified", "1"), vec!["function_level_activity_uncertain"]);
}

#[tokio::test]
#[ignore = "needs the AWS emulator: run scripts/test.sh"]
async fn listing_pages_past_fifty_and_orders_versions_numerically() {
    let emu = Emulator::start().await;
    emu.seed(json!({"functions": [function("many", versions(60, 60.0)), function("twelve", versions(12, 60.0))]})).await;

    let report = scan(&emu, json!({})).await;

    assert_eq!(report.rows.iter().filter(|r| r.function_name == "many").count(), 60);
    let kept: Vec<&str> = report.rows.iter().filter(|r| r.function_name == "twelve" && r.is_among_keep_last_n).map(|r| r.version.as_str()).collect();
    assert_eq!(kept, vec!["10", "11", "12"]);
    assert!(emu.count("ListFunctions").await >= 2, "more than one page was read");
}

#[tokio::test]
#[ignore = "needs the AWS emulator: run scripts/test.sh"]
async fn transient_throttling_on_any_operation_is_retried_to_the_same_report() {
    let emu = Emulator::start().await;
    emu.seed(every_flag_scenario()).await;
    let baseline = candidates(&scan(&emu, json!({"versions": "all"})).await);
    let faults = [
        ("lambda", "ListFunctions", 429, "TooManyRequestsException"),
        ("lambda", "GetFunction", 429, "TooManyRequestsException"),
        ("lambda", "ListAliases", 429, "TooManyRequestsException"),
        ("lambda", "ListEventSourceMappings", 500, "ServiceException"),
        ("lambda", "GetPolicy", 429, "TooManyRequestsException"),
        ("lambda", "ListProvisionedConcurrencyConfigs", 500, "ServiceException"),
        ("cloudwatch", "GetMetricData", 400, "Throttling"),
        ("cloudwatch", "GetMetricData", 500, "InternalServiceError"),
    ];
    for (service, operation, status, code) in faults {
        emu.fault(json!({"service": service, "operation": operation, "status": status, "code": code, "count": 2})).await;

        let report = scan(&emu, json!({"versions": "all"})).await;

        assert_eq!(candidates(&report), baseline, "{operation} {status}");
        assert_eq!(report.summary.unwrap().check_failed, 0, "{operation} {status}");
        assert_eq!(emu.faulted(operation).await, 2, "{operation} {status}: both injected faults fired");
        emu.clear_faults().await;
        emu.clear_requests().await;
    }
}

#[tokio::test]
#[ignore = "needs the AWS emulator: run scripts/test.sh"]
async fn a_check_that_keeps_failing_is_check_failed_and_never_a_candidate() {
    let emu = Emulator::start().await;
    emu.seed(every_flag_scenario()).await;
    let cases = [
        ("lambda", "GetFunction", 500, "ServiceException", "state"),
        ("lambda", "ListAliases", 429, "TooManyRequestsException", "aliases"),
        ("lambda", "ListEventSourceMappings", 500, "ServiceException", "event_source_mappings"),
        ("lambda", "GetPolicy", 500, "ServiceException", "resource_policy"),
        ("lambda", "ListProvisionedConcurrencyConfigs", 429, "TooManyRequestsException", "provisioned_concurrency"),
        ("cloudwatch", "GetMetricData", 400, "Throttling", "version_invocations"),
        ("cloudwatch", "GetMetricData", 503, "ServiceUnavailable", "version_invocations"),
    ];
    for (service, operation, status, code, check) in cases {
        emu.fault(json!({"service": service, "operation": operation, "status": status, "code": code, "count": -1})).await;

        let report = scan(&emu, json!({"versions": "all"})).await;

        // Provisioned concurrency is read only for versions without SnapStart ("plain").
        let (who, touched): (&str, Box<dyn Fn(&str) -> bool>) = match operation {
            "ListProvisionedConcurrencyConfigs" => ("plain", Box::new(|c: &str| c.starts_with("plain:") || c.starts_with("provisioned:"))),
            _ => ("idle", Box::new(|_: &str| true)),
        };
        assert!(candidates(&report).iter().all(|c| !touched(c)), "{operation}: {:?}", candidates(&report));
        let idle = report.rows.iter().find(|r| r.function_name == who && r.version == "1").unwrap();
        assert!(idle.reason_flags.contains(&"check_failed".to_string()), "{operation}: {:?}", idle.reason_flags);
        assert!(idle.failed_checks.iter().any(|c| c.check == check), "{operation}: {:?}", idle.failed_checks);
        if operation == "GetFunction" {
            assert_eq!(idle.state, "Unknown", "a state that could not be read");
        }
        emu.assert_fault_fired(operation).await;
        emu.clear_faults().await;
    }
}

#[tokio::test]
#[ignore = "needs the AWS emulator: run scripts/test.sh"]
async fn a_listing_that_keeps_failing_fails_the_scan_rather_than_report_nothing() {
    let emu = Emulator::start().await;
    emu.seed(every_flag_scenario()).await;
    emu.fault(json!({"service": "lambda", "operation": "ListFunctions", "status": 500, "code": "ServiceException", "count": -1})).await;

    let result = run_all(&emu.deps().await, settings(json!({}))).await;

    let err = result.expect_err("the scan fails");
    assert!(err.to_string().contains("ListFunctions"), "{err}");
    emu.assert_fault_fired("ListFunctions").await;
}

#[tokio::test]
#[ignore = "needs the AWS emulator: run scripts/test.sh"]
async fn a_failure_on_one_function_only_blocks_that_function() {
    let emu = Emulator::start().await;
    emu.seed(every_flag_scenario()).await;
    emu.fault(json!({"service": "lambda", "operation": "ListAliases", "status": 500, "code": "ServiceException", "count": -1, "match": {"FunctionName": "idle"}})).await;

    let report = scan(&emu, json!({})).await;

    assert!(flags_of(&report, "idle", "1").contains(&"check_failed".to_string()));
    assert_eq!(flags_of(&report, "esm", "2"), vec!["no_activity_and_stale"]);
    emu.assert_fault_fired("ListAliases").await;
}

#[tokio::test]
#[ignore = "needs the AWS emulator: run scripts/test.sh"]
async fn costs_count_live_python_snapshots_and_the_summary_totals_candidates() {
    let emu = Emulator::start().await;
    let mut idle = function("idle", versions(5, 60.0));
    for (i, v) in idle["versions"].as_array_mut().unwrap().iter_mut().enumerate() {
        v["code_size"] = json!(1_000_000 * (i + 1));
    }
    idle["latest"] = json!({"code_size": 7_000_000});
    emu.seed(json!({"functions": [idle], "account_settings": {"total_code_size": 80_530_636_800u64}})).await;

    let report = scan(&emu, json!({})).await;

    let row = report.rows.iter().find(|r| r.version == "1").unwrap();
    assert!((row.estimated_monthly_cost_usd - 3.9).abs() < 0.01, "{}", row.estimated_monthly_cost_usd);
    assert_eq!(row.code_size_bytes, 1_000_000);
    let summary = report.summary.unwrap();
    assert_eq!(summary.candidates, 2);
    assert!((summary.estimated_monthly_saving_usd - 7.8).abs() < 0.02);
    assert_eq!(summary.reclaimable_code_bytes, 3_000_000, "versions 1 and 2");
    assert_eq!((summary.code_storage_used_bytes, summary.code_storage_limit_bytes), (22_000_000, 80_530_636_800), "every version and $LATEST");
    assert_eq!(summary.code_storage_error, "");
}

/// Cost of each candidate (function:version → dollars) and whether it is approximate, scanned in `region`.
async fn costs_in(emu: &Emulator, region: &str, overrides: Value) -> (BTreeMap<String, f64>, bool) {
    let deps = snapstart_scan::deps(&snapstart_aws::factory::AwsFactory::for_emulator(&emu.url, 0, 8), region).await.0;
    let mut settings_json = json!({"region": region});
    settings_json.as_object_mut().unwrap().extend(overrides.as_object().unwrap().clone());
    let report = run_all(&deps, settings(settings_json)).await.expect("scan");
    let costs = report.rows.iter().filter(|r| r.candidate_for_deletion).map(|r| (format!("{}:{}", r.function_name, r.version), r.estimated_monthly_cost_usd)).collect();
    (costs, report.summary.unwrap().price_approximate)
}

#[tokio::test]
#[ignore = "needs the AWS emulator: run scripts/test.sh"]
async fn the_cache_is_priced_for_every_snapstart_version_but_java_s_at_its_region_s_price() {
    let emu = Emulator::start().await;
    let snap = |name: &str, extra: Value| {
        let mut f = json!({"name": name, "memory_size": 1024, "snapstart": true, "versions": versions(3, 60.0)});
        f.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        f
    };
    let fleet = |region: &str| {
        json!({"region": region, "functions": [
            snap("py", json!({"runtime": "python3.12"})),
            snap("java", json!({"runtime": "java21"})),
            snap("node", json!({"runtime": "nodejs22.x"})),
            snap("img", json!({"package_type": "Image"})),
            {"name": "plain", "runtime": "python3.12", "memory_size": 1024, "versions": versions(3, 60.0)},
        ]})
    };
    for region in ["us-west-2", "ap-northeast-1", "eu-west-1"] {
        emu.seed(fleet(region)).await;
    }
    let expect = |dollars: f64| -> BTreeMap<String, f64> {
        ["py", "java", "node", "img"].iter().map(|f| (format!("{f}:1"), if *f == "java" { 0.0 } else { dollars })).collect()
    };

    assert_eq!(costs_in(&emu, "us-west-2", json!({"keep_last_n": 2})).await, (expect(3.9), false), "plain is no SnapStart version: not in scope");
    assert_eq!(costs_in(&emu, "ap-northeast-1", json!({"keep_last_n": 2})).await, (expect(4.76), false), "Tokyo's price");
    assert_eq!(costs_in(&emu, "eu-west-1", json!({"keep_last_n": 2})).await, (expect(3.9), true), "not in the table: us-east-1's, approximate");
    assert_eq!(costs_in(&emu, "eu-west-1", json!({"keep_last_n": 2, "cache_price_per_gb_second": 0.000002})).await, (expect(5.18), false), "the given price");

    // Every version: the plain functions join at no cache cost, and provisioned concurrency
    // (possible only without SnapStart) protects its version.
    let mut pc = json!({"name": "plain-pc", "runtime": "python3.12", "memory_size": 1024, "versions": versions(3, 60.0)});
    pc["provisioned_concurrency"] = json!([{"qualifier": "1", "count": 1}]);
    emu.seed(json!({"region": "us-west-2", "functions": [pc]})).await;
    let mut all = expect(3.9);
    all.insert("plain:1".into(), 0.0);
    assert_eq!(costs_in(&emu, "us-west-2", json!({"keep_last_n": 2, "versions": "all"})).await, (all, false), "plain-pc:1 is protected");
}

#[tokio::test]
#[ignore = "needs the AWS emulator: run scripts/test.sh"]
async fn code_storage_that_cannot_be_read_is_reported_and_changes_nothing_else() {
    let emu = Emulator::start().await;
    emu.seed(every_flag_scenario()).await;
    let baseline = candidates(&scan(&emu, json!({})).await);
    emu.fault(json!({"service": "lambda", "operation": "GetAccountSettings", "status": 500, "code": "ServiceException", "count": -1})).await;

    let report = scan(&emu, json!({})).await;

    assert_eq!(candidates(&report), baseline);
    let summary = report.summary.unwrap();
    assert!(summary.code_storage_error.contains("GetAccountSettings"), "{}", summary.code_storage_error);
    assert_eq!(summary.code_storage_limit_bytes, 0);
}

#[tokio::test]
#[ignore = "needs the AWS emulator: run scripts/test.sh"]
async fn the_lambda_rate_budget_holds_in_every_second_of_a_real_scan_retries_included() {
    let emu = Emulator::start().await;
    emu.seed(every_flag_scenario()).await;
    emu.fault(json!({"service": "lambda", "operation": "ListAliases", "status": 429, "code": "TooManyRequestsException", "count": 4})).await;
    let budget = 4;

    let deps = snapstart_scan::deps(&snapstart_aws::factory::AwsFactory::for_emulator(&emu.url, budget, 8), "us-west-2").await.0;
    let report = run_all(&deps, settings(json!({}))).await.expect("scan");

    let requests = emu.requests().await;
    let arrivals = |policy: bool| -> Vec<f64> {
        let mut at: Vec<f64> = requests
            .iter()
            .filter(|r| r["service"] == "lambda" && r["operation"] != "GetFunction" && (r["operation"] == "GetPolicy") == policy)
            .map(|r| r["received"].as_f64().unwrap())
            .collect();
        at.sort_by(f64::total_cmp);
        at
    };
    let busiest = |at: &[f64]| at.iter().enumerate().map(|(i, t)| at[i..].iter().take_while(|u| **u < t + 1.0).count()).max().unwrap_or(0);
    let (shared, policies) = (arrivals(false), arrivals(true));
    assert!(shared.len() > 3 * budget as usize, "enough calls to fill several seconds: {}", shared.len());
    assert!(busiest(&shared) <= budget as usize, "{} control-plane calls within one second (budget {budget})", busiest(&shared));
    let policy_budget = snapstart_aws::factory::DEFAULT_GET_POLICY_RPS as usize;
    assert!(!policies.is_empty() && busiest(&policies) <= policy_budget, "GetPolicy has its own budget: {} in one second", busiest(&policies));
    assert_eq!(emu.faulted("ListAliases").await, 4, "the throttled retries went through the budget too");
    assert!(!candidates(&report).is_empty());
}

#[tokio::test]
#[ignore = "needs the AWS emulator: run scripts/test.sh"]
async fn functions_excluded_by_tag_or_glob_are_flagged_and_cost_no_lambda_calls() {
    let emu = Emulator::start().await;
    let mut tagged = function("tagged", versions(5, 60.0));
    tagged["tags"] = json!({"snapstart-cleaner:protect": "until 2027", "team": "payments"});
    let mut released = function("released", versions(5, 60.0));
    released["tags"] = json!({"snapstart-cleaner:protect": "false"});
    let mut kept_by_team = function("kept-by-team", versions(5, 60.0));
    kept_by_team["tags"] = json!({"team:keep": "yes"});
    emu.seed(json!({"functions": [tagged, released, kept_by_team, function("orders-prod-api", versions(5, 60.0))]})).await;

    let report = scan(&emu, json!({"exclude": ["*-prod-*"]})).await;

    assert_eq!(flags_of(&report, "tagged", "1"), vec!["excluded_by_tag"]);
    assert_eq!(flags_of(&report, "tagged", "5"), vec!["protected_kept_last_n", "excluded_by_tag"]);
    assert_eq!(flags_of(&report, "orders-prod-api", "1"), vec!["excluded_by_pattern"]);
    assert_eq!(flags_of(&report, "released", "1"), vec!["no_activity_and_stale"], "the tag's value is false");
    assert_eq!(flags_of(&report, "kept-by-team", "1"), vec!["no_activity_and_stale"], "another key");
    let requests = emu.requests().await;
    let touched: Vec<&Value> = requests
        .iter()
        .filter(|r| r["service"] == "lambda" && matches!(r["function_name"].as_str(), Some("tagged" | "orders-prod-api")))
        .collect();
    assert!(touched.is_empty(), "no Lambda call about an excluded function: {touched:?}");
    assert_eq!(emu.count("GetResources").await, 1, "one tagging listing for the region");

    let report = scan(&emu, json!({"protect_tag_key": "team:keep", "include": ["*e*"]})).await;

    assert_eq!(flags_of(&report, "kept-by-team", "1"), vec!["excluded_by_tag"], "a configured key");
    assert_eq!(flags_of(&report, "tagged", "1"), vec!["no_activity_and_stale"]);
    assert_eq!(flags_of(&report, "orders-prod-api", "1"), vec!["no_activity_and_stale"], "matches the include glob");
    assert_eq!(flags_of(&report, "released", "1"), vec!["no_activity_and_stale"]);

    // A glob that leaves functions out: they are excluded_by_pattern and cost no Lambda call.
    emu.clear_requests().await;
    let report = scan(&emu, json!({"include": ["orders-*", "tag?ed"]})).await;

    for outside in ["released", "kept-by-team"] {
        assert_eq!(flags_of(&report, outside, "1"), vec!["excluded_by_pattern"], "{outside} is outside include");
    }
    assert_eq!(flags_of(&report, "orders-prod-api", "1"), vec!["no_activity_and_stale"]);
    assert_eq!(flags_of(&report, "tagged", "1"), vec!["excluded_by_tag"], "inside include, still protected by its tag");
    let requests = emu.requests().await;
    let touched: Vec<&Value> = requests
        .iter()
        .filter(|r| r["service"] == "lambda" && matches!(r["function_name"].as_str(), Some("released" | "kept-by-team")))
        .collect();
    assert!(touched.is_empty(), "no Lambda call about a function outside include: {touched:?}");
    assert!(requests.iter().any(|r| r["function_name"] == "orders-prod-api"), "the request log names functions (the check above can fail)");
}

#[tokio::test]
#[ignore = "needs the AWS emulator: run scripts/test.sh"]
async fn tags_that_cannot_be_read_fail_closed_for_every_function() {
    let emu = Emulator::start().await;
    emu.seed(every_flag_scenario()).await;
    emu.fault(json!({"service": "tagging", "operation": "GetResources", "status": 400, "code": "AccessDeniedException", "message": "not authorized", "count": -1})).await;

    let report = scan(&emu, json!({})).await;

    assert!(candidates(&report).is_empty(), "{:?}", candidates(&report));
    let idle = report.rows.iter().find(|r| r.function_name == "idle" && r.version == "1").unwrap();
    assert!(idle.reason_flags.contains(&"check_failed".to_string()), "{:?}", idle.reason_flags);
    assert!(idle.failed_checks.iter().any(|c| c.check == "tags" && c.error.contains("AccessDenied")), "{:?}", idle.failed_checks);
    emu.assert_fault_fired("GetResources").await;
    assert_eq!(emu.count("GetFunction").await, 0, "nothing in scope, so no state is read");
}
