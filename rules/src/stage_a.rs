//! Stage A: is a version old enough, and is it outside the newest N SnapStart versions of its
//! function? Needs only the version list, so it runs before any per-version AWS call.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Duration, Utc};

use crate::{time::parse_version_number, ReasonFlag};

/// What stage A needs of one version.
#[derive(Debug, Clone, PartialEq)]
pub struct VersionAge {
    /// The version qualifier as AWS lists it (`"7"`).
    pub version: String,
    /// Parsed LastModified; `None` when missing or unreadable.
    pub last_modified: Option<DateTime<Utc>>,
}

/// Stage A's verdict on one version.
#[derive(Debug, Clone, PartialEq)]
pub struct StageA {
    /// Days since LastModified, rounded to 0.01 for display only; `None` when unknown.
    pub age_days: Option<f64>,
    /// Among the newest `keep_last_n` by version number, or its number is unreadable.
    pub is_among_keep_last_n: bool,
    /// Old enough with a known age, and not kept.
    pub pass: bool,
    /// `too_recent`, `protected_kept_last_n`, `age_unknown`, in report order.
    pub flags: Vec<ReasonFlag>,
}

/// Judges the SnapStart published versions of one function (any order); `output[i]` is for
/// `versions[i]`.
///
/// - Age passes at or above `min_age_days` (exact, unrounded comparison); a future LastModified
///   is `too_recent`; a missing one is `age_unknown`.
/// - Newest means the highest version number (10 > 9), never the latest LastModified. The kept
///   set is the `keep_last_n` highest *distinct parsable* numbers; 0 keeps none.
/// - A version whose number does not parse is always kept (fail closed), even with
///   `keep_last_n` = 0, and takes no place in the N, so it cannot push a real version out.
/// - Entries repeating a version string describe one version, so they get one verdict: the
///   number counts once, and the age is the youngest of them (unknown if any is unknown).
pub fn stage_a(versions: &[VersionAge], now: DateTime<Utc>, min_age_days: u32, keep_last_n: u32) -> Vec<StageA> {
    let kept = kept_numbers(versions, keep_last_n);
    let modified = merged_last_modified(versions);
    versions.iter().map(|v| judge(&v.version, modified[v.version.as_str()], &kept, now, min_age_days)).collect()
}

/// The `keep_last_n` highest distinct parsable version numbers.
fn kept_numbers(versions: &[VersionAge], keep_last_n: u32) -> BTreeSet<u64> {
    let numbers: BTreeSet<u64> = versions.iter().filter_map(|v| parse_version_number(&v.version)).collect();
    let keep = usize::try_from(keep_last_n).unwrap_or(usize::MAX);
    numbers.into_iter().rev().take(keep).collect()
}

/// One LastModified per version string: the latest, or `None` if any entry lacks one.
fn merged_last_modified(versions: &[VersionAge]) -> HashMap<&str, Option<DateTime<Utc>>> {
    let mut merged: HashMap<&str, Option<DateTime<Utc>>> = HashMap::new();
    for v in versions {
        merged
            .entry(v.version.as_str())
            .and_modify(|m| *m = m.zip(v.last_modified).map(|(a, b)| a.max(b)))
            .or_insert(v.last_modified);
    }
    merged
}

fn judge(version: &str, last_modified: Option<DateTime<Utc>>, kept: &BTreeSet<u64>, now: DateTime<Utc>, min_age_days: u32) -> StageA {
    let is_kept = parse_version_number(version).is_none_or(|n| kept.contains(&n));
    let age = last_modified.map(|t| now - t);
    let mut flags = Vec::new();
    match age {
        None => flags.push(ReasonFlag::AgeUnknown),
        Some(a) if a < Duration::days(i64::from(min_age_days)) => flags.push(ReasonFlag::TooRecent),
        Some(_) => {}
    }
    if is_kept {
        flags.push(ReasonFlag::ProtectedKeptLastN);
    }
    flags.sort();
    StageA { age_days: age.map(display_days), is_among_keep_last_n: is_kept, pass: flags.is_empty(), flags }
}

/// Fractional days rounded to 0.01.
fn display_days(age: Duration) -> f64 {
    let days = age.num_milliseconds() as f64 / 86_400_000.0;
    (days * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use ReasonFlag::*;

    fn now() -> DateTime<Utc> {
        "2026-11-26T12:00:00Z".parse().unwrap()
    }

    fn aged(version: &str, days: f64) -> VersionAge {
        let t = now() - Duration::milliseconds((days * 86_400_000.0) as i64);
        VersionAge { version: version.into(), last_modified: Some(t) }
    }

    fn unknown_age(version: &str) -> VersionAge {
        VersionAge { version: version.into(), last_modified: None }
    }

    /// The versions marked kept, in input order.
    fn kept_versions(versions: &[VersionAge], keep: u32) -> Vec<String> {
        let out = stage_a(versions, now(), 14, keep);
        versions.iter().zip(out).filter(|(_, a)| a.is_among_keep_last_n).map(|(v, _)| v.version.clone()).collect()
    }

    #[test]
    fn age_and_keep_last_n_decide_each_flag() {
        let cases = [
            ("old version outside the kept set passes", aged("1", 30.0), 0, vec![], true),
            ("younger than min age is too recent", aged("1", 13.9), 0, vec![TooRecent], false),
            ("exactly min age passes", aged("1", 14.0), 0, vec![], true),
            ("one millisecond short of min age is too recent", aged("1", 14.0 - 1.0 / 86_400_000.0), 0, vec![TooRecent], false),
            ("kept version is protected", aged("1", 30.0), 1, vec![ProtectedKeptLastN], false),
            ("young and kept carries both flags in order", aged("1", 1.0), 1, vec![TooRecent, ProtectedKeptLastN], false),
            ("future LastModified is too recent", aged("1", -2.0), 0, vec![TooRecent], false),
            ("missing LastModified is age unknown", unknown_age("1"), 0, vec![AgeUnknown], false),
            ("kept with unknown age carries both flags in order", unknown_age("1"), 1, vec![ProtectedKeptLastN, AgeUnknown], false),
        ];
        for (name, version, keep, flags, pass) in cases {
            let out = &stage_a(&[version], now(), 14, keep)[0];
            assert_eq!((&out.flags, out.pass), (&flags, pass), "{name}");
        }
    }

    #[test]
    fn min_age_zero_passes_any_known_past_age() {
        let out = &stage_a(&[aged("1", 0.0)], now(), 0, 0)[0];
        assert!(out.pass);
    }

    #[test]
    fn missing_last_modified_has_no_age() {
        let out = &stage_a(&[unknown_age("1")], now(), 14, 0)[0];
        assert_eq!(out.age_days, None);
    }

    #[test]
    fn newest_is_by_number_not_by_string_or_date() {
        let versions: Vec<VersionAge> = (1..=12).rev().map(|n| aged(&n.to_string(), 100.0 - f64::from(n))).collect();
        let mut kept = kept_versions(&versions, 3);
        kept.sort();
        assert_eq!(kept, vec!["10", "11", "12"]);
        let old_highest = vec![aged("9", 10.0), aged("10", 400.0)];
        assert_eq!(kept_versions(&old_highest, 1), vec!["10"], "an old LastModified does not un-keep the highest number");
    }

    #[test]
    fn keep_counts_at_the_edges() {
        let versions = vec![aged("2", 30.0), aged("1", 30.0)];
        let cases = [("keep 0 keeps none", 0, vec![]), ("keep 2 of 2 keeps all", 2, vec!["2", "1"]), ("keep 5 of 2 keeps all", 5, vec!["2", "1"])];
        for (name, keep, want) in cases {
            assert_eq!(kept_versions(&versions, keep), want, "{name}");
        }
        assert!(stage_a(&[], now(), 14, 3).is_empty(), "no versions, no verdicts");
    }

    #[test]
    fn an_unparsable_version_is_kept_without_taking_a_place() {
        let versions = vec![aged("x", 30.0), aged("1", 30.0), aged("01", 30.0), aged("2", 30.0), aged("$LATEST", 30.0)];
        let cases = [("keep 1", 1, vec!["x", "01", "2", "$LATEST"]), ("keep 0 still protects it", 0, vec!["x", "01", "$LATEST"])];
        for (name, keep, want) in cases {
            assert_eq!(kept_versions(&versions, keep), want, "{name}");
        }
    }

    #[test]
    fn duplicate_versions_get_one_verdict_and_one_place() {
        let versions = vec![aged("5", 30.0), aged("5", 2.0), aged("4", 30.0), aged("3", 30.0)];
        let out = stage_a(&versions, now(), 14, 2);
        assert_eq!(out[0], out[1], "both entries for 5 agree");
        assert_eq!(out[0].flags, vec![TooRecent, ProtectedKeptLastN], "the younger age wins");
        assert!(out[2].is_among_keep_last_n, "5 takes one place, so 4 is still kept");
        assert!(out[3].pass);
        let with_unknown = stage_a(&[aged("3", 30.0), unknown_age("3")], now(), 14, 0);
        assert_eq!(with_unknown[0].flags, vec![AgeUnknown], "an unknown copy makes the age unknown");
    }

    #[test]
    fn output_follows_input_order() {
        let versions = vec![aged("1", 30.0), aged("3", 1.0), aged("2", 30.0)];
        let out = stage_a(&versions, now(), 14, 1);
        let flags: Vec<_> = out.iter().map(|a| a.flags.clone()).collect();
        assert_eq!(flags, vec![vec![], vec![TooRecent, ProtectedKeptLastN], vec![]]);
    }

    #[test]
    fn age_is_rounded_for_display_only() {
        let out = &stage_a(&[aged("1", 13.996)], now(), 14, 0)[0];
        assert_eq!(out.age_days, Some(14.0));
        assert!(!out.pass, "the unrounded age decides");
        assert_eq!(stage_a(&[aged("1", 40.123)], now(), 14, 0)[0].age_days, Some(40.12));
    }
}
