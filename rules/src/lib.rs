//! The rules that decide what may be deleted: plain synchronous functions over plain data, with
//! `now` always passed in. No AWS, Temporal or tokio here, so every rule has fast table tests.
//!
//! Map: `flags` (the report vocabulary) · `time` (LastModified and version numbers) ·
//! `stage_a` (age and keep-last-N, from the version list alone) · `state` (which Lambda states
//! allow deletion) · `evidence` and `settings` (the inputs of `classify`) · `stage_b` (`classify`,
//! the final verdict) · `metrics` (reducing CloudWatch series) · `cost` (the snapshot cache
//! estimate).

mod cost;
mod evidence;
mod flags;
mod metrics;
mod names;
mod settings;
mod stage_a;
mod stage_b;
mod state;
mod time;

pub use cost::{cache_billed, cache_price, estimated_monthly_cost_usd, round_cents, CachePrice, CACHE_PRICES, SECONDS_PER_MONTH, SNAPSHOT_CACHE_USD_PER_GB_SECOND};
pub use evidence::{Evidence, FunctionActivity, Observed};
pub use flags::{Check, CheckFailure, ReasonFlag};
pub use metrics::{last_nonzero, latest, sum_since};
pub use names::{excluded_by_pattern, glob_match, tag_protects};
pub use settings::{FallbackMode, Settings};
pub use stage_a::{stage_a, StageA, VersionAge};
pub use stage_b::{classify, Verdict};
pub use state::state_is_deletable;
pub use time::{parse_last_modified, parse_version_number};
