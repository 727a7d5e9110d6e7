//! What stage B learned about one version, with "not checked" and "failed" kept distinct
//! from "known" so that neither can ever be read as "no usage".

use chrono::{DateTime, Utc};

/// What we learned about one fact. Never treat `Failed` or `NotChecked` as "no usage".
#[derive(Debug, Clone, PartialEq)]
pub enum Observed<T> {
    /// The check did not run (fine only for a version already protected for another reason).
    NotChecked,
    /// The check ran and found this.
    Known(T),
    /// The check ran and failed with this error.
    Failed(String),
}

/// `{FunctionName}`-level traffic of the version's function.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FunctionActivity {
    /// Latest non-zero `{FunctionName}` datapoint in the lookback window.
    pub last_invoked: Option<DateTime<Utc>>,
    /// Sum of `{FunctionName}` Invocations in the window.
    pub invocations_in_lookback: f64,
    /// Sum of every `{FunctionName, Resource=fn:X}` series (all versions and all aliases) in
    /// the window.
    pub attributed_invocations_in_lookback: f64,
}

/// Everything stage B learned about one version.
#[derive(Debug, Clone, PartialEq)]
pub struct Evidence {
    /// GetFunctionConfiguration's State for the version.
    pub state: Observed<String>,
    /// Names of aliases referencing the version, as primary FunctionVersion or as a weight in
    /// AdditionalVersionWeights.
    pub aliases: Observed<Vec<String>>,
    /// UUIDs of event source mappings whose FunctionArn targets exactly this version.
    pub event_source_mappings: Observed<Vec<String>>,
    /// Latest non-zero datapoint in the lookback window across `{FunctionName, Resource=fn:N}`
    /// and every `{FunctionName, Resource=fn:alias, ExecutedVersion=N}`; `Known(None)` means no
    /// invocations.
    pub version_last_invoked: Observed<Option<DateTime<Utc>>>,
    /// The function-level traffic, for the fallback.
    pub function_activity: Observed<FunctionActivity>,
    /// Principals of the statements in the version's own resource-based policy (GetPolicy with
    /// the version as qualifier); `Known(empty)` when it has none. Read only for versions that
    /// every other check would let go, so `NotChecked` is normal elsewhere.
    pub resource_policy: Observed<Vec<String>>,
    /// Whether provisioned concurrency is configured on the version; read like `resource_policy`.
    pub provisioned_concurrency: Observed<bool>,
    /// Whether the function's name is outside the run's globs (known from the listing).
    pub excluded_by_pattern: bool,
    /// Whether the function carries the protect tag (one listing per region).
    pub protect_tag: Observed<bool>,
}
