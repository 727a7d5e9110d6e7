//! Protections that are not usage, read only for the versions that every other check would let
//! go (the rest never need them): the version's own resource-based policy (GetPolicy, on its own
//! quota and budget) and provisioned concurrency (one listing per function). A failed read is
//! recorded (fail closed). Stage B reads them side by side with the states, a chunk of functions
//! at a time, as soon as the chunk's usage is known; `confirm-state` reads what is left.

use std::sync::Arc;

use futures::{stream, StreamExt};
use snapstart_aws::{AwsError, LambdaRead, VersionPolicy};
use snapstart_proto::v1::{Observation, ScanState};

use crate::ScanDeps;

const NOT_CHECKED: i32 = Observation::NotChecked as i32;
const KNOWN: i32 = Observation::Known as i32;
const FAILED: i32 = Observation::Failed as i32;

/// Versions (function index, version index) handled between two checkpoints.
pub const CHUNK: usize = 50;

/// The reads still to do: versions whose policy is unread, and per function the versions whose
/// provisioned concurrency is unread.
#[derive(Debug, Default)]
pub struct Wanted {
    pub policies: Vec<(usize, usize)>,
    pub provisioned: Vec<(usize, Vec<usize>)>,
}

impl Wanted {
    /// What `undecided` leaves to read.
    pub fn of(state: &ScanState, undecided: &[(usize, Vec<usize>)]) -> Self {
        let v = |fi: usize, vi: usize| &state.functions[fi].versions[vi];
        let policies = undecided
            .iter()
            .flat_map(|(fi, vis)| vis.iter().map(move |vi| (*fi, *vi)))
            .filter(|&(fi, vi)| v(fi, vi).policy_observation == NOT_CHECKED)
            .collect();
        let provisioned = undecided
            .iter()
            .map(|(fi, vis)| (*fi, vis.iter().copied().filter(|&vi| v(*fi, vi).provisioned_observation == NOT_CHECKED).collect::<Vec<_>>()))
            .filter(|(_, vis)| !vis.is_empty())
            .collect();
        Self { policies, provisioned }
    }
}

/// ListProvisionedConcurrencyConfigs for each function of `functions`.
pub async fn list_provisioned(deps: &ScanDeps, state: &ScanState, functions: &[(usize, Vec<usize>)]) -> Vec<Result<Vec<String>, AwsError>> {
    list_provisioned_of(deps, functions.iter().map(|(fi, _)| state.functions[*fi].function_name.clone()).collect()).await
}

/// ListProvisionedConcurrencyConfigs for each function named, in order.
pub async fn list_provisioned_of(deps: &ScanDeps, names: Vec<String>) -> Vec<Result<Vec<String>, AwsError>> {
    stream::iter(names)
        .map(|name| {
            let lambda = deps.lambda.clone();
            async move { lambda.provisioned_concurrency_qualifiers(&name).await }
        })
        .buffered(deps.concurrency.max(1))
        .collect()
        .await
}

pub fn record_provisioned(state: &mut ScanState, functions: &[(usize, Vec<usize>)], listed: Vec<Result<Vec<String>, AwsError>>) {
    for ((fi, vis), result) in functions.iter().zip(listed) {
        for &vi in vis {
            let v = &mut state.functions[*fi].versions[vi];
            match &result {
                Ok(qualifiers) => {
                    v.provisioned_observation = KNOWN;
                    v.provisioned = qualifiers.contains(&v.version);
                }
                Err(e) => {
                    v.provisioned_observation = FAILED;
                    v.provisioned_error = e.to_string();
                }
            }
        }
    }
}

/// GetPolicy for each version of `versions`.
pub async fn read_policies(deps: &ScanDeps, state: &ScanState, versions: &[(usize, usize)]) -> Vec<(usize, usize, Result<VersionPolicy, AwsError>)> {
    per_version(deps, state, versions, |lambda, name, version| async move { lambda.version_policy(&name, &version).await }).await
}

/// `read(lambda, function name, version)` for each of `versions`, up to the scan's concurrency
/// at once; answers are tagged with their indexes.
pub async fn per_version<T, F, Fut>(deps: &ScanDeps, state: &ScanState, versions: &[(usize, usize)], read: F) -> Vec<(usize, usize, T)>
where
    F: Fn(Arc<dyn LambdaRead>, String, String) -> Fut,
    Fut: std::future::Future<Output = T>,
{
    per_job(deps, jobs(state, versions), read).await
}

/// One per-version read: function and version indexes, function name, version number.
pub type Job = (usize, usize, String, String);

/// The jobs for `versions` of the working set.
pub fn jobs(state: &ScanState, versions: &[(usize, usize)]) -> Vec<Job> {
    versions.iter().map(|&(fi, vi)| (fi, vi, state.functions[fi].function_name.clone(), state.functions[fi].versions[vi].version.clone())).collect()
}

/// [`per_version`] over jobs that own what they need (they can run while the working set changes).
pub async fn per_job<T, F, Fut>(deps: &ScanDeps, jobs: Vec<Job>, read: F) -> Vec<(usize, usize, T)>
where
    F: Fn(Arc<dyn LambdaRead>, String, String) -> Fut,
    Fut: std::future::Future<Output = T>,
{
    let read = &read;
    stream::iter(jobs)
        .map(|(fi, vi, name, version)| {
            let answer = read(deps.lambda.clone(), name, version);
            async move { (fi, vi, answer.await) }
        })
        .buffer_unordered(deps.concurrency.max(1))
        .collect()
        .await
}

/// Records each version's policy read. A version GetPolicy says is gone is not a candidate: its
/// read is recorded as failed, with AWS's words.
pub fn record_policies(state: &mut ScanState, read: Vec<(usize, usize, Result<VersionPolicy, AwsError>)>) {
    for (fi, vi, result) in read {
        let v = &mut state.functions[fi].versions[vi];
        match result {
            Ok(VersionPolicy::Principals(principals)) => {
                v.policy_observation = KNOWN;
                v.policy_principals = principals;
            }
            Ok(VersionPolicy::Gone(message)) => {
                v.policy_observation = FAILED;
                v.policy_error = format!("GetPolicy: the version no longer exists: {message}");
            }
            Err(e) => {
                v.policy_observation = FAILED;
                v.policy_error = e.to_string();
            }
        }
    }
}
