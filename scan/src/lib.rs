//! The scan phases, as plain async functions over the working set (`ScanState`). Activities and
//! the in-process `scan` command run exactly these, in this order:
//! discover → stage A → stage B → confirm state (with the protections) → build report.
//!
//! The per-version reads (State, resource-based policy) come last and only for versions that
//! every cheaper check would let go: a version that stage A or stage B keeps can never be
//! deleted whatever its state or policy. Stage B starts them for each chunk of functions as soon
//! as the chunk's usage is known; confirm state reads what is left. (Runs started before this
//! order read state right after stage A; the phases handle both orders.)

pub mod confirm_state;
pub mod discover;
pub mod fanout;
pub mod progress;
pub mod protections;
pub mod report;
pub mod scope;
pub mod stage_a;
pub mod stage_b;

use std::sync::Arc;

use snapstart_aws::{
    factory::{AwsFactory, Place},
    AwsError, CallCounter, InvocationMetrics, LambdaRead, Readers, TagRead,
};
use snapstart_proto::v1::{PhaseCounts, Report, ScanSettings, ScanState};

/// What the phases need from the outside world.
#[derive(Clone)]
pub struct ScanDeps {
    pub lambda: Arc<dyn LambdaRead>,
    pub metrics: Arc<dyn InvocationMetrics>,
    pub tags: Arc<dyn TagRead>,
    /// How many AWS calls may be in flight at once (the rate budget still applies).
    pub concurrency: usize,
    /// Where the phases report how far they got.
    pub progress: Arc<progress::ScanProgress>,
}

impl ScanDeps {
    /// The phases' view of one place's readers.
    pub fn new(readers: Readers, concurrency: usize) -> Self {
        Self { lambda: readers.lambda, metrics: readers.metrics, tags: readers.tags, concurrency, progress: Default::default() }
    }
}

/// Dependencies for one scan in `region` with the worker's own credentials.
pub async fn deps(aws: &AwsFactory, region: &str) -> (ScanDeps, Arc<CallCounter>) {
    deps_at(aws, &Place::own(region), "").await
}

/// Dependencies for one scan at `place`, which acts on `account_id` (its budgets), with a fresh
/// call counter.
pub async fn deps_at(aws: &AwsFactory, place: &Place, account_id: &str) -> (ScanDeps, Arc<CallCounter>) {
    let (readers, counter) = aws.readers_at(place, account_id).await;
    (ScanDeps::new(readers, aws.concurrency()), counter)
}

/// Runs every phase in-process on one region with `deps` and returns the full report (tests;
/// the `scan` command and the activities cover several with [`scope`]).
pub async fn run_all(deps: &ScanDeps, settings: ScanSettings) -> Result<Report, AwsError> {
    let mut state = discover::discover(deps, settings).await?;
    stage_a::apply(&mut state);
    stage_b::check_usage(deps, &mut state).await;
    confirm_state::confirm(deps, &mut state).await;
    Ok(report::build(&state))
}

/// Whether the function is out of the run's scope (its globs, the protect tag, or tags that could
/// not be read): no phase spends a call on it and none of its versions can be a candidate.
pub fn out_of_scope(f: &snapstart_proto::v1::FunctionScan) -> bool {
    f.excluded_by_pattern || f.protect_tagged || f.tag_observation == snapstart_proto::v1::Observation::Failed as i32
}

/// Counts for the `status` query, over every target.
pub fn counts(state: &ScanState) -> PhaseCounts {
    scope::counts(state)
}

/// Counts of one target's working set.
pub fn counts_of(state: &ScanState) -> PhaseCounts {
    use snapstart_proto::v1::Observation;
    let versions = || state.functions.iter().flat_map(|f| f.versions.iter());
    let count = |pred: &dyn Fn(&snapstart_proto::v1::VersionScan) -> bool| versions().filter(|v| pred(v)).count() as u32;
    PhaseCounts {
        functions: state.functions.len() as u32,
        snapstart_versions: count(&|_| true),
        stage_a_pass: count(&|v| v.stage_a_pass),
        state_confirmed: count(&|v| v.state_observation == Observation::Known as i32),
        usage_checked: count(&|v| v.invocations_observation != Observation::NotChecked as i32),
        candidates: 0,
    }
}

/// The run's clock as a UTC time.
pub fn now_of(settings: &ScanSettings) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp(settings.now_unix, 0).unwrap_or_default()
}
