//! What a run says about itself, told the way the workflow tells it: whether it waits for a
//! decision (or not yet, or no longer), and, for an expired link, what it recorded.

use snapstart_proto::{
    links::Claims,
    status::{DecisionRecord, RunStatus, PHASE_AWAITING_APPROVAL},
};

use crate::messenger::{MessengerError, RunMessenger};

/// "approved by ana at 2026-…" — the same words the workflow uses in its rejection message.
pub fn decision_sentence(record: &DecisionRecord) -> String {
    format!(
        "{} by {} at {}",
        if record.approved { "approved" } else { "rejected" },
        record.approver.as_deref().unwrap_or("(anonymous)"),
        record.decided_at
    )
}

/// A run's phase in words, for pages that say why it takes no decision.
pub fn phase_words(phase: &str) -> String {
    match phase {
        "done" => "the run has finished".into(),
        "rejected" => "the run was rejected".into(),
        "timed_out" => "the approval deadline passed; nothing was deleted".into(),
        "no_candidates" => "the run found nothing to delete".into(),
        "invalid_input" => "the run stopped on invalid input".into(),
        "awaiting_approval" => "no decision has been recorded yet".into(),
        "" => "the run has not reported its state yet".into(),
        other => format!("the run is in phase {other}"),
    }
}

/// Phases a run ends in (the workflow's list).
const FINAL_PHASES: &[&str] = &["done", "rejected", "timed_out", "no_candidates", "invalid_input"];

/// A decided, finished or not-yet-waiting run gets the truthful page, never a form. Mirrors the
/// workflow's validator: no deadline yet and not finished means the scan or the approval email
/// is still running.
pub fn ensure_waiting(status: &RunStatus) -> Result<(), MessengerError> {
    if let Some(record) = &status.decision {
        return Err(MessengerError::AlreadyDecided(decision_sentence(record)));
    }
    if status.phase == PHASE_AWAITING_APPROVAL {
        return Ok(());
    }
    if status.deadline_unix.is_none() && !FINAL_PHASES.contains(&status.phase.as_str()) {
        return Err(MessengerError::NotYet(phase_words(&status.phase)));
    }
    Err(MessengerError::NotWaiting(phase_words(&status.phase)))
}

/// What the run of an expired link recorded.
#[derive(Debug, Clone)]
pub enum Recorded {
    /// A decision counted (whether deletion ran dry).
    Decided { record: DecisionRecord, dry_run: bool },
    /// Nobody decided before the deadline; nothing was deleted.
    TimedOut,
    /// No decision, and the run is in this phase.
    Phase(String),
    /// No such run (any more).
    Unknown,
    /// The run could not be read now.
    Unreadable,
}

/// Reads the run of an expired link. Call only with claims whose signature verified.
pub async fn recorded(messenger: &dyn RunMessenger, claims: &Claims) -> Recorded {
    match messenger.status(&claims.workflow_id, &claims.run_id).await {
        Ok(status) => from_status(status),
        Err(MessengerError::NotFound) => Recorded::Unknown,
        Err(e) => {
            tracing::warn!(error = %e, workflow_id = %claims.workflow_id, "reading the run of an expired link failed");
            Recorded::Unreadable
        }
    }
}

fn from_status(status: RunStatus) -> Recorded {
    match status.decision {
        Some(record) => Recorded::Decided { record, dry_run: status.dry_run },
        None if status.phase == "timed_out" => Recorded::TimedOut,
        None => Recorded::Phase(status.phase),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(phase: &str, deadline: Option<i64>) -> RunStatus {
        RunStatus { phase: phase.into(), deadline_unix: deadline, ..Default::default() }
    }

    #[test]
    fn a_run_before_its_approval_email_is_not_waiting_yet_and_a_finished_one_no_longer() {
        let kind = |s: &RunStatus| match ensure_waiting(s) {
            Ok(()) => "waiting",
            Err(MessengerError::NotYet(_)) => "not yet",
            Err(MessengerError::NotWaiting(_)) => "no longer",
            Err(MessengerError::AlreadyDecided(_)) => "decided",
            Err(other) => panic!("{other:?}"),
        };
        let decided = RunStatus { decision: Some(DecisionRecord::default()), ..status(PHASE_AWAITING_APPROVAL, Some(1)) };

        assert_eq!(kind(&status(PHASE_AWAITING_APPROVAL, Some(1))), "waiting");
        assert_eq!(kind(&status("send-approval-email", None)), "not yet");
        assert_eq!(kind(&status("stage-b-usage-and-alias", None)), "not yet");
        assert_eq!(kind(&status("", None)), "not yet");
        assert_eq!(kind(&status("timed_out", Some(1))), "no longer");
        assert_eq!(kind(&status("no_candidates", None)), "no longer");
        assert_eq!(kind(&status("delete-versions", Some(1))), "no longer");
        assert_eq!(kind(&decided), "decided");
    }
}
