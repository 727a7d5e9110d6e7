//! The worker's own counters (the set-up and `/metrics` live in `snapstart-telemetry`; AWS calls
//! are counted by the adapters).

use snapstart_telemetry::metrics::add;

/// A run ended (counted when its completion email went out).
pub fn run_finished(outcome: &str) {
    add("snapstart_runs_total", "Runs by outcome: done, rejected, timed_out, no_candidates", 1, &[("outcome", outcome)]);
}

/// A scan's report was built.
pub fn scanned(versions: usize, candidates: usize) {
    add("snapstart_versions_scanned_total", "SnapStart versions classified", versions as u64, &[]);
    add("snapstart_candidates_total", "Versions found to be deletion candidates", candidates as u64, &[]);
}

/// Deletion outcomes of approved versions.
pub fn deletions(outcome: &str, n: usize) {
    add("snapstart_deletions_total", "Approved versions by deletion outcome", n as u64, &[("outcome", outcome)]);
}

/// A notification sent (or not) through a channel.
pub fn notification(channel: &str, result: &str) {
    add("snapstart_notifications_total", "Notifications by channel and result (delivered, failed)", 1, &[("channel", channel), ("result", result)]);
}
