//! The resolver's only way to reach a run: its status, pages of its candidates and functions, and
//! a decision, in domain terms. The Temporal adapter lives in `temporal.rs`; tests use a fake.

use async_trait::async_trait;
use snapstart_proto::status::{CandidatePage, CandidatesQuery, DecisionRecord, FunctionPage, FunctionsQuery, RunStatus};

/// Why the run could not be read or could not take a decision.
#[derive(Debug, thiserror::Error)]
pub enum MessengerError {
    /// No run with this workflow id and run id exists (or it was purged).
    #[error("the run was not found")]
    NotFound,
    /// The run exists but does not (or no longer) wait for a decision; the text says why.
    #[error("the run is not waiting for a decision: {0}")]
    NotWaiting(String),
    /// The run is not waiting yet: the scan or the approval email is still running.
    #[error("the run is not waiting for a decision yet: {0}")]
    NotYet(String),
    /// Someone already decided; the text says who, when and which way.
    #[error("the run was already decided: {0}")]
    AlreadyDecided(String),
    /// An approval that selects no candidate; the text says why.
    #[error("the approval selects no candidate: {0}")]
    EmptySelection(String),
    /// The run refused the decision as malformed; the text says why.
    #[error("the decision was refused as invalid: {0}")]
    Invalid(String),
    /// Temporal itself could not be reached (connection refused or timed out, server down).
    #[error("Temporal is unreachable: {0}")]
    Unavailable(String),
    /// No answer in time. For `decide` this means the outcome is unknown: the run may still take it.
    #[error("no answer from the run in time")]
    Timeout,
    /// Anything unexpected (protocol, bad payload); logged, never shown.
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

/// Reads a run and delivers a decision to that exact run (workflow id + run id). Reads never
/// change the run.
#[async_trait]
pub trait RunMessenger: Send + Sync {
    /// The run's `status` query: phase, counts, deadline, decision, the first candidates.
    async fn status(&self, workflow_id: &str, run_id: &str) -> Result<RunStatus, MessengerError>;

    /// The run's `candidates` query: one page of its candidate list.
    async fn candidates(&self, workflow_id: &str, run_id: &str, query: &CandidatesQuery) -> Result<CandidatePage, MessengerError>;

    /// The run's `functions` query: one page of the functions that have candidates.
    async fn functions(&self, workflow_id: &str, run_id: &str, query: &FunctionsQuery) -> Result<FunctionPage, MessengerError>;

    /// Delivers `decision` (the `decide` update JSON) and returns what the run recorded.
    async fn decide(&self, workflow_id: &str, run_id: &str, decision: serde_json::Value) -> Result<DecisionRecord, MessengerError>;
}

/// Splits a `decide` rejection message (`already_decided: …`, `not_waiting: …`, `late: …`,
/// `not_yet: …`, `empty_selection: …`, `invalid: …`) into the matching error; `None` when the message carries
/// none of the contract's prefixes.
pub fn classify_rejection(message: &str) -> Option<MessengerError> {
    use snapstart_proto::status::rejection::{ALREADY_DECIDED, EMPTY_SELECTION, INVALID, LATE, NOT_WAITING, NOT_YET};
    let (prefix, rest) = message.split_once(':')?;
    let rest = rest.trim().to_string();
    match prefix.trim() {
        p if p == ALREADY_DECIDED => Some(MessengerError::AlreadyDecided(rest)),
        p if p == NOT_WAITING => Some(MessengerError::NotWaiting(rest)),
        // Past the deadline the wait is over, whether or not its timer has fired yet.
        p if p == LATE => Some(MessengerError::NotWaiting(rest)),
        p if p == NOT_YET => Some(MessengerError::NotYet(rest)),
        p if p == EMPTY_SELECTION => Some(MessengerError::EmptySelection(rest)),
        p if p == INVALID => Some(MessengerError::Invalid(rest)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind_and_text(error: Option<MessengerError>) -> (&'static str, String) {
        match error {
            Some(MessengerError::AlreadyDecided(m)) => ("already_decided", m),
            Some(MessengerError::NotWaiting(m)) => ("not_waiting", m),
            Some(MessengerError::NotYet(m)) => ("not_yet", m),
            Some(MessengerError::EmptySelection(m)) => ("empty_selection", m),
            Some(MessengerError::Invalid(m)) => ("invalid", m),
            other => panic!("not a rejection: {other:?}"),
        }
    }

    #[test]
    fn rejection_prefixes_map_to_their_errors() {
        let cases = [
            ("already_decided: approved by ana at 2026-01-01T00:00:00Z", "already_decided", "approved by ana at 2026-01-01T00:00:00Z"),
            ("not_waiting: the run is in phase done", "not_waiting", "the run is in phase done"),
            ("late: the decision arrived at 2026-01-08T00:00:00Z, at or after the deadline 2026-01-08T00:00:00Z", "not_waiting", "the decision arrived at 2026-01-08T00:00:00Z, at or after the deadline 2026-01-08T00:00:00Z"),
            ("not_yet: the run is in phase send-approval-email; the approval email is not out yet", "not_yet", "the run is in phase send-approval-email; the approval email is not out yet"),
            ("empty_selection: this approval selects no candidate", "empty_selection", "this approval selects no candidate"),
            ("invalid: `approved` is required", "invalid", "`approved` is required"),
        ];
        for (message, want_kind, want_text) in cases {
            assert_eq!(kind_and_text(classify_rejection(message)), (want_kind, want_text.to_string()), "{message}");
        }
    }

    #[test]
    fn messages_without_a_known_prefix_are_not_classified() {
        assert!(classify_rejection("workflow panicked").is_none());
        assert!(classify_rejection("something: else").is_none());
    }
}
