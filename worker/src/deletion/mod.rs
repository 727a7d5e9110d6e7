//! Phase `delete-versions`: re-check every approved candidate against what AWS says now, then
//! delete it by number — or, in a dry run, say what would have been deleted. Any doubt skips
//! the version.
//!
//! Work goes function by function, in batches whose invocation queries fit one GetMetricData
//! call (500). For each batch: one ListAliases per function, then one GetMetricData for every
//! version of the batch (its own series and one ExecutedVersion series per alias). Just before
//! a function's versions are deleted, the region's event source mappings are listed afresh
//! unless the last listing is under [`MAPPINGS_MAX_AGE`] old. A retried attempt first lists the
//! function's versions, so a version an earlier attempt deleted is recorded `already_deleted`
//! without another DeleteFunction call.

mod recheck;

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use snapstart_proto::v1::{DeletionResult, ReportRow};

use crate::aws::{Deleted, InvocationMetrics, LambdaDelete, LambdaRead};
pub use recheck::{batches, MappingsView, MAPPINGS_MAX_AGE};

/// Result outcomes, as named in the workflow result.
pub mod outcome {
    pub const DELETED: &str = "deleted";
    pub const DRY_RUN: &str = "dry_run_would_delete";
    pub const ALREADY_DELETED: &str = "already_deleted";
    pub const IN_USE: &str = "skipped_in_use";
    /// A Lambda@Edge replica: CloudFront must remove its replicas first.
    pub const REPLICATED: &str = "skipped_replicated";
    pub const CHANGED: &str = "skipped_changed_since_scan";
    pub const ERROR: &str = "error";
}

/// What deletion needs from AWS, and how to run.
pub struct DeleteDeps<'a> {
    pub lambda: &'a dyn LambdaRead,
    pub deleter: &'a dyn LambdaDelete,
    pub metrics: &'a dyn InvocationMetrics,
    /// The scan's time: invocations after it mean the version is in use again.
    pub since: DateTime<Utc>,
    pub dry_run: bool,
    /// An earlier attempt may have deleted versions it never reported.
    pub resumed: bool,
}

/// How often progress is recorded again while a batch's evidence is gathered.
const KEEP_ALIVE: std::time::Duration = std::time::Duration::from_secs(5);

/// Called after every version with all results so far (the activity heartbeats them).
pub trait Progress {
    /// Records the results so far; `total` is the number of approved versions.
    fn record(&mut self, done: &[DeletionResult], total: usize) -> impl std::future::Future<Output = ()> + Send;
}

fn result(row: &ReportRow, outcome: &str, message: impl Into<String>) -> DeletionResult {
    DeletionResult { function_name: row.function_name.clone(), version: row.version.clone(), outcome: outcome.into(), message: message.into() }
}

/// Processes every approved row not already in `done`, appending one result per version.
pub async fn run(deps: &DeleteDeps<'_>, approved: &[ReportRow], done: &mut Vec<DeletionResult>, progress: &mut impl Progress) {
    let finished: HashSet<(&str, &str)> = done.iter().map(|r| (r.function_name.as_str(), r.version.as_str())).collect();
    let pending: Vec<&ReportRow> = approved.iter().filter(|r| !finished.contains(&(r.function_name.as_str(), r.version.as_str()))).collect();
    let mut mappings = MappingsView::new(MAPPINGS_MAX_AGE);
    for batch in batches(&pending) {
        let evidence = {
            // Gathering a batch can take longer than the heartbeat timeout at the default
            // budgets (a GetPolicy per version at 10/s), so heartbeat what is done meanwhile.
            let gather = recheck::Evidence::gather(deps, &batch);
            tokio::pin!(gather);
            loop {
                tokio::select! {
                    evidence = &mut gather => break evidence,
                    _ = tokio::time::sleep(KEEP_ALIVE) => progress.record(done, approved.len()).await,
                }
            }
        };
        for function in &batch.functions {
            let gone = match deps.resumed {
                true => Some(deps.lambda.list_published_versions(&function.name).await),
                false => None,
            };
            for row in &function.rows {
                let outcome = match &gone {
                    Some(Ok(existing)) if !existing.contains(&row.version) => result(row, outcome::ALREADY_DELETED, "gone before this attempt (deleted by an earlier attempt or by someone else)"),
                    Some(Err(e)) => result(row, outcome::CHANGED, format!("could not list versions to resume (fail closed): {e}")),
                    _ => process(deps, &evidence, &mut mappings, row).await,
                };
                tracing::info!(function = %row.function_name, version = %row.version, outcome = %outcome.outcome, "{}/{}", done.len() + 1, approved.len());
                done.push(outcome);
                progress.record(done, approved.len()).await;
            }
        }
    }
}

/// Re-checks and (unless a dry run) deletes one approved version.
async fn process(deps: &DeleteDeps<'_>, evidence: &recheck::Evidence, mappings: &mut MappingsView, row: &ReportRow) -> DeletionResult {
    if let Some(reason) = evidence.changed(row) {
        return result(row, outcome::CHANGED, reason);
    }
    if let Some(reason) = mappings.targeting(deps.lambda, row).await {
        return result(row, outcome::CHANGED, reason);
    }
    if deps.dry_run {
        return result(row, outcome::DRY_RUN, "dry run: not deleted");
    }
    match deps.deleter.delete_version(&row.function_name, &row.version).await {
        Ok(Deleted::Deleted) => result(row, outcome::DELETED, ""),
        Ok(Deleted::AlreadyGone) => result(row, outcome::ALREADY_DELETED, "ResourceNotFoundException"),
        Ok(Deleted::InUse(m)) => result(row, outcome::IN_USE, m),
        Ok(Deleted::Replicated(m)) => result(row, outcome::REPLICATED, m),
        Err(e) => result(row, outcome::ERROR, e.to_string()),
    }
}
