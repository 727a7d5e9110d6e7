//! Phase 3, `confirm-state`: GetFunctionConfiguration for each version that passed stage A.
//! A failed read is recorded (fail closed), never guessed.

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
    let lambda = deps.lambda.clone();
    let results: Vec<_> = stream::iter(wanted)
        .map(|(fi, vi, name, version)| {
            let lambda = lambda.clone();
            async move { (fi, vi, lambda.version_state(&name, &version).await) }
        })
        .buffer_unordered(deps.concurrency.max(1))
        .collect()
        .await;
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
