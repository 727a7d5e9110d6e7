//! At 10,000 versions, with every candidate approved, no payload that lands in history or
//! crosses the wire exceeds 256 KiB: every activity input, output and heartbeat, the workflow
//! result, the `status` query, the `decide` update's request and answer. Pure: builds each
//! payload the way the workflow, the activities and the resolver do, at its fullest, and
//! measures the bytes Temporal would carry (protobuf for activity payloads, JSON for the rest).
//!
//! The `status` answer, the `decide` update's request and answer get a tighter budget, 64 KiB,
//! whatever is selected and however many malformed decisions arrived.

use prost::Message;
use serde_json::json;
use snapstart_proto::{
    approval::parse_decision,
    pack::pack,
    status::{DecisionRecord, RunStatus, PHASE_AWAITING_APPROVAL},
    v1::{
        Alias, ApprovalEmailRequest, CandidateList, CompletionEmailRequest, DeleteRequest, DeleteResponse, DeletionResult,
        DeletionResultList, FunctionActivity, FunctionScan, Observation, ReportRow, ReportSummary, ScanSettings, ScanState,
        VersionScan,
    },
};
use snapstart_scan::{self as scan, report};
use snapstart_worker::{candidates, decision};

const LIMIT: usize = 256 * 1024;

/// 1,000 functions × 10 versions over 10 accounts × 2 regions (20 targets of 50 functions),
/// every field filled the way stage B leaves it.
fn ten_thousand_versions() -> ScanState {
    let now = chrono::Utc::now();
    let settings = ScanSettings {
        region: "us-west-2".into(), lookback_days: 30, min_age_days: 14, keep_last_n: 3, period_seconds: 3600,
        function_level_fallback: "strict".into(), approval_timeout_seconds: 604_800, now_unix: now.timestamp(), ..Default::default()
    };
    let functions = (0..1000)
        .map(|f| {
            let name = format!("payments-service-{f:04}-handler");
            let versions = (1..=10)
                .map(|v| {
                    let modified = now - chrono::Duration::seconds(86_400 * 40 + (f * 97 + v * 13) as i64);
                    VersionScan {
                        version: v.to_string(),
                        runtime: "python3.12".into(),
                        memory_size_mb: 1024,
                        last_modified: modified.format("%Y-%m-%dT%H:%M:%S%.3f+0000").to_string(),
                        snapstart_optimization_status: "On".into(),
                        stage_a_pass: v <= 7,
                        state_observation: Observation::Known as i32,
                        state: "Active".into(),
                        esm_observation: Observation::Known as i32,
                        invocations_observation: Observation::Known as i32,
                        last_invoked_unix: (v == 9).then(|| now.timestamp() - (f * 331 + v * 7) as i64),
                        policy_observation: Observation::Known as i32,
                        provisioned_observation: Observation::Known as i32,
                        snapstart: true,
                        // Every version's own package hash: 32 bytes that do not compress.
                        code_sha256_prefix: snapstart_proto::archive::hash_prefix(&base64::Engine::encode(&base64::engine::general_purpose::STANDARD, <sha2::Sha256 as sha2::Digest>::digest(format!("{f}:{v}")))),
                        ..Default::default()
                    }
                })
                .collect();
            FunctionScan {
                tag_observation: Observation::Known as i32,
                function_name: name,
                published_versions: (1..=10).map(|v: i32| v.to_string()).collect(),
                versions,
                aliases_observation: Observation::Known as i32,
                aliases: vec![Alias { name: "live".into(), function_version: "10".into(), weighted_versions: vec![] }],
                activity: Some(FunctionActivity { observation: Observation::Known as i32, ..Default::default() }),
                ..Default::default()
            }
        })
        .collect();
    let functions: Vec<FunctionScan> = functions;
    let targets = functions
        .chunks(50)
        .enumerate()
        .map(|(i, chunk)| {
            let region = if i % 2 == 0 { "us-west-2" } else { "eu-west-1" };
            ScanState {
                settings: Some(ScanSettings { region: region.into(), ..settings.clone() }),
                functions: chunk.to_vec(),
                account_id: format!("{:012}", 100_000_000_000u64 + (i / 2) as u64),
                region: region.into(),
                role_arn: format!("arn:aws:iam::{:012}:role/snapstart-cleaner", 100_000_000_000u64 + (i / 2) as u64),
                ..Default::default()
            }
        })
        .collect();
    ScanState { settings: Some(settings), targets, ..Default::default() }
}

/// What a 10,000-version run carries once every candidate is approved (dry run).
struct ApprovedRun {
    state: ScanState,
    summary: ReportSummary,
    candidates: Vec<ReportRow>,
    status: RunStatus,
    decision: DecisionRecord,
    results: Vec<DeletionResult>,
}

fn approved_run() -> ApprovedRun {
    let state = ten_thousand_versions();
    let full = report::build(&state);
    let summary = full.summary.clone().unwrap();
    let candidates: Vec<ReportRow> = full.rows.iter().filter(|r| r.candidate_for_deletion).cloned().collect();
    let mut status = RunStatus {
        phase: PHASE_AWAITING_APPROVAL.into(),
        summary: Some(summary.clone()),
        deadline_unix: Some(1),
        candidates: candidates::preview(&candidates),
        candidates_total: candidates.len() as u32,
        candidates_digest: candidates::digest(&candidates),
        ..Default::default()
    };
    for _ in 0..300 {
        decision::ignore(&mut status, format!("invalid: {}", "x".repeat(16 * 1024)), 0);
    }
    let (decision, _) = decision::apply(&mut status, &candidates, parse_decision(&json!({"approved": true, "approver": "Ana"})), 0, true).unwrap();
    let results = candidates
        .iter()
        .map(|r| DeletionResult {
            // A dry run of a run with an archive location names each version's would-be folder.
            archive_uri: format!("s3://archive-bucket/snapstart-cleaner/versions/{}/{}/{}/{}/", r.account_id, r.region, r.function_name, r.version),
            ..snapstart_deletion::result(r, "dry_run_would_delete", "dry run: not archived, not deleted")
        })
        .collect();
    ApprovedRun { state, summary, candidates, status, decision, results }
}

fn kib(bytes: usize) -> String {
    format!("{:.1} KiB", bytes as f64 / 1024.0)
}

fn assert_fits(what: &str, bytes: usize) {
    println!("{what}: {}", kib(bytes));
    assert!(bytes < LIMIT, "{what}: {} is over 256 KiB", kib(bytes));
}

#[test]
fn every_activity_payload_at_ten_thousand_versions_stays_under_256_kib() {
    let run = approved_run();
    let packed_rows = pack(&CandidateList { rows: run.candidates.clone() });
    let results = pack(&DeletionResultList { results: run.results.clone() });
    let full = report::build(&run.state);
    let preview = report::preview(&full, "/reports/x.json");

    assert_eq!(scan::counts(&run.state).snapstart_versions, 10_000);
    assert_eq!(run.candidates.len(), 7_000);
    assert_fits("scan phases (packed scan state)", pack(&run.state).encode_to_vec().len());
    assert_fits("build-report output", packed_rows.encoded_len() + preview.encoded_len());
    assert_fits("send-approval-email input", ApprovalEmailRequest { summary: Some(run.summary.clone()), candidates: Some(packed_rows.clone()), ..Default::default() }.encoded_len());
    assert_fits("delete-versions input", DeleteRequest { approved: Some(packed_rows.clone()), ..Default::default() }.encoded_len());
    assert_fits("delete-versions heartbeat and output", DeleteResponse { results: Some(results.clone()), dry_run: true }.encoded_len());
    assert!(preview.rows_omitted > 0, "a 10,000-row report is cut, not sent whole");
}

#[test]
fn the_completion_email_request_with_every_candidate_approved_stays_under_256_kib() {
    let run = approved_run();

    let request = CompletionEmailRequest {
        status: "done".into(),
        summary: Some(run.summary.clone()),
        results: Some(pack(&DeletionResultList { results: run.results.clone() })),
        dry_run: true,
        decision_json: serde_json::to_string(&run.decision).unwrap(),
        ..Default::default()
    };

    assert_fits("send-completion-email input", request.encoded_len());
}

#[test]
fn the_workflow_result_with_every_candidate_approved_stays_under_256_kib() {
    let run = approved_run();

    let result = decision::result_of("done", &run.summary, run.results.clone(), true, Some(&run.decision), "wf");

    assert_fits("workflow result (CleanupResult, JSON)", serde_json::to_vec(&result).unwrap().len());
}

const SMALL: usize = 64 * 1024;

fn assert_small(what: &str, bytes: usize) {
    println!("{what}: {}", kib(bytes));
    assert!(bytes < SMALL, "{what}: {} is over 64 KiB", kib(bytes));
}

#[test]
fn the_status_query_at_ten_thousand_versions_after_a_signal_flood_stays_under_64_kib() {
    let run = approved_run();

    assert_small("status query answer (JSON)", serde_json::to_vec(&run.status).unwrap().len());
}

#[test]
fn a_page_of_the_candidates_and_functions_queries_stays_under_256_kib() {
    let run = approved_run();

    let rows = candidates::page(&run.candidates, &Default::default());
    let functions = candidates::function_page(&run.candidates, &Default::default());

    assert_fits("candidates query, largest page (JSON)", serde_json::to_vec(&rows).unwrap().len());
    assert_fits("functions query, largest page (JSON)", serde_json::to_vec(&functions).unwrap().len());
}

#[test]
fn the_decide_update_for_any_selection_of_ten_thousand_candidates_stays_under_64_kib() {
    let run = approved_run();
    let half: Vec<bool> = (0..10_000).map(|i| i % 2 == 0).collect();
    let selection = json!({"approved_indexes": snapstart_proto::selection::encode(&half), "candidates_digest": run.status.candidates_digest});
    let request = json!({"approved": true, "approver": "A".repeat(200), "selection": selection, "decision_source": "email-link"});

    assert_small("decide update request, any subset (JSON)", serde_json::to_vec(&request).unwrap().len());
    assert_small("decide update answer (JSON)", serde_json::to_vec(&run.decision).unwrap().len());
}
