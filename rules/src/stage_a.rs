//! Stage A: old enough, and not among the newest N SnapStart versions of its function.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};

use crate::{time::parse_version_number, ReasonFlag};

/// What stage A needs of one version.
#[derive(Debug, Clone, PartialEq)]
pub struct VersionAge {
    pub version: String,
    pub last_modified: Option<DateTime<Utc>>,
}

/// Stage A's verdict on one version.
#[derive(Debug, Clone, PartialEq)]
pub struct StageA {
    /// Fractional days since LastModified, rounded to 0.01 for display.
    pub age_days: Option<f64>,
    pub is_among_keep_last_n: bool,
    pub pass: bool,
    pub flags: Vec<ReasonFlag>,
}

/// Judges the SnapStart versions of one function; `output[i]` is for `versions[i]`.
///
/// Newest means the highest version number (10 > 9), never the latest LastModified. A version
/// whose number does not parse is kept (fail closed) without taking one of the N places, so it
/// cannot push a real version out of the kept set.
pub fn stage_a(versions: &[VersionAge], now: DateTime<Utc>, min_age_days: u32, keep_last_n: u32) -> Vec<StageA> {
    let numbers: BTreeSet<u64> = versions.iter().filter_map(|v| parse_version_number(&v.version)).collect();
    let kept: BTreeSet<u64> = numbers.iter().rev().take(keep_last_n as usize).copied().collect();
    versions.iter().map(|v| judge(v, &kept, now, min_age_days)).collect()
}

fn judge(v: &VersionAge, kept: &BTreeSet<u64>, now: DateTime<Utc>, min_age_days: u32) -> StageA {
    let is_kept = parse_version_number(&v.version).is_none_or(|n| kept.contains(&n));
    let age = v.last_modified.map(|t| (now - t).num_milliseconds() as f64 / 86_400_000.0);
    let mut flags = Vec::new();
    match age {
        None => flags.push(ReasonFlag::AgeUnknown),
        Some(a) if a < f64::from(min_age_days) => flags.push(ReasonFlag::TooRecent),
        Some(_) => {}
    }
    if is_kept {
        flags.push(ReasonFlag::ProtectedKeptLastN);
    }
    flags.sort();
    StageA {
        age_days: age.map(|a| (a * 100.0).round() / 100.0),
        is_among_keep_last_n: is_kept,
        pass: flags.is_empty(),
        flags,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ReasonFlag::*;

    fn now() -> DateTime<Utc> {
        "2026-11-26T12:00:00Z".parse().unwrap()
    }

    fn aged(version: &str, days: f64) -> VersionAge {
        let t = now() - chrono::Duration::milliseconds((days * 86_400_000.0) as i64);
        VersionAge { version: version.into(), last_modified: Some(t) }
    }

    fn kept_versions(versions: &[VersionAge], keep: u32) -> Vec<String> {
        let out = stage_a(versions, now(), 14, keep);
        versions.iter().zip(out).filter(|(_, a)| a.is_among_keep_last_n).map(|(v, _)| v.version.clone()).collect()
    }

    #[test]
    fn age_and_keep_last_n_decide_each_flag() {
        let cases: [(&str, f64, u32, Vec<ReasonFlag>, bool); 6] = [
            ("old version outside the kept set passes", 30.0, 0, vec![], true),
            ("younger than min age is too recent", 13.9, 0, vec![TooRecent], false),
            ("exactly min age passes", 14.0, 0, vec![], true),
            ("kept version is protected", 30.0, 1, vec![ProtectedKeptLastN], false),
            ("young and kept carries both flags", 1.0, 1, vec![TooRecent, ProtectedKeptLastN], false),
            ("future LastModified is too recent", -2.0, 0, vec![TooRecent], false),
        ];
        for (name, days, keep, flags, pass) in cases {
            let out = &stage_a(&[aged("1", days)], now(), 14, keep)[0];
            assert_eq!((&out.flags, out.pass), (&flags, pass), "{name}");
        }
    }

    #[test]
    fn missing_last_modified_is_age_unknown_and_fails() {
        let v = VersionAge { version: "1".into(), last_modified: None };
        let out = &stage_a(&[v], now(), 14, 0)[0];
        assert_eq!((out.age_days, out.pass, out.flags.clone()), (None, false, vec![AgeUnknown]));
    }

    #[test]
    fn newest_is_by_number_not_by_string_or_date() {
        let versions: Vec<VersionAge> = (1..=12).map(|n| aged(&n.to_string(), 100.0 - f64::from(n))).rev().collect();
        let mut kept = kept_versions(&versions, 3);
        kept.sort();
        assert_eq!(kept, vec!["10", "11", "12"]);
        // An old LastModified on the highest number does not un-keep it.
        let versions = vec![aged("9", 10.0), aged("10", 400.0)];
        assert_eq!(kept_versions(&versions, 1), vec!["10"]);
    }

    #[test]
    fn keep_zero_keeps_none_and_keep_more_than_exist_keeps_all() {
        let versions = vec![aged("1", 30.0), aged("2", 30.0)];
        assert!(kept_versions(&versions, 0).is_empty());
        assert_eq!(kept_versions(&versions, 5), vec!["1", "2"]);
    }

    #[test]
    fn an_unparsable_version_is_kept_without_taking_a_place() {
        let versions = vec![aged("x", 30.0), aged("1", 30.0), aged("2", 30.0)];
        assert_eq!(kept_versions(&versions, 1), vec!["x", "2"]);
    }

    #[test]
    fn age_is_rounded_for_display_only() {
        let out = &stage_a(&[aged("1", 13.996)], now(), 14, 0)[0];
        assert_eq!(out.age_days, Some(14.0));
        assert!(!out.pass, "the unrounded age decides");
    }
}
