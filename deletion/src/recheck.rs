//! The evidence a deletion re-checks, gathered in batches: aliases and provisioned concurrency
//! per function, each version's resource-based policy, invocations since the scan (up to 500
//! series per GetMetricData call), and the region's event source mappings, listed afresh when
//! the last listing is older than [`MAPPINGS_MAX_AGE`].

use std::{collections::HashMap, time::Duration};

use chrono::Utc;
use snapstart_aws::{arn::parse_function_arn, AliasInfo, EventSourceMapping, LambdaRead, SeriesQuery, VersionPolicy, Window, MAX_QUERIES_PER_CALL};
use snapstart_proto::v1::ReportRow;
use snapstart_rules::FallbackMode;
use tokio::time::Instant;

use crate::DeleteDeps;

/// How old a listing of event source mappings may be when a version is re-checked.
pub const MAPPINGS_MAX_AGE: Duration = Duration::from_secs(10);
/// Pending versions per batch: with one alias per function, their queries fill one call.
const VERSIONS_PER_BATCH: usize = MAX_QUERIES_PER_CALL / 2;
/// The finest period CloudWatch answers for a StartTime `age` ago (the scan's rule, from its age
/// in days). A run waits at most 7 days, but a deletion retried for long can start later.
fn recheck_period_seconds(age: chrono::Duration) -> u32 {
    snapstart_proto::request::finest_period_seconds(age.num_days())
}

/// The approved versions of one function still to process, in approval order.
pub struct FunctionRows<'a> {
    pub name: String,
    pub rows: Vec<&'a ReportRow>,
}

/// Consecutive functions whose pending versions are re-checked together.
pub struct Batch<'a> {
    pub functions: Vec<FunctionRows<'a>>,
}

/// Groups rows by function (first appearance order) and cuts the groups into batches of about
/// [`VERSIONS_PER_BATCH`] versions; a function is never split across batches.
pub fn batches<'a>(rows: &[&'a ReportRow]) -> Vec<Batch<'a>> {
    let mut functions: Vec<FunctionRows<'a>> = Vec::new();
    let mut position: HashMap<&str, usize> = HashMap::new();
    for row in rows {
        let i = *position.entry(row.function_name.as_str()).or_insert_with(|| {
            functions.push(FunctionRows { name: row.function_name.clone(), rows: Vec::new() });
            functions.len() - 1
        });
        functions[i].rows.push(row);
    }
    let mut out: Vec<Batch<'a>> = Vec::new();
    let mut size = 0;
    for f in functions {
        if out.is_empty() || size + f.rows.len() > VERSIONS_PER_BATCH {
            out.push(Batch { functions: Vec::new() });
            size = 0;
        }
        size += f.rows.len();
        out.last_mut().expect("pushed above").functions.push(f);
    }
    out
}

type Key = (String, String);

fn key(row: &ReportRow) -> Key {
    (row.function_name.clone(), row.version.clone())
}

/// What AWS says now about one batch's aliases and invocations.
pub struct Evidence {
    aliases: HashMap<String, Result<Vec<AliasInfo>, String>>,
    provisioned: HashMap<String, Result<Vec<String>, String>>,
    policies: HashMap<Key, Result<VersionPolicy, String>>,
    invoked: HashMap<Key, Result<bool, String>>,
    /// Per function: why its function-level traffic since the scan blocks it, if it does.
    function_level: HashMap<String, Result<Option<String>, String>>,
}

/// What a series counts towards.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Counted {
    /// One approved version's own traffic (its Resource series and its alias ExecutedVersion series).
    Version(Key),
    /// The function's whole traffic (the `{FunctionName}` series).
    Function(String),
    /// Traffic the Resource series explain: the approved versions' own and every alias's.
    Attributed(String),
}

impl Evidence {
    /// One ListAliases per function and one ListProvisionedConcurrencyConfigs per function with
    /// a version without SnapStart, one GetPolicy per version, then GetMetricData for every version whose aliases are known.
    pub async fn gather(deps: &DeleteDeps<'_>, batch: &Batch<'_>) -> Self {
        let mut aliases = HashMap::new();
        let mut provisioned = HashMap::new();
        let mut policies = HashMap::new();
        for f in &batch.functions {
            aliases.insert(f.name.clone(), deps.lambda.list_aliases(&f.name).await.map_err(|e| e.to_string()));
            // AWS allows no provisioned concurrency on a SnapStart version: listed only for a
            // function with a version that is not (or a row from before rows said so).
            let configs = match f.rows.iter().all(|r| r.snapstart) {
                true => Ok(Vec::new()),
                false => deps.lambda.provisioned_concurrency_qualifiers(&f.name).await.map_err(|e| e.to_string()),
            };
            provisioned.insert(f.name.clone(), configs);
            for row in &f.rows {
                let policy = deps.lambda.version_policy(&f.name, &row.version).await;
                policies.insert(key(row), policy.map_err(|e| e.to_string()));
            }
        }
        let mut queries: Vec<(Vec<Counted>, SeriesQuery)> = Vec::new();
        let mut add = |counted: Vec<Counted>, dimensions: Vec<(String, String)>| {
            let id = format!("q{}", queries.len());
            queries.push((counted, SeriesQuery { id, dimensions }));
        };
        for f in &batch.functions {
            let Some(Ok(known)) = aliases.get(&f.name) else { continue };
            for row in &f.rows {
                for (i, dimensions) in series_of(row, known).into_iter().enumerate() {
                    // The version's own Resource series (the first) is attributed traffic too.
                    let mut counted = vec![Counted::Version(key(row))];
                    if i == 0 {
                        counted.push(Counted::Attributed(f.name.clone()));
                    }
                    add(counted, dimensions);
                }
            }
            add(vec![Counted::Function(f.name.clone())], vec![("FunctionName".to_string(), f.name.clone())]);
            if deps.function_level == FallbackMode::Attributed {
                for a in known {
                    let resource = format!("{}:{}", f.name, a.name);
                    add(vec![Counted::Attributed(f.name.clone())], vec![("FunctionName".to_string(), f.name.clone()), ("Resource".to_string(), resource)]);
                }
            }
        }
        let sums = invocation_sums(deps, &queries).await;
        let mut invoked = HashMap::new();
        let mut function_level = HashMap::new();
        for f in &batch.functions {
            for row in &f.rows {
                if let Some(sum) = sums.get(&Counted::Version(key(row))) {
                    invoked.insert(key(row), sum.clone().map(|n| n > 0.0));
                }
            }
            let Some(total) = sums.get(&Counted::Function(f.name.clone())) else { continue };
            let attributed = sums.get(&Counted::Attributed(f.name.clone())).cloned().unwrap_or(Ok(0.0));
            function_level.insert(f.name.clone(), function_level_blocks(deps.function_level, total.clone(), attributed));
        }
        Self { aliases, provisioned, policies, invoked, function_level }
    }

    /// AWS's words when GetPolicy says the version no longer exists (it is `already_deleted`).
    pub fn gone(&self, row: &ReportRow) -> Option<String> {
        match self.policies.get(&key(row)) {
            Some(Ok(VersionPolicy::Gone(message))) => Some(format!("GetPolicy: {message}")),
            _ => None,
        }
    }

    /// Why the version may no longer be deleted, if anything changed or could not be checked.
    pub fn changed(&self, row: &ReportRow) -> Option<String> {
        let v = row.version.as_str();
        match self.aliases.get(&row.function_name) {
            None => return Some("aliases were not re-checked (fail closed)".into()),
            Some(Err(e)) => return Some(format!("could not re-check aliases (fail closed): {e}")),
            Some(Ok(aliases)) => {
                if let Some(a) = aliases.iter().find(|a| a.function_version == v || a.weighted_versions.iter().any(|w| w == v)) {
                    return Some(format!("alias {} now routes to it", a.name));
                }
            }
        }
        match self.provisioned.get(&row.function_name) {
            None => return Some("provisioned concurrency was not re-checked (fail closed)".into()),
            Some(Err(e)) => return Some(format!("could not re-check provisioned concurrency (fail closed): {e}")),
            Some(Ok(qualifiers)) if qualifiers.iter().any(|q| q == v) => {
                return Some("provisioned concurrency is now configured on it".into());
            }
            Some(Ok(_)) => {}
        }
        match self.policies.get(&key(row)) {
            None => return Some("resource-based policy was not re-checked (fail closed)".into()),
            Some(Err(e)) => return Some(format!("could not re-check its resource-based policy (fail closed): {e}")),
            Some(Ok(VersionPolicy::Gone(m))) => return Some(format!("GetPolicy says it no longer exists: {m}")),
            Some(Ok(VersionPolicy::Principals(principals))) if !principals.is_empty() => {
                return Some(format!("its resource-based policy now lets {} invoke it", principals.join(", ")));
            }
            Some(Ok(VersionPolicy::Principals(_))) => {}
        }
        match self.function_level.get(&row.function_name) {
            None => return Some("function-level invocations were not re-checked (fail closed)".into()),
            Some(Err(e)) => return Some(format!("could not re-check function-level invocations (fail closed): {e}")),
            Some(Ok(Some(why))) => return Some(why.clone()),
            Some(Ok(None)) => {}
        }
        match self.invoked.get(&key(row)) {
            None => Some("invocations were not re-checked (fail closed)".into()),
            Some(Err(e)) => Some(format!("could not re-check invocations (fail closed): {e}")),
            Some(Ok(true)) => Some("invoked since the scan".into()),
            Some(Ok(false)) => None,
        }
    }
}

/// The version's own series and, for every alias, the series of its traffic to this version.
fn series_of(row: &ReportRow, aliases: &[AliasInfo]) -> Vec<Vec<(String, String)>> {
    let (f, v) = (row.function_name.as_str(), row.version.as_str());
    let mut out = vec![vec![("FunctionName".to_string(), f.to_string()), ("Resource".to_string(), format!("{f}:{v}"))]];
    for a in aliases {
        out.push(vec![
            ("FunctionName".to_string(), f.to_string()),
            ("Resource".to_string(), format!("{f}:{}", a.name)),
            ("ExecutedVersion".to_string(), v.to_string()),
        ]);
    }
    out
}

/// Whether the function's own traffic since the scan keeps its versions: in strict mode any
/// function-level invocation does; in attributed mode only traffic the Resource series do not
/// explain (unqualified invocations, or versions and aliases nobody approved).
fn function_level_blocks(mode: FallbackMode, total: Result<f64, String>, attributed: Result<f64, String>) -> Result<Option<String>, String> {
    let total = total?;
    let blocks = match mode {
        FallbackMode::Strict => total > 0.0,
        FallbackMode::Attributed => total > attributed?,
    };
    Ok(blocks.then(|| format!("the function was invoked {total} times since the scan (function-level, {} fallback)", mode.as_str())))
}

/// Per counted thing: the sum of its series since the scan, or why one of them is not known.
async fn invocation_sums(deps: &DeleteDeps<'_>, queries: &[(Vec<Counted>, SeriesQuery)]) -> HashMap<Counted, Result<f64, String>> {
    let mut out: HashMap<Counted, Result<f64, String>> = HashMap::new();
    // CloudWatch refuses an empty window; a delete can follow its scan within the same minute.
    let period = recheck_period_seconds(Utc::now() - deps.since);
    let end = Utc::now().max(deps.since + chrono::Duration::seconds(i64::from(period)));
    let window = Window { start: deps.since, end, period_seconds: period };
    for chunk in queries.chunks(MAX_QUERIES_PER_CALL) {
        let series: Vec<SeriesQuery> = chunk.iter().map(|(_, q)| q.clone()).collect();
        let answer = deps.metrics.invocations(&series, window).await;
        for (counted, q) in chunk {
            let sum = match &answer {
                Err(e) => Err(e.to_string()),
                Ok(all) => match all.iter().find(|s| s.id == q.id) {
                    None => Err(format!("no series {} in the answer", q.id)),
                    Some(s) => match &s.error {
                        Some(e) => Err(e.clone()),
                        // A value that is not a number is not "no traffic".
                        None if s.values.iter().any(|v| !v.is_finite()) => Err(format!("series {} has a value that is not a number", q.id)),
                        None => Ok(s.values.iter().sum::<f64>()),
                    },
                },
            };
            for c in counted {
                let entry = out.entry(c.clone()).or_insert(Ok(0.0));
                *entry = match (entry.clone(), &sum) {
                    (Err(e), _) => Err(e),
                    (_, Err(e)) => Err(e.clone()),
                    (Ok(a), Ok(b)) => Ok(a + b),
                };
            }
        }
    }
    out
}

/// The region's event source mappings, listed again when older than `max_age`.
pub struct MappingsView {
    max_age: Duration,
    listed: Option<(Instant, Result<Vec<EventSourceMapping>, String>)>,
}

impl MappingsView {
    pub fn new(max_age: Duration) -> Self {
        Self { max_age, listed: None }
    }

    /// Why the version may not be deleted because of a mapping (or a failed listing), if so.
    pub async fn targeting(&mut self, lambda: &dyn LambdaRead, row: &ReportRow) -> Option<String> {
        let stale = self.listed.as_ref().is_none_or(|(at, _)| at.elapsed() >= self.max_age);
        if stale {
            let listing = lambda.list_event_source_mappings().await.map_err(|e| e.to_string());
            self.listed = Some((Instant::now(), listing));
        }
        match &self.listed.as_ref().expect("listed above").1 {
            Err(e) => Some(format!("could not re-check event source mappings (fail closed): {e}")),
            Ok(mappings) => mappings
                .iter()
                .find(|m| parse_function_arn(&m.function_arn) == Some((row.function_name.as_str(), Some(row.version.as_str()))))
                .map(|m| format!("event source mapping {} now targets it", m.uuid)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(f: &str, v: &str) -> ReportRow {
        ReportRow { function_name: f.into(), version: v.into(), ..Default::default() }
    }

    #[test]
    fn rows_are_grouped_by_function_and_a_function_is_never_split() {
        let rows: Vec<ReportRow> = (0..300).map(|i| row(&format!("f{}", i / 100), &i.to_string())).chain([row("f0", "x")]).collect();
        let refs: Vec<&ReportRow> = rows.iter().collect();

        let out = batches(&refs);

        let shape: Vec<Vec<(String, usize)>> = out.iter().map(|b| b.functions.iter().map(|f| (f.name.clone(), f.rows.len())).collect()).collect();
        assert_eq!(shape, vec![vec![("f0".to_string(), 101), ("f1".to_string(), 100)], vec![("f2".to_string(), 100)]]);
    }

    #[test]
    fn functions_that_fill_a_batch_exactly_share_it() {
        let rows: Vec<ReportRow> = (0..VERSIONS_PER_BATCH - 100)
            .map(|i| row("f0", &i.to_string()))
            .chain((0..100).map(|i| row("f1", &i.to_string())))
            .chain([row("f2", "1")])
            .collect();
        let refs: Vec<&ReportRow> = rows.iter().collect();

        let out = batches(&refs);

        assert_eq!(out.iter().map(|b| b.functions.len()).collect::<Vec<_>>(), vec![2, 1], "{VERSIONS_PER_BATCH} versions fit one batch");
    }

    #[test]
    fn a_function_larger_than_a_batch_gets_a_batch_of_its_own() {
        let rows: Vec<ReportRow> = (0..600).map(|i| row("big", &i.to_string())).chain([row("small", "1")]).collect();
        let refs: Vec<&ReportRow> = rows.iter().collect();

        let out = batches(&refs);

        assert_eq!(out.iter().map(|b| b.functions.len()).collect::<Vec<_>>(), vec![1, 1]);
        assert_eq!(out[0].functions[0].rows.len(), 600);
    }

    #[test]
    fn every_alias_adds_an_executed_version_series() {
        let alias = AliasInfo { name: "live".into(), function_version: "9".into(), weighted_versions: vec![] };

        let series = series_of(&row("f", "3"), &[alias]);

        assert_eq!(series.len(), 2);
        assert!(series[1].contains(&("ExecutedVersion".to_string(), "3".to_string())));
        assert!(series[1].contains(&("Resource".to_string(), "f:live".to_string())));
    }

    #[test]
    fn the_recheck_period_is_the_finest_cloudwatch_answers_for_the_scan_s_age() {
        let cases = [(0, 60), (7, 60), (13, 60), (14, 300), (61, 300), (62, 3600), (400, 3600)];
        for (days, want) in cases {
            assert_eq!(recheck_period_seconds(chrono::Duration::days(days)), want, "{days} days");
        }
    }

    /// Evidence for function `f` (version 3 approved) where everything is clear.
    fn clear() -> Evidence {
        let k = || ("f".to_string(), "3".to_string());
        Evidence {
            aliases: HashMap::from([("f".into(), Ok(vec![AliasInfo { name: "live".into(), function_version: "9".into(), weighted_versions: vec!["8".into()] }]))]),
            provisioned: HashMap::from([("f".into(), Ok(vec!["9".into()]))]),
            policies: HashMap::from([(k(), Ok(VersionPolicy::Principals(vec![])))]),
            invoked: HashMap::from([(k(), Ok(false))]),
            function_level: HashMap::from([("f".into(), Ok(None))]),
        }
    }

    #[test]
    fn a_version_with_nothing_changed_may_go_and_every_change_or_doubt_keeps_it() {
        let r = row("f", "3");
        assert_eq!(clear().changed(&r), None);
        assert_eq!(clear().gone(&r), None);

        let alias = |primary: &str, weighted: &[&str]| AliasInfo { name: "live".into(), function_version: primary.into(), weighted_versions: weighted.iter().map(|w| w.to_string()).collect() };
        let cases: Vec<(&str, Box<dyn Fn(&mut Evidence)>, &str)> = vec![
            ("alias primary", Box::new(move |e| { e.aliases.insert("f".into(), Ok(vec![alias("3", &[])])); }), "alias live now routes to it"),
            ("alias weight", Box::new(move |e| { e.aliases.insert("f".into(), Ok(vec![alias("9", &["3"])])); }), "alias live now routes to it"),
            ("aliases unread", Box::new(|e| { e.aliases.clear(); }), "aliases were not re-checked"),
            ("aliases failed", Box::new(|e| { e.aliases.insert("f".into(), Err("boom".into())); }), "could not re-check aliases"),
            ("provisioned", Box::new(|e| { e.provisioned.insert("f".into(), Ok(vec!["3".into()])); }), "provisioned concurrency is now configured"),
            ("provisioned unread", Box::new(|e| { e.provisioned.clear(); }), "provisioned concurrency was not re-checked"),
            ("provisioned failed", Box::new(|e| { e.provisioned.insert("f".into(), Err("boom".into())); }), "could not re-check provisioned"),
            ("policy", Box::new(|e| { e.policies.insert(("f".into(), "3".into()), Ok(VersionPolicy::Principals(vec!["s3.amazonaws.com".into()]))); }), "now lets s3.amazonaws.com invoke it"),
            ("policy unread", Box::new(|e| { e.policies.clear(); }), "resource-based policy was not re-checked"),
            ("policy failed", Box::new(|e| { e.policies.insert(("f".into(), "3".into()), Err("boom".into())); }), "could not re-check its resource-based policy"),
            ("function level", Box::new(|e| { e.function_level.insert("f".into(), Ok(Some("the function was invoked".into()))); }), "the function was invoked"),
            ("function level unread", Box::new(|e| { e.function_level.clear(); }), "function-level invocations were not re-checked"),
            ("function level failed", Box::new(|e| { e.function_level.insert("f".into(), Err("boom".into())); }), "could not re-check function-level"),
            ("invoked", Box::new(|e| { e.invoked.insert(("f".into(), "3".into()), Ok(true)); }), "invoked since the scan"),
            ("invocations unread", Box::new(|e| { e.invoked.clear(); }), "invocations were not re-checked"),
            ("invocations failed", Box::new(|e| { e.invoked.insert(("f".into(), "3".into()), Err("boom".into())); }), "could not re-check invocations"),
        ];
        for (name, change, want) in cases {
            let mut e = clear();
            change(&mut e);
            let why = e.changed(&r).unwrap_or_else(|| panic!("{name}: the version would go"));
            assert!(why.contains(want), "{name}: {why}");
        }
    }

    #[test]
    fn a_version_getpolicy_says_is_gone_is_gone_and_never_clear() {
        let mut e = clear();
        e.policies.insert(("f".into(), "3".into()), Ok(VersionPolicy::Gone("Function not found: arn".into())));

        assert_eq!(e.gone(&row("f", "3")).as_deref(), Some("GetPolicy: Function not found: arn"));
        assert!(e.changed(&row("f", "3")).is_some_and(|w| w.contains("no longer exists")));
        assert_eq!(e.gone(&row("f", "4")), None, "another version");
    }

    #[test]
    fn function_level_traffic_blocks_by_mode() {
        let strict = |total: f64| function_level_blocks(FallbackMode::Strict, Ok(total), Ok(total));
        let attributed = |total: f64, explained: f64| function_level_blocks(FallbackMode::Attributed, Ok(total), Ok(explained));

        assert_eq!(strict(0.0), Ok(None));
        assert!(strict(1.0).unwrap().is_some_and(|w| w.contains("invoked 1 times since the scan (function-level, strict fallback)")));
        assert_eq!(attributed(5.0, 5.0), Ok(None), "all of it explained");
        assert_eq!(attributed(5.0, 6.0), Ok(None));
        assert!(attributed(5.0, 4.0).unwrap().is_some(), "one call nobody approved explains");
        assert_eq!(function_level_blocks(FallbackMode::Strict, Err("x".into()), Ok(0.0)), Err("x".into()));
        assert_eq!(function_level_blocks(FallbackMode::Attributed, Ok(1.0), Err("y".into())), Err("y".into()));
    }
}
