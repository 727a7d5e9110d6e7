//! Phase `delete-versions`: for each approved candidate, re-check that nothing changed since the
//! scan (aliases, event source mappings, invocations), then delete it by number — or, in a dry
//! run, say what would have been deleted. Any doubt skips the version.

use chrono::{DateTime, Utc};
use snapstart_proto::v1::{DeletionResult, ReportRow};

use crate::{
    aws::{Deleted, EventSourceMapping, InvocationMetrics, LambdaDelete, LambdaRead, SeriesQuery, Window},
    scan::stage_b::parse_function_arn,
};

/// Result outcomes, as named in the workflow result.
pub mod outcome {
    pub const DELETED: &str = "deleted";
    pub const DRY_RUN: &str = "dry_run_would_delete";
    pub const ALREADY_DELETED: &str = "already_deleted";
    pub const IN_USE: &str = "skipped_in_use";
    pub const CHANGED: &str = "skipped_changed_since_scan";
    pub const ERROR: &str = "error";
}

/// What deletion needs from AWS.
pub struct DeleteDeps<'a> {
    pub lambda: &'a dyn LambdaRead,
    pub deleter: &'a dyn LambdaDelete,
    pub metrics: &'a dyn InvocationMetrics,
    /// The region's mappings, listed once per attempt (Err: the listing failed).
    pub mappings: &'a Result<Vec<EventSourceMapping>, String>,
    pub since: DateTime<Utc>,
    pub period_seconds: u32,
}

fn result(row: &ReportRow, outcome: &str, message: impl Into<String>) -> DeletionResult {
    DeletionResult { function_name: row.function_name.clone(), version: row.version.clone(), outcome: outcome.into(), message: message.into() }
}

/// Why the version may no longer be deleted, if anything changed (or could not be checked).
pub async fn changed_since_scan(deps: &DeleteDeps<'_>, row: &ReportRow) -> Option<String> {
    let (f, v) = (row.function_name.as_str(), row.version.as_str());
    let aliases = match deps.lambda.list_aliases(f).await {
        Ok(a) => a,
        Err(e) => return Some(format!("could not re-check aliases (fail closed): {e}")),
    };
    if let Some(a) = aliases.iter().find(|a| a.function_version == v || a.weighted_versions.iter().any(|w| w == v)) {
        return Some(format!("alias {} now routes to it", a.name));
    }
    match deps.mappings {
        Err(e) => return Some(format!("could not re-check event source mappings (fail closed): {e}")),
        Ok(m) => {
            if let Some(m) = m.iter().find(|m| parse_function_arn(&m.function_arn) == Some((f, Some(v)))) {
                return Some(format!("event source mapping {} now targets it", m.uuid));
            }
        }
    }
    let mut queries = vec![SeriesQuery { id: "v".into(), dimensions: vec![("FunctionName".into(), f.into()), ("Resource".into(), format!("{f}:{v}"))] }];
    for (i, a) in aliases.iter().enumerate() {
        queries.push(SeriesQuery {
            id: format!("a{i}"),
            dimensions: vec![("FunctionName".into(), f.into()), ("Resource".into(), format!("{f}:{}", a.name)), ("ExecutedVersion".into(), v.into())],
        });
    }
    // CloudWatch refuses an empty window; a delete can follow its scan within the same second.
    let period = deps.period_seconds.max(60);
    let end = Utc::now().max(deps.since + chrono::Duration::seconds(i64::from(period)));
    let window = Window { start: deps.since, end, period_seconds: period };
    match deps.metrics.invocations(&queries, window).await {
        Err(e) => Some(format!("could not re-check invocations (fail closed): {e}")),
        Ok(series) => series.iter().find_map(|s| match &s.error {
            Some(e) => Some(format!("could not re-check invocations (fail closed): {e}")),
            None => s.values.iter().any(|v| *v > 0.0).then(|| "invoked since the scan".to_string()),
        }),
    }
}

/// Re-checks and (unless `dry_run`) deletes one approved version.
pub async fn process(deps: &DeleteDeps<'_>, row: &ReportRow, dry_run: bool) -> DeletionResult {
    if let Some(reason) = changed_since_scan(deps, row).await {
        return result(row, outcome::CHANGED, reason);
    }
    if dry_run {
        return result(row, outcome::DRY_RUN, "dry run: not deleted");
    }
    match deps.deleter.delete_version(&row.function_name, &row.version).await {
        Ok(Deleted::Deleted) => result(row, outcome::DELETED, ""),
        Ok(Deleted::AlreadyGone) => result(row, outcome::ALREADY_DELETED, "ResourceNotFoundException"),
        Ok(Deleted::InUse(m)) => result(row, outcome::IN_USE, m),
        Err(e) => result(row, outcome::ERROR, e.to_string()),
    }
}
