//! At 10,000 versions no activity input or output, and no workflow result, exceeds 256 KiB.
//! Pure: builds the working set each phase would carry, at its fullest, and measures encodings.

use prost::Message;
use snapstart_proto::{
    pack::pack,
    v1::{Alias, CandidateList, FunctionActivity, FunctionScan, Observation, ScanSettings, ScanState, VersionScan},
};
use snapstart_worker::scan::{self, report};

const LIMIT: usize = 256 * 1024;

/// 1,000 functions × 10 versions, every field filled the way stage B leaves it.
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
                        last_invoked_unix: (v % 3 == 0).then(|| now.timestamp() - (f * 331 + v * 7) as i64),
                        ..Default::default()
                    }
                })
                .collect();
            FunctionScan {
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
    ScanState { settings: Some(settings), functions, ..Default::default() }
}

#[test]
fn every_phase_payload_at_ten_thousand_versions_stays_under_256_kib() {
    let state = ten_thousand_versions();

    let packed = pack(&state).encode_to_vec().len();
    let full = report::build(&state);
    let candidates = CandidateList { rows: full.rows.iter().filter(|r| r.candidate_for_deletion).cloned().collect() };
    let packed_candidates = pack(&candidates).encode_to_vec().len();
    let preview = report::preview(&full, "/reports/x.json");
    let preview_json = serde_json::to_vec(&preview).unwrap().len();
    let preview_proto = preview.encode_to_vec().len();

    println!("packed scan state: {packed} B; packed candidates ({}): {packed_candidates} B; preview: {preview_json} B JSON / {preview_proto} B proto, {} rows shown",
        candidates.rows.len(), preview.rows.len());
    assert_eq!(scan::counts(&state).snapstart_versions, 10_000);
    assert!(packed < LIMIT, "scan state {packed}");
    assert!(packed_candidates + preview_proto < LIMIT, "build-report output");
    assert!(preview_json < LIMIT, "workflow result {preview_json}");
    assert!(preview.rows_omitted > 0, "a 10,000-row report is cut, not sent whole");
}
