//! What the `status`, `candidates` and `functions` queries return and what the `decide` update
//! answers: the shapes the worker and the resolver share (JSON over Temporal). Every one of them
//! stays small whatever the scan found: lists are cut to a bound and carry their full count.

use serde::{Deserialize, Serialize};

use crate::v1::{PhaseCounts, ReportRow, ReportSummary, VersionRef};

/// Phase while the run waits for a human.
pub const PHASE_AWAITING_APPROVAL: &str = "awaiting_approval";

/// Candidate rows the `status` answer carries (the rest through `candidates`).
pub const STATUS_CANDIDATES: usize = 20;
/// The most rows or functions one `candidates` or `functions` query answers.
pub const MAX_PAGE: u32 = 1000;
/// Ignored decisions kept (the latest); each reason is cut to [`REASON_CHARS`].
pub const KEEP_IGNORED: usize = 20;
/// Characters kept of an ignored decision's reason.
pub const REASON_CHARS: usize = 200;
/// Versions a decision record lists by name (approved or ignored); the counts cover all.
pub const SHOWN_VERSIONS: usize = 100;

/// The run as the `status` query shows it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RunStatus {
    /// The phase running now (activity name), `awaiting_approval`, or the final status
    /// (`done`, `rejected`, `timed_out`, `no_candidates`, `invalid_input`).
    pub phase: String,
    /// Counts after the last completed scan phase.
    pub counts: Option<PhaseCounts>,
    /// The report summary, once built.
    pub summary: Option<ReportSummary>,
    /// Approval deadline (unix seconds and RFC 3339), once the approval email went out.
    pub deadline_unix: Option<i64>,
    pub deadline: Option<String>,
    /// Whether deletion will be (or was) a dry run.
    pub dry_run: bool,
    /// Where deleted versions are archived (as the approval email promised), and with which KMS
    /// key; empty: deletions cannot be undone.
    pub archive_uri: String,
    pub archive_kms_key_id: String,
    /// The first [`STATUS_CANDIDATES`] candidates the approver decides on (`candidates` and
    /// `functions` page through all of them).
    pub candidates: Vec<ReportRow>,
    /// How many candidates there are.
    pub candidates_total: u32,
    /// Fingerprint of the candidate list (see `selection::digest`); a compact selection names it.
    pub candidates_digest: String,
    /// The first valid decision, if any.
    pub decision: Option<DecisionRecord>,
    /// The latest [`KEEP_IGNORED`] malformed or late decisions that were recorded and ignored.
    pub ignored_decisions: Vec<IgnoredDecision>,
    /// How many decisions were ignored in all.
    pub ignored_decisions_total: u32,
}

/// The decision that counted.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DecisionRecord {
    pub approved: bool,
    pub approver: Option<String>,
    /// RFC 3339, workflow time.
    pub decided_at: String,
    pub decision_source: Option<String>,
    /// How many candidates were approved.
    pub approved_count: u32,
    /// The first [`SHOWN_VERSIONS`] approved candidates (the run keeps the whole selection).
    pub approved_versions: Vec<VersionRef>,
    /// Versions the decision named that are not candidates; ignored. The first [`SHOWN_VERSIONS`].
    pub ignored_versions: Vec<VersionRef>,
    /// How many named versions were ignored.
    pub ignored_versions_total: u32,
}

/// A decision that did not count, and why.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct IgnoredDecision {
    pub received_at: String,
    pub reason: String,
}

/// Input of the `candidates` query: a page of candidates, optionally of one function.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CandidatesQuery {
    pub offset: u32,
    /// At most [`MAX_PAGE`]; 0 means [`MAX_PAGE`].
    pub limit: u32,
    /// Only this function's candidates (exact name).
    pub function: Option<String>,
    /// Only candidates in this account and region.
    pub account_id: Option<String>,
    pub region: Option<String>,
}

/// One candidate as the confirm page shows it; `index` is its place in the run's list.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CandidateItem {
    pub index: u32,
    pub function_name: String,
    pub version: String,
    /// Where it lives; empty in runs started before several accounts and regions.
    pub account_id: String,
    pub region: String,
    pub runtime: String,
    pub memory_size_mb: u32,
    pub age_days: Option<f64>,
    pub version_last_invoked_utc: Option<String>,
    pub estimated_monthly_cost_usd: f64,
}

/// Answer of the `candidates` query.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CandidatePage {
    /// Candidates matching the filter, in all.
    pub total: u32,
    pub offset: u32,
    pub items: Vec<CandidateItem>,
}

/// Input of the `functions` query: a page of the functions that have candidates.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FunctionsQuery {
    pub offset: u32,
    /// At most [`MAX_PAGE`]; 0 means [`MAX_PAGE`].
    pub limit: u32,
}

/// One function with candidates: how many, what they cost, where they are in the list.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FunctionGroup {
    pub function_name: String,
    pub account_id: String,
    pub region: String,
    pub candidates: u32,
    pub estimated_monthly_saving_usd: f64,
    /// Index of each of its candidates in the run's list.
    pub indexes: Vec<u32>,
}

/// Answer of the `functions` query.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FunctionPage {
    /// Functions with candidates, in all.
    pub total: u32,
    pub offset: u32,
    pub functions: Vec<FunctionGroup>,
}

/// Prefixes of `decide` update rejections, so callers can tell the cases apart.
pub mod rejection {
    /// A decision was already recorded; the message says by whom, when and which way.
    pub const ALREADY_DECIDED: &str = "already_decided";
    /// The run is no longer waiting for a decision.
    pub const NOT_WAITING: &str = "not_waiting";
    /// The run is not waiting yet (the scan or the approval email is still running).
    pub const NOT_YET: &str = "not_yet";
    /// An approval that would delete nothing (empty selection, or only non-candidates).
    pub const EMPTY_SELECTION: &str = "empty_selection";
    /// The payload is malformed.
    pub const INVALID: &str = "invalid";
    /// The decision arrived at or after the deadline the links carry, before the wait's timer
    /// fired: the wait is over all the same.
    pub const LATE: &str = "late";
}

/// Code storage in AWS's units (the quota is "75 GB", 75 × 2^30 bytes), one decimal.
pub fn gigabytes(bytes: u64) -> String {
    format!("{:.1} GB", bytes as f64 / (1u64 << 30) as f64)
}

/// What deleting the candidates frees of the region's code storage quota, e.g. "frees 3.2 GB of
/// code storage (the region uses 10.1 GB of its 75.0 GB quota)".
pub fn code_storage_phrase(s: &ReportSummary) -> String {
    let frees = format!("frees {} of code storage", gigabytes(s.reclaimable_code_bytes));
    if s.code_storage_limit_bytes == 0 {
        return frees;
    }
    format!("{frees} (the region uses {} of its {} quota)", gigabytes(s.code_storage_used_bytes), gigabytes(s.code_storage_limit_bytes))
}

/// Whether deletions can be undone: where each version is archived first, or plainly that they
/// cannot be. Said the same way in the approval email, on the confirm page and in the summary.
pub fn undo_phrase(dry_run: bool, archive_uri: &str) -> String {
    match (dry_run, archive_uri.is_empty()) {
        (false, false) => format!("Each version is archived to {archive_uri} before it is deleted; `snapstart-cleaner restore` brings one back."),
        (false, true) => "No archive location: deletions CANNOT be undone (set archive_uri, or ARCHIVE_URI on the worker).".to_string(),
        (true, false) => format!("Dry run: nothing is archived; a live run would archive each version to {archive_uri} before deleting it."),
        (true, true) => "No archive location: a live run's deletions could not be undone.".to_string(),
    }
}

/// One line per account and region of a run over several, e.g. "111111111111 eu-west-1: 12
/// candidates, frees 1.2 GB of 75.0 GB (10.1 GB used)" or "… eu-west-1: FAILED: <why>".
/// Empty for a run over one account and region (the summary's own figures say it all).
pub fn target_lines(s: &ReportSummary) -> Vec<String> {
    if s.targets.len() < 2 && s.targets_failed == 0 {
        return Vec::new();
    }
    s.targets
        .iter()
        .map(|t| {
            let place = format!("{} {}", if t.account_id.is_empty() { "(unknown account)" } else { &t.account_id }, t.region);
            if t.status == TARGET_FAILED {
                return format!("{place}: FAILED, not scanned: {}", t.error);
            }
            let quota = match t.code_storage_limit_bytes {
                0 => String::new(),
                limit => format!(" of {} ({} used)", gigabytes(limit), gigabytes(t.code_storage_used_bytes)),
            };
            format!("{place}: {} candidates, frees {}{quota}", t.candidates, gigabytes(t.reclaimable_code_bytes))
        })
        .collect()
}

/// `TargetSummary.status` of an account and region that could not be scanned.
pub const TARGET_FAILED: &str = "failed";
/// `TargetSummary.status` of an account and region that was scanned.
pub const TARGET_SCANNED: &str = "scanned";

#[cfg(test)]
mod storage_tests {
    use super::*;

    #[test]
    fn code_storage_reads_in_aws_gigabytes_with_the_quota_when_known() {
        let mut s = ReportSummary { reclaimable_code_bytes: 3_435_973_837, ..Default::default() };
        assert_eq!(code_storage_phrase(&s), "frees 3.2 GB of code storage");
        s.code_storage_used_bytes = 10_844_792_832;
        s.code_storage_limit_bytes = 80_530_636_800;
        assert_eq!(code_storage_phrase(&s), "frees 3.2 GB of code storage (the region uses 10.1 GB of its 75.0 GB quota)");
        assert_eq!(gigabytes(0), "0.0 GB");
    }
}
