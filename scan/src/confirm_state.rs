//! Phase `confirm-state`: each version's State (GetFunction, on its own quota), and side by side
//! the protections that are not usage (GetPolicy and provisioned concurrency, see
//! `protections`), only for versions that can still become candidates. Stage B already reads
//! them a chunk of functions at a time ([`Reads`]), so after it this phase reads only what an
//! interrupted attempt left unread. Runs started before state moved after stage B (no
//! `state-after-usage` marker) run it right after stage A, where it reads the state of every
//! version past stage A; stage B then reads the protections.
//! A failed read is recorded (fail closed), never guessed. Works in rounds and checkpoints the
//! working set after each, so a retried attempt reads only what is still unread.

use snapstart_aws::{AwsError, VersionPolicy, VersionState};
use snapstart_proto::v1::{Observation, ScanState};

use crate::{
    protections::{self, Job, Wanted},
    report, ScanDeps,
};

/// Reads State, policies and provisioned concurrency where they matter, each quota's calls
/// running alongside the others'.
pub async fn confirm(deps: &ScanDeps, state: &mut ScanState) {
    let states = report::needs_state(state);
    let wanted = Wanted::of(state, &report::undecided(state, true));
    deps.progress.start(
        "confirm-state: states, policies and provisioned-concurrency listings read",
        states.len() + wanted.policies.len() + wanted.provisioned.len(),
    );
    for round in rounds(states, wanted) {
        let (states, policies, provisioned) = tokio::join!(
            read_states(deps, state, &round.states),
            protections::read_policies(deps, state, &round.wanted.policies),
            protections::list_provisioned(deps, state, &round.wanted.provisioned),
        );
        record(state, states);
        protections::record_policies(state, policies);
        protections::record_provisioned(state, &round.wanted.provisioned, provisioned);
        deps.progress.advance(round.states.len() + round.wanted.policies.len() + round.wanted.provisioned.len());
        deps.progress.checkpoint(state);
    }
}

/// One round's share of each kind of read.
#[derive(Debug, Default)]
struct Round {
    states: Vec<(usize, usize)>,
    wanted: Wanted,
}

/// Cuts the reads into rounds of at most [`protections::CHUNK`] of each kind, spread evenly so
/// that every round keeps each budget busy.
fn rounds(states: Vec<(usize, usize)>, wanted: Wanted) -> Vec<Round> {
    let longest = states.len().max(wanted.policies.len()).max(wanted.provisioned.len());
    let n = longest.div_ceil(protections::CHUNK).max(1);
    let share = |len: usize| len.div_ceil(n).max(1);
    let (ks, kp, kc) = (share(states.len()), share(wanted.policies.len()), share(wanted.provisioned.len()));
    let mut out: Vec<Round> = (0..n).map(|_| Round::default()).collect();
    for (i, s) in states.into_iter().enumerate() {
        out[i / ks].states.push(s);
    }
    for (i, p) in wanted.policies.into_iter().enumerate() {
        out[i / kp].wanted.policies.push(p);
    }
    for (i, c) in wanted.provisioned.into_iter().enumerate() {
        out[i / kc].wanted.provisioned.push(c);
    }
    out
}

/// The per-version reads (state, policy, provisioned concurrency) of some functions, owning what
/// they need so they can run while stage B works on the next functions.
pub struct Reads {
    states: Vec<Job>,
    policies: Vec<Job>,
    provisioned: Vec<(usize, Vec<usize>)>,
    provisioned_names: Vec<String>,
}

/// What [`Reads::run`] learnt, to record into the working set.
pub struct ReadsDone {
    states: Vec<(usize, usize, Result<VersionState, AwsError>)>,
    policies: Vec<(usize, usize, Result<VersionPolicy, AwsError>)>,
    provisioned: Vec<(usize, Vec<usize>)>,
    listed: Vec<Result<Vec<String>, AwsError>>,
}

impl Reads {
    /// Everything still unread that decides a version of the functions `only` (by index): their
    /// states, and their policies and provisioned concurrency where every other check lets go.
    pub fn for_functions(state: &ScanState, only: &[usize]) -> Self {
        let only: std::collections::HashSet<usize> = only.iter().copied().collect();
        let states: Vec<(usize, usize)> = report::needs_state(state).into_iter().filter(|(fi, _)| only.contains(fi)).collect();
        let undecided: Vec<(usize, Vec<usize>)> = report::undecided(state, true).into_iter().filter(|(fi, _)| only.contains(fi)).collect();
        let wanted = Wanted::of(state, &undecided);
        Self {
            states: protections::jobs(state, &states),
            policies: protections::jobs(state, &wanted.policies),
            provisioned_names: wanted.provisioned.iter().map(|(fi, _)| state.functions[*fi].function_name.clone()).collect(),
            provisioned: wanted.provisioned,
        }
    }

    /// Runs the three kinds side by side, each on its own budget.
    pub async fn run(self, deps: &ScanDeps) -> ReadsDone {
        let (states, policies, listed) = tokio::join!(
            protections::per_job(deps, self.states, |lambda, name, version| async move { lambda.version_state(&name, &version).await }),
            protections::per_job(deps, self.policies, |lambda, name, version| async move { lambda.version_policy(&name, &version).await }),
            protections::list_provisioned_of(deps, self.provisioned_names),
        );
        ReadsDone { states, policies, provisioned: self.provisioned, listed }
    }
}

impl ReadsDone {
    pub fn record(self, state: &mut ScanState) {
        record(state, self.states);
        protections::record_policies(state, self.policies);
        protections::record_provisioned(state, &self.provisioned, self.listed);
    }
}

async fn read_states(deps: &ScanDeps, state: &ScanState, versions: &[(usize, usize)]) -> Vec<(usize, usize, Result<VersionState, AwsError>)> {
    protections::per_version(deps, state, versions, |lambda, name, version| async move { lambda.version_state(&name, &version).await }).await
}

fn record(state: &mut ScanState, results: Vec<(usize, usize, Result<VersionState, AwsError>)>) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_spread_every_kind_of_read_evenly_and_lose_none() {
        let states: Vec<(usize, usize)> = (0..120).map(|i| (i, 0)).collect();
        let wanted = Wanted { policies: (0..100).map(|i| (i, 0)).collect(), provisioned: (0..30).map(|i| (i, vec![0])).collect() };

        let rounds = rounds(states, wanted);

        assert_eq!(rounds.len(), 3, "120 states in rounds of at most 50");
        assert!(rounds.iter().all(|r| r.states.len() <= 50 && !r.wanted.policies.is_empty() && !r.wanted.provisioned.is_empty()));
        assert_eq!(rounds.iter().map(|r| r.states.len()).sum::<usize>(), 120);
        assert_eq!(rounds.iter().map(|r| r.wanted.policies.len()).sum::<usize>(), 100);
        assert_eq!(rounds.iter().map(|r| r.wanted.provisioned.len()).sum::<usize>(), 30);
        assert_eq!(super::rounds(Vec::new(), Wanted::default()).len(), 1, "nothing to read is one empty round");
    }
}
