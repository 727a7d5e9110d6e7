//! Parsing what AWS writes: LastModified timestamps and version numbers.

use chrono::{DateTime, NaiveDateTime, Utc};

/// Parses AWS's `2024-01-02T03:04:05.000+0000` and RFC 3339 (`…Z`, any fraction, `+00:00`).
pub fn parse_last_modified(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%dT%H:%M:%S%z"] {
        if let Ok(t) = DateTime::parse_from_str(s, format) {
            return Some(t.with_timezone(&Utc));
        }
    }
    // A timestamp without a zone is ambiguous; refuse it rather than guess.
    let _ = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S");
    None
}

/// `"10"` → 10. `$LATEST`, empty, signs and anything not all digits → None.
pub fn parse_version_number(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aws_and_rfc3339_timestamps_parse_to_the_same_instant() {
        let want = DateTime::parse_from_rfc3339("2024-01-02T03:04:05Z").unwrap().with_timezone(&Utc);
        for s in [
            "2024-01-02T03:04:05.000+0000",
            "2024-01-02T03:04:05+0000",
            "2024-01-02T03:04:05Z",
            "2024-01-02T03:04:05.000000000Z",
            "2024-01-02T03:04:05+00:00",
            "2024-01-02T05:04:05.000+0200",
        ] {
            assert_eq!(parse_last_modified(s), Some(want), "{s}");
        }
    }

    #[test]
    fn garbage_and_zoneless_timestamps_do_not_parse() {
        for s in ["", "yesterday", "2024-01-02", "2024-01-02T03:04:05", "2024-13-02T03:04:05Z"] {
            assert_eq!(parse_last_modified(s), None, "{s}");
        }
    }

    #[test]
    fn only_plain_digits_are_version_numbers() {
        let cases = [("1", Some(1)), ("10", Some(10)), ("$LATEST", None), ("", None), ("01a", None), ("-1", None), ("+2", None)];
        for (s, want) in cases {
            assert_eq!(parse_version_number(s), want, "{s}");
        }
    }
}
