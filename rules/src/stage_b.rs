//! Stage B and the final verdict: aliases, event source mappings, invocations, the
//! function-level fallback, and fail-closed handling of anything not known.

use chrono::{DateTime, Utc};

use crate::{
    state::state_is_deletable, time::days_before, Check, CheckFailure, Evidence, FallbackMode, FunctionActivity,
    Observed, ReasonFlag, Settings, StageA,
};

/// The final verdict on one version.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// Aliases, mappings, version invocations and function-level traffic are all known and
    /// none of them protects the version.
    pub stage_b_pass: bool,
    /// Stage A passed, the state is known and deletable, stage B passed and no check failed.
    pub candidate: bool,
    /// Every reason, in [`ReasonFlag::ALL`] order, without duplicates; `no_activity_and_stale`
    /// appears exactly when `candidate` is true.
    pub flags: Vec<ReasonFlag>,
    /// The checks that failed, or that never ran although the version needed them.
    pub failed_checks: Vec<CheckFailure>,
}

/// Classifies one version from its stage A result and stage B evidence. Fails closed: any
/// observation that is not `Known` blocks the candidacy.
///
/// - Stage A's flags carry over. A `StageA` claiming `pass` while carrying flags is
///   contradictory and is treated as failed.
/// - Every `Failed` observation adds `check_failed` and a [`CheckFailure`].
/// - A `NotChecked` observation adds them too ("not checked") when the version could otherwise
///   be deleted: stage A passed and the state is not known to block (deletable, failed, or
///   itself not checked). Otherwise it adds nothing.
/// - Protections (alias, mapping, recent invocation) are reported even when stage A failed.
/// - Blocking function-level traffic is flagged `function_level_activity_uncertain` only when
///   nothing else explains the block.
/// - The protections (resource-based policy, provisioned concurrency) are read only for a
///   version that everything else would let go; `NotChecked` is missing data exactly there.
///   Known protections are reported whatever else is true.
/// - The state is read after the usage checks, only where they let the version go, so a state
///   `NotChecked` is missing data only there (and on a version whose usage is not known).
pub fn classify(stage_a: &StageA, evidence: &Evidence, settings: &Settings, now: DateTime<Utc>) -> Verdict {
    // An excluded function is out of scope: nothing else about it is needed.
    let tagged = evidence.protect_tag == Observed::Known(true);
    let stage_a_pass = stage_a.pass && stage_a.flags.is_empty() && !tagged && !evidence.excluded_by_pattern;
    let state_blocks = matches!(&evidence.state, Observed::Known(s) if !state_is_deletable(s));
    // An unread state is judged after usage (below), so it is not missing data yet.
    let mut j = Judgement { flags: stage_a.flags.clone(), failed: Vec::new(), needs_every_check: false };
    j.flag_if(tagged, ReasonFlag::ExcludedByTag);
    j.flag_if(evidence.excluded_by_pattern, ReasonFlag::ExcludedByPattern);
    let state_deletable = j.observe(Check::State, &evidence.state).is_some_and(|s| state_is_deletable(s));
    j.needs_every_check = stage_a_pass && !state_blocks;
    j.flag_if(state_blocks, ReasonFlag::StateNotDeletable);
    let usage = j.usage(evidence, settings, now);
    let stage_b_pass = usage.all_known_and_clear();
    if evidence.state == Observed::NotChecked && stage_a_pass && !usage.any_blocks() {
        j.failed.insert(0, CheckFailure { check: Check::State, error: "not checked".into() });
    }
    j.flag_if(!j.failed.is_empty(), ReasonFlag::CheckFailed);
    // "Uncertain" explains a block only when nothing else did.
    let unexplained = j.flags.is_empty();
    j.flag_if(usage.fallback == Some(true) && unexplained, ReasonFlag::FunctionLevelActivityUncertain);
    j.needs_every_check = stage_a_pass && state_deletable && stage_b_pass && j.failed.is_empty();
    let protected = j.protections(evidence);
    j.flag_if(!j.failed.is_empty(), ReasonFlag::CheckFailed);
    let candidate = stage_a_pass && state_deletable && stage_b_pass && protected == Some(false) && j.failed.is_empty();
    j.flag_if(candidate, ReasonFlag::NoActivityAndStale);
    j.into_verdict(stage_b_pass, candidate)
}

/// Whether each usage check blocks the version; `None` when it is not known.
struct Usage {
    aliased: Option<bool>,
    mapped: Option<bool>,
    invoked: Option<bool>,
    fallback: Option<bool>,
}

impl Usage {
    fn all_known_and_clear(&self) -> bool {
        [self.aliased, self.mapped, self.invoked, self.fallback].iter().all(|blocks| *blocks == Some(false))
    }

    fn any_blocks(&self) -> bool {
        [self.aliased, self.mapped, self.invoked, self.fallback].contains(&Some(true))
    }
}

/// The verdict being built.
struct Judgement {
    flags: Vec<ReasonFlag>,
    failed: Vec<CheckFailure>,
    /// Whether a `NotChecked` observation is missing data (the version could otherwise go).
    needs_every_check: bool,
}

impl Judgement {
    /// The known value, or `None` after recording why it is not known (where that matters).
    fn observe<'a, T>(&mut self, check: Check, observed: &'a Observed<T>) -> Option<&'a T> {
        match observed {
            Observed::Known(v) => return Some(v),
            Observed::Failed(e) => self.failed.push(CheckFailure { check, error: e.clone() }),
            Observed::NotChecked if self.needs_every_check => {
                self.failed.push(CheckFailure { check, error: "not checked".into() });
            }
            Observed::NotChecked => {}
        }
        None
    }

    /// Reads the usage checks and flags the direct protections (alias, mapping, invocation).
    fn usage(&mut self, evidence: &Evidence, settings: &Settings, now: DateTime<Utc>) -> Usage {
        let window = days_before(now, settings.lookback_days);
        let aliased = self.observe(Check::Aliases, &evidence.aliases).map(|a| !a.is_empty());
        let mapped = self.observe(Check::EventSourceMappings, &evidence.event_source_mappings).map(|m| !m.is_empty());
        let invoked = self
            .observe(Check::VersionInvocations, &evidence.version_last_invoked)
            .map(|last| last.is_some_and(|t| t >= window));
        let fallback = self
            .observe(Check::FunctionInvocations, &evidence.function_activity)
            .map(|a| fallback_blocks(a, settings, now));
        self.flag_if(aliased == Some(true), ReasonFlag::AliasProtected);
        self.flag_if(mapped == Some(true), ReasonFlag::EventSourceMappingProtected);
        self.flag_if(invoked == Some(true), ReasonFlag::HasRecentInvocations);
        Usage { aliased, mapped, invoked, fallback }
    }

    /// Reads the protections that are not usage: whether any blocks (`None` when not all known).
    fn protections(&mut self, evidence: &Evidence) -> Option<bool> {
        let policy = self.observe(Check::ResourcePolicy, &evidence.resource_policy).map(|p| !p.is_empty());
        let provisioned = self.observe(Check::ProvisionedConcurrency, &evidence.provisioned_concurrency).copied();
        let tagged = self.observe(Check::Tags, &evidence.protect_tag).copied();
        self.flag_if(policy == Some(true), ReasonFlag::ResourcePolicyProtected);
        let edge = matches!(&evidence.resource_policy, Observed::Known(p) if p.iter().any(|principal| principal == LAMBDA_EDGE_REPLICATOR));
        self.flag_if(edge, ReasonFlag::LambdaEdgeProtected);
        self.flag_if(provisioned == Some(true), ReasonFlag::ProvisionedConcurrencyProtected);
        Some(policy? || provisioned? || tagged?)
    }

    fn flag_if(&mut self, condition: bool, flag: ReasonFlag) {
        if condition {
            self.flags.push(flag);
        }
    }

    fn into_verdict(mut self, stage_b_pass: bool, candidate: bool) -> Verdict {
        self.flags.sort();
        self.flags.dedup();
        Verdict { stage_b_pass, candidate, flags: self.flags, failed_checks: self.failed }
    }
}

/// The service principal CloudFront's Lambda@Edge replication reads a version as: Lambda adds it
/// to the version's policy when the version is associated with a distribution.
pub const LAMBDA_EDGE_REPLICATOR: &str = "replicator.lambda.amazonaws.com";

/// Function-level traffic is "active" when its last datapoint is within `min_age_days`
/// (strictly later than that many days ago). Strict mode blocks on any activity; attributed
/// mode only when the function-level sum is not covered by the Resource series (a sum that is
/// not a number is not covered).
fn fallback_blocks(a: &FunctionActivity, settings: &Settings, now: DateTime<Utc>) -> bool {
    let since = days_before(now, settings.min_age_days);
    let active = a.last_invoked.is_some_and(|t| t > since);
    // False when either sum is NaN: an unknown sum never proves the traffic is attributed.
    let covered = a.invocations_in_lookback <= a.attributed_invocations_in_lookback;
    match settings.fallback {
        FallbackMode::Strict => active,
        FallbackMode::Attributed => active && !covered,
    }
}

#[cfg(test)]
#[path = "stage_b_tests.rs"]
mod tests;
