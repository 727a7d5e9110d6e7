//! Phase 5, `build-report`: classifies every version with the pure rules and builds the report,
//! its summary, and the preview that fits in one Temporal payload.

use std::collections::BTreeMap;

use chrono::{DateTime, SecondsFormat, Utc};
use snapstart_proto::{
    status::{TARGET_FAILED, TARGET_SCANNED},
    v1::{
        CheckFailure, CodeStorage, FunctionScan, Observation, Report, ReportPreview, ReportRow, ReportSummary, ScanSettings,
        ScanState, TargetSummary, VersionScan,
    },
};
use snapstart_rules::{
    cache_price, classify, estimated_monthly_cost_usd, round_cents, CachePrice, Evidence, FallbackMode, FunctionActivity, Observed, ReasonFlag,
    Settings, StageA,
};

use crate::{now_of, scope, stage_a};

/// JSON size budget for the rows in the preview; the preview is the workflow result, and
/// Temporal warns at 256 KiB per payload.
pub const PREVIEW_ROWS_BUDGET_BYTES: usize = 128 * 1024;

/// Classifies every SnapStart version of every account and region and summarises.
pub fn build(state: &ScanState) -> Report {
    let settings = state.settings.clone().unwrap_or_default();
    let all = scope::targets_of(state);
    // Sized once: at 10,000 versions a list grown by doubling peaks at twice its size.
    let mut rows = Vec::with_capacity(all.iter().flat_map(|t| &t.functions).map(|f| f.versions.len()).sum());
    let mut targets = Vec::new();
    for t in all {
        let own = target_rows(t, &settings);
        targets.push(target_summary(t, &settings, &own));
        rows.extend(own);
    }
    let summary = summarize(state, &rows, targets, now_of(&settings));
    Report { summary: Some(summary), rows }
}

/// One target's rows, each carrying the target's account and region.
fn target_rows(t: &ScanState, top: &ScanSettings) -> Vec<ReportRow> {
    let settings = t.settings.clone().unwrap_or_else(|| top.clone());
    let (now, rules) = (now_of(&settings), rules_of(&settings));
    let region = if t.region.is_empty() { top.region.as_str() } else { t.region.as_str() };
    let given = (settings.cache_price_per_gb_second > 0.0).then_some(settings.cache_price_per_gb_second);
    let price = cache_price(region, given);
    let mut rows = Vec::with_capacity(t.functions.iter().map(|f| f.versions.len()).sum());
    for f in &t.functions {
        let stage_a = stage_a::evaluate(f, now, settings.min_age_days, settings.keep_last_n);
        for (v, a) in f.versions.iter().zip(stage_a) {
            rows.push(ReportRow { account_id: t.account_id.clone(), region: t.region.clone(), ..row(f, v, &a, &rules, now, price) });
        }
    }
    rows
}

fn target_summary(t: &ScanState, top: &ScanSettings, rows: &[ReportRow]) -> TargetSummary {
    let candidates: Vec<&ReportRow> = rows.iter().filter(|r| r.candidate_for_deletion).collect();
    let storage = t.code_storage.clone().unwrap_or_default();
    TargetSummary {
        account_id: t.account_id.clone(),
        region: if t.region.is_empty() { top.region.clone() } else { t.region.clone() },
        status: if t.error.is_empty() { TARGET_SCANNED } else { TARGET_FAILED }.into(),
        error: t.error.clone(),
        role_arn: t.role_arn.clone(),
        functions_scanned: t.functions.len() as u32,
        snapstart_versions: rows.len() as u32,
        candidates: candidates.len() as u32,
        estimated_monthly_saving_usd: round_cents(candidates.iter().map(|r| r.estimated_monthly_cost_usd).sum()),
        reclaimable_code_bytes: candidates.iter().map(|r| r.code_size_bytes).sum(),
        code_storage_used_bytes: storage.used_bytes,
        code_storage_limit_bytes: storage.limit_bytes,
        code_storage_error: storage.error,
    }
}

fn rules_of(settings: &ScanSettings) -> Settings {
    Settings {
        min_age_days: settings.min_age_days,
        keep_last_n: settings.keep_last_n,
        lookback_days: settings.lookback_days,
        fallback: settings.function_level_fallback.parse().unwrap_or(FallbackMode::Strict),
    }
}

/// Per function (by index), the versions (by index) that every check so far lets go: those
/// whose resource-based policy and provisioned concurrency decide, and so must be read. With
/// `assume_deletable`, a state not read yet counts as Active (the reads run side by side).
pub fn undecided(state: &ScanState, assume_deletable: bool) -> Vec<(usize, Vec<usize>)> {
    versions_where(state, |f, v, a, rules, now| unprotected_would_go(f, v, a, rules, now, assume_deletable))
}

/// Whether the version would be a candidate if the protections found nothing (and, with
/// `assume_deletable`, if a state not read yet were Active).
fn unprotected_would_go(f: &FunctionScan, v: &VersionScan, a: &StageA, rules: &Settings, now: DateTime<Utc>, assume_deletable: bool) -> bool {
    let mut e = Evidence { resource_policy: Observed::Known(Vec::new()), provisioned_concurrency: Observed::Known(false), ..evidence(f, v) };
    if assume_deletable && e.state == Observed::NotChecked {
        e.state = Observed::Known("Active".into());
    }
    classify(a, &e, rules, now).candidate
}

/// The versions whose state must be read: past stage A, not read yet, and — once stage B has
/// run (runs started before state moved after it read state first) — not already kept by it.
pub fn needs_state(state: &ScanState) -> Vec<(usize, usize)> {
    let picked = versions_where(state, |f, v, a, rules, now| {
        if !v.stage_a_pass || v.state_observation != Observation::NotChecked as i32 || super::out_of_scope(f) {
            return false;
        }
        f.aliases_observation == Observation::NotChecked as i32 || unprotected_would_go(f, v, a, rules, now, true)
    });
    picked.into_iter().flat_map(|(fi, vis)| vis.into_iter().map(move |vi| (fi, vi))).collect()
}

fn versions_where(state: &ScanState, pick: impl Fn(&FunctionScan, &VersionScan, &StageA, &Settings, DateTime<Utc>) -> bool) -> Vec<(usize, Vec<usize>)> {
    let settings = state.settings.clone().unwrap_or_default();
    let (now, rules) = (now_of(&settings), rules_of(&settings));
    let mut out = Vec::new();
    for (fi, f) in state.functions.iter().enumerate() {
        let stage_a = stage_a::evaluate(f, now, settings.min_age_days, settings.keep_last_n);
        let versions: Vec<usize> =
            f.versions.iter().zip(&stage_a).enumerate().filter(|(_, (v, a))| pick(f, v, a, &rules, now)).map(|(vi, _)| vi).collect();
        if !versions.is_empty() {
            out.push((fi, versions));
        }
    }
    out
}

fn observed<T>(observation: i32, known: impl FnOnce() -> T, error: &str) -> Observed<T> {
    match Observation::try_from(observation).unwrap_or(Observation::NotChecked) {
        Observation::Known => Observed::Known(known()),
        Observation::Failed => Observed::Failed(error.to_string()),
        Observation::NotChecked => Observed::NotChecked,
    }
}

fn to_time(unix: Option<i64>) -> Option<DateTime<Utc>> {
    unix.and_then(|t| DateTime::from_timestamp(t, 0))
}

fn iso(t: Option<DateTime<Utc>>) -> Option<String> {
    t.map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true))
}

/// Names of the aliases that route any traffic to `version`.
fn aliases_of(f: &FunctionScan, version: &str) -> Vec<String> {
    f.aliases
        .iter()
        .filter(|a| a.function_version == version || a.weighted_versions.iter().any(|w| w == version))
        .map(|a| a.name.clone())
        .collect()
}

fn evidence(f: &FunctionScan, v: &VersionScan) -> Evidence {
    let activity = f.activity.clone().unwrap_or_default();
    Evidence {
        state: observed(v.state_observation, || v.state.clone(), &v.state_error),
        aliases: observed(f.aliases_observation, || aliases_of(f, &v.version), &f.aliases_error),
        event_source_mappings: observed(v.esm_observation, || v.event_source_mappings.clone(), &v.esm_error),
        version_last_invoked: observed(v.invocations_observation, || to_time(v.last_invoked_unix), &v.invocations_error),
        function_activity: observed(
            activity.observation,
            || FunctionActivity {
                last_invoked: to_time(activity.last_invoked_unix),
                invocations_in_lookback: activity.invocations_in_lookback,
                attributed_invocations_in_lookback: activity.attributed_invocations_in_lookback,
            },
            &activity.error,
        ),
        resource_policy: observed(v.policy_observation, || v.policy_principals.clone(), &v.policy_error),
        provisioned_concurrency: observed(v.provisioned_observation, || v.provisioned, &v.provisioned_error),
        excluded_by_pattern: f.excluded_by_pattern,
        protect_tag: observed(f.tag_observation, || f.protect_tagged, &f.tag_error),
    }
}

/// The state column: the real State, or why there is none.
fn state_label(v: &VersionScan) -> String {
    match Observation::try_from(v.state_observation).unwrap_or(Observation::NotChecked) {
        Observation::Known => v.state.clone(),
        Observation::Failed => "Unknown".into(),
        Observation::NotChecked => "NotChecked".into(),
    }
}

fn row(f: &FunctionScan, v: &VersionScan, a: &StageA, rules: &Settings, now: DateTime<Utc>, price: CachePrice) -> ReportRow {
    let evidence = evidence(f, v);
    let verdict = classify(a, &evidence, rules, now);
    let known_state = (v.state_observation == Observation::Known as i32).then_some(v.state.as_str());
    let aliases = aliases_of(f, &v.version);
    let activity = f.activity.clone().unwrap_or_default();
    ReportRow {
        function_name: f.function_name.clone(),
        version: v.version.clone(),
        runtime: v.runtime.clone(),
        memory_size_mb: v.memory_size_mb,
        state: state_label(v),
        state_reason_code: v.state_reason_code.clone(),
        snapstart_optimization_status: v.snapstart_optimization_status.clone(),
        last_modified: v.last_modified.clone(),
        age_days: a.age_days,
        is_among_keep_last_n: a.is_among_keep_last_n,
        version_last_invoked_utc: iso(to_time(v.last_invoked_unix)),
        function_level_last_invoked_utc: iso(to_time(activity.last_invoked_unix)),
        protected_by_alias: !aliases.is_empty(),
        aliases,
        event_source_mappings: v.event_source_mappings.clone(),
        stage_a_pass: a.pass,
        stage_b_pass: verdict.stage_b_pass,
        candidate_for_deletion: verdict.candidate,
        reason_flags: verdict.flags.iter().map(|f| f.as_str().to_string()).collect(),
        estimated_monthly_cost_usd: round_cents(estimated_monthly_cost_usd(
            &v.runtime,
            v.memory_size_mb,
            &v.snapstart_optimization_status,
            known_state,
            price.usd_per_gb_second,
        )),
        price_approximate: price.approximate,
        failed_checks: verdict
            .failed_checks
            .iter()
            .map(|c| CheckFailure { check: c.check.as_str().to_string(), error: c.error.clone() })
            .collect(),
        resource_policy_principals: v.policy_principals.clone(),
        provisioned_concurrency: v.provisioned,
        code_size_bytes: v.code_size_bytes,
        code_sha256_prefix: v.code_sha256_prefix.clone(),
        snapstart: v.snapstart,
        ..Default::default()
    }
}

fn summarize(state: &ScanState, rows: &[ReportRow], targets: Vec<TargetSummary>, now: DateTime<Utc>) -> ReportSummary {
    let settings = state.settings.clone().unwrap_or_default();
    let count = |pred: &dyn Fn(&ReportRow) -> bool| rows.iter().filter(|r| pred(r)).count() as u32;
    let mut state_counts = BTreeMap::new();
    let mut reason_flag_counts: BTreeMap<String, u32> =
        ReasonFlag::ALL.iter().map(|f| (f.as_str().to_string(), 0)).collect();
    for r in rows {
        *state_counts.entry(r.state.clone()).or_default() += 1;
        for flag in &r.reason_flags {
            *reason_flag_counts.entry(flag.clone()).or_default() += 1;
        }
    }
    let saving: f64 = rows.iter().filter(|r| r.candidate_for_deletion).map(|r| r.estimated_monthly_cost_usd).sum();
    let reclaimable_code_bytes = rows.iter().filter(|r| r.candidate_for_deletion).map(|r| r.code_size_bytes).sum();
    // The region's code storage when the run covers one account and region; per target otherwise.
    let storage = match targets.as_slice() {
        [one] => CodeStorage { used_bytes: one.code_storage_used_bytes, limit_bytes: one.code_storage_limit_bytes, error: one.code_storage_error.clone() },
        _ => CodeStorage::default(),
    };
    let mut aws_calls = state.aws_calls.clone();
    for t in &state.targets {
        for (op, n) in &t.aws_calls {
            *aws_calls.entry(op.clone()).or_default() += n;
        }
    }
    ReportSummary {
        region: settings.scan_regions().join(", "),
        scanned_at: now.to_rfc3339_opts(SecondsFormat::Secs, true),
        functions_scanned: targets.iter().map(|t| t.functions_scanned).sum(),
        snapstart_versions: rows.iter().filter(|r| r.snapstart || !settings.covers_every_version()).count() as u32,
        versions_in_scope: rows.len() as u32,
        state_counts,
        stage_a_pass: count(&|r| r.stage_a_pass),
        stage_b_pass: count(&|r| r.stage_b_pass),
        candidates: count(&|r| r.candidate_for_deletion),
        alias_protected: count(&|r| r.protected_by_alias),
        check_failed: count(&|r| r.reason_flags.iter().any(|f| f == ReasonFlag::CheckFailed.as_str())),
        reason_flag_counts,
        estimated_monthly_saving_usd: round_cents(saving),
        price_approximate: rows.iter().any(|r| r.candidate_for_deletion && r.price_approximate && r.estimated_monthly_cost_usd > 0.0),
        aws_calls,
        reclaimable_code_bytes,
        code_storage_used_bytes: storage.used_bytes,
        code_storage_limit_bytes: storage.limit_bytes,
        code_storage_error: storage.error,
        targets_failed: targets.iter().filter(|t| t.status == TARGET_FAILED).count() as u32,
        targets,
        settings: Some(settings),
    }
}

/// The report cut to fit one payload: candidates first, then the rest, while the rows' JSON
/// stays within [`PREVIEW_ROWS_BUDGET_BYTES`].
pub fn preview(report: &Report, report_path: &str) -> ReportPreview {
    let (candidates, others): (Vec<&ReportRow>, Vec<&ReportRow>) =
        report.rows.iter().partition(|r| r.candidate_for_deletion);
    let mut used = 0;
    let mut rows = Vec::new();
    for r in candidates.into_iter().chain(others) {
        let size = serde_json::to_vec(r).map(|b| b.len()).unwrap_or(usize::MAX);
        if used + size > PREVIEW_ROWS_BUDGET_BYTES {
            break;
        }
        used += size;
        rows.push(r.clone());
    }
    ReportPreview {
        summary: report.summary.clone(),
        rows_omitted: (report.rows.len() - rows.len()) as u32,
        rows,
        report_path: report_path.to_string(),
    }
}
