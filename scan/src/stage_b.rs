//! Phase 4, `stage-b-usage-and-alias`: aliases (one listing per function), event source mappings
//! (one listing for the region), and CloudWatch invocations for the versions still in the running.
//!
//! CloudWatch matches exact dimension sets, so a version's traffic is read from
//! `{FunctionName, Resource=fn:N}` and, for every alias, `{FunctionName, Resource=fn:alias,
//! ExecutedVersion=N}`; the function-level fallback reads `{FunctionName}`.

use std::collections::BTreeMap;

use futures::{stream, StreamExt};
use snapstart_aws::{arn::parse_function_arn, Series, SeriesQuery, Window, MAX_QUERIES_PER_CALL};
use snapstart_proto::v1::{Alias, FunctionActivity, Observation, ScanState};
use snapstart_rules::{last_nonzero, latest, state_is_deletable, sum_since};

use crate::{confirm_state, now_of, ScanDeps};

const KNOWN: i32 = Observation::Known as i32;
const FAILED: i32 = Observation::Failed as i32;

/// Runs the usage checks function by function, in chunks, and reads state and the protections
/// of each chunk's versions that usage lets go while the next chunk's usage is checked.
///
/// The per-version reads have their own quotas (GetFunction, GetPolicy) and are the long pole of
/// a scan, so they start as soon as the first chunk's usage is known instead of after the whole
/// region's: the scan then takes about as long as its GetPolicy calls at their budget.
/// `confirm-state` afterwards reads whatever is still unread (nothing, unless a read was in flight
/// when an attempt died).
pub async fn check_usage(deps: &ScanDeps, state: &mut ScanState) {
    match_event_source_mappings(deps, state).await;
    let todo: Vec<usize> = state
        .functions
        .iter()
        .enumerate()
        .filter(|(_, f)| !super::out_of_scope(f) && (f.aliases_observation == Observation::NotChecked as i32 || f.activity.is_none()))
        .map(|(i, _)| i)
        .collect();
    deps.progress.start("stage-b: functions' usage checked (their states and protections read behind)", todo.len());
    let mut in_flight: Option<confirm_state::Reads> = None;
    for chunk in todo.chunks(CHUNK) {
        let usage = async {
            list_aliases(deps, state, chunk).await;
            read_invocations(deps, state, chunk).await;
        };
        match in_flight.take() {
            Some(reads) => {
                let ((), done) = tokio::join!(usage, reads.run(deps));
                done.record(state);
            }
            None => usage.await,
        }
        deps.progress.advance(chunk.len());
        deps.progress.checkpoint(state);
        in_flight = Some(confirm_state::Reads::for_functions(state, chunk));
    }
    if let Some(reads) = in_flight {
        reads.run(deps).await.record(state);
        deps.progress.checkpoint(state);
    }
}

/// Functions handled between two checkpoints: their aliases, invocations, then (behind the next
/// chunk) their states and protections.
const CHUNK: usize = 50;

/// One ListAliases per function of `chunk` not listed yet (a resumed attempt skips those it has).
async fn list_aliases(deps: &ScanDeps, state: &mut ScanState, chunk: &[usize]) {
    let names: Vec<(usize, String)> = chunk
        .iter()
        .map(|&i| (i, &state.functions[i]))
        .filter(|(_, f)| f.aliases_observation == Observation::NotChecked as i32)
        .map(|(i, f)| (i, f.function_name.clone()))
        .collect();
    let results: Vec<_> = stream::iter(names)
        .map(|(i, name)| {
            let lambda = deps.lambda.clone();
            async move { (i, lambda.list_aliases(&name).await) }
        })
        .buffer_unordered(deps.concurrency.max(1))
        .collect()
        .await;
    record_aliases(state, results);
}

fn record_aliases(state: &mut ScanState, results: Vec<(usize, Result<Vec<snapstart_aws::AliasInfo>, snapstart_aws::AwsError>)>) {
    for (i, result) in results {
        let f = &mut state.functions[i];
        match result {
            Ok(aliases) => {
                f.aliases_observation = KNOWN;
                f.aliases = aliases
                    .into_iter()
                    .map(|a| Alias { name: a.name, function_version: a.function_version, weighted_versions: a.weighted_versions })
                    .collect();
            }
            Err(e) => {
                f.aliases_observation = FAILED;
                f.aliases_error = e.to_string();
            }
        }
    }
}

async fn match_event_source_mappings(deps: &ScanDeps, state: &mut ScanState) {
    let listing = deps.lambda.list_event_source_mappings().await;
    for f in &mut state.functions {
        for v in &mut f.versions {
            match &listing {
                Ok(mappings) => {
                    v.esm_observation = KNOWN;
                    v.event_source_mappings = mappings
                        .iter()
                        .filter(|m| parse_function_arn(&m.function_arn) == Some((&f.function_name, Some(&v.version))))
                        .map(|m| m.uuid.clone())
                        .collect();
                }
                Err(e) => {
                    v.esm_observation = FAILED;
                    v.esm_error = e.to_string();
                }
            }
        }
    }
}

/// Who a series' datapoints count for.
#[derive(Clone, Copy, Debug)]
enum Role {
    Version(usize, usize),
    FunctionLevel(usize),
    Attributed(usize),
}

#[derive(Default)]
struct Plan {
    queries: Vec<SeriesQuery>,
    roles: Vec<Vec<Role>>,
    by_dimensions: BTreeMap<Vec<(String, String)>, usize>,
}

impl Plan {
    fn add(&mut self, dims: &[(&str, &str)], role: Role) {
        let dims: Vec<(String, String)> = dims.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let index = *self.by_dimensions.entry(dims.clone()).or_insert_with(|| {
            self.queries.push(SeriesQuery { id: format!("q{}", self.queries.len()), dimensions: dims });
            self.roles.push(Vec::new());
            self.queries.len() - 1
        });
        self.roles[index].push(role);
    }
}

fn plan(state: &mut ScanState, only: &[usize]) -> Plan {
    let attributed = state.settings.as_ref().is_some_and(|s| s.function_level_fallback == "attributed");
    let mut plan = Plan::default();
    for &fi in only {
        let f = &mut state.functions[fi];
        if super::out_of_scope(f) {
            continue;
        }
        let eval: Vec<usize> = (0..f.versions.len())
            .filter(|&vi| {
                let v = &f.versions[vi];
                // Before or after the state read (runs started before state moved after stage B
                // read it first): an unread state may still allow deletion.
                let unread = v.state_observation == Observation::NotChecked as i32;
                v.stage_a_pass && (unread || (v.state_observation == KNOWN && state_is_deletable(&v.state)))
            })
            .collect();
        if eval.is_empty() {
            continue;
        }
        let name = f.function_name.clone();
        for &vi in &eval {
            let v = &mut f.versions[vi];
            if f.aliases_observation != KNOWN {
                v.invocations_observation = FAILED;
                v.invocations_error = "aliases unknown, so traffic through aliases (ExecutedVersion) cannot be read".into();
                continue;
            }
            plan.add(&[("FunctionName", &name), ("Resource", &format!("{name}:{}", v.version))], Role::Version(fi, vi));
            for a in &f.aliases {
                let resource = format!("{name}:{}", a.name);
                plan.add(&[("FunctionName", &name), ("Resource", &resource), ("ExecutedVersion", &v.version)], Role::Version(fi, vi));
            }
        }
        plan.add(&[("FunctionName", &name)], Role::FunctionLevel(fi));
        if attributed {
            let qualifiers = f.published_versions.iter().cloned().chain(f.aliases.iter().map(|a| a.name.clone())).chain(["$LATEST".to_string()]);
            for q in qualifiers {
                plan.add(&[("FunctionName", &name), ("Resource", &format!("{name}:{q}"))], Role::Attributed(fi));
            }
        }
    }
    plan
}

async fn fetch(deps: &ScanDeps, queries: &[SeriesQuery], window: Window) -> BTreeMap<String, Series> {
    let batches: Vec<Vec<SeriesQuery>> = queries.chunks(MAX_QUERIES_PER_CALL).map(<[_]>::to_vec).collect();
    let results: Vec<Vec<Series>> = stream::iter(batches)
        .map(|batch| {
            let metrics = deps.metrics.clone();
            async move {
                match metrics.invocations(&batch, window).await {
                    Ok(series) => series,
                    Err(e) => batch.iter().map(|q| Series { id: q.id.clone(), error: Some(e.to_string()), ..Default::default() }).collect(),
                }
            }
        })
        .buffer_unordered(deps.concurrency.max(1))
        .collect()
        .await;
    results.into_iter().flatten().map(|s| (s.id.clone(), s)).collect()
}

/// Invocations of the versions of `only` (functions by index) still in the running, and their
/// functions' function-level traffic: one GetMetricData per 500 series.
async fn read_invocations(deps: &ScanDeps, state: &mut ScanState, only: &[usize]) {
    let settings = state.settings.clone().unwrap_or_default();
    let now = now_of(&settings);
    let start = now - chrono::Duration::days(i64::from(settings.lookback_days));
    // Read up to the real present: traffic that arrived after the run started still counts.
    let window = Window { start, end: now.max(chrono::Utc::now()), period_seconds: settings.period_seconds };
    let plan = plan(state, only);
    let series = fetch(deps, &plan.queries, window).await;
    let mut activity: BTreeMap<usize, FunctionActivity> = BTreeMap::new();
    for (query, roles) in plan.queries.iter().zip(&plan.roles) {
        let s = series.get(&query.id).cloned().unwrap_or_else(|| Series { error: Some("series missing".into()), ..Default::default() });
        let s = at_bucket_ends(s, settings.period_seconds, window.end);
        for role in roles {
            apply(state, &mut activity, *role, &s, start);
        }
    }
    for (fi, a) in activity {
        state.functions[fi].activity = Some(a);
    }
}

/// Dates each datapoint at the end of its bucket (never after `end`): the latest moment its
/// traffic can have happened. CloudWatch rounds StartTime down and stamps a bucket with its start,
/// so the first bucket can begin before the window and still hold traffic inside it; dated at
/// its start it would fall outside the window and read as no traffic (emulator/FIDELITY.md).
fn at_bucket_ends(mut s: Series, period_seconds: u32, end: chrono::DateTime<chrono::Utc>) -> Series {
    let period = chrono::Duration::seconds(i64::from(period_seconds));
    for t in &mut s.timestamps {
        *t = (*t + period).min(end);
    }
    s
}

fn apply(state: &mut ScanState, activity: &mut BTreeMap<usize, FunctionActivity>, role: Role, s: &Series, start: chrono::DateTime<chrono::Utc>) {
    let last = last_nonzero(&s.timestamps, &s.values, start);
    match role {
        Role::Version(fi, vi) => {
            let v = &mut state.functions[fi].versions[vi];
            if v.invocations_observation == FAILED {
                return;
            }
            if let Some(e) = &s.error {
                v.invocations_observation = FAILED;
                v.invocations_error = format!("CloudWatch: {e}");
                return;
            }
            v.invocations_observation = KNOWN;
            let previous = v.last_invoked_unix.and_then(|t| chrono::DateTime::from_timestamp(t, 0));
            v.last_invoked_unix = latest(previous, last).map(|t| t.timestamp());
        }
        Role::FunctionLevel(fi) | Role::Attributed(fi) => {
            let a = activity.entry(fi).or_insert_with(|| FunctionActivity { observation: KNOWN, ..Default::default() });
            if a.observation == FAILED {
                return;
            }
            if let Some(e) = &s.error {
                a.observation = FAILED;
                a.error = format!("CloudWatch: {e}");
                return;
            }
            let sum = sum_since(&s.timestamps, &s.values, start);
            if let Role::FunctionLevel(_) = role {
                a.last_invoked_unix = last.map(|t| t.timestamp());
                a.invocations_in_lookback = sum;
            } else {
                a.attributed_invocations_in_lookback += sum;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_datapoint_is_dated_at_the_end_of_its_bucket_never_after_the_window() {
        let at = |s: &str| s.parse::<chrono::DateTime<chrono::Utc>>().unwrap();
        let series = Series { id: "q0".into(), timestamps: vec![at("2026-11-01T09:00:00Z"), at("2026-11-30T11:00:00Z")], values: vec![3.0, 1.0], error: None };

        let dated = at_bucket_ends(series, 3600, at("2026-11-30T11:20:00Z"));

        assert_eq!(dated.timestamps, vec![at("2026-11-01T10:00:00Z"), at("2026-11-30T11:20:00Z")]);
        assert_eq!(dated.values, vec![3.0, 1.0]);
    }
}
