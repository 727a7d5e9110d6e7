//! What the approver sees once nothing more can be decided through the link: the decision the
//! run just recorded, or, for an expired link, what the run had recorded by then.

use snapstart_proto::{status::DecisionRecord, v1::VersionRef};

use super::{count, escape, layout};
use crate::truth::{decision_sentence, phase_words, Recorded};

fn version_list(versions: &[VersionRef], total: u32) -> String {
    let items: String = versions.iter().map(|v| format!("<li><code>{}</code></li>", escape(&format!("{}:{}", v.function_name, v.version)))).collect();
    let more = (total as usize).saturating_sub(versions.len());
    let more = if more > 0 { format!("<li>… and {} more</li>", count(more as u32)) } else { String::new() };
    format!("<ul>{items}{more}</ul>")
}

/// How many versions a record approved (records from before `approved_count` carry only the list).
fn approved_count(record: &DecisionRecord) -> u32 {
    record.approved_count.max(record.approved_versions.len() as u32)
}

/// The page after the run took the decision: exactly what was recorded.
pub fn accepted(record: &DecisionRecord, dry_run: Option<bool>) -> String {
    let who = escape(&decision_sentence(record));
    let mut body = format!("<p>The run recorded your decision: <strong>{who}</strong>.</p>");
    if record.approved {
        let mode = match dry_run {
            Some(true) => "This is a DRY RUN: nothing will actually be deleted; the completion email lists what would have been.",
            Some(false) => "This run is LIVE: these versions are being deleted now. The completion email reports each outcome.",
            None => "The completion email reports what was deleted (or, for a dry run, what would have been).",
        };
        let n = approved_count(record);
        body += &format!("<p class=\"warn\">{mode}</p><p>{} version(s) approved for deletion:</p>{}", count(n), version_list(&record.approved_versions, n));
    } else {
        body += "<p class=\"note\">Nothing will be deleted.</p>";
    }
    if !record.ignored_versions.is_empty() {
        let total = record.ignored_versions_total.max(record.ignored_versions.len() as u32);
        body += &format!("<p>Ignored (not candidates of this run):</p>{}", version_list(&record.ignored_versions, total));
    }
    layout(if record.approved { "Approval recorded" } else { "Rejection recorded" }, &body)
}

/// The text of the expired-link page: the deadline passed, and what the run recorded — never a
/// claim about deletion the run does not support.
pub fn expired_text(recorded: &Recorded) -> String {
    let lead = "The approval deadline has passed, so this link can no longer decide anything.";
    let what = match recorded {
        Recorded::Decided { record, dry_run } if record.approved => format!(
            "The run recorded this decision: {}, {} version(s) approved for deletion. {}",
            decision_sentence(record),
            count(approved_count(record)),
            if *dry_run { "It is a dry run: nothing is actually deleted." } else { "The run's completion email reports what was deleted." }
        ),
        Recorded::Decided { record, .. } => format!("The run recorded this decision: {}; nothing was deleted.", decision_sentence(record)),
        Recorded::TimedOut => "No decision arrived in time: the run timed out and nothing was deleted.".into(),
        Recorded::Phase(phase) => format!("The run reports: {}.", phase_words(phase)),
        Recorded::Unknown => "The run this link belongs to is not known any more (it may have been purged after it ended), so this page cannot show what it did; its completion email says.".into(),
        Recorded::Unreadable => "What the run recorded cannot be read right now; open the link again later, or see the run's completion email.".into(),
    };
    format!("{lead} {what}")
}
