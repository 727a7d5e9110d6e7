//! Phase 2, `stage-a-age-and-keep-last-n`: pure. Marks versions old enough and not among the
//! newest N of their function; only those go on to the (costly) state and usage checks.

use snapstart_proto::v1::ScanState;
use snapstart_rules::{parse_last_modified, stage_a, StageA, VersionAge};

use crate::now_of;

/// Sets `stage_a_pass` on every version.
pub fn apply(state: &mut ScanState) {
    let settings = state.settings.clone().unwrap_or_default();
    let now = now_of(&settings);
    for f in &mut state.functions {
        let results = evaluate(f, now, settings.min_age_days, settings.keep_last_n);
        for (v, a) in f.versions.iter_mut().zip(results) {
            v.stage_a_pass = a.pass;
        }
    }
}

/// Stage A for every SnapStart version of one function, in `f.versions` order.
pub fn evaluate(
    f: &snapstart_proto::v1::FunctionScan,
    now: chrono::DateTime<chrono::Utc>,
    min_age_days: u32,
    keep_last_n: u32,
) -> Vec<StageA> {
    let ages: Vec<VersionAge> = f
        .versions
        .iter()
        .map(|v| VersionAge { version: v.version.clone(), last_modified: parse_last_modified(&v.last_modified) })
        .collect();
    stage_a(&ages, now, min_age_days, keep_last_n)
}
