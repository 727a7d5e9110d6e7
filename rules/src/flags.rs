//! The fixed vocabulary of the report: why a version is (or is not) a candidate, and which check
//! could not be completed. The names are part of the report format; never rename one.

use std::{fmt, str::FromStr};

/// Why a version is, or is not, a deletion candidate.
///
/// The derived `Ord` is the report order and equals the order of [`ReasonFlag::ALL`]; verdicts
/// sort their flags by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ReasonFlag {
    /// Younger than `min_age_days`.
    TooRecent,
    /// Among the newest `keep_last_n` versions of its function (or its number is unreadable).
    ProtectedKeptLastN,
    /// An alias points at it, as its primary version or with a routing weight.
    AliasProtected,
    /// Invoked within the lookback window, directly or through an alias.
    HasRecentInvocations,
    /// The function as a whole has recent traffic that no version series explains.
    FunctionLevelActivityUncertain,
    /// The only flag of a candidate: old, unreferenced, unused, deletable.
    NoActivityAndStale,
    /// An event source mapping targets exactly this version.
    EventSourceMappingProtected,
    /// A statement of the version's own resource-based policy lets a service or account invoke it
    /// (API Gateway, S3, SNS, EventBridge and others wire versions this way).
    ResourcePolicyProtected,
    /// Provisioned concurrency is configured on the version itself.
    ProvisionedConcurrencyProtected,
    /// Its state (Pending, or one we do not know) does not allow deletion.
    StateNotDeletable,
    /// LastModified was missing or unreadable.
    AgeUnknown,
    /// A check failed or was not run; see the verdict's failed checks.
    CheckFailed,
    /// The function carries the protect tag (`snapstart-cleaner:protect` unless configured).
    ExcludedByTag,
    /// The function's name is outside the run's `include` globs or matches an `exclude` glob.
    ExcludedByPattern,
    /// Its resource-based policy lets CloudFront's Lambda@Edge replicator read it: the version is
    /// (or was) associated with a distribution, and AWS refuses to delete a replicated version.
    LambdaEdgeProtected,
}

impl ReasonFlag {
    /// Every flag, in report order.
    pub const ALL: [ReasonFlag; 15] = [
        Self::TooRecent,
        Self::ProtectedKeptLastN,
        Self::AliasProtected,
        Self::HasRecentInvocations,
        Self::FunctionLevelActivityUncertain,
        Self::NoActivityAndStale,
        Self::EventSourceMappingProtected,
        Self::ResourcePolicyProtected,
        Self::ProvisionedConcurrencyProtected,
        Self::StateNotDeletable,
        Self::AgeUnknown,
        Self::CheckFailed,
        Self::ExcludedByTag,
        Self::ExcludedByPattern,
        Self::LambdaEdgeProtected,
    ];

    /// The snake_case name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::TooRecent => "too_recent",
            Self::ProtectedKeptLastN => "protected_kept_last_n",
            Self::AliasProtected => "alias_protected",
            Self::HasRecentInvocations => "has_recent_invocations",
            Self::FunctionLevelActivityUncertain => "function_level_activity_uncertain",
            Self::NoActivityAndStale => "no_activity_and_stale",
            Self::EventSourceMappingProtected => "event_source_mapping_protected",
            Self::ResourcePolicyProtected => "resource_policy_protected",
            Self::ProvisionedConcurrencyProtected => "provisioned_concurrency_protected",
            Self::StateNotDeletable => "state_not_deletable",
            Self::AgeUnknown => "age_unknown",
            Self::CheckFailed => "check_failed",
            Self::ExcludedByTag => "excluded_by_tag",
            Self::ExcludedByPattern => "excluded_by_pattern",
            Self::LambdaEdgeProtected => "lambda_edge_protected",
        }
    }
}

impl fmt::Display for ReasonFlag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ReasonFlag {
    type Err = String;

    /// Parses exactly the snake_case name; anything else is an error.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|f| f.as_str() == s).ok_or_else(|| format!("unknown reason flag {s:?}"))
    }
}

/// A check whose failure (or absence) makes a version `check_failed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Check {
    /// GetFunctionConfiguration's State.
    State,
    /// The aliases referencing the version.
    Aliases,
    /// The event source mappings targeting the version.
    EventSourceMappings,
    /// The version's own invocation series (Resource and ExecutedVersion).
    VersionInvocations,
    /// The function-level `{FunctionName}` series.
    FunctionInvocations,
    /// The version's LastModified.
    LastModified,
    /// GetPolicy on the version.
    ResourcePolicy,
    /// The function's provisioned concurrency configurations.
    ProvisionedConcurrency,
    /// The function's tags (the protect tag).
    Tags,
}

impl Check {
    /// The name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::State => "state",
            Self::Aliases => "aliases",
            Self::EventSourceMappings => "event_source_mappings",
            Self::VersionInvocations => "version_invocations",
            Self::FunctionInvocations => "function_invocations",
            Self::LastModified => "last_modified",
            Self::ResourcePolicy => "resource_policy",
            Self::ProvisionedConcurrency => "provisioned_concurrency",
            Self::Tags => "tags",
        }
    }
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One check that could not be completed, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckFailure {
    /// Which check.
    pub check: Check,
    /// The error as reported (or "not checked" when the check never ran).
    pub error: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_flag_round_trips_through_its_snake_case_name() {
        let names = [
            "too_recent",
            "protected_kept_last_n",
            "alias_protected",
            "has_recent_invocations",
            "function_level_activity_uncertain",
            "no_activity_and_stale",
            "event_source_mapping_protected",
            "resource_policy_protected",
            "provisioned_concurrency_protected",
            "state_not_deletable",
            "age_unknown",
            "check_failed",
            "excluded_by_tag",
            "excluded_by_pattern",
            "lambda_edge_protected",
        ];
        for (flag, name) in ReasonFlag::ALL.into_iter().zip(names) {
            assert_eq!(flag.as_str(), name);
            assert_eq!(flag.to_string(), name);
            assert_eq!(name.parse::<ReasonFlag>(), Ok(flag));
        }
    }

    #[test]
    fn unknown_or_differently_cased_names_do_not_parse() {
        for s in ["", "nope", "TooRecent", "TOO_RECENT", " too_recent"] {
            assert_eq!(s.parse::<ReasonFlag>(), Err(format!("unknown reason flag {s:?}")), "{s:?}");
        }
    }

    #[test]
    fn sorting_flags_gives_the_order_of_all() {
        let mut shuffled = ReasonFlag::ALL;
        shuffled.reverse();
        shuffled.sort();
        assert_eq!(shuffled, ReasonFlag::ALL);
    }

    #[test]
    fn checks_have_their_report_names() {
        let cases = [
            (Check::State, "state"),
            (Check::Aliases, "aliases"),
            (Check::EventSourceMappings, "event_source_mappings"),
            (Check::VersionInvocations, "version_invocations"),
            (Check::FunctionInvocations, "function_invocations"),
            (Check::LastModified, "last_modified"),
            (Check::ResourcePolicy, "resource_policy"),
            (Check::ProvisionedConcurrency, "provisioned_concurrency"),
            (Check::Tags, "tags"),
        ];
        for (check, name) in cases {
            assert_eq!((check.as_str(), check.to_string()), (name, name.to_string()));
        }
    }
}
