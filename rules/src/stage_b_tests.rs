//! Table tests for `classify`: one case per flag, per boundary, per way a check can go wrong,
//! and an exhaustive sweep of the fail-closed invariants.

use chrono::Duration;

use super::*;
use ReasonFlag::*;

fn now() -> DateTime<Utc> {
    "2026-11-26T12:00:00Z".parse().unwrap()
}

fn ago(d: Duration) -> DateTime<Utc> {
    now() - d
}

fn settings(fallback: FallbackMode) -> Settings {
    Settings { min_age_days: 14, keep_last_n: 3, lookback_days: 30, fallback }
}

fn stage_a_result(pass: bool, flags: Vec<ReasonFlag>) -> StageA {
    StageA { age_days: Some(40.0), is_among_keep_last_n: flags.contains(&ProtectedKeptLastN), pass, flags }
}

fn passed() -> StageA {
    stage_a_result(true, vec![])
}

fn kept() -> StageA {
    stage_a_result(false, vec![ProtectedKeptLastN])
}

/// Evidence of an idle, unreferenced, Active version.
fn idle() -> Evidence {
    Evidence {
        state: Observed::Known("Active".into()),
        aliases: Observed::Known(vec![]),
        event_source_mappings: Observed::Known(vec![]),
        version_last_invoked: Observed::Known(None),
        function_activity: Observed::Known(FunctionActivity::default()),
        resource_policy: Observed::Known(vec![]),
        provisioned_concurrency: Observed::Known(false),
        excluded_by_pattern: false,
        protect_tag: Observed::Known(false),
    }
}

fn nothing_checked() -> Evidence {
    Evidence {
        state: Observed::NotChecked,
        aliases: Observed::NotChecked,
        event_source_mappings: Observed::NotChecked,
        version_last_invoked: Observed::NotChecked,
        function_activity: Observed::NotChecked,
        resource_policy: Observed::NotChecked,
        provisioned_concurrency: Observed::NotChecked,
        excluded_by_pattern: false,
        protect_tag: Observed::NotChecked,
    }
}

fn activity(last: Duration, total: f64, attributed: f64) -> Observed<FunctionActivity> {
    let a = FunctionActivity { last_invoked: Some(ago(last)), invocations_in_lookback: total, attributed_invocations_in_lookback: attributed };
    Observed::Known(a)
}

fn with(base: Evidence, f: impl FnOnce(&mut Evidence)) -> Evidence {
    let mut e = base;
    f(&mut e);
    e
}

fn idle_with(f: impl FnOnce(&mut Evidence)) -> Evidence {
    with(idle(), f)
}

fn state(s: &str) -> Evidence {
    idle_with(|e| e.state = Observed::Known(s.into()))
}

fn names(list: &[&str]) -> Observed<Vec<String>> {
    Observed::Known(list.iter().map(|s| s.to_string()).collect())
}

fn invoked(d: Duration) -> Evidence {
    idle_with(|e| e.version_last_invoked = Observed::Known(Some(ago(d))))
}

fn fallback(last: Duration, total: f64, attributed: f64) -> Evidence {
    idle_with(|e| e.function_activity = activity(last, total, attributed))
}

const S: FallbackMode = FallbackMode::Strict;
const A: FallbackMode = FallbackMode::Attributed;

/// Name, stage A, evidence, mode, expected flags, expected stage_b_pass.
type Case = (&'static str, StageA, Evidence, FallbackMode, Vec<ReasonFlag>, bool);

/// Evidence in which every check protects the version.
fn everything_protects() -> Evidence {
    Evidence {
        state: Observed::Known("Pending".into()),
        aliases: names(&["live"]),
        event_source_mappings: names(&["uuid-1"]),
        version_last_invoked: Observed::Known(Some(ago(Duration::days(1)))),
        function_activity: activity(Duration::days(1), 1.0, 0.0),
        resource_policy: names(&["apigateway.amazonaws.com"]),
        provisioned_concurrency: Observed::Known(true),
        excluded_by_pattern: false,
        protect_tag: Observed::Known(false),
    }
}

#[test]
fn each_piece_of_evidence_yields_its_flag() {
    let d = Duration::days;
    let s = Duration::seconds;
    #[rustfmt::skip]
    let cases: Vec<Case> = vec![
        ("idle, stale and Active is a candidate", passed(), idle(), S, vec![NoActivityAndStale], true),
        ("Inactive is deletable", passed(), state("Inactive"), S, vec![NoActivityAndStale], true),
        ("Failed is deletable", passed(), state("Failed"), S, vec![NoActivityAndStale], true),
        ("Pending is not deletable", passed(), state("Pending"), S, vec![StateNotDeletable], true),
        ("an empty state is not deletable", passed(), state(""), S, vec![StateNotDeletable], true),
        ("an unknown state is not deletable", passed(), state("Unknown"), S, vec![StateNotDeletable], true),
        ("an alias naming it as primary protects", passed(), idle_with(|e| e.aliases = names(&["live"])), S, vec![AliasProtected], false),
        ("an alias routing a weight to it protects", passed(), idle_with(|e| e.aliases = names(&["canary"])), S, vec![AliasProtected], false),
        ("an event source mapping protects", passed(), idle_with(|e| e.event_source_mappings = names(&["uuid-1"])), S, vec![EventSourceMappingProtected], false),
        ("recent Resource=fn:N traffic protects", passed(), invoked(d(3)), S, vec![HasRecentInvocations], false),
        ("recent ExecutedVersion traffic through an alias protects", passed(), invoked(d(29)), S, vec![HasRecentInvocations], false),
        ("traffic exactly at the window edge counts", passed(), invoked(d(30)), S, vec![HasRecentInvocations], false),
        ("traffic one second before the window does not", passed(), invoked(d(30) + s(1)), S, vec![NoActivityAndStale], true),
        ("a datapoint in the future counts", passed(), invoked(-d(1)), S, vec![HasRecentInvocations], false),
        ("strict: recent fully attributed traffic still blocks", passed(), fallback(d(2), 5.0, 5.0), S, vec![FunctionLevelActivityUncertain], false),
        ("strict: recent unattributed traffic blocks", passed(), fallback(d(2), 9.0, 5.0), S, vec![FunctionLevelActivityUncertain], false),
        ("strict: traffic exactly min age ago is not active", passed(), fallback(d(14), 5.0, 0.0), S, vec![NoActivityAndStale], true),
        ("strict: traffic a second inside min age is active", passed(), fallback(d(14) - s(1), 5.0, 0.0), S, vec![FunctionLevelActivityUncertain], false),
        ("strict: older traffic does not block", passed(), fallback(d(20), 5.0, 0.0), S, vec![NoActivityAndStale], true),
        ("attributed: equal sums do not block", passed(), fallback(d(2), 5.0, 5.0), A, vec![NoActivityAndStale], true),
        ("attributed: series covering more than the total do not block", passed(), fallback(d(2), 4.0, 5.0), A, vec![NoActivityAndStale], true),
        ("attributed: a larger function-level sum stays uncertain", passed(), fallback(d(2), 9.0, 5.0), A, vec![FunctionLevelActivityUncertain], false),
        ("attributed: a sum that is not a number stays uncertain", passed(), fallback(d(2), f64::NAN, 5.0), A, vec![FunctionLevelActivityUncertain], false),
        ("attributed: an attributed sum that is not a number stays uncertain", passed(), fallback(d(2), 5.0, f64::NAN), A, vec![FunctionLevelActivityUncertain], false),
        ("attributed: unattributed traffic exactly min age ago is not active", passed(), fallback(d(14), 9.0, 5.0), A, vec![NoActivityAndStale], true),
        ("uncertain is not added when an alias explains the block", passed(), idle_with(|e| { e.function_activity = activity(d(2), 5.0, 0.0); e.aliases = names(&["live"]) }), S, vec![AliasProtected], false),
        ("uncertain is not added when stage A explains the block", stage_a_result(false, vec![TooRecent]), fallback(d(2), 5.0, 0.0), S, vec![TooRecent], false),
        ("uncertain is not added when a check failed", passed(), idle_with(|e| { e.function_activity = activity(d(2), 5.0, 0.0); e.aliases = Observed::Failed("500".into()) }), S, vec![CheckFailed], false),
        ("stage A flags carry through and an alias is still reported", kept(), with(nothing_checked(), |e| e.aliases = names(&["live"])), S, vec![ProtectedKeptLastN, AliasProtected], false),
        ("a kept version needs no further checks", kept(), nothing_checked(), S, vec![ProtectedKeptLastN], false),
        ("an unknown age needs no further checks", stage_a_result(false, vec![AgeUnknown]), nothing_checked(), S, vec![AgeUnknown], false),
        ("a non-deletable state needs no usage checks", passed(), with(nothing_checked(), |e| e.state = Observed::Known("Pending".into())), S, vec![StateNotDeletable], false),
        ("a stage A that passes with flags is not trusted", stage_a_result(true, vec![TooRecent]), idle(), S, vec![TooRecent], true),
        ("every protection is reported together", kept(), everything_protects(), S, vec![ProtectedKeptLastN, AliasProtected, HasRecentInvocations, EventSourceMappingProtected, ResourcePolicyProtected, ProvisionedConcurrencyProtected, StateNotDeletable], false),
    ];
    for (name, a, evidence, mode, want, want_stage_b) in cases {
        let v = classify(&a, &evidence, &settings(mode), now());
        assert_eq!(v.flags, want, "{name}");
        assert_eq!(v.stage_b_pass, want_stage_b, "{name}: stage_b_pass");
        assert_eq!(v.candidate, want == vec![NoActivityAndStale], "{name}: candidate");
    }
}

/// `base` with one check's observation replaced by `Failed("<check> broke")`, or by `NotChecked`.
fn unknown_one(check: Check, base: Evidence, failed: bool) -> Evidence {
    fn unknown<T>(check: Check, failed: bool) -> Observed<T> {
        if failed {
            Observed::Failed(format!("{check} broke"))
        } else {
            Observed::NotChecked
        }
    }
    with(base, |e| match check {
        Check::State => e.state = unknown(check, failed),
        Check::Aliases => e.aliases = unknown(check, failed),
        Check::EventSourceMappings => e.event_source_mappings = unknown(check, failed),
        Check::VersionInvocations => e.version_last_invoked = unknown(check, failed),
        Check::FunctionInvocations => e.function_activity = unknown(check, failed),
        Check::ResourcePolicy => e.resource_policy = unknown(check, failed),
        Check::ProvisionedConcurrency => e.provisioned_concurrency = unknown(check, failed),
        Check::Tags => e.protect_tag = unknown(check, failed),
        Check::LastModified => unreachable!("not a stage B observation"),
    })
}

fn failed_one(check: Check, base: Evidence) -> Evidence {
    unknown_one(check, base, true)
}

const STAGE_B_CHECKS: [Check; 5] =
    [Check::State, Check::Aliases, Check::EventSourceMappings, Check::VersionInvocations, Check::FunctionInvocations];

/// The checks read only for a would-be candidate.
const PROTECTION_CHECKS: [Check; 3] = [Check::ResourcePolicy, Check::ProvisionedConcurrency, Check::Tags];

#[test]
fn every_failed_check_is_check_failed_and_never_a_candidate() {
    let cases = [("would-be candidate", passed(), idle(), vec![CheckFailed]), ("kept version", kept(), nothing_checked(), vec![ProtectedKeptLastN, CheckFailed])];
    for (name, a, base, want) in cases {
        for check in STAGE_B_CHECKS.into_iter().chain(PROTECTION_CHECKS) {
            let v = classify(&a, &failed_one(check, base.clone()), &settings(S), now());
            assert!(!v.candidate, "{name} {check}");
            assert_eq!(v.flags, want, "{name} {check}");
            assert_eq!(v.failed_checks, vec![CheckFailure { check, error: format!("{check} broke") }], "{name}");
        }
    }
}

#[test]
fn stage_b_pass_is_about_usage_not_state() {
    for check in STAGE_B_CHECKS.into_iter().chain(PROTECTION_CHECKS) {
        let v = classify(&passed(), &failed_one(check, idle()), &settings(S), now());
        assert_eq!(v.stage_b_pass, check == Check::State || PROTECTION_CHECKS.contains(&check), "{check}");
    }
}

#[test]
fn anything_not_checked_on_a_would_be_candidate_fails_closed() {
    for check in STAGE_B_CHECKS.into_iter().chain(PROTECTION_CHECKS) {
        let v = classify(&passed(), &unknown_one(check, idle(), false), &settings(S), now());
        assert!(!v.candidate, "{check}");
        assert_eq!(v.flags, vec![CheckFailed], "{check}");
        assert_eq!(v.failed_checks, vec![CheckFailure { check, error: "not checked".into() }], "{check}");
    }
}

/// The protections that are not usage: read only for a version everything else lets go.
#[test]
fn protections_block_and_are_required_only_where_they_decide() {
    let policy = |p: Observed<Vec<String>>| idle_with(|e| e.resource_policy = p);
    let provisioned = |p: Observed<bool>| idle_with(|e| e.provisioned_concurrency = p);
    let aliased_unread = with(idle(), |e| {
        e.aliases = names(&["live"]);
        e.resource_policy = Observed::NotChecked;
        e.provisioned_concurrency = Observed::NotChecked;
    });
    #[rustfmt::skip]
    let cases: Vec<(&str, StageA, Evidence, Vec<ReasonFlag>, Vec<Check>)> = vec![
        ("a statement naming the version protects it", passed(), policy(names(&["apigateway.amazonaws.com"])), vec![ResourcePolicyProtected], vec![]),
        ("CloudFront's replicator marks a Lambda@Edge version", passed(), policy(names(&["apigateway.amazonaws.com", "replicator.lambda.amazonaws.com"])), vec![ResourcePolicyProtected, LambdaEdgeProtected], vec![]),
        ("an empty policy does not", passed(), policy(names(&[])), vec![NoActivityAndStale], vec![]),
        ("provisioned concurrency protects", passed(), provisioned(Observed::Known(true)), vec![ProvisionedConcurrencyProtected], vec![]),
        ("a failed policy read fails closed", passed(), policy(Observed::Failed("throttled".into())), vec![CheckFailed], vec![Check::ResourcePolicy]),
        ("an unread policy on a would-be candidate fails closed", passed(), policy(Observed::NotChecked), vec![CheckFailed], vec![Check::ResourcePolicy]),
        ("unread provisioned concurrency fails closed", passed(), provisioned(Observed::NotChecked), vec![CheckFailed], vec![Check::ProvisionedConcurrency]),
        ("not read where an alias already protects", passed(), aliased_unread, vec![AliasProtected], vec![]),
        ("not read on a kept version", kept(), nothing_checked(), vec![ProtectedKeptLastN], vec![]),
        ("a known protection on a kept version is still reported", kept(), with(nothing_checked(), |e| e.resource_policy = names(&["s3.amazonaws.com"])), vec![ProtectedKeptLastN, ResourcePolicyProtected], vec![]),
    ];
    for (name, a, evidence, flags, failed) in cases {
        let v = classify(&a, &evidence, &settings(S), now());
        assert_eq!(v.flags, flags, "{name}");
        assert_eq!(v.failed_checks.iter().map(|f| f.check).collect::<Vec<_>>(), failed, "{name}");
        assert_eq!(v.candidate, flags == vec![NoActivityAndStale], "{name}");
    }
}

/// An excluded function is out of scope: flagged, never a candidate, nothing else required.
#[test]
fn exclusions_by_tag_or_pattern_need_no_other_check() {
    let tagged = with(nothing_checked(), |e| e.protect_tag = Observed::Known(true));
    let named = with(nothing_checked(), |e| {
        e.excluded_by_pattern = true;
        e.protect_tag = Observed::Known(false);
    });
    let both = with(idle(), |e| {
        e.excluded_by_pattern = true;
        e.protect_tag = Observed::Known(true);
    });
    let unread_tags = idle_with(|e| e.protect_tag = Observed::NotChecked);
    let cases: [(&str, StageA, Evidence, Vec<ReasonFlag>); 6] = [
        ("tagged", passed(), tagged, vec![ExcludedByTag]),
        ("outside the globs", passed(), named, vec![ExcludedByPattern]),
        ("both, on an otherwise idle version", passed(), both, vec![ExcludedByTag, ExcludedByPattern]),
        ("a kept version keeps its stage A flag too", kept(), with(nothing_checked(), |e| e.excluded_by_pattern = true), vec![ProtectedKeptLastN, ExcludedByPattern]),
        ("tags that could not be read fail closed", passed(), idle_with(|e| e.protect_tag = Observed::Failed("AccessDenied".into())), vec![CheckFailed]),
        ("tags never read on a would-be candidate fail closed", passed(), unread_tags, vec![CheckFailed]),
    ];
    for (name, a, evidence, flags) in cases {
        let v = classify(&a, &evidence, &settings(S), now());
        assert_eq!(v.flags, flags, "{name}");
        assert!(!v.candidate, "{name}");
        assert_eq!(v.failed_checks.iter().any(|f| f.check == Check::Tags), flags.contains(&CheckFailed), "{name}");
    }
}

/// State is read after usage, only where usage lets the version go.
#[test]
fn an_unread_state_is_missing_data_only_where_usage_lets_the_version_go() {
    let unread = |f: fn(&mut Evidence)| with(idle_with(|e| e.state = Observed::NotChecked), f);
    let cases: [(&str, Evidence, Vec<ReasonFlag>); 4] = [
        ("kept for an alias", unread(|e| e.aliases = names(&["live"])), vec![AliasProtected]),
        ("kept for a mapping", unread(|e| e.event_source_mappings = names(&["uuid"])), vec![EventSourceMappingProtected]),
        ("usage clear: the state decides, so it is missing", unread(|_| {}), vec![CheckFailed]),
        ("usage unknown too", unread(|e| e.aliases = Observed::NotChecked), vec![CheckFailed]),
    ];
    for (name, evidence, flags) in cases {
        let v = classify(&passed(), &evidence, &settings(S), now());
        assert_eq!(v.flags, flags, "{name}");
        assert_eq!(v.failed_checks.iter().any(|f| f.check == Check::State), flags.contains(&CheckFailed), "{name}");
    }
}

#[test]
fn a_failed_state_check_still_requires_every_other_check() {
    let evidence = with(nothing_checked(), |e| e.state = Observed::Failed("throttled".into()));
    let v = classify(&passed(), &evidence, &settings(S), now());
    let checks: Vec<Check> = v.failed_checks.iter().map(|f| f.check).collect();
    assert_eq!(checks, STAGE_B_CHECKS.to_vec());
    assert_eq!(v.flags, vec![CheckFailed]);
}

#[test]
fn a_failure_does_not_hide_other_protections() {
    let evidence = idle_with(|e| {
        e.aliases = names(&["live"]);
        e.event_source_mappings = Observed::Failed("boom".into());
    });
    let v = classify(&passed(), &evidence, &settings(S), now());
    assert_eq!(v.flags, vec![AliasProtected, CheckFailed]);
}

/// Every combination of observations, stage A outcome and mode keeps the fail-closed promises.
#[test]
fn no_combination_of_evidence_breaks_the_fail_closed_invariants() {
    let states = [Observed::NotChecked, Observed::Failed("x".into()), Observed::Known("Active".to_string()), Observed::Known("Pending".to_string())];
    let lists = [Observed::NotChecked, Observed::Failed("x".into()), names(&[]), names(&["a"])];
    let lasts = [Observed::NotChecked, Observed::Failed("x".into()), Observed::Known(None), Observed::Known(Some(ago(Duration::days(1)))), Observed::Known(Some(ago(Duration::days(90))))];
    let fas = [Observed::NotChecked, Observed::Failed("x".into()), Observed::Known(FunctionActivity::default()), activity(Duration::days(1), 2.0, 1.0)];
    let stage_as = [passed(), kept(), stage_a_result(false, vec![TooRecent, ProtectedKeptLastN])];
    let mut seen = 0;
    for (a, st, al, esm, last, fa, mode) in itertools(&stage_as, &states, &lists, &lasts, &fas) {
        let e = Evidence { state: st.clone(), aliases: al.clone(), event_source_mappings: esm.clone(), version_last_invoked: last.clone(), function_activity: fa.clone(), ..idle() };
        let v = classify(a, &e, &settings(mode), now());
        let ctx = format!("{a:?} {e:?} {mode:?} -> {v:?}");
        assert!(v.flags.windows(2).all(|w| w[0] < w[1]), "sorted and unique: {ctx}");
        assert!(!v.flags.is_empty(), "every verdict has a reason: {ctx}");
        assert_eq!(v.flags.contains(&NoActivityAndStale), v.candidate, "{ctx}");
        assert_eq!(v.flags.contains(&CheckFailed), !v.failed_checks.is_empty(), "{ctx}");
        let any_failed = [&e.aliases, &e.event_source_mappings].iter().any(|o| matches!(o, Observed::Failed(_)))
            || matches!(e.state, Observed::Failed(_))
            || matches!(e.version_last_invoked, Observed::Failed(_))
            || matches!(e.function_activity, Observed::Failed(_));
        assert!(!any_failed || v.flags.contains(&CheckFailed), "a failure is always reported: {ctx}");
        if v.candidate {
            assert_eq!(v.flags, vec![NoActivityAndStale], "{ctx}");
            let all_known_and_clear = e.state == Observed::Known("Active".into())
                && e.aliases == names(&[])
                && e.event_source_mappings == names(&[])
                && matches!(e.version_last_invoked, Observed::Known(None | Some(_)))
                && matches!(e.function_activity, Observed::Known(_));
            assert!(a.pass && v.stage_b_pass && all_known_and_clear, "{ctx}");
        }
        seen += 1;
    }
    assert_eq!(seen, 3 * 4 * 4 * 4 * 5 * 4 * 2);
}

type Combo<'a> = (&'a StageA, &'a Observed<String>, &'a Observed<Vec<String>>, &'a Observed<Vec<String>>, &'a Observed<Option<DateTime<Utc>>>, &'a Observed<FunctionActivity>, FallbackMode);

/// The cartesian product of the sweep's inputs.
fn itertools<'a>(
    stage_as: &'a [StageA],
    states: &'a [Observed<String>],
    lists: &'a [Observed<Vec<String>>],
    lasts: &'a [Observed<Option<DateTime<Utc>>>],
    fas: &'a [Observed<FunctionActivity>],
) -> Vec<Combo<'a>> {
    let mut out = Vec::new();
    for a in stage_as {
        for st in states {
            for al in lists {
                for esm in lists {
                    for last in lasts {
                        for fa in fas {
                            for mode in [S, A] {
                                out.push((a, st, al, esm, last, fa, mode));
                            }
                        }
                    }
                }
            }
        }
    }
    out
}
