//! The approval-round-trip activities: `send-approval-email`, `delete-versions` and
//! `send-completion-email`. Names are pinned in `snapstart_proto::names`.
//!
//! Retries never repeat work already done: each activity records its progress in heartbeat
//! details (channels delivered; versions processed), which the next attempt reads back.

use std::sync::Arc;

use chrono::{DateTime, SecondsFormat, Utc};
use snapstart_aws::factory::AwsFactory;
use snapstart_deletion as deletion;
use snapstart_notifications::{
    emails::{approval_email, completion_email, ApprovalEmail, CompletionEmail},
    Channel, Message,
};
use snapstart_proto::{
    links::{Claims, Decision, LinkSecret},
    names,
    pack::{pack, unpack},
    status::DecisionRecord,
    v1::{
        ApprovalEmailRequest, CandidateList, CompletionEmailRequest, DeleteProgress, DeleteRequest, DeleteResponse, DeletionResult,
        DeletionResultList, NotifyResponse,
    },
};
use temporalio_common::error::ApplicationFailure;
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};

use crate::payload::{fit, Typed};

/// Worker-side settings of the approval round trip.
pub struct CleanupConfig {
    pub secret: LinkSecret,
    pub resolver_public_url: String,
    pub ui_url: String,
    pub namespace: String,
    /// The worker's DELETE_DRY_RUN (default true). A run can add a dry run, never remove one.
    pub delete_dry_run: bool,
    pub channels: Vec<Arc<dyn Channel>>,
    /// The largest result an activity may return (see [`crate::payload::fit`]).
    pub payload_limit: usize,
    /// The worker's ARCHIVE_URI and ARCHIVE_KMS_KEY_ID: where a run without its own archive
    /// location archives versions before deleting them (empty: nowhere).
    pub archive_uri: String,
    pub archive_kms_key_id: String,
}

/// Activities hold their dependencies.
pub struct CleanupActivities {
    aws: Arc<AwsFactory>,
    config: CleanupConfig,
}

impl CleanupActivities {
    pub fn new(aws: Arc<AwsFactory>, config: CleanupConfig) -> Self {
        Self { aws, config }
    }

    fn ui_link(&self, workflow_id: &str, run_id: &str) -> String {
        format!("{}/namespaces/{}/workflows/{workflow_id}/{run_id}/history", self.config.ui_url.trim_end_matches('/'), self.config.namespace)
    }

    /// Sends `message` on every channel not already delivered by an earlier attempt.
    async fn deliver(&self, ctx: &ActivityContext, message: &Message) -> Result<Vec<String>, ActivityError> {
        let mut delivered: Vec<String> = ctx.heartbeat_details().deserialize::<Vec<String>>().ok().flatten().unwrap_or_default();
        for channel in &self.config.channels {
            if delivered.iter().any(|d| d == channel.name()) {
                tracing::info!(channel = channel.name(), "already delivered by an earlier attempt; not sending again");
                continue;
            }
            if let Err(e) = channel.send(message).await {
                crate::metrics::notification(channel.name(), "failed");
                return Err(ActivityError::from(anyhow::anyhow!("{}: {e}", channel.name())));
            }
            crate::metrics::notification(channel.name(), "delivered");
            delivered.push(channel.name().to_string());
            let _ = ctx.record_heartbeat(delivered.clone()).await;
        }
        Ok(delivered)
    }
}

/// Heartbeats progress (`done/total`, counts by outcome, for the Temporal UI) and the results
/// so far, at most every [`PROGRESS_EVERY`] (the SDK throttles sending anyway; packing 10,000
/// results per version would be quadratic). A retried attempt reads the results back and skips
/// those versions; versions deleted after the last heartbeat are found gone.
struct HeartbeatProgress<'a> {
    ctx: &'a ActivityContext,
    last: Option<std::time::Instant>,
}

const PROGRESS_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

impl HeartbeatProgress<'_> {
    async fn flush(&mut self, done: &[DeletionResult], total: usize) {
        let _ = self.ctx.record_heartbeat(Typed(progress_of(done, total))).await;
        self.last = Some(std::time::Instant::now());
    }
}

/// The heartbeat for `done` of `total` versions.
pub fn progress_of(done: &[DeletionResult], total: usize) -> DeleteProgress {
    let mut outcomes = std::collections::BTreeMap::new();
    for r in done {
        *outcomes.entry(r.outcome.clone()).or_default() += 1;
    }
    let results = snapstart_proto::pack::pack_list(|results| DeletionResultList { results }, done);
    DeleteProgress { done: done.len() as u32, total: total as u32, outcomes, results: Some(results) }
}

impl deletion::Progress for HeartbeatProgress<'_> {
    async fn record(&mut self, done: &[DeletionResult], total: usize) {
        if self.last.is_none_or(|t| t.elapsed() >= PROGRESS_EVERY) {
            self.flush(done, total).await;
        }
    }
}

/// Where a run archives versions: its own `archive_uri` (with its KMS key, else the worker's),
/// else the worker's ARCHIVE_URI and ARCHIVE_KMS_KEY_ID.
pub fn archive_of(settings: &snapstart_proto::v1::ScanSettings, config: &CleanupConfig) -> (String, String) {
    let kms = |own: &str| if own.is_empty() { config.archive_kms_key_id.clone() } else { own.to_string() };
    match settings.archive_uri.is_empty() {
        false => (settings.archive_uri.clone(), kms(&settings.archive_kms_key_id)),
        true if config.archive_uri.is_empty() => (String::new(), String::new()),
        true => (config.archive_uri.clone(), kms(&settings.archive_kms_key_id)),
    }
}

fn bad_input(e: impl std::fmt::Display) -> ActivityError {
    ActivityError::application(ApplicationFailure::non_retryable(format!("{e}")))
}

fn iso(unix: i64) -> String {
    DateTime::<Utc>::from_timestamp(unix, 0).unwrap_or_default().to_rfc3339_opts(SecondsFormat::Secs, true)
}

impl CleanupActivities {
    /// Writes the run's outcome (status, decision, every deletion result) next to its report as
    /// `<prefix><workflow id>/<run id>.deletions.json` when the run has an `s3_report_uri`; returns where.
    /// A write that keeps failing fails the activity: the audit trail was asked for.
    async fn write_deletions(&self, req: &CompletionEmailRequest, results: &DeletionResultList, decision: Option<&DecisionRecord>) -> Result<String, ActivityError> {
        let Some((bucket, prefix)) = snapstart_proto::request::s3_location(&req.s3_report_uri) else { return Ok(String::new()) };
        let region = req.summary.as_ref().and_then(|s| s.settings.as_ref()).map(|s| s.region.clone()).unwrap_or_default();
        let body = serde_json::json!({
            "workflow_id": req.workflow_id, "run_id": req.run_id, "status": req.status, "dry_run": req.dry_run,
            "decision": decision, "deletion_results": results.results,
        });
        let key = snapstart_aws::s3::report_key(prefix, &req.workflow_id, &req.run_id, ".deletions.json");
        let store = self.aws.report_store(&region).await;
        store
            .put(bucket, &key, serde_json::to_vec_pretty(&body).map_err(bad_input)?, "application/json")
            .await
            .map_err(|e| ActivityError::from(anyhow::anyhow!("writing the deletion results to {}: {e}", req.s3_report_uri)))
    }
}

#[activities]
impl CleanupActivities {
    /// Mints the signed links and sends the approval request.
    #[activity(name = names::ACTIVITY_SEND_APPROVAL_EMAIL)]
    pub async fn send_approval_email(self: Arc<Self>, ctx: ActivityContext, input: Typed<ApprovalEmailRequest>) -> Result<Typed<NotifyResponse>, ActivityError> {
        let req = input.0;
        let candidates: CandidateList = unpack(&req.candidates.clone().unwrap_or_default()).map_err(bad_input)?;
        let link = |decision: Decision| {
            let token = self.config.secret.sign(&Claims {
                workflow_id: req.workflow_id.clone(),
                run_id: req.run_id.clone(),
                decision,
                expires_unix: req.deadline_unix,
            });
            format!("{}/{}?token={token}", self.config.resolver_public_url.trim_end_matches('/'), decision.as_str())
        };
        let dry_run = req.dry_run_requested || self.config.delete_dry_run;
        let summary = req.summary.clone().unwrap_or_default();
        let (archive_uri, archive_kms_key_id) = archive_of(&summary.settings.clone().unwrap_or_default(), &self.config);
        let message = approval_email(&ApprovalEmail {
            workflow_id: &req.workflow_id,
            run_id: &req.run_id,
            summary: &summary,
            candidates: &candidates.rows,
            approve_url: &link(Decision::Approve),
            reject_url: &link(Decision::Reject),
            deadline: &iso(req.deadline_unix),
            dry_run,
            ui_url: &self.ui_link(&req.workflow_id, &req.run_id),
            report_location: &req.report_location,
            archive_uri: &archive_uri,
        });
        let delivered = self.deliver(&ctx, &message).await?;
        tracing::info!(workflow_id = %req.workflow_id, ?delivered, %archive_uri, "approval request sent");
        fit(names::ACTIVITY_SEND_APPROVAL_EMAIL, NotifyResponse { delivered, dry_run, archive_uri, archive_kms_key_id }, self.config.payload_limit)
    }

    /// Re-checks and deletes (or, in a dry run, reports) each approved version.
    #[activity(name = names::ACTIVITY_DELETE_VERSIONS)]
    pub async fn delete_versions(self: Arc<Self>, ctx: ActivityContext, input: Typed<DeleteRequest>) -> Result<Typed<DeleteResponse>, ActivityError> {
        let req = input.0;
        let approved: CandidateList = unpack(&req.approved.clone().unwrap_or_default()).map_err(bad_input)?;
        let dry_run = req.dry_run || self.config.delete_dry_run;
        // An earlier attempt's progress; anything unreadable counts as none (the resumed listing
        // below still keeps a version from being deleted twice).
        let mut done: DeletionResultList = ctx
            .heartbeat_details()
            .deserialize::<Typed<DeleteProgress>>()
            .ok()
            .flatten()
            .and_then(|p| unpack(&p.0.results.unwrap_or_default()).ok())
            .unwrap_or_default();
        let resumed = ctx.info().attempt > 1 || !done.results.is_empty();
        if resumed {
            tracing::info!(already = done.results.len(), total = approved.rows.len(), "resuming deletion after an earlier attempt");
        }
        let total = approved.rows.len();
        let mut progress = HeartbeatProgress { ctx: &ctx, last: None };
        let archive_scope = match req.archive_uri.as_str() {
            "" => None,
            uri => Some(snapstart_proto::request::s3_location(uri).ok_or_else(|| bad_input(format!("archive_uri {uri:?} is not an S3 location")))?),
        };
        let workflow_id = ctx.info().workflow_id.clone().unwrap_or_default();
        let run_id = ctx.info().workflow_run_id.clone().unwrap_or_default();
        let scope = deletion::Scope {
            default_region: &req.region,
            roles: &req.assume_role_arns,
            external_id: &req.external_id,
            since: DateTime::from_timestamp(req.scan_now_unix, 0).unwrap_or_default(),
            dry_run,
            resumed,
            function_level: req.function_level_fallback.parse().unwrap_or_default(),
            archive: archive_scope.as_ref().map(|(bucket, prefix)| deletion::ArchiveScope {
                bucket,
                prefix,
                kms_key_id: &req.archive_kms_key_id,
                workflow_id: &workflow_id,
                run_id: &run_id,
            }),
        };
        let before = done.results.len();
        deletion::run_everywhere(&self.aws, &scope, &approved.rows, &mut done.results, &mut progress).await;
        let mut outcomes: std::collections::BTreeMap<&str, usize> = Default::default();
        for r in &done.results[before..] {
            *outcomes.entry(r.outcome.as_str()).or_default() += 1;
        }
        for (outcome, n) in outcomes {
            crate::metrics::deletions(outcome, n);
        }
        progress.flush(&done.results, total).await;
        fit(names::ACTIVITY_DELETE_VERSIONS, DeleteResponse { results: Some(pack(&done)), dry_run }, self.config.payload_limit)
    }

    /// Sends the summary for every outcome.
    #[activity(name = names::ACTIVITY_SEND_COMPLETION_EMAIL)]
    pub async fn send_completion_email(self: Arc<Self>, ctx: ActivityContext, input: Typed<CompletionEmailRequest>) -> Result<Typed<NotifyResponse>, ActivityError> {
        let req = input.0;
        let results: DeletionResultList = match &req.results {
            Some(p) => unpack(p).map_err(bad_input)?,
            None => DeletionResultList::default(),
        };
        let decision: Option<DecisionRecord> = (!req.decision_json.is_empty()).then(|| serde_json::from_str(&req.decision_json)).transpose().map_err(bad_input)?;
        let summary = req.summary.clone().unwrap_or_default();
        let deletions_location = self.write_deletions(&req, &results, decision.as_ref()).await?;
        let message = completion_email(&CompletionEmail {
            status: &req.status,
            workflow_id: &req.workflow_id,
            run_id: &req.run_id,
            summary: &summary,
            results: &results.results,
            dry_run: req.dry_run,
            decision: decision.as_ref(),
            ui_url: &self.ui_link(&req.workflow_id, &req.run_id),
            report_location: &deletions_location,
            archive_uri: &req.archive_uri,
        });
        let delivered = self.deliver(&ctx, &message).await?;
        crate::metrics::run_finished(&req.status);
        fit(names::ACTIVITY_SEND_COMPLETION_EMAIL, NotifyResponse { delivered, dry_run: req.dry_run, ..Default::default() }, self.config.payload_limit)
    }
}
