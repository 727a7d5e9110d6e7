//! Table tests for `classify`: one case per flag and per way a check can go wrong.

use super::*;
use crate::stage_a::StageA;
use ReasonFlag::*;

fn now() -> DateTime<Utc> {
    "2026-11-26T12:00:00Z".parse().unwrap()
}

fn days_ago(d: i64) -> DateTime<Utc> {
    now() - Duration::days(d)
}

fn settings(fallback: FallbackMode) -> Settings {
    Settings { min_age_days: 14, keep_last_n: 3, lookback_days: 30, fallback }
}

fn passed() -> StageA {
    StageA { age_days: Some(40.0), is_among_keep_last_n: false, pass: true, flags: vec![] }
}

fn kept() -> StageA {
    StageA { age_days: Some(40.0), is_among_keep_last_n: true, pass: false, flags: vec![ProtectedKeptLastN] }
}

/// Evidence of an idle, unreferenced, Active version.
fn idle() -> Evidence {
    Evidence {
        state: Observed::Known("Active".into()),
        aliases: Observed::Known(vec![]),
        event_source_mappings: Observed::Known(vec![]),
        version_last_invoked: Observed::Known(None),
        function_activity: Observed::Known(FunctionActivity::default()),
    }
}

fn activity(last_days_ago: i64, total: f64, attributed: f64) -> Observed<FunctionActivity> {
    Observed::Known(FunctionActivity {
        last_invoked: Some(days_ago(last_days_ago)),
        invocations_in_lookback: total,
        attributed_invocations_in_lookback: attributed,
    })
}

fn with(f: impl FnOnce(&mut Evidence)) -> Evidence {
    let mut e = idle();
    f(&mut e);
    e
}

#[test]
fn each_piece_of_evidence_yields_its_flag() {
    let cases: Vec<(&str, StageA, Evidence, FallbackMode, Vec<ReasonFlag>)> = vec![
        ("idle and stale is a candidate", passed(), idle(), FallbackMode::Strict, vec![NoActivityAndStale]),
        ("Inactive is deletable", passed(), with(|e| e.state = Observed::Known("Inactive".into())), FallbackMode::Strict, vec![NoActivityAndStale]),
        ("Failed is deletable", passed(), with(|e| e.state = Observed::Known("Failed".into())), FallbackMode::Strict, vec![NoActivityAndStale]),
        ("Pending is not deletable", passed(), with(|e| e.state = Observed::Known("Pending".into())), FallbackMode::Strict, vec![StateNotDeletable]),
        ("an unknown state is not deletable", passed(), with(|e| e.state = Observed::Known("Weird".into())), FallbackMode::Strict, vec![StateNotDeletable]),
        ("primary alias protects", passed(), with(|e| e.aliases = Observed::Known(vec!["live".into()])), FallbackMode::Strict, vec![AliasProtected]),
        ("weighted alias protects (given as a referencing alias)", passed(), with(|e| e.aliases = Observed::Known(vec!["canary".into()])), FallbackMode::Strict, vec![AliasProtected]),
        ("event source mapping protects", passed(), with(|e| e.event_source_mappings = Observed::Known(vec!["uuid-1".into()])), FallbackMode::Strict, vec![EventSourceMappingProtected]),
        ("recent direct or ExecutedVersion traffic protects", passed(), with(|e| e.version_last_invoked = Observed::Known(Some(days_ago(3)))), FallbackMode::Strict, vec![HasRecentInvocations]),
        ("traffic exactly at the window edge counts", passed(), with(|e| e.version_last_invoked = Observed::Known(Some(days_ago(30)))), FallbackMode::Strict, vec![HasRecentInvocations]),
        ("traffic before the window does not", passed(), with(|e| e.version_last_invoked = Observed::Known(Some(days_ago(31)))), FallbackMode::Strict, vec![NoActivityAndStale]),
        ("strict: recent function-level traffic is uncertain", passed(), with(|e| e.function_activity = activity(2, 5.0, 5.0)), FallbackMode::Strict, vec![FunctionLevelActivityUncertain]),
        ("strict: function-level traffic exactly min age ago does not block", passed(), with(|e| e.function_activity = activity(14, 5.0, 0.0)), FallbackMode::Strict, vec![NoActivityAndStale]),
        ("strict: old function-level traffic does not block", passed(), with(|e| e.function_activity = activity(20, 5.0, 0.0)), FallbackMode::Strict, vec![NoActivityAndStale]),
        ("attributed: fully attributed traffic does not block", passed(), with(|e| e.function_activity = activity(2, 5.0, 5.0)), FallbackMode::Attributed, vec![NoActivityAndStale]),
        ("attributed: unattributed traffic stays uncertain", passed(), with(|e| e.function_activity = activity(2, 9.0, 5.0)), FallbackMode::Attributed, vec![FunctionLevelActivityUncertain]),
        ("uncertain is not added when something else blocks", passed(), with(|e| { e.function_activity = activity(2, 5.0, 0.0); e.aliases = Observed::Known(vec!["live".into()]) }), FallbackMode::Strict, vec![AliasProtected]),
        ("stage A flags carry through, alias still reported", kept(), with(|e| { e.aliases = Observed::Known(vec!["live".into()]); e.state = Observed::NotChecked; e.version_last_invoked = Observed::NotChecked; e.function_activity = Observed::NotChecked }), FallbackMode::Strict, vec![ProtectedKeptLastN, AliasProtected]),
        ("a kept version needs no further checks", kept(), Evidence { state: Observed::NotChecked, aliases: Observed::NotChecked, event_source_mappings: Observed::NotChecked, version_last_invoked: Observed::NotChecked, function_activity: Observed::NotChecked }, FallbackMode::Strict, vec![ProtectedKeptLastN]),
        ("a non-deletable state needs no usage checks", passed(), with(|e| { e.state = Observed::Known("Pending".into()); e.version_last_invoked = Observed::NotChecked; e.function_activity = Observed::NotChecked }), FallbackMode::Strict, vec![StateNotDeletable]),
    ];
    for (name, a, evidence, fallback, want) in cases {
        let v = classify(&a, &evidence, &settings(fallback), now());
        assert_eq!(v.flags, want, "{name}");
        assert_eq!(v.candidate, want == vec![NoActivityAndStale], "{name}");
    }
}

#[test]
fn every_failed_check_is_check_failed_and_never_a_candidate() {
    let cases: Vec<(Check, Evidence)> = vec![
        (Check::State, with(|e| e.state = Observed::Failed("throttled".into()))),
        (Check::Aliases, with(|e| e.aliases = Observed::Failed("500".into()))),
        (Check::EventSourceMappings, with(|e| e.event_source_mappings = Observed::Failed("500".into()))),
        (Check::VersionInvocations, with(|e| e.version_last_invoked = Observed::Failed("InternalError".into()))),
        (Check::FunctionInvocations, with(|e| e.function_activity = Observed::Failed("timeout".into()))),
    ];
    for (check, evidence) in cases {
        let v = classify(&passed(), &evidence, &settings(FallbackMode::Strict), now());
        assert!(!v.candidate, "{check:?}");
        assert_eq!(v.stage_b_pass, check == Check::State, "stage B is about usage, not state: {check:?}");
        assert_eq!(v.flags, vec![CheckFailed], "{check:?}");
        assert_eq!(v.failed_checks.len(), 1);
        assert_eq!(v.failed_checks[0].check, check);
    }
}

#[test]
fn anything_not_checked_on_a_would_be_candidate_fails_closed() {
    let cases: Vec<(Check, Evidence)> = vec![
        (Check::State, with(|e| e.state = Observed::NotChecked)),
        (Check::Aliases, with(|e| e.aliases = Observed::NotChecked)),
        (Check::EventSourceMappings, with(|e| e.event_source_mappings = Observed::NotChecked)),
        (Check::VersionInvocations, with(|e| e.version_last_invoked = Observed::NotChecked)),
        (Check::FunctionInvocations, with(|e| e.function_activity = Observed::NotChecked)),
    ];
    for (check, evidence) in cases {
        let v = classify(&passed(), &evidence, &settings(FallbackMode::Strict), now());
        assert!(!v.candidate, "{check:?}");
        assert!(v.flags.contains(&CheckFailed), "{check:?}");
        assert_eq!(v.failed_checks[0].error, "not checked");
    }
}

#[test]
fn a_failure_does_not_hide_other_protections() {
    let evidence = with(|e| {
        e.aliases = Observed::Known(vec!["live".into()]);
        e.event_source_mappings = Observed::Failed("boom".into());
    });
    let v = classify(&passed(), &evidence, &settings(FallbackMode::Strict), now());
    assert_eq!(v.flags, vec![AliasProtected, CheckFailed]);
}

#[test]
fn fallback_modes_parse_from_their_names() {
    assert_eq!("strict".parse(), Ok(FallbackMode::Strict));
    assert_eq!("attributed".parse(), Ok(FallbackMode::Attributed));
    assert!("loose".parse::<FallbackMode>().is_err());
    assert_eq!(FallbackMode::default(), FallbackMode::Strict);
}
