//! Phase 3, `confirm-state`: GetFunctionConfiguration for each version that passed stage A.
//! A failed read is recorded (fail closed), never guessed. Works in chunks and checkpoints the
//! working set after each, so a retried attempt reads only the versions still unread.

use futures::{stream, StreamExt};
use snapstart_proto::v1::{Observation, ScanState};

use super::ScanDeps;

/// Reads State and StateReasonCode where they matter.
pub async fn confirm(deps: &ScanDeps, state: &mut ScanState) {
    let wanted: Vec<(usize, usize, String, String)> = state
        .functions
        .iter()
        .enumerate()
        .flat_map(|(fi, f)| {
            f.versions
                .iter()
                .enumerate()
                .filter(|(_, v)| v.stage_a_pass && v.state_observation == Observation::NotChecked as i32)
                .map(move |(vi, v)| (fi, vi, f.function_name.clone(), v.version.clone()))
        })
        .collect();
    deps.progress.start("confirm-state: versions read", wanted.len());
    for chunk in wanted.chunks(CHUNK) {
        let results: Vec<_> = stream::iter(chunk.iter().cloned())
            .map(|(fi, vi, name, version)| {
                let lambda = deps.lambda.clone();
                async move { (fi, vi, lambda.version_state(&name, &version).await) }
            })
            .buffer_unordered(deps.concurrency.max(1))
            .collect()
            .await;
        record(state, results);
        deps.progress.advance(chunk.len());
        deps.progress.checkpoint(state);
    }
}

/// Versions read between two checkpoints (5 s at the default budget of 10 calls a second).
const CHUNK: usize = 50;

fn record(state: &mut ScanState, results: Vec<(usize, usize, Result<crate::aws::VersionState, crate::aws::AwsError>)>) {
    for (fi, vi, result) in results {
        let v = &mut state.functions[fi].versions[vi];
        match result {
            Ok(s) => {
                v.state_observation = Observation::Known as i32;
                v.state = s.state;
                v.state_reason_code = s.state_reason_code;
            }
            Err(e) => {
                v.state_observation = Observation::Failed as i32;
                v.state_error = e.to_string();
            }
        }
    }
}
