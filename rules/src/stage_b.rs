//! Stage B and the final verdict: aliases, event source mappings, invocations, the
//! function-level fallback, and fail-closed handling of anything not known.

use std::str::FromStr;

use chrono::{DateTime, Duration, Utc};

use crate::{state::state_is_deletable, Check, CheckFailure, ReasonFlag, StageA};

/// How to read `{FunctionName}` traffic that no version series explains.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FallbackMode {
    /// Any recent function-level traffic blocks every version (the original's rule).
    #[default]
    Strict,
    /// Block only when function-level traffic exceeds what the Resource series account for.
    Attributed,
}

impl FallbackMode {
    /// The name used in inputs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Strict => "strict",
            Self::Attributed => "attributed",
        }
    }
}

impl FromStr for FallbackMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "strict" => Ok(Self::Strict),
            "attributed" => Ok(Self::Attributed),
            other => Err(format!("unknown fallback mode {other:?}")),
        }
    }
}

/// The scan settings the verdict depends on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Settings {
    pub min_age_days: u32,
    pub keep_last_n: u32,
    pub lookback_days: u32,
    pub fallback: FallbackMode,
}

/// What a check learned. `NotChecked` and `Failed` are never read as "no usage".
#[derive(Debug, Clone, PartialEq)]
pub enum Observed<T> {
    NotChecked,
    Known(T),
    Failed(String),
}

/// `{FunctionName}`-level traffic of the version's function.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FunctionActivity {
    pub last_invoked: Option<DateTime<Utc>>,
    pub invocations_in_lookback: f64,
    pub attributed_invocations_in_lookback: f64,
}

/// Everything stage B learned about one version.
#[derive(Debug, Clone, PartialEq)]
pub struct Evidence {
    pub state: Observed<String>,
    pub aliases: Observed<Vec<String>>,
    pub event_source_mappings: Observed<Vec<String>>,
    pub version_last_invoked: Observed<Option<DateTime<Utc>>>,
    pub function_activity: Observed<FunctionActivity>,
}

/// The final verdict on one version.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub stage_b_pass: bool,
    pub candidate: bool,
    pub flags: Vec<ReasonFlag>,
    pub failed_checks: Vec<CheckFailure>,
}

struct Judgement {
    flags: Vec<ReasonFlag>,
    failed: Vec<CheckFailure>,
    strict: bool,
}

impl Judgement {
    /// Records a failed or (where it was needed) missing observation.
    fn observe<T>(&mut self, check: Check, o: &Observed<T>) -> Option<T>
    where
        T: Clone,
    {
        match o {
            Observed::Known(v) => Some(v.clone()),
            Observed::Failed(e) => {
                self.failed.push(CheckFailure { check, error: e.clone() });
                None
            }
            Observed::NotChecked if self.strict => {
                self.failed.push(CheckFailure { check, error: "not checked".into() });
                None
            }
            Observed::NotChecked => None,
        }
    }
}

/// Classifies one version from its stage A result and stage B evidence.
pub fn classify(stage_a: &StageA, evidence: &Evidence, settings: &Settings, now: DateTime<Utc>) -> Verdict {
    let state_ok_or_failed = !matches!(&evidence.state, Observed::Known(s) if !state_is_deletable(s));
    // Only a version that could otherwise be deleted needs every check to have run.
    let mut j = Judgement { flags: stage_a.flags.clone(), failed: Vec::new(), strict: stage_a.pass && state_ok_or_failed };
    let state_needed = stage_a.pass;
    let state = match (&evidence.state, state_needed) {
        (Observed::NotChecked, false) => None,
        (o, _) => j.observe(Check::State, o),
    };
    if state.as_deref().is_some_and(|s| !state_is_deletable(s)) {
        j.flags.push(ReasonFlag::StateNotDeletable);
    }
    let aliases = j.observe(Check::Aliases, &evidence.aliases);
    let esms = j.observe(Check::EventSourceMappings, &evidence.event_source_mappings);
    let last = j.observe(Check::VersionInvocations, &evidence.version_last_invoked);
    let activity = j.observe(Check::FunctionInvocations, &evidence.function_activity);
    let aliased = aliases.as_ref().is_some_and(|a| !a.is_empty());
    let mapped = esms.as_ref().is_some_and(|m| !m.is_empty());
    let invoked = last.flatten().is_some_and(|t| t >= now - Duration::days(i64::from(settings.lookback_days)));
    push_if(&mut j.flags, aliased, ReasonFlag::AliasProtected);
    push_if(&mut j.flags, mapped, ReasonFlag::EventSourceMappingProtected);
    push_if(&mut j.flags, invoked, ReasonFlag::HasRecentInvocations);
    let fallback_blocks = activity.as_ref().is_some_and(|a| fallback_blocks(a, settings, now));
    let stage_b_pass = aliases.is_some()
        && esms.is_some()
        && last.is_some()
        && activity.is_some()
        && !aliased
        && !mapped
        && !invoked
        && !fallback_blocks;
    if !j.failed.is_empty() {
        j.flags.push(ReasonFlag::CheckFailed);
    }
    // "Uncertain" explains a block only when nothing else did.
    let unexplained = j.flags.is_empty();
    push_if(&mut j.flags, fallback_blocks && unexplained, ReasonFlag::FunctionLevelActivityUncertain);
    let candidate = stage_a.pass && state.as_deref().is_some_and(state_is_deletable) && stage_b_pass && j.failed.is_empty();
    push_if(&mut j.flags, candidate, ReasonFlag::NoActivityAndStale);
    j.flags.sort();
    j.flags.dedup();
    Verdict { stage_b_pass, candidate, flags: j.flags, failed_checks: j.failed }
}

fn push_if(flags: &mut Vec<ReasonFlag>, condition: bool, flag: ReasonFlag) {
    if condition {
        flags.push(flag);
    }
}

/// Recent function-level traffic (within `min_age_days`) blocks; in attributed mode only when
/// it exceeds what the `{FunctionName, Resource}` series account for.
fn fallback_blocks(a: &FunctionActivity, settings: &Settings, now: DateTime<Utc>) -> bool {
    let recent = a.last_invoked.is_some_and(|t| t > now - Duration::days(i64::from(settings.min_age_days)));
    match settings.fallback {
        FallbackMode::Strict => recent,
        FallbackMode::Attributed => recent && a.invocations_in_lookback > a.attributed_invocations_in_lookback,
    }
}

#[cfg(test)]
#[path = "stage_b_tests.rs"]
mod tests;
