//! What the `status` query returns and what the `decide` update answers: the shapes the worker
//! and the resolver share (JSON over Temporal).

use serde::{Deserialize, Serialize};

use crate::v1::{PhaseCounts, ReportRow, ReportSummary, VersionRef};

/// Phase while the run waits for a human.
pub const PHASE_AWAITING_APPROVAL: &str = "awaiting_approval";

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
    /// The candidates the approver decides on.
    pub candidates: Vec<ReportRow>,
    /// The first valid decision, if any.
    pub decision: Option<DecisionRecord>,
    /// Malformed or late decisions that were recorded and ignored.
    pub ignored_decisions: Vec<IgnoredDecision>,
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
    /// What will be deleted: the approved candidates (all of them when the decision named none).
    pub approved_versions: Vec<VersionRef>,
    /// Versions the decision named that are not candidates; ignored.
    pub ignored_versions: Vec<VersionRef>,
}

/// A decision that did not count, and why.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct IgnoredDecision {
    pub received_at: String,
    pub reason: String,
}

/// Prefixes of `decide` update rejections, so callers can tell the cases apart.
pub mod rejection {
    /// A decision was already recorded; the message says by whom, when and which way.
    pub const ALREADY_DECIDED: &str = "already_decided";
    /// The run is not (or no longer) waiting for a decision.
    pub const NOT_WAITING: &str = "not_waiting";
    /// The payload is malformed.
    pub const INVALID: &str = "invalid";
}
