//! The resolver's only way to reach a run: ask for its status and deliver a decision, in domain
//! terms. The Temporal adapter lives in `temporal.rs`; tests use an in-memory fake.

use async_trait::async_trait;
use snapstart_proto::status::{DecisionRecord, RunStatus};

/// Why the run could not be read or could not take a decision.
#[derive(Debug, thiserror::Error)]
pub enum MessengerError {
    /// No run with this workflow id and run id exists (or it was purged).
    #[error("the run was not found")]
    NotFound,
    /// The run exists but does not (or no longer) wait for a decision; the text says why.
    #[error("the run is not waiting for a decision: {0}")]
    NotWaiting(String),
    /// Someone already decided; the text says who, when and which way.
    #[error("the run was already decided: {0}")]
    AlreadyDecided(String),
    /// The run refused the decision as malformed; the text says why.
    #[error("the decision was refused as invalid: {0}")]
    Invalid(String),
    /// No answer in time. For `decide` this means the outcome is unknown: the run may still take it.
    #[error("no answer from the run in time")]
    Timeout,
    /// Anything unexpected (connection, protocol, bad payload); logged, never shown.
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

/// Reads a run's status and delivers a decision to that exact run (workflow id + run id).
#[async_trait]
pub trait RunMessenger: Send + Sync {
    /// The run's `status` query. Never changes the run.
    async fn status(&self, workflow_id: &str, run_id: &str) -> Result<RunStatus, MessengerError>;

    /// Delivers `decision` (the `decide` update JSON) and returns what the run recorded.
    async fn decide(&self, workflow_id: &str, run_id: &str, decision: serde_json::Value) -> Result<DecisionRecord, MessengerError>;
}

/// Splits a `decide` rejection message (`already_decided: …`, `not_waiting: …`, `invalid: …`)
/// into the matching error; `None` when the message carries none of the contract's prefixes.
pub fn classify_rejection(message: &str) -> Option<MessengerError> {
    use snapstart_proto::status::rejection::{ALREADY_DECIDED, INVALID, NOT_WAITING};
    let (prefix, rest) = message.split_once(':')?;
    let rest = rest.trim().to_string();
    match prefix.trim() {
        p if p == ALREADY_DECIDED => Some(MessengerError::AlreadyDecided(rest)),
        p if p == NOT_WAITING => Some(MessengerError::NotWaiting(rest)),
        p if p == INVALID => Some(MessengerError::Invalid(rest)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejection_prefixes_map_to_their_errors() {
        let cases = [
            ("already_decided: approved by ana at 2026-01-01T00:00:00Z", "already"),
            ("not_waiting: the run is in phase done", "not_waiting"),
            ("invalid: `approved` is required", "invalid"),
        ];
        for (message, want) in cases {
            let got = match classify_rejection(message) {
                Some(MessengerError::AlreadyDecided(m)) => { assert!(m.starts_with("approved by ana")); "already" }
                Some(MessengerError::NotWaiting(m)) => { assert_eq!(m, "the run is in phase done"); "not_waiting" }
                Some(MessengerError::Invalid(m)) => { assert_eq!(m, "`approved` is required"); "invalid" }
                other => panic!("{message}: {other:?}"),
            };
            assert_eq!(got, want);
        }
    }

    #[test]
    fn messages_without_a_known_prefix_are_not_classified() {
        assert!(classify_rejection("workflow panicked").is_none());
        assert!(classify_rejection("something: else").is_none());
    }
}
