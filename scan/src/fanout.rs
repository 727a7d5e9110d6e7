//! The phases on every target of a run's scope at once (at most [`TARGETS_AT_ONCE`]), each with
//! its own dependencies, and what a heartbeat or the `scan` command reports while they run.

use std::{
    future::Future,
    sync::{Arc, Mutex},
};

use futures::StreamExt;
use prost::Message;
use snapstart_aws::{factory::AwsFactory, CallCounter};
use snapstart_proto::{
    pack::{pack_joined, repeated_key},
    v1::{PackedScan, ScanSettings, ScanState},
};

use crate::{
    progress::ScanProgress,
    scope::{place_of, resolve, targets_form, TARGETS_AT_ONCE},
    ScanDeps,
};

/// Discovery on one target; a target whose functions cannot be listed (a region that is not
/// enabled, credentials refused) is failed, with the reason.
pub async fn discover(deps: ScanDeps, target: ScanState) -> ScanState {
    match crate::discover::discover(&deps, target.settings.clone().unwrap_or_default()).await {
        Ok(found) => ScanState { functions: found.functions, code_storage: found.code_storage, ..target },
        Err(e) => {
            tracing::warn!(account_id = target.account_id, region = target.region, error = %e, "target failed: not scanned");
            ScanState { error: format!("could not list functions: {e}"), ..target }
        }
    }
}

/// Stage A (pure) on every target that has not failed.
pub fn stage_a(top: &mut ScanState) {
    for t in top.targets.iter_mut().filter(|t| t.error.is_empty()) {
        crate::stage_a::apply(t);
    }
}

/// Stage B on one target.
pub async fn stage_b(deps: ScanDeps, mut target: ScanState) -> ScanState {
    crate::stage_b::check_usage(&deps, &mut target).await;
    target
}

/// State and the protections on one target.
pub async fn confirm_state(deps: ScanDeps, mut target: ScanState) -> ScanState {
    crate::confirm_state::confirm(&deps, &mut target).await;
    target
}

/// The phase running now, for whoever reports progress.
pub type Current = Mutex<Option<Arc<Fanout>>>;

/// Every phase on every target, in-process (the `scan` command), and the full report.
pub async fn run_all(aws: &AwsFactory, settings: &ScanSettings, current: &Current) -> snapstart_proto::v1::Report {
    let top = resolve(aws, settings).await;
    let top = run_phase(aws, top, current, discover).await;
    let mut top = top;
    stage_a(&mut top);
    let top = run_phase(aws, top, current, stage_b).await;
    let top = run_phase(aws, top, current, confirm_state).await;
    crate::report::build(&top)
}

async fn run_phase<F, Fut>(aws: &AwsFactory, top: ScanState, current: &Current, phase: F) -> ScanState
where
    F: Fn(ScanDeps, ScanState) -> Fut,
    Fut: Future<Output = ScanState>,
{
    let (fanout, run) = each(aws, top, phase).await;
    *current.lock().expect("current poisoned") = Some(fanout);
    run.await
}

/// A phase running on every target: what a heartbeat reports while it runs. Working sets are
/// kept encoded (a few contiguous buffers instead of a copy of every field of 10,000 versions).
pub struct Fanout {
    progress: Vec<Arc<ScanProgress>>,
    counters: Vec<Arc<CallCounter>>,
    /// The top-level working set without its targets, encoded.
    head: Vec<u8>,
    /// Per target, its latest working set, encoded: its input, then its latest checkpoint, then
    /// its result once it is done.
    latest: Mutex<Vec<Vec<u8>>>,
    fresh: std::sync::atomic::AtomicBool,
}

impl Fanout {
    /// A fanout over `targets`, taken out of `head` (the top-level working set), one progress
    /// and counter each.
    fn new(head: &ScanState, targets: &[ScanState], progress: Vec<Arc<ScanProgress>>, counters: Vec<Arc<CallCounter>>) -> Self {
        debug_assert!(head.targets.is_empty(), "the targets are passed apart");
        let head = head.encode_to_vec();
        let latest = Mutex::new(targets.iter().map(Message::encode_to_vec).collect());
        Self { progress, counters, head, latest, fresh: Default::default() }
    }

    /// The step of the first target still busy, and the units done and total over all.
    pub fn snapshot(&self) -> crate::progress::Snapshot {
        let all: Vec<crate::progress::Snapshot> = self.progress.iter().map(|p| p.snapshot()).collect();
        let busy = all.iter().find(|s| s.done < s.total || s.total == 0).or(all.first());
        let step = busy.map(|s| s.step.clone()).unwrap_or_default();
        let step = if all.len() > 1 { format!("{step} ({} accounts and regions)", all.len()) } else { step };
        crate::progress::Snapshot { step, done: all.iter().map(|s| s.done).sum(), total: all.iter().map(|s| s.total).sum() }
    }

    /// The progress line `scan` shows: step, units, AWS calls and throttled attempts so far.
    pub fn line(&self) -> String {
        let (made, throttled) = self.counters.iter().map(|c| c.totals()).fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
        format!("{} · {made} AWS calls · {throttled} throttled", self.snapshot())
    }

    /// The whole working set as of the latest checkpoints, packed, if any target moved since
    /// the last call.
    pub fn checkpoint(&self) -> Option<PackedScan> {
        let mut latest = self.latest.lock().expect("fanout poisoned");
        for (slot, progress) in latest.iter_mut().zip(&self.progress) {
            if let Some(state) = progress.take_checkpoint() {
                *slot = state;
                self.fresh.store(true, std::sync::atomic::Ordering::Relaxed);
            }
        }
        if !self.fresh.swap(false, std::sync::atomic::Ordering::Relaxed) {
            return None;
        }
        let key = repeated_key(|targets| ScanState { targets, ..Default::default() });
        Some(pack_joined(&self.head, &key, latest.iter().map(Vec::as_slice)))
    }

    fn finished(&self, index: usize, state: &ScanState) {
        self.latest.lock().expect("fanout poisoned")[index] = state.encode_to_vec();
        self.fresh.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

/// Builds the [`Fanout`] for `top` and the future that runs `phase` on every target that has
/// not failed (at most [`TARGETS_AT_ONCE`] at once), each with its own dependencies; the
/// future yields `top` with every target's result and its calls added to its `aws_calls`.
pub async fn each<F, Fut>(aws: &AwsFactory, top: ScanState, phase: F) -> (Arc<Fanout>, impl Future<Output = ScanState>)
where
    F: Fn(ScanDeps, ScanState) -> Fut,
    Fut: Future<Output = ScanState>,
{
    let mut top = targets_form(top);
    let targets = std::mem::take(&mut top.targets);
    let settings = top.settings.clone().unwrap_or_default();
    let mut work = Vec::new();
    let (mut progress, mut counters) = (Vec::new(), Vec::new());
    for (i, target) in targets.iter().enumerate() {
        let (deps, counter) = crate::deps_at(aws, &place_of(target, &settings), &target.account_id).await;
        progress.push(deps.progress.clone());
        counters.push(counter.clone());
        work.push((i, deps, counter));
    }
    let fanout = Arc::new(Fanout::new(&top, &targets, progress, counters));
    let watcher = fanout.clone();
    let run = async move {
        let mut top = top;
        let phase = &phase;
        let watcher = &watcher;
        let mut done: Vec<(usize, ScanState)> = futures::stream::iter(targets.into_iter().zip(work))
            .map(|(target, (i, deps, counter))| async move {
                if !target.error.is_empty() {
                    return (i, target);
                }
                let mut out = phase(deps, target).await;
                for (op, n) in counter.snapshot() {
                    *out.aws_calls.entry(op).or_default() += n;
                }
                watcher.finished(i, &out);
                (i, out)
            })
            .buffer_unordered(TARGETS_AT_ONCE)
            .collect()
            .await;
        done.sort_by_key(|(i, _)| *i);
        top.targets = done.into_iter().map(|(_, t)| t).collect();
        top
    };
    (fanout, run)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_names_the_busy_step_and_sums_counts_calls_and_throttles_over_targets() {
        let progress = vec![Arc::new(ScanProgress::default()), Arc::new(ScanProgress::default())];
        let counters = vec![Arc::new(CallCounter::default()), Arc::new(CallCounter::default())];
        progress[0].start("confirm-state: versions read", 10);
        progress[0].advance(10);
        progress[1].start("confirm-state: versions read", 10);
        progress[1].advance(4);
        counters[0].record("GetFunction");
        counters[1].record("GetFunction");
        counters[1].record_throttle("GetFunction");
        let fanout = Fanout::new(&ScanState::default(), &[ScanState::default(), ScanState::default()], progress, counters);

        assert_eq!(fanout.line(), "confirm-state: versions read (2 accounts and regions): 14 / 20 · 2 AWS calls · 1 throttled");
    }

    #[test]
    fn a_checkpoint_composes_every_target_s_latest_and_is_handed_out_once() {
        use snapstart_proto::pack::unpack;
        let top = targets_form(ScanState { settings: Some(ScanSettings { region: "us-west-2".into(), ..Default::default() }), ..Default::default() });
        let top = ScanState { targets: vec![top.targets[0].clone(), ScanState { region: "eu-west-1".into(), ..Default::default() }], ..top };
        let head = ScanState { targets: Vec::new(), ..top.clone() };
        let fanout = Fanout::new(&head, &top.targets, vec![Default::default(), Default::default()], vec![Default::default(), Default::default()]);
        let moved = ScanState { region: "eu-west-1".into(), account_id: "111111111111".into(), ..Default::default() };
        let composed = |fanout: &Fanout| fanout.checkpoint().map(|p| unpack::<ScanState>(&p).unwrap());

        assert!(fanout.checkpoint().is_none(), "nothing moved yet");
        fanout.progress[1].checkpoint(&moved);
        let first = composed(&fanout).unwrap();

        assert_eq!(first, ScanState { targets: vec![top.targets[0].clone(), moved.clone()], ..top.clone() });
        assert!(fanout.checkpoint().is_none());
        fanout.finished(0, &moved);
        assert_eq!(composed(&fanout).unwrap(), ScanState { targets: vec![moved.clone(), moved], ..top });
    }
}
