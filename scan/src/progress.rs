//! Progress of a long scan phase: what the phase is doing, how far it got, and a checkpoint of
//! the working set that a retried attempt resumes from. The phases update it; the activity
//! heartbeats it (the Temporal UI shows it on the pending activity) and `scan` prints it.

use std::{
    sync::{
        atomic::{AtomicU64, Ordering},
        Mutex,
    },
    time::{Duration, Instant},
};

use snapstart_proto::v1::ScanState;

/// Shared between a running phase and whoever reports on it.
#[derive(Debug, Default)]
pub struct ScanProgress {
    step: Mutex<String>,
    done: AtomicU64,
    total: AtomicU64,
    /// The latest checkpoint, encoded (one buffer, not a copy of every field).
    checkpoint: Mutex<Option<Vec<u8>>>,
    last_checkpoint: Mutex<Option<Instant>>,
}

/// Encoding a 10,000-version working set costs megabytes: keep at most one per heartbeat.
const CHECKPOINT_EVERY: Duration = Duration::from_secs(4);

/// What a report shows.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Snapshot {
    pub step: String,
    pub done: u64,
    pub total: u64,
}

impl std::fmt::Display for Snapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {} / {}", self.step, self.done, self.total)
    }
}

impl ScanProgress {
    /// A new step (e.g. `stage-b aliases`) of `total` units, none done yet.
    pub fn start(&self, step: &str, total: usize) {
        *self.step.lock().expect("progress poisoned") = step.to_string();
        self.done.store(0, Ordering::Relaxed);
        self.total.store(total as u64, Ordering::Relaxed);
    }

    /// `n` more units done.
    pub fn advance(&self, n: usize) {
        self.done.fetch_add(n as u64, Ordering::Relaxed);
    }

    /// The step and counts now.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            step: self.step.lock().expect("progress poisoned").clone(),
            done: self.done.load(Ordering::Relaxed),
            total: self.total.load(Ordering::Relaxed),
        }
    }

    /// Keeps the working set, encoded, as it stands between two chunks of work, unless one was
    /// kept less than [`CHECKPOINT_EVERY`] ago (the heartbeat would not send it anyway).
    pub fn checkpoint(&self, state: &ScanState) {
        let mut last = self.last_checkpoint.lock().expect("progress poisoned");
        if last.is_some_and(|t| t.elapsed() < CHECKPOINT_EVERY) {
            return;
        }
        *last = Some(Instant::now());
        *self.checkpoint.lock().expect("progress poisoned") = Some(prost::Message::encode_to_vec(state));
    }

    /// The latest checkpoint (an encoded `ScanState`), if any was taken since the last call.
    pub fn take_checkpoint(&self) -> Option<Vec<u8>> {
        self.checkpoint.lock().expect("progress poisoned").take()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_step_counts_from_zero_and_reads_as_done_of_total() {
        let p = ScanProgress::default();
        p.start("confirm-state", 10_000);
        p.advance(6_000);
        p.advance(200);

        assert_eq!(p.snapshot().to_string(), "confirm-state: 6200 / 10000");
        p.start("stage-b aliases", 3);
        assert_eq!(p.snapshot(), Snapshot { step: "stage-b aliases".into(), done: 0, total: 3 });
    }

    #[test]
    fn a_checkpoint_is_handed_out_once() {
        let p = ScanProgress::default();
        p.checkpoint(&ScanState::default());

        assert!(p.take_checkpoint().is_some());
        assert!(p.take_checkpoint().is_none());
    }
}
