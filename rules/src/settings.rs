//! The scan settings the verdict depends on, and how function-level traffic is read.

use std::{fmt, str::FromStr};

/// How to read `{FunctionName}` traffic, which covers every version and `$LATEST` at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FallbackMode {
    /// Any function-level traffic within `min_age_days` blocks every version of the function.
    #[default]
    Strict,
    /// Such traffic blocks only when it exceeds what the `{FunctionName, Resource}` series
    /// account for; traffic no series explains (e.g. unqualified calls) stays uncertain.
    Attributed,
}

impl FallbackMode {
    /// The name used in settings: `strict` or `attributed`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Strict => "strict",
            Self::Attributed => "attributed",
        }
    }
}

impl fmt::Display for FallbackMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for FallbackMode {
    type Err = String;

    /// Parses exactly `strict` or `attributed`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "strict" => Ok(Self::Strict),
            "attributed" => Ok(Self::Attributed),
            other => Err(format!("unknown fallback mode {other:?} (expected strict or attributed)")),
        }
    }
}

/// The scan settings the rules read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    /// A version younger than this is `too_recent`; function-level traffic this recent is "active".
    pub min_age_days: u32,
    /// How many of the highest-numbered versions of each function are always kept.
    pub keep_last_n: u32,
    /// How far back a version's own invocations count as recent.
    pub lookback_days: u32,
    /// How function-level traffic is read.
    pub fallback: FallbackMode,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fallback_modes_round_trip_through_their_names() {
        for (mode, name) in [(FallbackMode::Strict, "strict"), (FallbackMode::Attributed, "attributed")] {
            assert_eq!((mode.as_str(), mode.to_string()), (name, name.to_string()));
            assert_eq!(name.parse(), Ok(mode));
        }
    }

    #[test]
    fn unknown_fallback_modes_do_not_parse_and_strict_is_the_default() {
        for s in ["", "loose", "Strict", "ATTRIBUTED"] {
            assert_eq!(s.parse::<FallbackMode>(), Err(format!("unknown fallback mode {s:?} (expected strict or attributed)")), "{s:?}");
        }
        assert_eq!(FallbackMode::default(), FallbackMode::Strict);
    }
}
