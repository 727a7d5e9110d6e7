//! The fixed vocabulary of reason flags and of checks that can fail.

use std::{fmt, str::FromStr};

/// Why a row is, or is not, a candidate. Names are part of the report format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ReasonFlag {
    TooRecent,
    ProtectedKeptLastN,
    AliasProtected,
    HasRecentInvocations,
    FunctionLevelActivityUncertain,
    NoActivityAndStale,
    EventSourceMappingProtected,
    StateNotDeletable,
    AgeUnknown,
    CheckFailed,
}

impl ReasonFlag {
    /// Every flag, in report order.
    pub const ALL: [ReasonFlag; 10] = [
        Self::TooRecent,
        Self::ProtectedKeptLastN,
        Self::AliasProtected,
        Self::HasRecentInvocations,
        Self::FunctionLevelActivityUncertain,
        Self::NoActivityAndStale,
        Self::EventSourceMappingProtected,
        Self::StateNotDeletable,
        Self::AgeUnknown,
        Self::CheckFailed,
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
            Self::StateNotDeletable => "state_not_deletable",
            Self::AgeUnknown => "age_unknown",
            Self::CheckFailed => "check_failed",
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
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|f| f.as_str() == s).ok_or_else(|| format!("unknown reason flag {s:?}"))
    }
}

/// A check whose failure makes a row `check_failed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    State,
    Aliases,
    EventSourceMappings,
    VersionInvocations,
    FunctionInvocations,
    LastModified,
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
        }
    }
}

/// One check that could not be completed, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckFailure {
    pub check: Check,
    pub error: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_flag_round_trips_through_its_name() {
        for flag in ReasonFlag::ALL {
            assert_eq!(flag.as_str().parse::<ReasonFlag>(), Ok(flag));
        }
        assert!("nope".parse::<ReasonFlag>().is_err());
    }
}
