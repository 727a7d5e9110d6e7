//! The `SnapStartCleanup` workflow: a short, deterministic script of activities. Rules live in
//! the activities (and the pure `snapstart-rules` crate), never here.

use std::time::{Duration, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use snapstart_proto::{
    names,
    v1::{PackedScan, PhaseCounts, PhaseOutput, ReportPreview, ScanRequest, ScanSettings},
    InvalidRequest,
};
use temporalio_common::{
    data_converters::{ProstSerializable, RawValue},
    error::ApplicationFailure,
    RetryPolicy,
};
use temporalio_macros::{workflow, workflow_methods};
use temporalio_sdk::{ActivityOptions, WorkflowContext, WorkflowContextView, WorkflowResult};

use crate::activities::ScanActivities;

/// What the `status` query returns.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct RunStatus {
    /// The phase running now, or the outcome.
    pub phase: String,
    /// Counts after the last completed phase.
    pub counts: Option<PhaseCounts>,
}

/// Scans a region for unused SnapStart versions (and, in the next phase of the product, deletes
/// them after approval).
#[workflow]
#[derive(Default)]
pub struct SnapStartCleanup {
    status: RunStatus,
}

/// Retries for AWS-bound phases; invalid data and oversized payloads are never retried.
fn activity_options(start_to_close: Duration) -> ActivityOptions {
    ActivityOptions::with_start_to_close_timeout(start_to_close)
        .heartbeat_timeout(Duration::from_secs(30))
        .retry_policy(
            RetryPolicy::builder()
                .initial_interval(Duration::from_secs(2))
                .maximum_interval(Duration::from_secs(60))
                .maximum_attempts(5)
                .non_retryable_error_types([names::ERROR_PAYLOADS_TOO_LARGE, names::ERROR_INVALID_INPUT])
                .build(),
        )
        .build()
}

const SHORT: Duration = Duration::from_secs(10 * 60);
/// At the default budget of 10 Lambda calls/s, 10,000 versions take about 17 minutes.
const LONG: Duration = Duration::from_secs(2 * 3600);

#[workflow_methods]
impl SnapStartCleanup {
    /// The script: validate, then each phase in order.
    #[run(name = names::WORKFLOW_TYPE)]
    pub async fn run(ctx: &mut WorkflowContext<Self>, input: RawValue) -> WorkflowResult<ReportPreview> {
        let settings = match parse_input(ctx, &input) {
            Ok(s) => s,
            Err(e) => {
                ctx.state_mut(|s| s.status.phase = "invalid_input".into());
                return Err(ApplicationFailure::builder(e.to_string())
                    .type_name(names::ERROR_INVALID_INPUT.to_string())
                    .non_retryable(true)
                    .build()
                    .into());
            }
        };
        let out = Self::phase(ctx, "discover-snapstart", ScanActivities::discover, ProstSerializable(settings), SHORT).await?;
        let out = Self::phase(ctx, "stage-a", ScanActivities::stage_a, packed(out), SHORT).await?;
        let out = Self::phase(ctx, "confirm-state", ScanActivities::confirm_state, packed(out), LONG).await?;
        let out = Self::phase(ctx, "stage-b", ScanActivities::stage_b, packed(out), LONG).await?;
        ctx.state_mut(|s| s.status.phase = "build-report".into());
        let built = ctx
            .execute_activity(ScanActivities::build_report, packed(out), activity_options(SHORT))
            .await?
            .0;
        ctx.state_mut(|s| {
            s.status.phase = "reported".into();
            s.status.counts = built.counts.clone();
        });
        Ok(built.preview.unwrap_or_default())
    }

    /// The run's phase and counts.
    #[query(name = names::QUERY_STATUS)]
    pub fn status(&self, _ctx: &WorkflowContextView) -> RunStatus {
        self.status.clone()
    }
}

impl SnapStartCleanup {
    async fn phase<A, I>(ctx: &mut WorkflowContext<Self>, label: &str, activity: A, input: I, timeout: Duration) -> WorkflowResult<PhaseOutput>
    where
        A: temporalio_common::ActivityDefinition<Output = ProstSerializable<PhaseOutput>>,
        I: Into<A::Input>,
    {
        ctx.state_mut(|s| s.status.phase = label.to_string());
        let out = ctx.execute_activity(activity, input, activity_options(timeout)).await?.0;
        ctx.state_mut(|s| s.status.counts = out.counts.clone());
        Ok(out)
    }
}

fn packed(out: PhaseOutput) -> ProstSerializable<PackedScan> {
    ProstSerializable(out.scan.unwrap_or_default())
}

/// Reads the start input from the raw payload: any problem is an [`InvalidRequest`] naming the
/// field, never a workflow task failure (which would retry forever).
fn parse_input(ctx: &WorkflowContext<SnapStartCleanup>, input: &RawValue) -> Result<ScanSettings, InvalidRequest> {
    let now = ctx.workflow_time().and_then(|t| t.duration_since(UNIX_EPOCH).ok()).map(|d| d.as_secs() as i64).unwrap_or(0);
    let payload = input.payloads.first().filter(|p| !p.data.is_empty()).ok_or_else(|| InvalidRequest {
        field: "input".into(),
        message: "no start input; pass e.g. --input '{\"region\": \"us-west-2\"}'".into(),
    })?;
    let text = std::str::from_utf8(&payload.data).map_err(|_| InvalidRequest { field: "input".into(), message: "input is not UTF-8 JSON".into() })?;
    let request = ScanRequest::from_json(text)?;
    if request.s3_report_uri.is_some() && !ctx.is_replaying() {
        tracing::info!("s3_report_uri is accepted for compatibility and ignored; see README (reports)");
    }
    request.validate(now)
}
