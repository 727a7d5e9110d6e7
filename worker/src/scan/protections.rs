//! The end of stage B: protections that are not usage, read only for the versions that every
//! other check would let go (the rest never need them): the version's own resource-based policy
//! (GetPolicy, on its own quota and budget) and provisioned concurrency (one listing per
//! function). A failed read is recorded (fail closed). Works in chunks with a checkpoint after
//! each, so a retried attempt reads only what is still unread.

use futures::{stream, StreamExt};
use snapstart_proto::v1::{Observation, ScanState};

use super::{report, ScanDeps};
use crate::aws::AwsError;

const NOT_CHECKED: i32 = Observation::NotChecked as i32;
const KNOWN: i32 = Observation::Known as i32;
const FAILED: i32 = Observation::Failed as i32;

/// Reads between two checkpoints.
const CHUNK: usize = 50;

/// Reads both protections where they decide.
pub async fn read(deps: &ScanDeps, state: &mut ScanState) {
    let undecided = report::undecided(state);
    list_provisioned_concurrency(deps, state, &undecided).await;
    read_policies(deps, state, &undecided).await;
}

async fn list_provisioned_concurrency(deps: &ScanDeps, state: &mut ScanState, undecided: &[(usize, Vec<usize>)]) {
    let functions: Vec<(usize, Vec<usize>, String)> = undecided
        .iter()
        .filter(|(fi, vis)| vis.iter().any(|&vi| state.functions[*fi].versions[vi].provisioned_observation == NOT_CHECKED))
        .map(|(fi, vis)| (*fi, vis.clone(), state.functions[*fi].function_name.clone()))
        .collect();
    deps.progress.start("stage-b: provisioned concurrency listed", functions.len());
    for chunk in functions.chunks(CHUNK) {
        let results: Vec<_> = stream::iter(chunk.iter().cloned())
            .map(|(fi, vis, name)| {
                let lambda = deps.lambda.clone();
                async move { (fi, vis, lambda.provisioned_concurrency_qualifiers(&name).await) }
            })
            .buffer_unordered(deps.concurrency.max(1))
            .collect()
            .await;
        for (fi, vis, result) in results {
            for vi in vis {
                let v = &mut state.functions[fi].versions[vi];
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
        deps.progress.advance(chunk.len());
        deps.progress.checkpoint(state);
    }
}

async fn read_policies(deps: &ScanDeps, state: &mut ScanState, undecided: &[(usize, Vec<usize>)]) {
    let versions: Vec<(usize, usize, String, String)> = undecided
        .iter()
        .flat_map(|(fi, vis)| vis.iter().map(move |vi| (*fi, *vi)))
        .filter(|&(fi, vi)| state.functions[fi].versions[vi].policy_observation == NOT_CHECKED)
        .map(|(fi, vi)| (fi, vi, state.functions[fi].function_name.clone(), state.functions[fi].versions[vi].version.clone()))
        .collect();
    deps.progress.start("stage-b: version policies read", versions.len());
    for chunk in versions.chunks(CHUNK) {
        let results: Vec<(usize, usize, Result<Vec<String>, AwsError>)> = stream::iter(chunk.iter().cloned())
            .map(|(fi, vi, name, version)| {
                let lambda = deps.lambda.clone();
                async move { (fi, vi, lambda.version_policy_principals(&name, &version).await) }
            })
            .buffer_unordered(deps.concurrency.max(1))
            .collect()
            .await;
        for (fi, vi, result) in results {
            let v = &mut state.functions[fi].versions[vi];
            match result {
                Ok(principals) => {
                    v.policy_observation = KNOWN;
                    v.policy_principals = principals;
                }
                Err(e) => {
                    v.policy_observation = FAILED;
                    v.policy_error = e.to_string();
                }
            }
        }
        deps.progress.advance(chunk.len());
        deps.progress.checkpoint(state);
    }
}
