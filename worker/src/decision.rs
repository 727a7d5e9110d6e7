//! The workflow's decision bookkeeping, as plain functions over the run status: only the first
//! valid decision counts, only while the run waits; versions outside the candidate list are
//! ignored and listed; everything else is recorded and ignored.

use std::collections::HashMap;

use chrono::{DateTime, SecondsFormat, Utc};
use snapstart_proto::{
    approval::{parse_decision_bytes, DecisionInput, Selection},
    selection,
    status::{rejection, DecisionRecord, IgnoredDecision, RunStatus, KEEP_IGNORED, PHASE_AWAITING_APPROVAL, REASON_CHARS, SHOWN_VERSIONS},
    v1::{ApprovalDecision, CleanupResult, DeletionResult, ReportRow, ReportSummary, VersionRef},
};
use temporalio_common::data_converters::RawValue;

/// At most this many per-version results go in the workflow result (counts cover all of them).
pub const MAX_RESULTS_IN_OUTPUT: usize = 1000;
/// And at most this many bytes of them as JSON (each result names its archive folder, so 1,000
/// can outgrow a payload): the rest are in the S3 deletions report.
pub const MAX_RESULT_BYTES_IN_OUTPUT: usize = 160 * 1024;

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

/// What a decision that counts selects: candidate indexes, and the named versions it ignores.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Resolved {
    pub approved: Vec<u32>,
    pub ignored: Vec<VersionRef>,
}

fn waiting(status: &RunStatus) -> Result<(), String> {
    if let Some(d) = &status.decision {
        return Err(format!(
            "{}: {} by {} at {}",
            rejection::ALREADY_DECIDED,
            if d.approved { "approved" } else { "rejected" },
            d.approver.as_deref().unwrap_or("(anonymous)"),
            d.decided_at
        ));
    }
    if status.phase == PHASE_AWAITING_APPROVAL {
        return Ok(());
    }
    if status.deadline_unix.is_none() && !FINAL_PHASES.contains(&status.phase.as_str()) {
        return Err(format!("{}: the run is in phase {}; the approval email is not out yet", rejection::NOT_YET, status.phase));
    }
    Err(format!("{}: the run is in phase {}", rejection::NOT_WAITING, status.phase))
}

/// Phases a run ends in.
pub const FINAL_PHASES: &[&str] = &["done", "rejected", "timed_out", "no_candidates", "invalid_input"];

/// Which candidates a well-formed decision selects, or why it cannot count.
pub fn resolve(status: &RunStatus, candidates: &[ReportRow], input: &DecisionInput) -> Result<Resolved, String> {
    if !input.approved {
        return Ok(Resolved { approved: vec![], ignored: input.approved_versions.clone().unwrap_or_default() });
    }
    let resolved = match (&input.approved_versions, &input.selection) {
        (Some(_), Some(_)) => return Err(format!("{}: give approved_versions or selection, not both", rejection::INVALID)),
        (None, None) => Resolved { approved: (0..candidates.len() as u32).collect(), ignored: vec![] },
        (Some(named), None) => by_name(candidates, named)?,
        (None, Some(sel)) => by_bitmap(status, candidates, sel)?,
    };
    if resolved.approved.is_empty() {
        return Err(format!(
            "{}: this approval selects no candidate ({} named versions are not candidates); to delete nothing, reject instead",
            rejection::EMPTY_SELECTION,
            resolved.ignored.len()
        ));
    }
    Ok(resolved)
}

/// Named versions: an item without `account_id` or `region` matches in any account or region,
/// but must then match one candidate only (an ambiguous name fails the whole decision: the
/// approver meant one of them, and guessing which would delete the wrong one).
fn by_name(candidates: &[ReportRow], named: &[VersionRef]) -> Result<Resolved, String> {
    let mut index: HashMap<(&str, &str), Vec<u32>> = HashMap::new();
    for (i, c) in candidates.iter().enumerate() {
        index.entry((c.function_name.as_str(), c.version.as_str())).or_default().push(i as u32);
    }
    let mut out = Resolved::default();
    for v in named {
        let fits = |i: &&u32| {
            let c = &candidates[**i as usize];
            (v.account_id.is_empty() || v.account_id == c.account_id) && (v.region.is_empty() || v.region == c.region)
        };
        let found: Vec<u32> = index.get(&(v.function_name.as_str(), v.version.as_str())).map(|all| all.iter().filter(fits).copied().collect()).unwrap_or_default();
        match found.as_slice() {
            [] => out.ignored.push(v.clone()),
            [i] if !out.approved.contains(i) => out.approved.push(*i),
            [_] => {}
            several => {
                let places: Vec<String> = several.iter().map(|i| &candidates[*i as usize]).map(|c| format!("{} {}", c.account_id, c.region)).collect();
                return Err(format!(
                    "{}: {}:{} is a candidate in several accounts or regions ({}); name its account_id and region",
                    rejection::INVALID,
                    v.function_name,
                    v.version,
                    places.join(", ")
                ));
            }
        }
    }
    out.approved.sort_unstable();
    Ok(out)
}

fn by_bitmap(status: &RunStatus, candidates: &[ReportRow], sel: &Selection) -> Result<Resolved, String> {
    if sel.candidates_digest != status.candidates_digest {
        return Err(format!("{}: the selection was made for another candidate list (digest {})", rejection::INVALID, sel.candidates_digest));
    }
    let bits = selection::decode(&sel.approved_indexes, candidates.len()).map_err(|e| format!("{}: {e}", rejection::INVALID))?;
    Ok(Resolved { approved: bits.iter().enumerate().filter(|(_, b)| **b).map(|(i, _)| i as u32).collect(), ignored: vec![] })
}

/// Whether a decision would count now; the error starts with a `rejection` prefix.
pub fn check(status: &RunStatus, candidates: &[ReportRow], input: &Result<DecisionInput, String>) -> Result<Resolved, String> {
    let input = input.as_ref().map_err(|e| format!("{}: {e}", rejection::INVALID))?;
    waiting(status)?;
    resolve(status, candidates, input)
}

/// Refuses a decision that arrives at or after the deadline the links carry (`now` is the
/// workflow's time), even while the wait's timer has not fired yet.
pub fn on_time(status: &RunStatus, now: i64) -> Result<(), String> {
    match status.deadline_unix {
        Some(deadline) if status.phase == PHASE_AWAITING_APPROVAL && status.decision.is_none() && now >= deadline => {
            Err(format!("{}: the decision arrived at {}, at or after the deadline {}", rejection::LATE, iso(now), iso(deadline)))
        }
        _ => Ok(()),
    }
}

/// Records the decision if it counts; returns the record and the approved candidate indexes.
/// With `refuse_late`, a decision at or after the deadline does not count ([`on_time`]).
pub fn apply(status: &mut RunStatus, candidates: &[ReportRow], input: Result<DecisionInput, String>, now: i64, refuse_late: bool) -> Result<(DecisionRecord, Vec<u32>), String> {
    if refuse_late {
        on_time(status, now)?;
    }
    let resolved = check(status, candidates, &input)?;
    let input = input?;
    let refs = |indexes: &[u32]| -> Vec<VersionRef> {
        indexes.iter().take(SHOWN_VERSIONS).map(|i| &candidates[*i as usize]).map(version_ref).collect()
    };
    let record = DecisionRecord {
        approved: input.approved,
        approver: input.approver,
        decided_at: iso(now),
        decision_source: input.decision_source,
        approved_count: resolved.approved.len() as u32,
        approved_versions: refs(&resolved.approved),
        ignored_versions: resolved.ignored.iter().take(SHOWN_VERSIONS).cloned().collect(),
        ignored_versions_total: resolved.ignored.len() as u32,
    };
    status.decision = Some(record.clone());
    Ok((record, resolved.approved))
}

/// How a decision names a candidate.
pub fn version_ref(c: &ReportRow) -> VersionRef {
    VersionRef { function_name: c.function_name.clone(), version: c.version.clone(), account_id: c.account_id.clone(), region: c.region.clone() }
}

/// Records a decision that did not count: the latest [`KEEP_IGNORED`], reasons cut short, and
/// a total, so a flood of bad signals cannot grow the status without bound.
pub fn ignore(status: &mut RunStatus, reason: String, now: i64) {
    let cut = reason.chars().count() > REASON_CHARS;
    let mut reason: String = reason.chars().take(REASON_CHARS).collect();
    if cut {
        reason.push('…');
    }
    status.ignored_decisions.push(IgnoredDecision { received_at: iso(now), reason });
    let excess = status.ignored_decisions.len().saturating_sub(KEEP_IGNORED);
    status.ignored_decisions.drain(..excess);
    status.ignored_decisions_total += 1;
}

/// The candidate rows at `indexes`.
pub fn rows_at(candidates: &[ReportRow], indexes: &[u32]) -> Vec<ReportRow> {
    indexes.iter().filter_map(|i| candidates.get(*i as usize)).cloned().collect()
}

/// The workflow result: per-version results (problems first, cut to fit) and their counts.
pub fn result_of(status: &str, summary: &ReportSummary, mut results: Vec<DeletionResult>, dry_run: bool, decision: Option<&DecisionRecord>, workflow_id: &str) -> CleanupResult {
    let mut counts = std::collections::BTreeMap::new();
    for r in &results {
        *counts.entry(r.outcome.clone()).or_default() += 1;
    }
    results.sort_by_key(|r| matches!(r.outcome.as_str(), "deleted" | "dry_run_would_delete"));
    let mut bytes = 0;
    let kept = results
        .iter()
        .take(MAX_RESULTS_IN_OUTPUT)
        .take_while(|r| {
            bytes += serde_json::to_vec(r).map_or(0, |j| j.len() + 1);
            bytes <= MAX_RESULT_BYTES_IN_OUTPUT
        })
        .count();
    let omitted = (results.len() - kept) as u32;
    results.truncate(kept);
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
            approved_count: d.approved_count,
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

    fn candidates() -> Vec<ReportRow> {
        ["1", "2", "3"].iter().map(|v| ReportRow { function_name: "f".into(), version: v.to_string(), ..Default::default() }).collect()
    }

    fn waiting() -> RunStatus {
        RunStatus { phase: PHASE_AWAITING_APPROVAL.into(), deadline_unix: Some(100), candidates_digest: crate::candidates::digest(&candidates()), ..Default::default() }
    }

    fn input(v: serde_json::Value) -> Result<DecisionInput, String> {
        snapstart_proto::approval::parse_decision(&v)
    }

    fn decide(s: &mut RunStatus, v: serde_json::Value) -> Result<(DecisionRecord, Vec<u32>), String> {
        apply(s, &candidates(), input(v), 0, true)
    }

    #[test]
    fn no_named_versions_approves_every_candidate() {
        let mut s = waiting();

        let (record, approved) = decide(&mut s, json!({"approved": true})).unwrap();

        assert_eq!((record.approved_count, approved), (3, vec![0, 1, 2]));
    }

    #[test]
    fn named_versions_outside_the_candidates_are_ignored_and_listed() {
        let mut s = waiting();

        let (record, approved) = decide(&mut s, json!({"approved": true, "approved_versions": [{"function_name": "f", "version": "2"}, {"function_name": "g", "version": "9"}, {"function_name": "f", "version": "2"}]})).unwrap();

        assert_eq!(approved, vec![1]);
        assert_eq!(record.approved_versions, vec![VersionRef { function_name: "f".into(), version: "2".into(), ..Default::default() }]);
        assert_eq!((record.ignored_versions.len(), record.ignored_versions_total), (1, 1));
        assert_eq!(rows_at(&candidates(), &approved)[0].version, "2");
    }

    #[test]
    fn a_name_in_several_accounts_or_regions_must_say_which_and_then_approves_only_that_one() {
        let place = |account: &str, region: &str| ReportRow { function_name: "f".into(), version: "1".into(), account_id: account.into(), region: region.into(), ..Default::default() };
        let rows = vec![place("111111111111", "us-west-2"), place("111111111111", "eu-west-1"), place("222222222222", "us-west-2")];
        let mut s = RunStatus { phase: PHASE_AWAITING_APPROVAL.into(), deadline_unix: Some(100), ..Default::default() };
        let named = |v: serde_json::Value| input(json!({"approved": true, "approved_versions": [v]}));

        let bare = apply(&mut s.clone(), &rows, named(json!({"function_name": "f", "version": "1"})), 0, true);
        let region_only = apply(&mut s.clone(), &rows, named(json!({"function_name": "f", "version": "1", "region": "us-west-2"})), 0, true);
        let elsewhere = apply(&mut s.clone(), &rows, named(json!({"function_name": "f", "version": "1", "account_id": "333333333333"})), 0, true);
        let (record, approved) = apply(&mut s, &rows, named(json!({"function_name": "f", "version": "1", "account_id": "111111111111", "region": "eu-west-1"})), 0, true).unwrap();

        assert!(bare.unwrap_err().starts_with("invalid: f:1 is a candidate in several accounts or regions"));
        assert!(region_only.unwrap_err().contains("111111111111 us-west-2, 222222222222 us-west-2"));
        assert!(elsewhere.unwrap_err().starts_with("empty_selection"), "a name in no scanned account selects nothing");
        assert_eq!(approved, vec![1]);
        assert_eq!((record.approved_versions[0].account_id.as_str(), record.approved_versions[0].region.as_str()), ("111111111111", "eu-west-1"));
    }

    #[test]
    fn a_compact_selection_approves_exactly_its_bits_for_its_own_list() {
        let mut s = waiting();
        let digest = s.candidates_digest.clone();
        let bits = selection::encode(&[true, false, true]);

        let other_list = decide(&mut s.clone(), json!({"approved": true, "selection": {"approved_indexes": bits, "candidates_digest": "0000000000000000"}}));
        let wrong_length = decide(&mut s.clone(), json!({"approved": true, "selection": {"approved_indexes": selection::encode(&[true; 9]), "candidates_digest": digest}}));
        let (record, approved) = decide(&mut s, json!({"approved": true, "selection": {"approved_indexes": bits, "candidates_digest": digest}})).unwrap();

        assert_eq!((approved, record.approved_count), (vec![0, 2], 2));
        assert!(other_list.unwrap_err().starts_with("invalid: the selection was made for another candidate list"));
        assert!(wrong_length.unwrap_err().starts_with("invalid: the selection covers 2 bytes"));
    }

    #[test]
    fn an_approval_that_selects_nothing_is_refused_not_recorded() {
        for v in [
            json!({"approved": true, "approved_versions": []}),
            json!({"approved": true, "approved_versions": [{"function_name": "g", "version": "1"}]}),
        ] {
            let mut s = waiting();
            let digest = s.candidates_digest.clone();

            let refused = decide(&mut s, v.clone());

            assert!(refused.unwrap_err().starts_with("empty_selection: this approval selects no candidate"), "{v}");
            assert!(s.decision.is_none());
            let none = json!({"approved": true, "selection": {"approved_indexes": selection::encode(&[false; 3]), "candidates_digest": digest}});
            assert!(decide(&mut s, none).unwrap_err().starts_with("empty_selection"));
        }
    }

    #[test]
    fn only_the_first_valid_decision_counts() {
        let mut s = waiting();
        decide(&mut s, json!({"approved": false, "approver": "bo"})).unwrap();

        let second = decide(&mut s, json!({"approved": true}));

        assert!(second.unwrap_err().starts_with("already_decided: rejected by bo"));
        assert!(!s.decision.unwrap().approved);
    }

    #[test]
    fn malformed_early_and_late_decisions_change_nothing_and_say_which() {
        let mut s = waiting();
        assert!(decide(&mut s, json!({"approved": "yes"})).unwrap_err().starts_with("invalid"));
        assert_eq!(apply(&mut s, &candidates(), Err("empty payload".into()), 0, true).unwrap_err(), "invalid: empty payload");
        s.phase = "send-approval-email".into();
        s.deadline_unix = None;
        assert!(decide(&mut s, json!({"approved": true})).unwrap_err().starts_with("not_yet: "));
        s.phase = "timed_out".into();
        assert!(decide(&mut s, json!({"approved": true})).unwrap_err().starts_with("not_waiting: "));
        assert!(s.decision.is_none());
    }

    #[test]
    fn a_decision_at_or_after_the_deadline_is_late_even_before_the_timer_fires() {
        let on_time = |now, refuse| apply(&mut waiting(), &candidates(), input(json!({"approved": true})), now, refuse);

        assert!(on_time(99, true).is_ok(), "a second before the deadline counts");
        let late = on_time(100, true).unwrap_err();
        assert!(late.starts_with("late: the decision arrived at 1970-01-01T00:01:40Z, at or after the deadline 1970-01-01T00:01:40Z"), "{late}");
        assert!(on_time(5000, true).unwrap_err().starts_with("late: "));
        assert!(on_time(100, false).is_ok(), "runs without the patch marker counted it, and still do on replay");
    }

    #[test]
    fn ignored_decisions_keep_the_latest_twenty_short_reasons_and_a_total() {
        let mut s = waiting();

        for i in 0..300 {
            ignore(&mut s, format!("{i} {}", "x".repeat(16 * 1024)), i);
        }

        assert_eq!((s.ignored_decisions.len(), s.ignored_decisions_total), (KEEP_IGNORED, 300));
        assert!(s.ignored_decisions[0].reason.starts_with("280 "));
        assert!(s.ignored_decisions.iter().all(|d| d.reason.chars().count() == REASON_CHARS + 1));
        assert!(serde_json::to_vec(&s).unwrap().len() < 8 * 1024);
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

    #[test]
    fn results_naming_long_archive_folders_are_cut_to_the_byte_budget_too() {
        let folder = format!("s3://archive-bucket/{}/", "p".repeat(300));
        let results: Vec<DeletionResult> = (0..1000).map(|i| DeletionResult { version: i.to_string(), outcome: "deleted".into(), archive_uri: folder.clone(), ..Default::default() }).collect();

        let r = result_of("done", &ReportSummary::default(), results, false, None, "wf");

        let bytes = serde_json::to_vec(&r.deletion_results).unwrap().len();
        assert!(bytes <= MAX_RESULT_BYTES_IN_OUTPUT && bytes > MAX_RESULT_BYTES_IN_OUTPUT - 1024, "{bytes}");
        assert_eq!(r.deletion_results.len() as u32 + r.deletion_results_omitted, 1000);
    }

    fn raw(data: &[u8]) -> RawValue {
        let payload = temporalio_common::protos::temporal::api::common::v1::Payload { data: data.to_vec(), ..Default::default() };
        RawValue::new(vec![payload])
    }

    #[test]
    fn a_raw_payload_is_read_and_an_empty_one_is_an_error() {
        assert!(parse_raw(&raw(br#"{"approved": false}"#)).is_ok_and(|d| !d.approved));
        assert_eq!(parse_raw(&raw(b"")).unwrap_err(), "empty payload");
        assert_eq!(parse_raw(&RawValue::new(vec![])).unwrap_err(), "empty payload");
        assert!(parse_raw(&raw(b"nope")).unwrap_err() != "empty payload", "bytes that are there are parsed (and refused) as JSON");
    }

    #[test]
    fn a_reason_of_exactly_the_limit_is_kept_whole_and_a_longer_one_is_cut_with_an_ellipsis() {
        let mut s = waiting();

        ignore(&mut s, "x".repeat(REASON_CHARS), 0);
        ignore(&mut s, "y".repeat(REASON_CHARS + 1), 0);

        assert_eq!(s.ignored_decisions[0].reason, "x".repeat(REASON_CHARS));
        assert_eq!(s.ignored_decisions[1].reason, format!("{}…", "y".repeat(REASON_CHARS)));
    }
}
