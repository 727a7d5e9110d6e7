//! Reducing CloudWatch series (parallel timestamps and values, any order) to what the rules need.
//!
//! Unknown is read as usage: a value that is not a number (NaN), or a timestamp with no value
//! beside it, counts as a non-zero datapoint, so a malformed series can only protect a version.

use chrono::{DateTime, Utc};

/// The latest timestamp at or after `since` whose value is above zero (or not a number).
pub fn last_nonzero(timestamps: &[DateTime<Utc>], values: &[f64], since: DateTime<Utc>) -> Option<DateTime<Utc>> {
    points(timestamps, values).filter(|(t, v)| *t >= since && (v.is_nan() || *v > 0.0)).map(|(t, _)| t).max()
}

/// The sum of the values at or after `since`; NaN when a point in the window has no number.
pub fn sum_since(timestamps: &[DateTime<Utc>], values: &[f64], since: DateTime<Utc>) -> f64 {
    points(timestamps, values).filter(|(t, _)| *t >= since).map(|(_, v)| v).sum()
}

/// The later of two optional instants; an instant beats `None`.
pub fn latest(a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    a.max(b)
}

/// Pairs each timestamp with its value; a timestamp without one gets NaN ("unknown").
fn points<'a>(timestamps: &'a [DateTime<Utc>], values: &'a [f64]) -> impl Iterator<Item = (DateTime<Utc>, f64)> + 'a {
    timestamps.iter().enumerate().map(|(i, t)| (*t, values.get(i).copied().unwrap_or(f64::NAN)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> DateTime<Utc> {
        format!("2026-11-{d:02}T00:00:00Z").parse().unwrap()
    }

    #[test]
    fn last_nonzero_finds_the_latest_used_point_in_the_window() {
        let ts = [day(1), day(5), day(9), day(3)];
        let vs = [4.0, 0.0, 0.0, 2.0];
        let cases = [
            ("zeros after the last use are ignored", day(2), Some(day(3))),
            ("a point exactly at the window edge counts", day(3), Some(day(3))),
            ("points before the window are ignored", day(4), None),
            ("unsorted input still yields the latest", day(1), Some(day(3))),
        ];
        for (name, since, want) in cases {
            assert_eq!(last_nonzero(&ts, &vs, since), want, "{name}");
        }
    }

    #[test]
    fn sum_since_adds_the_window_including_its_edge() {
        let ts = [day(1), day(5), day(9), day(3)];
        let vs = [4.0, 1.0, 0.0, 2.0];
        let cases = [("whole series", day(1), 7.0), ("from the edge", day(3), 3.0), ("empty window", day(10), 0.0)];
        for (name, since, want) in cases {
            assert_eq!(sum_since(&ts, &vs, since), want, "{name}");
        }
        assert_eq!(sum_since(&[], &[], day(1)), 0.0, "no series sums to zero");
    }

    #[test]
    fn unknown_values_count_as_usage() {
        let ts = [day(5), day(6)];
        assert_eq!(last_nonzero(&ts, &[0.0, f64::NAN], day(1)), Some(day(6)), "NaN");
        assert_eq!(last_nonzero(&ts, &[0.0], day(1)), Some(day(6)), "timestamp without a value");
        assert!(sum_since(&ts, &[1.0], day(1)).is_nan(), "the sum of an unknown is unknown");
        assert_eq!(last_nonzero(&[day(5)], &[0.0, 9.0], day(1)), None, "a value without a timestamp is nowhere");
    }

    #[test]
    fn latest_prefers_any_instant_over_none() {
        let cases = [
            (None, Some(day(1)), Some(day(1))),
            (Some(day(1)), None, Some(day(1))),
            (Some(day(2)), Some(day(1)), Some(day(2))),
            (None, None, None),
        ];
        for (a, b, want) in cases {
            assert_eq!(latest(a, b), want, "{a:?} {b:?}");
        }
    }
}
