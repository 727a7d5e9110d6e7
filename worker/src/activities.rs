//! The scan phases as Temporal activities. Each one unpacks the working set, runs its phase from
//! `scan/`, and packs the result; the names are pinned in `snapstart_proto::names`.

use std::{path::PathBuf, sync::Arc, time::Duration};

use snapstart_aws::factory::AwsFactory;
use snapstart_proto::{
    names,
    pack::{pack, unpack},
    v1::{BuildReportOutput, CandidateList, PhaseOutput, ScanHeartbeat, ScanSettings, ScanState},
};
use snapstart_scan::{
    self as scan, report,
    fanout::{self, Fanout},
    scope,
    ScanDeps,
};
use temporalio_common::error::ApplicationFailure;
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

use crate::payload::{fit, Typed};

/// How often a long phase reports that it is alive.
const HEARTBEAT_EVERY: Duration = Duration::from_secs(5);

/// Activities hold their dependencies.
pub struct ScanActivities {
    aws: Arc<AwsFactory>,
    report_dir: Option<PathBuf>,
    payload_limit: usize,
    /// To find an open run of the same scope before a scheduled run scans (see [`scope_busy`]).
    temporal: Option<temporalio_client::Client>,
}

impl ScanActivities {
    /// `report_dir`, when set, receives the full report of every run as JSON; no result may
    /// encode to more than `payload_limit` bytes (see [`fit`]).
    pub fn new(aws: Arc<AwsFactory>, report_dir: Option<PathBuf>, payload_limit: usize) -> Self {
        Self { aws, report_dir, payload_limit, temporal: None }
    }

    /// Lets a scheduled run check for an open manual run of its scope before it scans.
    pub fn with_temporal(mut self, client: temporalio_client::Client) -> Self {
        self.temporal = Some(client);
        self
    }
}

/// The scope id of a scheduled run: Temporal names it `<scope id>-<YYYY-MM-DDTHH:MM:SSZ>`.
pub fn scheduled_scope(workflow_id: &str) -> Option<&str> {
    let (scope, stamp) = workflow_id.split_at_checked(workflow_id.len().checked_sub(21)?)?;
    let stamp = stamp.strip_prefix('-')?;
    chrono::DateTime::parse_from_rfc3339(stamp).ok()?;
    (!scope.is_empty() && stamp.ends_with('Z')).then_some(scope)
}

/// Why a scheduled run must not go on: a manual run of its scope (workflow id = the scope id) is
/// open. Its failure type ends the run as `skipped_overlap` without scanning or mailing anyone.
async fn scope_busy(client: &temporalio_client::Client, workflow_id: &str) -> Option<String> {
    let scope = scheduled_scope(workflow_id)?;
    let handle = client.get_workflow_handle::<temporalio_client::UntypedWorkflow>(scope.to_string());
    let info = handle.describe(Default::default()).await.ok()?.raw_description.workflow_execution_info?;
    let running = info.status == temporalio_common::protos::temporal::api::enums::v1::WorkflowExecutionStatus::Running as i32;
    running.then(|| format!("a run of this scope is open: workflow {scope}, run {}", info.execution.map(|e| e.run_id).unwrap_or_default()))
}

type Packed = crate::payload::Packed<ScanState>;
type Output = Typed<PhaseOutput>;

fn corrupt(e: impl std::fmt::Display) -> ActivityError {
    ActivityError::application(ApplicationFailure::non_retryable(format!("{e}")))
}

fn open(input: &Packed) -> Result<ScanState, ActivityError> {
    unpack::<ScanState>(&input.packed).map_err(corrupt)
}

impl ScanActivities {
    fn output(&self, phase: &str, state: ScanState) -> Result<Output, ActivityError> {
        let counts = scan::counts(&state);
        fit(phase, PhaseOutput { scan: Some(pack(&state)), counts: Some(counts) }, self.payload_limit)
    }

    /// Runs `phase` on every target of `top` while heartbeating (see [`heartbeating`]).
    async fn fan<F, Fut>(&self, ctx: &ActivityContext, top: ScanState, phase: F) -> ScanState
    where
        F: Fn(ScanDeps, ScanState) -> Fut,
        Fut: std::future::Future<Output = ScanState>,
    {
        let (fanout, run) = fanout::each(&self.aws, top, phase).await;
        heartbeating(ctx, &fanout, run).await
    }
}

/// Runs `work` while heartbeating its progress every [`HEARTBEAT_EVERY`], with the latest
/// checkpoint of the working set (every target's latest), so a dead worker is noticed within
/// the heartbeat timeout and its retry resumes where the checkpoints left off.
async fn heartbeating<T>(ctx: &ActivityContext, fanout: &Fanout, work: impl std::future::Future<Output = T>) -> T {
    let beat = async {
        let mut checkpoint = None;
        loop {
            if let Some(packed) = fanout.checkpoint() {
                checkpoint = Some(packed);
            }
            let snapshot = fanout.snapshot();
            let beat = ScanHeartbeat { step: snapshot.step, done: snapshot.done, total: snapshot.total, checkpoint: checkpoint.clone() };
            let _ = ctx.record_heartbeat(Typed(beat)).await;
            tokio::time::sleep(HEARTBEAT_EVERY).await;
        }
    };
    tokio::select! {
        out = work => out,
        _ = beat => unreachable!("the heartbeat loop never ends"),
    }
}

/// The working set to continue from: the last checkpoint of an earlier attempt, else the input.
fn resume_or(ctx: &ActivityContext, phase: &str, input: ScanState) -> ScanState {
    let beat = ctx.heartbeat_details().deserialize::<Typed<ScanHeartbeat>>().ok().flatten().map(|t| t.0);
    match beat.and_then(|b| b.checkpoint).and_then(|p| unpack::<ScanState>(&p).ok()) {
        Some(state) => {
            tracing::info!(phase, "resuming from the last checkpoint of an earlier attempt");
            state
        }
        None => input,
    }
}

#[activities]
impl ScanActivities {
    /// Learns the account of every place in scope, then lists every SnapStart published
    /// version of each account and region.
    #[activity(name = names::ACTIVITY_DISCOVER)]
    pub async fn discover(self: Arc<Self>, ctx: ActivityContext, settings: Typed<ScanSettings>) -> Result<Output, ActivityError> {
        if let (Some(client), Some(id)) = (&self.temporal, ctx.info().workflow_id.as_deref()) {
            if let Some(why) = scope_busy(client, id).await {
                tracing::warn!(workflow_id = id, "{why}: this scheduled run is skipped");
                let failure = ApplicationFailure::builder(why).type_name(names::ERROR_SCOPE_BUSY.to_string()).non_retryable(true);
                return Err(ActivityError::application(failure.build()));
            }
        }
        let top = scope::resolve(&self.aws, &settings.0).await;
        let top = self.fan(&ctx, top, fanout::discover).await;
        for t in &top.targets {
            match t.error.is_empty() {
                true => tracing::info!(account_id = t.account_id, region = t.region, functions = t.functions.len(), "discovered SnapStart versions"),
                false => tracing::warn!(account_id = t.account_id, region = t.region, error = t.error, "account and region not scanned"),
            }
        }
        self.output(names::ACTIVITY_DISCOVER, top)
    }

    /// Age and keep-last-N; pure.
    #[activity(name = names::ACTIVITY_STAGE_A)]
    pub async fn stage_a(self: Arc<Self>, _ctx: ActivityContext, input: Packed) -> Result<Output, ActivityError> {
        let mut state = scope::targets_form(open(&input)?);
        fanout::stage_a(&mut state);
        self.output(names::ACTIVITY_STAGE_A, state)
    }

    /// Reads State (and the protections) where it matters.
    #[activity(name = names::ACTIVITY_CONFIRM_STATE)]
    pub async fn confirm_state(self: Arc<Self>, ctx: ActivityContext, input: Packed) -> Result<Output, ActivityError> {
        let state = resume_or(&ctx, names::ACTIVITY_CONFIRM_STATE, open(&input)?);
        let state = self.fan(&ctx, state, fanout::confirm_state).await;
        self.output(names::ACTIVITY_CONFIRM_STATE, state)
    }

    /// Aliases, event source mappings and invocations.
    #[activity(name = names::ACTIVITY_STAGE_B)]
    pub async fn stage_b(self: Arc<Self>, ctx: ActivityContext, input: Packed) -> Result<Output, ActivityError> {
        let state = resume_or(&ctx, names::ACTIVITY_STAGE_B, open(&input)?);
        let state = self.fan(&ctx, state, fanout::stage_b).await;
        self.output(names::ACTIVITY_STAGE_B, state)
    }

    /// Classifies, summarises, writes the full report (if configured) and returns the preview.
    #[activity(name = names::ACTIVITY_BUILD_REPORT)]
    pub async fn build_report(self: Arc<Self>, ctx: ActivityContext, input: Packed) -> Result<Typed<BuildReportOutput>, ActivityError> {
        let state = open(&input)?;
        drop(input);
        let full = report::build(&state);
        let mut counts = scan::counts(&state);
        let settings = state.settings.clone().unwrap_or_default();
        drop(state);
        let workflow_id = ctx.info().workflow_id.as_deref().unwrap_or("scan").to_string();
        let mut path = match &self.report_dir {
            Some(dir) => write_report(dir, &workflow_id, &full).await?,
            None => String::new(),
        };
        if !settings.s3_report_uri.is_empty() {
            let run_id = ctx.info().workflow_run_id.clone().unwrap_or_default();
            path = write_s3_report(&self.aws, &settings, (&workflow_id, &run_id), &full).await?;
        }
        let (preview, scanned) = (report::preview(&full, &path), full.rows.len());
        // The candidates move out of the report: it is never held twice.
        let candidates = CandidateList { rows: full.rows.into_iter().filter(|r| r.candidate_for_deletion).collect() };
        crate::metrics::scanned(scanned, candidates.rows.len());
        counts.candidates = candidates.rows.len() as u32;
        let out = BuildReportOutput { preview: Some(preview), candidates: Some(pack(&candidates)), counts: Some(counts) };
        fit(names::ACTIVITY_BUILD_REPORT, out, self.payload_limit)
    }
}

/// Writes the full report to the run's `s3_report_uri` as `<prefix><workflow id>/<run id>.json`
/// and `.csv`; returns the JSON's location. A write that keeps failing fails the activity
/// (retried by Temporal like any AWS failure): an audit trail that was asked for is never skipped.
async fn write_s3_report(aws: &AwsFactory, settings: &snapstart_proto::v1::ScanSettings, (workflow_id, run_id): (&str, &str), report: &snapstart_proto::v1::Report) -> Result<String, ActivityError> {
    use snapstart_aws::s3::report_key;
    let (bucket, prefix) = snapstart_proto::request::s3_location(&settings.s3_report_uri).ok_or_else(|| corrupt(format!("s3_report_uri {:?}", settings.s3_report_uri)))?;
    let store = aws.report_store(&settings.region).await;
    let failed = |e: snapstart_aws::AwsError| ActivityError::from(anyhow::anyhow!("writing the report to {}: {e}", settings.s3_report_uri));
    // One rendering at a time: each is dropped once sent.
    let json = serde_json::to_vec_pretty(report).map_err(corrupt)?;
    let location = store.put(bucket, &report_key(prefix, workflow_id, run_id, ".json"), json, "application/json").await.map_err(failed)?;
    let summary = report.summary.clone().unwrap_or_default();
    let csv = crate::output::render(crate::output::Format::Csv, &summary, &report.rows).into_bytes();
    store.put(bucket, &report_key(prefix, workflow_id, run_id, ".csv"), csv, "text/csv").await.map_err(failed)?;
    tracing::info!(%location, "report written to S3");
    Ok(location)
}

async fn write_report(dir: &std::path::Path, workflow_id: &str, report: &snapstart_proto::v1::Report) -> Result<String, ActivityError> {
    let safe: String = workflow_id.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect();
    let path = dir.join(format!("{safe}.json"));
    let json = serde_json::to_vec_pretty(report).map_err(corrupt)?;
    tokio::fs::create_dir_all(dir).await.map_err(|e| ActivityError::from(anyhow::anyhow!("creating {}: {e}", dir.display())))?;
    tokio::fs::write(&path, json).await.map_err(|e| ActivityError::from(anyhow::anyhow!("writing {}: {e}", path.display())))?;
    Ok(path.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::scheduled_scope;

    #[test]
    fn a_scheduled_run_is_its_scope_id_and_the_time_temporal_appended() {
        assert_eq!(scheduled_scope("snapstart-cleanup-us-west-2-2026-11-28T11:10:24Z"), Some("snapstart-cleanup-us-west-2"));
        for manual in ["snapstart-cleanup-us-west-2", "x-2026-11-28T11:10:24", "-2026-11-28T11:10:24Z", "a-2026-13-28T11:10:24Z", ""] {
            assert_eq!(scheduled_scope(manual), None, "{manual}");
        }
    }
}
