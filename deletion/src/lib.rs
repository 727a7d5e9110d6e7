//! Phase `delete-versions`: re-check every approved candidate against what AWS says now, then
//! delete it by number — or, in a dry run, say what would have been deleted. Any doubt skips
//! the version.
//!
//! Work goes function by function, in batches whose invocation queries fit one GetMetricData
//! call (500). For each batch: one ListAliases per function, then one GetMetricData for every
//! version of the batch (its own series and one ExecutedVersion series per alias). Just before
//! a function's versions are deleted, the region's event source mappings are listed afresh
//! unless the last listing is under [`MAPPINGS_MAX_AGE`] old. Each function's versions are listed
//! before any of them is deleted, so a version that is gone (deleted by an earlier attempt or by
//! someone else) is recorded `already_deleted` without a DeleteFunction call: AWS answers
//! DeleteFunction on a missing version with 204, so its answer cannot say so.
//!
//! When the run has an archive location, each version that passed its re-check is archived
//! (`archive.rs`) before its DeleteFunction, and a version that could not be archived is not
//! deleted.

pub mod archive;
mod recheck;

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use snapstart_aws::{
    factory::{AwsFactory, Place},
    Deleted, InvocationMetrics, LambdaDelete, LambdaRead,
};
use snapstart_proto::v1::{DeletionResult, ReportRow};

pub use archive::ArchiveDeps;
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
    /// The version could not be archived, so it was not deleted.
    pub const ARCHIVE_FAILED: &str = "skipped_archive_failed";
    pub const ERROR: &str = "error";
}

/// The approved rows of one account and region.
pub struct PlaceRows<'a> {
    /// Empty for rows of runs that predate accounts (the worker's own credentials).
    pub account_id: String,
    pub region: String,
    pub rows: Vec<&'a ReportRow>,
}

/// Groups rows by account and region, in order of first appearance; a row without a region is
/// in `default_region` (runs that predate several regions).
pub fn places<'a>(rows: &'a [ReportRow], default_region: &str) -> Vec<PlaceRows<'a>> {
    let mut out: Vec<PlaceRows<'a>> = Vec::new();
    for row in rows {
        let region = if row.region.is_empty() { default_region } else { row.region.as_str() };
        match out.iter_mut().find(|g| g.account_id == row.account_id && g.region == region) {
            Some(g) => g.rows.push(row),
            None => out.push(PlaceRows { account_id: row.account_id.clone(), region: region.to_string(), rows: vec![row] }),
        }
    }
    out
}

/// Where a group's calls act: the role whose ARN names its account, else the worker's own
/// credentials. The caller confirms the credentials act on the group's account before any call.
pub fn place_for(group: &PlaceRows<'_>, roles: &[String], external_id: &str) -> Place {
    let role = roles.iter().find(|arn| !group.account_id.is_empty() && snapstart_proto::request::role_account(arn) == Some(group.account_id.as_str()));
    match role {
        Some(arn) => Place::role(&group.region, arn, external_id),
        None => Place::own(&group.region),
    }
}

/// Records every row of the group as an error, without a call: its account cannot be acted on.
pub fn fail_all(group: &PlaceRows<'_>, why: &str, done: &mut Vec<DeletionResult>) {
    tracing::error!(account_id = %group.account_id, region = %group.region, versions = group.rows.len(), "{why}");
    let finished: HashSet<_> = done.iter().map(|r| identity(&r.account_id, &r.region, &r.function_name, &r.version)).collect();
    let fresh: Vec<DeletionResult> = group
        .rows
        .iter()
        .filter(|r| !finished.contains(&identity(&r.account_id, &r.region, &r.function_name, &r.version)))
        .map(|r| result(r, outcome::ERROR, why))
        .collect();
    done.extend(fresh);
}

/// Where and how a whole deletion runs.
pub struct Scope<'a> {
    /// The region of rows that name none (runs that predate several regions).
    pub default_region: &'a str,
    /// The run's roles: a row in a role's account is deleted with that role's credentials.
    pub roles: &'a [String],
    pub external_id: &'a str,
    pub since: DateTime<Utc>,
    pub dry_run: bool,
    pub resumed: bool,
    pub function_level: snapstart_rules::FallbackMode,
    /// Where versions are archived before their deletion; `None`: not archived.
    pub archive: Option<ArchiveScope<'a>>,
}

/// A run's archive location, and the run its records name.
pub struct ArchiveScope<'a> {
    pub bucket: &'a str,
    pub prefix: &'a str,
    /// SSE-KMS key (empty: SSE-S3).
    pub kms_key_id: &'a str,
    pub workflow_id: &'a str,
    pub run_id: &'a str,
}

/// Deletes every approved row, account by account and region by region, each with the
/// credentials of its own account (confirmed with STS first: credentials that act on another
/// account delete nothing, and every row there is an `error`).
pub async fn run_everywhere(aws: &AwsFactory, scope: &Scope<'_>, approved: &[ReportRow], done: &mut Vec<DeletionResult>, progress: &mut impl Progress) {
    let total = approved.len();
    // The archive bucket is in the run's first region and written with the worker's own
    // credentials, whichever account a version is in.
    let archive_at = match &scope.archive {
        Some(a) => Some((a, aws.archive_store(scope.default_region, a.bucket, a.kms_key_id).await.0)),
        None => None,
    };
    for group in places(approved, scope.default_region) {
        let place = place_for(&group, scope.roles, scope.external_id);
        if let Err(why) = confirm_account(aws, &place, &group.account_id).await {
            fail_all(&group, &why, done);
            progress.record(done, total).await;
            continue;
        }
        let (readers, _) = aws.readers_at(&place, &group.account_id).await;
        let deleter = aws.deleter_at(&place, &group.account_id).await;
        let account_id = match (&archive_at, group.account_id.is_empty()) {
            // Rows of runs that predate accounts: the folder names the account acted on.
            (Some(_), true) => match aws.account_id(&place, &snapstart_aws::CallCounter::default()).await {
                Ok(account) => account,
                Err(e) => {
                    fail_all(&group, &format!("could not learn the account these versions are in, which their archive folder names (fail closed): {e}"), done);
                    progress.record(done, total).await;
                    continue;
                }
            },
            _ => group.account_id.clone(),
        };
        let archive = archive_at.as_ref().map(|(a, store)| ArchiveDeps {
            code: deleter.as_ref(),
            store,
            prefix: a.prefix,
            account_id: &account_id,
            region: &group.region,
            workflow_id: a.workflow_id,
            run_id: a.run_id,
        });
        let deps = DeleteDeps {
            lambda: readers.lambda.as_ref(),
            deleter: deleter.as_ref(),
            metrics: readers.metrics.as_ref(),
            since: scope.since,
            dry_run: scope.dry_run,
            resumed: scope.resumed,
            function_level: scope.function_level,
            mappings_max_age: MAPPINGS_MAX_AGE,
            archive,
        };
        rows_of(&deps, &group.rows, done, total, progress).await;
    }
}

/// Checks that `place`'s credentials act on `account_id` (STS GetCallerIdentity) before anything
/// there is deleted; rows of runs that predate accounts (empty) are not checked.
async fn confirm_account(aws: &AwsFactory, place: &Place, account_id: &str) -> Result<(), String> {
    if account_id.is_empty() {
        return Ok(());
    }
    match aws.account_id(place, &snapstart_aws::CallCounter::default()).await {
        Ok(actual) if actual == account_id => Ok(()),
        Ok(actual) => Err(format!("the credentials for account {account_id} act on account {actual}: nothing deleted there")),
        Err(e) => Err(format!("could not confirm the credentials for account {account_id} (fail closed): {e}")),
    }
}

/// What deletion needs from AWS, and how to run.
pub struct DeleteDeps<'a> {
    pub lambda: &'a dyn LambdaRead,
    pub deleter: &'a dyn LambdaDelete,
    pub metrics: &'a dyn InvocationMetrics,
    /// The scan's time: invocations after it mean the version is in use again.
    pub since: DateTime<Utc>,
    pub dry_run: bool,
    /// An earlier attempt may have deleted versions it never reported (says why a version is gone).
    pub resumed: bool,
    /// How the scan judged function-level traffic; the re-check judges traffic since the scan
    /// the same way.
    pub function_level: snapstart_rules::FallbackMode,
    /// How old a listing of the region's event source mappings may be when a version is
    /// re-checked ([`MAPPINGS_MAX_AGE`] in a real run).
    pub mappings_max_age: std::time::Duration,
    /// Where each version is archived before its deletion; `None`: it is not (and cannot be
    /// restored).
    pub archive: Option<ArchiveDeps<'a>>,
}

/// How often progress is recorded again while a batch's evidence is gathered.
const KEEP_ALIVE: std::time::Duration = std::time::Duration::from_secs(5);

/// Called after every version with all results so far (the activity heartbeats them).
pub trait Progress {
    /// Records the results so far; `total` is the number of approved versions.
    fn record(&mut self, done: &[DeletionResult], total: usize) -> impl std::future::Future<Output = ()> + Send;
}

/// The result of one approved row, naming its account and region.
pub fn result(row: &ReportRow, outcome: &str, message: impl Into<String>) -> DeletionResult {
    DeletionResult {
        function_name: row.function_name.clone(),
        version: row.version.clone(),
        outcome: outcome.into(),
        message: message.into(),
        account_id: row.account_id.clone(),
        region: row.region.clone(),
        archive_uri: String::new(),
    }
}

/// Account, region, function and version: what names one version across a run.
fn identity<'a>(account: &'a str, region: &'a str, function: &'a str, version: &'a str) -> (&'a str, &'a str, &'a str, &'a str) {
    (account, region, function, version)
}

/// Processes every approved row not already in `done`, appending one result per version.
/// `total` is the number of versions the whole deletion covers (progress shows done of total).
pub async fn run(deps: &DeleteDeps<'_>, approved: &[ReportRow], done: &mut Vec<DeletionResult>, total: usize, progress: &mut impl Progress) {
    let approved: Vec<&ReportRow> = approved.iter().collect();
    rows_of(deps, &approved, done, total, progress).await;
}

/// [`run`] over rows borrowed from wherever they are kept (never copied).
async fn rows_of(deps: &DeleteDeps<'_>, approved: &[&ReportRow], done: &mut Vec<DeletionResult>, total: usize, progress: &mut impl Progress) {
    let finished: HashSet<_> = done.iter().map(|r| identity(&r.account_id, &r.region, &r.function_name, &r.version)).collect();
    let pending: Vec<&ReportRow> =
        approved.iter().copied().filter(|r| !finished.contains(&identity(&r.account_id, &r.region, &r.function_name, &r.version))).collect();
    let mut mappings = MappingsView::new(deps.mappings_max_age);
    for batch in batches(&pending) {
        let evidence = {
            // Gathering a batch can take longer than the heartbeat timeout at the default
            // budgets (a GetPolicy per version at 10/s), so heartbeat what is done meanwhile.
            let gather = recheck::Evidence::gather(deps, &batch);
            tokio::pin!(gather);
            loop {
                tokio::select! {
                    evidence = &mut gather => break evidence,
                    _ = tokio::time::sleep(KEEP_ALIVE) => progress.record(done, total).await,
                }
            }
        };
        for function in &batch.functions {
            // AWS answers DeleteFunction on a missing version with 204 and GetPolicy cannot tell a
            // missing version from one without a policy (emulator/FIDELITY.md): whether a version
            // still exists comes from this listing.
            let existing = deps.lambda.list_published_versions(&function.name).await;
            for row in &function.rows {
                let outcome = match &existing {
                    // Only a version number can be gone; anything else is refused by the deleter.
                    Ok(existing) if numeric(&row.version) && !existing.contains(&row.version) => {
                        result(row, outcome::ALREADY_DELETED, gone_before(deps.resumed))
                    }
                    Err(e) if e.code == "ResourceNotFoundException" => result(row, outcome::ALREADY_DELETED, format!("the function no longer exists: {e}")),
                    Err(e) => result(row, outcome::CHANGED, format!("could not list the function's versions (fail closed): {e}")),
                    Ok(_) => {
                        // Archiving a large package can outlast the heartbeat timeout.
                        let processed = process(deps, &evidence, &mut mappings, row);
                        tokio::pin!(processed);
                        loop {
                            tokio::select! {
                                result = &mut processed => break result,
                                _ = tokio::time::sleep(KEEP_ALIVE) => progress.record(done, total).await,
                            }
                        }
                    }
                };
                tracing::info!(account_id = %row.account_id, region = %row.region, function = %row.function_name, version = %row.version, outcome = %outcome.outcome, "{}/{}", done.len() + 1, total);
                done.push(outcome);
                progress.record(done, total).await;
            }
        }
    }
}

fn numeric(version: &str) -> bool {
    snapstart_rules::parse_version_number(version).is_some()
}

/// Why a version missing from its function's listing is `already_deleted`.
fn gone_before(resumed: bool) -> &'static str {
    match resumed {
        true => "gone before this attempt (deleted by an earlier attempt or by someone else)",
        false => "gone before its deletion (deleted by someone else since the scan)",
    }
}

/// Re-checks and (unless a dry run) deletes one approved version.
async fn process(deps: &DeleteDeps<'_>, evidence: &recheck::Evidence, mappings: &mut MappingsView, row: &ReportRow) -> DeletionResult {
    if let Some(why) = evidence.gone(row) {
        return result(row, outcome::ALREADY_DELETED, why);
    }
    if let Some(reason) = evidence.changed(row) {
        return result(row, outcome::CHANGED, reason);
    }
    if let Some(reason) = mappings.targeting(deps.lambda, row).await {
        return result(row, outcome::CHANGED, reason);
    }
    if deps.dry_run {
        return match &deps.archive {
            Some(a) => DeletionResult { archive_uri: a.folder_uri(row), ..result(row, outcome::DRY_RUN, "dry run: not archived, not deleted") },
            None => result(row, outcome::DRY_RUN, "dry run: not deleted"),
        };
    }
    let archive_uri = match &deps.archive {
        Some(a) => match archive::archive(a, row, chrono::Utc::now()).await {
            Ok(folder) => folder,
            Err(not) => return result(row, not.outcome, not.reason),
        },
        None => String::new(),
    };
    let done = |outcome: &str, message: String| DeletionResult { archive_uri: archive_uri.clone(), ..result(row, outcome, message) };
    match deps.deleter.delete_version(&row.function_name, &row.version).await {
        Ok(Deleted::Deleted) => done(outcome::DELETED, String::new()),
        Ok(Deleted::AlreadyGone) => done(outcome::ALREADY_DELETED, "ResourceNotFoundException".into()),
        Ok(Deleted::InUse(m)) => done(outcome::IN_USE, m),
        Ok(Deleted::Replicated(m)) => done(outcome::REPLICATED, m),
        Err(e) => done(outcome::ERROR, e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(account: &str, region: &str, version: &str) -> ReportRow {
        ReportRow { account_id: account.into(), region: region.into(), function_name: "f".into(), version: version.into(), ..Default::default() }
    }

    #[test]
    fn rows_are_grouped_by_account_and_region_in_order_of_first_appearance() {
        let rows = [at("1", "r1", "1"), at("2", "r1", "2"), at("1", "r2", "3"), at("1", "r1", "4"), at("1", "", "5")];

        let groups = places(&rows, "r1");

        let shape: Vec<(&str, &str, Vec<&str>)> =
            groups.iter().map(|g| (g.account_id.as_str(), g.region.as_str(), g.rows.iter().map(|r| r.version.as_str()).collect())).collect();
        assert_eq!(shape, vec![("1", "r1", vec!["1", "4", "5"]), ("2", "r1", vec!["2"]), ("1", "r2", vec!["3"])], "a row without a region is in the default one");
    }

    #[test]
    fn only_a_version_number_can_be_gone_and_the_reason_says_who_removed_it() {
        assert!(numeric("12") && !numeric("$LATEST") && !numeric("live"));
        assert!(gone_before(true).contains("earlier attempt"));
        assert!(gone_before(false).contains("someone else since the scan"));
    }
}
