//! Reducing CloudWatch series (timestamps and values, any order) to what the rules need.

use chrono::{DateTime, Utc};

/// The latest timestamp at or after `since` with a value above zero.
pub fn last_nonzero(timestamps: &[DateTime<Utc>], values: &[f64], since: DateTime<Utc>) -> Option<DateTime<Utc>> {
    timestamps.iter().zip(values).filter(|(t, v)| **t >= since && **v > 0.0).map(|(t, _)| *t).max()
}

/// The sum of values at or after `since`.
pub fn sum_since(timestamps: &[DateTime<Utc>], values: &[f64], since: DateTime<Utc>) -> f64 {
    timestamps.iter().zip(values).filter(|(t, _)| **t >= since).map(|(_, v)| *v).sum()
}

/// The later of two optional instants.
pub fn latest(a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    a.max(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(day: u32) -> DateTime<Utc> {
        format!("2026-11-{day:02}T00:00:00Z").parse().unwrap()
    }

    #[test]
    fn zeros_and_points_before_the_window_are_ignored() {
        let ts = [t(1), t(5), t(9), t(3)];
        let vs = [4.0, 0.0, 0.0, 2.0];
        assert_eq!(last_nonzero(&ts, &vs, t(2)), Some(t(3)));
        assert_eq!(last_nonzero(&ts, &vs, t(4)), None);
        assert_eq!(last_nonzero(&ts, &vs, t(3)), Some(t(3)), "a point exactly at the window edge counts");
        assert_eq!(sum_since(&ts, &vs, t(2)), 2.0);
        assert_eq!(sum_since(&[], &[], t(2)), 0.0);
    }

    #[test]
    fn latest_prefers_any_instant_over_none() {
        assert_eq!(latest(None, Some(t(1))), Some(t(1)));
        assert_eq!(latest(Some(t(2)), Some(t(1))), Some(t(2)));
        assert_eq!(latest(None, None), None);
    }
}
