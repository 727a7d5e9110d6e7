//! The workflow's decision bookkeeping, as plain functions over the run status: only the first
//! valid decision counts, only while the run waits; versions outside the candidate list are
//! ignored and listed; everything else is recorded and ignored.

use chrono::{DateTime, SecondsFormat, Utc};
use snapstart_proto::{
    approval::{parse_decision_bytes, DecisionInput},
    status::{rejection, DecisionRecord, IgnoredDecision, RunStatus, PHASE_AWAITING_APPROVAL},
    v1::{ApprovalDecision, CleanupResult, DeletionResult, ReportRow, ReportSummary, VersionRef},
};
use temporalio_common::data_converters::RawValue;

/// At most this many per-version results go in the workflow result (counts cover all of them).
pub const MAX_RESULTS_IN_OUTPUT: usize = 1000;

/// RFC 3339 for unix seconds.
pub fn iso(unix: i64) -> String {
    DateTime::<Utc>::from_timestamp(unix, 0).unwrap_or_default().to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Parses a signal or update payload (JSON bytes); anything else is an error value.
pub fn parse_raw(input: &RawValue) -> Result<DecisionInput, String> {
    match input.payloads.first() {
        Some(p) if !p.data.is_empty() => parse_decision_bytes(&p.data),
        _ => Err("empty payload".into()),
    }
}

/// Whether a decision would count now; the error starts with a `rejection` prefix.
pub fn check(status: &RunStatus, input: &Result<DecisionInput, String>) -> Result<(), String> {
    if let Err(e) = input {
        return Err(format!("{}: {e}", rejection::INVALID));
    }
    if let Some(d) = &status.decision {
        return Err(format!(
            "{}: {} by {} at {}",
            rejection::ALREADY_DECIDED,
            if d.approved { "approved" } else { "rejected" },
            d.approver.as_deref().unwrap_or("(anonymous)"),
            d.decided_at
        ));
    }
    if status.phase != PHASE_AWAITING_APPROVAL {
        return Err(format!("{}: the run is in phase {}", rejection::NOT_WAITING, status.phase));
    }
    Ok(())
}

/// Records the decision if it counts.
pub fn apply(status: &mut RunStatus, input: Result<DecisionInput, String>, now: i64) -> Result<DecisionRecord, String> {
    check(status, &input)?;
    let input = input?;
    let is_candidate = |v: &VersionRef| status.candidates.iter().any(|c| c.function_name == v.function_name && c.version == v.version);
    let (approved_versions, ignored_versions) = match (input.approved, input.approved_versions) {
        (false, named) => (vec![], named.unwrap_or_default()),
        (true, None) => (status.candidates.iter().map(|c| VersionRef { function_name: c.function_name.clone(), version: c.version.clone() }).collect(), vec![]),
        (true, Some(named)) => named.into_iter().partition(|v| is_candidate(v)),
    };
    let record = DecisionRecord {
        approved: input.approved,
        approver: input.approver,
        decided_at: iso(now),
        decision_source: input.decision_source,
        approved_versions,
        ignored_versions,
    };
    status.decision = Some(record.clone());
    Ok(record)
}

/// Records a decision that did not count.
pub fn ignore(status: &mut RunStatus, reason: String, now: i64) {
    status.ignored_decisions.push(IgnoredDecision { received_at: iso(now), reason });
}

/// The candidate rows the decision approved.
pub fn approved_rows(candidates: &[ReportRow], decision: &DecisionRecord) -> Vec<ReportRow> {
    candidates
        .iter()
        .filter(|c| decision.approved_versions.iter().any(|v| v.function_name == c.function_name && v.version == c.version))
        .cloned()
        .collect()
}

/// The workflow result: per-version results (problems first, cut to fit) and their counts.
pub fn result_of(status: &str, summary: &ReportSummary, mut results: Vec<DeletionResult>, dry_run: bool, decision: Option<&DecisionRecord>, workflow_id: &str) -> CleanupResult {
    let mut counts = std::collections::BTreeMap::new();
    for r in &results {
        *counts.entry(r.outcome.clone()).or_default() += 1;
    }
    results.sort_by_key(|r| matches!(r.outcome.as_str(), "deleted" | "dry_run_would_delete"));
    let omitted = results.len().saturating_sub(MAX_RESULTS_IN_OUTPUT) as u32;
    results.truncate(MAX_RESULTS_IN_OUTPUT);
    CleanupResult {
        status: status.into(),
        summary: Some(summary.clone()),
        deletion_results: results,
        dry_run,
        approval: decision.map(|d| ApprovalDecision {
            approved: d.approved,
            approver: d.approver.clone(),
            approved_versions: d.approved_versions.clone(),
            decision_source: d.decision_source.clone(),
        }),
        deletion_counts: counts,
        deletion_results_omitted: omitted,
        workflow_id: workflow_id.into(),
        ignored_versions: decision.map(|d| d.ignored_versions.clone()).unwrap_or_default(),
        decided_at: decision.map(|d| d.decided_at.clone()).unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn waiting() -> RunStatus {
        let row = |v: &str| ReportRow { function_name: "f".into(), version: v.into(), ..Default::default() };
        RunStatus { phase: PHASE_AWAITING_APPROVAL.into(), candidates: vec![row("1"), row("2")], ..Default::default() }
    }

    fn input(v: serde_json::Value) -> Result<DecisionInput, String> {
        snapstart_proto::approval::parse_decision(&v)
    }

    #[test]
    fn no_named_versions_approves_every_candidate() {
        let mut s = waiting();
        let r = apply(&mut s, input(json!({"approved": true})), 0).unwrap();
        assert_eq!(r.approved_versions.len(), 2);
    }

    #[test]
    fn named_versions_outside_the_candidates_are_ignored_and_listed() {
        let mut s = waiting();
        let r = apply(&mut s, input(json!({"approved": true, "approved_versions": [{"function_name": "f", "version": "2"}, {"function_name": "g", "version": "9"}]})), 0).unwrap();
        assert_eq!(r.approved_versions, vec![VersionRef { function_name: "f".into(), version: "2".into() }]);
        assert_eq!(r.ignored_versions.len(), 1);
        assert_eq!(approved_rows(&s.candidates, &r).len(), 1);
    }

    #[test]
    fn only_the_first_valid_decision_counts() {
        let mut s = waiting();
        apply(&mut s, input(json!({"approved": false, "approver": "bo"})), 0).unwrap();
        let second = apply(&mut s, input(json!({"approved": true})), 5);
        assert!(second.unwrap_err().starts_with("already_decided: rejected by bo"));
        assert!(!s.decision.unwrap().approved);
    }

    #[test]
    fn malformed_and_early_decisions_change_nothing() {
        let mut s = waiting();
        assert!(apply(&mut s, input(json!({"approved": "yes"})), 0).unwrap_err().starts_with("invalid"));
        assert_eq!(apply(&mut s, Err("empty payload".into()), 0).unwrap_err(), "invalid: empty payload");
        s.phase = "stage-b-usage-and-alias".into();
        assert!(apply(&mut s, input(json!({"approved": true})), 0).unwrap_err().starts_with("not_waiting"));
        assert!(s.decision.is_none());
    }

    #[test]
    fn the_result_counts_everything_and_lists_problems_first() {
        let results: Vec<DeletionResult> = (0..1200)
            .map(|i| DeletionResult { version: i.to_string(), outcome: if i == 1199 { "error" } else { "deleted" }.into(), ..Default::default() })
            .collect();
        let r = result_of("done", &ReportSummary::default(), results, false, None, "wf");
        assert_eq!(r.deletion_results.len(), 1000);
        assert_eq!(r.deletion_results[0].outcome, "error");
        assert_eq!((r.deletion_counts["deleted"], r.deletion_results_omitted), (1199, 200));
    }
}
