//! The `SnapStartCleanup` workflow: a short, deterministic script of activities. Rules live in
//! the activities (and the pure `snapstart-rules` crate); the decision bookkeeping lives in
//! `decision.rs`.

use std::time::{Duration, UNIX_EPOCH};

use snapstart_proto::{
    names,
    pack::{pack, unpack},
    status::{CandidatePage, DecisionRecord, FunctionPage, RunStatus, PHASE_AWAITING_APPROVAL},
    v1::{
        ApprovalEmailRequest, BuildReportOutput, CandidateList, CleanupResult, CompletionEmailRequest, DeleteRequest,
        DeletionResultList, PackedScan, PhaseOutput, ReportRow, ReportSummary, ScanRequest, ScanSettings, ScanState,
    },
    InvalidRequest,
};
use temporalio_common::{
    data_converters::RawValue,
    error::ApplicationFailure,
    RetryPolicy,
};
use temporalio_macros::{workflow, workflow_methods};
use temporalio_sdk::{ActivityOptions, SyncWorkflowContext, WorkflowContext, WorkflowContextView, WorkflowResult};

use crate::{
    payload::{Packed, Typed},
    activities::ScanActivities,
    cleanup_activities::CleanupActivities,
    decision::{self, result_of},
    search_attributes,
};

/// Scans a region for unused SnapStart versions, asks a human, and deletes what was approved.
#[workflow]
#[derive(Default)]
pub struct SnapStartCleanup {
    /// What the `status` query shows (small: candidates are cut to a preview).
    status: RunStatus,
    /// Every candidate, in report order, packed (a `CandidateList`): a run holds it for days,
    /// so it stays a small compressed buffer and is unpacked only while a query, a decision or
    /// the deletion reads it. Indexes into this list name candidates in selections.
    candidates: PackedScan,
    /// Indexes of the approved candidates, once a decision approved some.
    approved: Vec<u32>,
    /// Whether a decision at or after the deadline is refused (`late`): set, with its patch
    /// marker, when the wait begins; runs without the marker counted it.
    refuse_late: bool,
}

/// Retries for AWS-bound phases; invalid data and oversized payloads are never retried.
fn activity_options(start_to_close: Duration) -> ActivityOptions {
    activity_options_beating(start_to_close, Duration::from_secs(30))
}

/// The scan phases heartbeat every 5 s from a background loop, so a dead worker is noticed
/// within 10 s (and the SDK sends their progress at least every 8 s).
const SCAN_HEARTBEAT: Duration = Duration::from_secs(10);

fn activity_options_beating(start_to_close: Duration, heartbeat: Duration) -> ActivityOptions {
    ActivityOptions::with_start_to_close_timeout(start_to_close)
        .heartbeat_timeout(heartbeat)
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

fn now_unix(view: Option<std::time::SystemTime>) -> i64 {
    view.and_then(|t| t.duration_since(UNIX_EPOCH).ok()).map(|d| d.as_secs() as i64).unwrap_or(0)
}

#[workflow_methods]
impl SnapStartCleanup {
    /// The script: validate, scan, ask, wait, delete, report.
    #[run(name = names::WORKFLOW_TYPE)]
    pub async fn run(ctx: &mut WorkflowContext<Self>, input: RawValue) -> WorkflowResult<CleanupResult> {
        let settings = match parse_input(ctx, &input) {
            Ok(s) => s,
            Err(e) => {
                Self::tag(ctx, vec![search_attributes::OUTCOME.value_set("invalid_input".to_string())]);
                ctx.state_mut(|s| s.status.phase = "invalid_input".into());
                let failure = ApplicationFailure::builder(e.to_string()).type_name(names::ERROR_INVALID_INPUT.to_string()).non_retryable(true);
                return Err(failure.build().into());
            }
        };
        Self::tag(ctx, vec![search_attributes::REGIONS.value_set(settings.scan_regions()), search_attributes::DRY_RUN.value_set(settings.dry_run_requested)]);
        let Some(built) = Self::scan(ctx, settings.clone()).await? else {
            Self::tag(ctx, vec![search_attributes::OUTCOME.value_set(SKIPPED_OVERLAP.to_string())]);
            ctx.state_mut(|s| s.status.phase = SKIPPED_OVERLAP.into());
            return Ok(CleanupResult { status: SKIPPED_OVERLAP.into(), workflow_id: ctx.workflow_id().to_string(), ..Default::default() });
        };
        let BuildReportOutput { preview, candidates: packed, .. } = built;
        let preview = preview.unwrap_or_default();
        let (summary, report_location) = (preview.summary.unwrap_or_default(), preview.report_path);
        let packed = packed.unwrap_or_default();
        let candidates: CandidateList = unpack(&packed).map_err(|e| ApplicationFailure::non_retryable(e.to_string()))?;
        ctx.state_mut(|s| {
            s.status.summary = Some(summary.clone());
            s.status.candidates = crate::candidates::preview(&candidates.rows);
            s.status.candidates_total = candidates.rows.len() as u32;
            s.status.candidates_digest = crate::candidates::digest(&candidates.rows);
            s.status.dry_run = settings.dry_run_requested;
            s.candidates = packed.clone();
        });
        drop(candidates);
        Self::tag(ctx, vec![search_attributes::CANDIDATES.value_set(i64::from(ctx.state(|s| s.status.candidates_total)))]);
        if ctx.state(|s| s.status.candidates_total == 0) {
            return Self::finish(ctx, "no_candidates", &summary, DeletionResultList::default()).await;
        }
        let deadline_unix = Self::ask(ctx, &settings, &summary, packed, &report_location).await?;
        let wait = Self::wait_seconds(ctx, &settings, deadline_unix);
        let refuse_late = ctx.patched(names::PATCH_REFUSE_LATE);
        ctx.state_mut(|s| s.refuse_late = refuse_late);
        let Some(decision) = Self::wait_for_decision(ctx, wait).await else {
            return Self::finish(ctx, "timed_out", &summary, DeletionResultList::default()).await;
        };
        if !decision.approved {
            return Self::finish(ctx, "rejected", &summary, DeletionResultList::default()).await;
        }
        let results = Self::delete(ctx, &settings).await?;
        Self::finish(ctx, "done", &summary, results).await
    }

    /// The run's phase, counts, deadline, decision and the first candidates (small at any scale).
    #[query(name = names::QUERY_STATUS)]
    pub fn status(&self, _ctx: &WorkflowContextView) -> RunStatus {
        self.status.clone()
    }

    /// A page of candidates (`{"offset", "limit", "function"}`, all optional; a bad input is the
    /// first page).
    #[query(name = names::QUERY_CANDIDATES)]
    pub fn candidates(&self, _ctx: &WorkflowContextView, input: RawValue) -> CandidatePage {
        crate::candidates::page(&self.rows(), &query_input(&input))
    }

    /// A page of the functions that have candidates (`{"offset", "limit"}`).
    #[query(name = names::QUERY_FUNCTIONS)]
    pub fn functions(&self, _ctx: &WorkflowContextView, input: RawValue) -> FunctionPage {
        crate::candidates::function_page(&self.rows(), &query_input(&input))
    }

    /// The approver's decision (the original's callback payload). Malformed, early or late
    /// decisions (at or after the links' deadline, even before the timer fires) are recorded in
    /// `ignored_decisions` and change nothing; the raw payload type means no input can wedge the run.
    #[signal(name = names::SIGNAL_APPROVAL)]
    pub fn approval(&mut self, ctx: &mut SyncWorkflowContext<Self>, input: RawValue) {
        let now = now_unix(ctx.workflow_time());
        let rows = self.rows();
        match decision::apply(&mut self.status, &rows, decision::parse_raw(&input), now, self.refuse_late) {
            Ok((_, approved)) => self.approved = approved,
            Err(reason) => decision::ignore(&mut self.status, reason, now),
        }
    }

    /// Rejects a decision that would not count, before it reaches history.
    #[update_validator(decide)]
    fn validate_decide(&self, _ctx: &WorkflowContextView, input: &RawValue) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        decision::check(&self.status, &self.rows(), &decision::parse_raw(input)).map(|_| ()).map_err(Into::into)
    }

    /// The resolver's way to decide: the answer says, atomically, what was recorded; a decision
    /// that does not count fails the update (with a `rejection` prefix) and records nothing.
    #[update(name = names::UPDATE_DECIDE)]
    pub fn decide(&mut self, ctx: &mut SyncWorkflowContext<Self>, input: RawValue) -> Result<DecisionRecord, Box<dyn std::error::Error + Send + Sync>> {
        let now = now_unix(ctx.workflow_time());
        let rows = self.rows();
        let (record, approved) = decision::apply(&mut self.status, &rows, decision::parse_raw(&input), now, self.refuse_late)?;
        self.approved = approved;
        Ok(record)
    }
}

impl SnapStartCleanup {
    /// Every candidate, unpacked. The list was unpacked once when the scan ended (a corrupt one
    /// stopped the run there), so this cannot fail; if it ever did, no row would be selectable
    /// and nothing could be deleted.
    fn rows(&self) -> Vec<ReportRow> {
        unpack::<CandidateList>(&self.candidates).map(|l| l.rows).unwrap_or_default()
    }

    /// The approved candidates, packed for the deletion. When every candidate is approved, in
    /// order (approve-all), that is the list as kept, never unpacked; otherwise the rows at the
    /// approved indexes.
    fn approved_packed(&self) -> PackedScan {
        let every = self.approved.len() == self.status.candidates_total as usize && self.approved.iter().enumerate().all(|(i, a)| *a as usize == i);
        match every {
            true => self.candidates.clone(),
            false => pack(&CandidateList { rows: decision::rows_at(&self.rows(), &self.approved) }),
        }
    }

    /// Sets search attributes, if this run does (see `search_attributes`): a run started on a
    /// worker that found them registered records the `search-attributes` marker; a replay
    /// follows the history.
    fn tag(ctx: &mut WorkflowContext<Self>, updates: Vec<temporalio_common::search_attributes::SearchAttributeUpdate>) {
        let tags = match ctx.is_replaying() {
            true => ctx.patched(names::PATCH_SEARCH_ATTRIBUTES),
            false => search_attributes::registered() && ctx.patched(names::PATCH_SEARCH_ATTRIBUTES),
        };
        if tags {
            ctx.upsert_search_attributes(updates);
        }
    }

    /// The scan phases and the report; `None` when a scheduled run found its scope busy.
    async fn scan(ctx: &mut WorkflowContext<Self>, settings: ScanSettings) -> WorkflowResult<Option<BuildReportOutput>> {
        let beating = |timeout| activity_options_beating(timeout, SCAN_HEARTBEAT);
        ctx.state_mut(|s| s.status.phase = names::ACTIVITY_DISCOVER.into());
        let out = match ctx.execute_activity(ScanActivities::discover, Typed(settings), beating(SHORT)).await {
            Ok(out) => out.0,
            // A scheduled run whose scope has an open manual run: it ends without scanning.
            Err(e) if failure_type(&e).as_deref() == Some(names::ERROR_SCOPE_BUSY) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        ctx.state_mut(|s| s.status.counts = out.counts);
        let out = Self::phase(ctx, names::ACTIVITY_STAGE_A, ScanActivities::stage_a, packed(out), activity_options(SHORT)).await?;
        // State and policies are per-version calls: read them last, for what is still in the
        // running. Runs started before this order read state first and keep doing so on replay.
        let out = if ctx.patched(names::PATCH_STATE_AFTER_USAGE) {
            let out = Self::phase(ctx, names::ACTIVITY_STAGE_B, ScanActivities::stage_b, packed(out), beating(LONG)).await?;
            Self::phase(ctx, names::ACTIVITY_CONFIRM_STATE, ScanActivities::confirm_state, packed(out), beating(LONG)).await?
        } else {
            let out = Self::phase(ctx, names::ACTIVITY_CONFIRM_STATE, ScanActivities::confirm_state, packed(out), beating(LONG)).await?;
            Self::phase(ctx, names::ACTIVITY_STAGE_B, ScanActivities::stage_b, packed(out), beating(LONG)).await?
        };
        ctx.state_mut(|s| s.status.phase = names::ACTIVITY_BUILD_REPORT.into());
        let built = ctx.execute_activity(ScanActivities::build_report, packed(out), activity_options(SHORT)).await?.0;
        ctx.state_mut(|s| s.status.counts = built.counts);
        Ok(Some(built))
    }

    async fn phase<A, I>(ctx: &mut WorkflowContext<Self>, label: &str, activity: A, input: I, options: ActivityOptions) -> WorkflowResult<PhaseOutput>
    where
        A: temporalio_common::ActivityDefinition<Output = Typed<PhaseOutput>>,
        I: Into<A::Input>,
    {
        ctx.state_mut(|s| s.status.phase = label.to_string());
        let out = ctx.execute_activity(activity, input, options).await?.0;
        ctx.state_mut(|s| s.status.counts = out.counts);
        Ok(out)
    }

    /// How long to wait for a decision. The links expire at the deadline set before the email
    /// went out, so the wait ends then too (runs started before this patch waited the full
    /// timeout after the email, and keep doing so on replay).
    fn wait_seconds(ctx: &WorkflowContext<Self>, settings: &ScanSettings, deadline_unix: i64) -> u64 {
        if ctx.patched(names::PATCH_ONE_DEADLINE) {
            u64::try_from(deadline_unix - now_unix(ctx.workflow_time())).unwrap_or(0).max(1)
        } else {
            settings.approval_timeout_seconds
        }
    }

    /// Sends the approval email; returns the deadline its links carry.
    async fn ask(ctx: &mut WorkflowContext<Self>, settings: &ScanSettings, summary: &ReportSummary, candidates: PackedScan, report_location: &str) -> WorkflowResult<i64> {
        let deadline_unix = now_unix(ctx.workflow_time()) + settings.approval_timeout_seconds as i64;
        ctx.state_mut(|s| s.status.phase = names::ACTIVITY_SEND_APPROVAL_EMAIL.into());
        let request = ApprovalEmailRequest {
            workflow_id: ctx.workflow_id().to_string(),
            run_id: ctx.run_id().to_string(),
            summary: Some(summary.clone()),
            candidates: Some(candidates),
            deadline_unix,
            dry_run_requested: settings.dry_run_requested,
            report_location: report_location.to_string(),
        };
        let sent = ctx.execute_activity(CleanupActivities::send_approval_email, Typed(request), activity_options(SHORT)).await?.0;
        ctx.state_mut(|s| {
            s.status.dry_run = sent.dry_run;
            s.status.archive_uri = sent.archive_uri;
            s.status.archive_kms_key_id = sent.archive_kms_key_id;
            s.status.deadline_unix = Some(deadline_unix);
            s.status.deadline = Some(decision::iso(deadline_unix));
            s.status.phase = PHASE_AWAITING_APPROVAL.into();
        });
        Ok(deadline_unix)
    }

    /// Waits for the first valid decision or the deadline; the timer is cancelled when a decision wins.
    async fn wait_for_decision(ctx: &mut WorkflowContext<Self>, timeout_seconds: u64) -> Option<DecisionRecord> {
        let timer = ctx.timer(Duration::from_secs(timeout_seconds));
        let decided = ctx.wait_condition(|s: &Self| s.status.decision.is_some());
        futures::pin_mut!(timer, decided);
        temporalio_sdk::workflows::select! {
            _ = timer.as_mut() => {}
            _ = decided.as_mut() => {}
        }
        let decision = ctx.state(|s| s.status.decision.clone());
        if decision.is_some() {
            use temporalio_sdk::CancellableFuture;
            timer.cancel();
        } else {
            ctx.state_mut(|s| s.status.phase = "timed_out".into());
        }
        decision
    }

    async fn delete(ctx: &mut WorkflowContext<Self>, settings: &ScanSettings) -> WorkflowResult<DeletionResultList> {
        let approved = ctx.state(Self::approved_packed);
        let (dry_run, archive_uri, archive_kms_key_id) = ctx.state(|s| (s.status.dry_run, s.status.archive_uri.clone(), s.status.archive_kms_key_id.clone()));
        ctx.state_mut(|s| s.status.phase = names::ACTIVITY_DELETE_VERSIONS.into());
        let request = DeleteRequest {
            region: settings.region.clone(),
            approved: Some(approved),
            scan_now_unix: settings.now_unix,
            dry_run,
            period_seconds: settings.period_seconds,
            assume_role_arns: settings.assume_role_arns.clone(),
            external_id: settings.external_id.clone(),
            function_level_fallback: settings.function_level_fallback.clone(),
            archive_uri,
            archive_kms_key_id,
        };
        let out = ctx.execute_activity(CleanupActivities::delete_versions, Typed(request), activity_options(LONG)).await?.0;
        ctx.state_mut(|s| s.status.dry_run = out.dry_run);
        Ok(unpack(&out.results.unwrap_or_default()).map_err(|e| ApplicationFailure::non_retryable(e.to_string()))?)
    }

    async fn finish(ctx: &mut WorkflowContext<Self>, status: &str, summary: &ReportSummary, results: DeletionResultList) -> WorkflowResult<CleanupResult> {
        ctx.state_mut(|s| s.status.phase = names::ACTIVITY_SEND_COMPLETION_EMAIL.into());
        let (decision, dry_run, archive_uri) = ctx.state(|s| (s.status.decision.clone(), s.status.dry_run, s.status.archive_uri.clone()));
        let request = CompletionEmailRequest {
            status: status.into(),
            workflow_id: ctx.workflow_id().to_string(),
            run_id: ctx.run_id().to_string(),
            summary: Some(summary.clone()),
            results: Some(pack(&results)),
            dry_run,
            decision_json: decision.as_ref().map(|d| serde_json::to_string(d).unwrap_or_default()).unwrap_or_default(),
            s3_report_uri: summary.settings.as_ref().map(|s| s.s3_report_uri.clone()).unwrap_or_default(),
            archive_uri,
        };
        ctx.execute_activity(CleanupActivities::send_completion_email, Typed(request), activity_options(SHORT)).await?;
        Self::tag(ctx, vec![search_attributes::OUTCOME.value_set(status.to_string()), search_attributes::DRY_RUN.value_set(dry_run)]);
        ctx.state_mut(|s| s.status.phase = status.into());
        Ok(result_of(status, summary, results.results, dry_run, decision.as_ref(), ctx.workflow_id()))
    }
}

/// How a scheduled run ends when a manual run of its scope is open: nothing scanned, nobody asked.
const SKIPPED_OVERLAP: &str = "skipped_overlap";

/// The application failure type an activity failed with, if any.
fn failure_type(e: &temporalio_common::error::ActivityExecutionError) -> Option<String> {
    use temporalio_common::protos::temporal::api::failure::v1::failure::FailureInfo;
    let mut failure = e.failure();
    while let Some(f) = failure {
        if let Some(FailureInfo::ApplicationFailureInfo(info)) = &f.failure_info {
            return Some(info.r#type.clone());
        }
        failure = f.cause.as_deref();
    }
    None
}

/// A query's JSON input; anything unreadable is the default (first page), never an error.
fn query_input<T: serde::de::DeserializeOwned + Default>(input: &RawValue) -> T {
    input.payloads.first().and_then(|p| serde_json::from_slice(&p.data).ok()).unwrap_or_default()
}

fn packed(out: PhaseOutput) -> Packed<ScanState> {
    Packed::new(out.scan.unwrap_or_default())
}

/// Reads the start input from the raw payload: any problem is an [`InvalidRequest`] naming the
/// field, never a workflow task failure (which would retry forever).
fn parse_input(ctx: &WorkflowContext<SnapStartCleanup>, input: &RawValue) -> Result<ScanSettings, InvalidRequest> {
    let payload = input.payloads.first().filter(|p| !p.data.is_empty()).ok_or_else(|| InvalidRequest {
        field: "input".into(),
        message: "no start input; pass e.g. --input '{\"region\": \"us-west-2\"}'".into(),
    })?;
    let text = std::str::from_utf8(&payload.data).map_err(|_| InvalidRequest { field: "input".into(), message: "input is not UTF-8 JSON".into() })?;
    let request = ScanRequest::from_json(text)?;
    request.validate(now_unix(ctx.workflow_time()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_with(functions: &[&str], approved: Vec<u32>) -> SnapStartCleanup {
        let rows: Vec<ReportRow> = functions.iter().map(|f| ReportRow { function_name: f.to_string(), version: "3".into(), ..Default::default() }).collect();
        let status = RunStatus { candidates_total: rows.len() as u32, ..Default::default() };
        SnapStartCleanup { status, candidates: pack(&CandidateList { rows }), approved, ..Default::default() }
    }

    fn names(packed: &PackedScan) -> Vec<String> {
        unpack::<CandidateList>(packed).unwrap().rows.into_iter().map(|r| r.function_name).collect()
    }

    #[test]
    fn approve_all_hands_over_every_candidate_in_order_and_a_selection_only_its_rows() {
        let all = run_with(&["a", "b", "c"], vec![0, 1, 2]);
        assert_eq!(all.approved_packed(), all.candidates, "approve-all: the list as kept");

        for (approved, want) in [(vec![2, 0], vec!["c", "a"]), (vec![0, 1], vec!["a", "b"]), (vec![1, 0, 2], vec!["b", "a", "c"]), (vec![], vec![])] {
            let run = run_with(&["a", "b", "c"], approved.clone());
            assert_eq!(names(&run.approved_packed()), want, "{approved:?}");
        }
    }

    #[test]
    fn the_rows_of_a_run_without_candidates_are_none() {
        assert!(SnapStartCleanup::default().rows().is_empty());
        assert_eq!(run_with(&["a", "b"], vec![]).rows().len(), 2);
    }
}
