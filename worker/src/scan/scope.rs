//! A run's scope: every region of every account it covers. Each account and region is a
//! *target* with its own working set (a `ScanState` in the top-level state's `targets`), its own
//! credentials and its own rate budgets. The phases run on every target at once; a target that
//! fails (a region that is not enabled, a role that cannot be assumed) records why and takes no
//! further part, and never stops or changes the others.
//!
//! Runs started before several targets existed kept one region's working set at the top level;
//! [`targets_form`] turns it into one target so every phase handles both.

use std::{
    collections::{BTreeMap, HashMap, HashSet},
    future::Future,
    sync::{Arc, Mutex},
};

use futures::StreamExt;
use snapstart_proto::v1::{PhaseCounts, ScanSettings, ScanState};

use super::{progress::ScanProgress, ScanDeps};
use crate::aws::{
    factory::{AwsFactory, Place},
    CallCounter,
};

/// Targets worked on at once. Each has its own budgets, so more at once is faster; this bounds
/// the worker's connections and memory (20 accounts × 17 regions run in waves of this size).
pub const TARGETS_AT_ONCE: usize = 16;

/// The places a run covers, in report order: the worker's own account (when it is in scope)
/// in every region, then each role in every region.
pub fn places(settings: &ScanSettings) -> Vec<Place> {
    let regions = settings.scan_regions();
    let mut out = Vec::new();
    if settings.scans_own_account() {
        out.extend(regions.iter().map(|r| Place::own(r)));
    }
    for role in &settings.assume_role_arns {
        out.extend(regions.iter().map(|r| Place::role(r, role, &settings.external_id)));
    }
    out
}

/// The place a target's calls act at.
pub fn place_of(target: &ScanState, settings: &ScanSettings) -> Place {
    let region = if target.region.is_empty() { settings.region.clone() } else { target.region.clone() };
    match target.role_arn.is_empty() {
        true => Place::own(&region),
        false => Place::role(&region, &target.role_arn, &settings.external_id),
    }
}

/// The working set with one entry in `targets` per account and region (a one-region working
/// set of an older run becomes its single target, account unknown).
pub fn targets_form(state: ScanState) -> ScanState {
    if !state.targets.is_empty() {
        return state;
    }
    let settings = state.settings.clone();
    let region = settings.as_ref().map(|s| s.region.clone()).unwrap_or_default();
    ScanState { settings, targets: vec![ScanState { region, ..state }], ..Default::default() }
}

/// Every target's working set (an older run's whole set is its one target).
pub fn targets_of(state: &ScanState) -> Vec<&ScanState> {
    match state.targets.is_empty() {
        true => vec![state],
        false => state.targets.iter().collect(),
    }
}

/// A place, the account it acts on (or why that is not known), and the calls that took.
type Identity = (Place, Result<String, String>, BTreeMap<String, u32>);

/// Learns which account each place acts on (STS GetCallerIdentity, which is also where a role
/// is assumed) and returns the top-level working set with one target per account and region.
/// A place whose identity cannot be learnt is a failed target; a second place in an account
/// and region already covered (the worker's own account also listed as a role) is dropped.
pub async fn resolve(aws: &AwsFactory, settings: &ScanSettings) -> ScanState {
    let identities: Vec<Identity> = futures::stream::iter(places(settings))
        .map(|place| async move {
            let counter = CallCounter::default();
            let account = aws.account_id(&place, &counter).await.map_err(|e| e.to_string());
            (place, account, counter.snapshot())
        })
        .buffered(TARGETS_AT_ONCE)
        .collect()
        .await;
    // The same credentials act on the same account in every region: where STS refuses one
    // region (one that is not enabled), another region's answer still says whose it is.
    let known: HashMap<String, String> = identities.iter().filter_map(|(p, a, _)| a.as_ref().ok().map(|a| (p.role_arn.clone(), a.clone()))).collect();
    let mut seen = HashSet::new();
    let mut targets = Vec::new();
    for (place, account, calls) in identities {
        let (account_id, error) = match account {
            Ok(a) => (a, String::new()),
            // Unknown identity: as learnt elsewhere, else the role's own account if it names one,
            // so the summary says where.
            Err(e) => {
                let account = known.get(&place.role_arn).cloned().or_else(|| snapstart_proto::request::role_account(&place.role_arn).map(str::to_string));
                (account.unwrap_or_default(), format!("could not learn the account (STS): {e}"))
            }
        };
        if error.is_empty() && !seen.insert((account_id.clone(), place.region.clone())) {
            tracing::warn!(account_id, region = place.region, role = place.role_arn, "account and region already in scope through other credentials; scanned once");
            continue;
        }
        let target_settings = ScanSettings { region: place.region.clone(), ..settings.clone() };
        targets.push(ScanState {
            settings: Some(target_settings),
            account_id,
            region: place.region,
            role_arn: place.role_arn,
            error,
            aws_calls: calls,
            ..Default::default()
        });
    }
    ScanState { settings: Some(settings.clone()), targets, ..Default::default() }
}

/// Discovery on one target; a target whose functions cannot be listed (a region that is not
/// enabled, credentials refused) is failed, with the reason.
pub async fn discover(deps: ScanDeps, target: ScanState) -> ScanState {
    match super::discover::discover(&deps, target.settings.clone().unwrap_or_default()).await {
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
        super::stage_a::apply(t);
    }
}

/// Stage B on one target.
pub async fn stage_b(deps: ScanDeps, mut target: ScanState) -> ScanState {
    super::stage_b::check_usage(&deps, &mut target).await;
    target
}

/// State and the protections on one target.
pub async fn confirm_state(deps: ScanDeps, mut target: ScanState) -> ScanState {
    super::confirm_state::confirm(&deps, &mut target).await;
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
    super::report::build(&top)
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

/// A phase running on every target: what a heartbeat reports while it runs.
#[derive(Default)]
pub struct Fanout {
    progress: Vec<Arc<ScanProgress>>,
    counters: Vec<Arc<CallCounter>>,
    /// Per target, its latest working set (a checkpoint, or its result once it is done).
    latest: Mutex<Vec<Option<ScanState>>>,
    fresh: std::sync::atomic::AtomicBool,
}

impl Fanout {
    /// The step of the first target still busy, and the units done and total over all.
    pub fn snapshot(&self) -> super::progress::Snapshot {
        let all: Vec<super::progress::Snapshot> = self.progress.iter().map(|p| p.snapshot()).collect();
        let busy = all.iter().find(|s| s.done < s.total || s.total == 0).or(all.first());
        let step = busy.map(|s| s.step.clone()).unwrap_or_default();
        let step = if all.len() > 1 { format!("{step} ({} accounts and regions)", all.len()) } else { step };
        super::progress::Snapshot { step, done: all.iter().map(|s| s.done).sum(), total: all.iter().map(|s| s.total).sum() }
    }

    /// The progress line `scan` shows: step, units, AWS calls and throttled attempts so far.
    pub fn line(&self) -> String {
        let (made, throttled) = self.counters.iter().map(|c| c.totals()).fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
        format!("{} · {made} AWS calls · {throttled} throttled", self.snapshot())
    }

    /// The whole working set as of the latest checkpoints, if any target moved since the last call.
    pub fn checkpoint(&self, top: &ScanState) -> Option<ScanState> {
        let mut latest = self.latest.lock().expect("fanout poisoned");
        for (slot, progress) in latest.iter_mut().zip(&self.progress) {
            if let Some(state) = progress.take_checkpoint() {
                *slot = Some(state);
                self.fresh.store(true, std::sync::atomic::Ordering::Relaxed);
            }
        }
        if !self.fresh.swap(false, std::sync::atomic::Ordering::Relaxed) {
            return None;
        }
        let mut out = top.clone();
        for (target, state) in out.targets.iter_mut().zip(latest.iter()) {
            if let Some(state) = state {
                *target = state.clone();
            }
        }
        Some(out)
    }

    fn finished(&self, index: usize, state: &ScanState) {
        self.latest.lock().expect("fanout poisoned")[index] = Some(state.clone());
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
    let top = targets_form(top);
    let settings = top.settings.clone().unwrap_or_default();
    let mut work = Vec::new();
    let (mut progress, mut counters) = (Vec::new(), Vec::new());
    for (i, target) in top.targets.iter().enumerate() {
        let (deps, counter) = aws.scan_deps_at(&place_of(target, &settings), &target.account_id).await;
        progress.push(deps.progress.clone());
        counters.push(counter.clone());
        work.push((i, deps, counter));
    }
    let fanout = Arc::new(Fanout { latest: Mutex::new(vec![None; progress.len()]), progress, counters, ..Default::default() });
    let watcher = fanout.clone();
    let run = async move {
        let mut top = top;
        let targets = std::mem::take(&mut top.targets);
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

/// Counts for the `status` query over every target.
pub fn counts(state: &ScanState) -> PhaseCounts {
    targets_of(state).into_iter().map(super::counts_of).fold(PhaseCounts::default(), |a, b| PhaseCounts {
        functions: a.functions + b.functions,
        snapstart_versions: a.snapstart_versions + b.snapstart_versions,
        stage_a_pass: a.stage_a_pass + b.stage_a_pass,
        state_confirmed: a.state_confirmed + b.state_confirmed,
        usage_checked: a.usage_checked + b.usage_checked,
        candidates: a.candidates + b.candidates,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use snapstart_proto::v1::FunctionScan;

    #[test]
    fn own_account_regions_come_first_then_each_role_in_every_region() {
        let role = "arn:aws:iam::111111111111:role/cleaner";
        let settings = ScanSettings {
            region: "us-west-2".into(),
            regions: vec!["us-west-2".into(), "eu-west-1".into()],
            assume_role_arns: vec![role.into()],
            external_id: "x-1".into(),
            include_own_account: true,
            ..Default::default()
        };

        let got: Vec<(String, String)> = places(&settings).into_iter().map(|p| (p.region, p.role_arn)).collect();

        assert_eq!(got, vec![
            ("us-west-2".into(), String::new()),
            ("eu-west-1".into(), String::new()),
            ("us-west-2".into(), role.into()),
            ("eu-west-1".into(), role.into()),
        ]);
        let without_own = ScanSettings { include_own_account: false, ..settings };
        assert!(places(&without_own).iter().all(|p| p.role_arn == role && p.external_id == "x-1"));
    }

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
        let fanout = Fanout { latest: Mutex::new(vec![None, None]), progress, counters, ..Default::default() };

        assert_eq!(fanout.line(), "confirm-state: versions read (2 accounts and regions): 14 / 20 · 2 AWS calls · 1 throttled");
    }

    #[test]
    fn a_checkpoint_composes_every_target_s_latest_and_is_handed_out_once() {
        let top = targets_form(ScanState { settings: Some(ScanSettings { region: "us-west-2".into(), ..Default::default() }), ..Default::default() });
        let top = ScanState { targets: vec![top.targets[0].clone(), ScanState { region: "eu-west-1".into(), ..Default::default() }], ..top };
        let fanout = Fanout { latest: Mutex::new(vec![None, None]), progress: vec![Default::default(), Default::default()], ..Default::default() };
        let moved = ScanState { region: "eu-west-1".into(), account_id: "111111111111".into(), ..Default::default() };

        assert!(fanout.checkpoint(&top).is_none(), "nothing moved yet");
        fanout.progress[1].checkpoint(&moved);
        let composed = fanout.checkpoint(&top).unwrap();

        assert_eq!(composed.targets[0], top.targets[0]);
        assert_eq!(composed.targets[1], moved);
        assert!(fanout.checkpoint(&top).is_none());
        fanout.finished(0, &moved);
        assert_eq!(fanout.checkpoint(&top).unwrap().targets, vec![moved.clone(), moved]);
    }

    #[test]
    fn an_older_one_region_working_set_becomes_its_single_target() {
        let settings = ScanSettings { region: "eu-west-1".into(), ..Default::default() };
        let old = ScanState { settings: Some(settings.clone()), functions: vec![FunctionScan { function_name: "f".into(), ..Default::default() }], ..Default::default() };

        let new = targets_form(old.clone());

        assert!(new.functions.is_empty());
        assert_eq!(new.targets.len(), 1);
        assert_eq!((new.targets[0].region.as_str(), new.targets[0].account_id.as_str()), ("eu-west-1", ""));
        assert_eq!(new.targets[0].functions, old.functions);
        assert_eq!(targets_form(new.clone()), new, "already in targets form");
        assert_eq!(place_of(&new.targets[0], &settings), Place::own("eu-west-1"));
    }
}
