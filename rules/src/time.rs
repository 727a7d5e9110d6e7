//! Parsing what AWS writes: LastModified timestamps and version numbers. Both parsers are
//! strict on purpose: a string we do not fully understand yields `None`, and the callers treat
//! `None` as "protect this version".

use chrono::{DateTime, Duration, Utc};

/// Parses a LastModified timestamp to an instant.
///
/// Accepted: `YYYY-MM-DDTHH:MM:SS`, then an optional `.` with 1–9 digits, then a zone: `Z`,
/// `±HH:MM` (RFC 3339) or `±HHMM` (AWS: `2024-01-02T03:04:05.000+0000`). Anything else —
/// no zone, a space for `T`, lowercase `z`, surrounding whitespace, 10+ fraction digits,
/// impossible dates — is `None`.
pub fn parse_last_modified(s: &str) -> Option<DateTime<Utc>> {
    let (date_time, rest) = (s.get(..19)?, s.get(19..)?);
    if !has_shape(date_time, "0000-00-00T00:00:00") {
        return None;
    }
    let (fraction, zone) = split_fraction(rest)?;
    let rfc3339 = format!("{date_time}{fraction}{}", rfc3339_zone(zone)?);
    DateTime::parse_from_rfc3339(&rfc3339).ok().map(|t| t.with_timezone(&Utc))
}

/// `"10"` → 10. Only canonical decimal numbers parse: `$LATEST`, empty, signs, leading zeros
/// (`"01"`, which AWS never writes) and numbers beyond `u64` are `None`.
pub fn parse_version_number(s: &str) -> Option<u64> {
    let canonical = !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) && (s == "0" || !s.starts_with('0'));
    canonical.then(|| s.parse().ok()).flatten()
}

/// `now` minus whole days; saturates at the earliest representable instant rather than panic,
/// so a huge window simply covers everything.
pub(crate) fn days_before(now: DateTime<Utc>, days: u32) -> DateTime<Utc> {
    now.checked_sub_signed(Duration::days(i64::from(days))).unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// Whether `s` matches `template` byte for byte, where `0` in the template stands for any digit.
fn has_shape(s: &str, template: &str) -> bool {
    s.len() == template.len()
        && s.bytes().zip(template.bytes()).all(|(c, t)| if t == b'0' { c.is_ascii_digit() } else { c == t })
}

/// Splits an optional `.` + 1–9 digits off the front of `rest`; `("", rest)` when there is none.
fn split_fraction(rest: &str) -> Option<(&str, &str)> {
    let Some(after_dot) = rest.strip_prefix('.') else {
        return Some(("", rest));
    };
    let digits = after_dot.bytes().take_while(u8::is_ascii_digit).count();
    (1..=9).contains(&digits).then(|| rest.split_at(1 + digits))
}

/// The zone written the RFC 3339 way, or `None` when it is not one we accept.
fn rfc3339_zone(zone: &str) -> Option<String> {
    let signed = |template: &str| has_shape(zone, &format!("+{template}")) || has_shape(zone, &format!("-{template}"));
    if zone == "Z" || signed("00:00") {
        Some(zone.to_string())
    } else if signed("0000") {
        Some(format!("{}:{}", &zone[..3], &zone[3..]))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn aws_and_rfc3339_timestamps_parse_to_the_right_instant() {
        let cases = [
            ("AWS format", "2024-01-02T03:04:05.000+0000", "2024-01-02T03:04:05Z"),
            ("AWS format without fraction", "2024-01-02T03:04:05+0000", "2024-01-02T03:04:05Z"),
            ("Z without fraction", "2024-01-02T03:04:05Z", "2024-01-02T03:04:05Z"),
            ("Z with one digit", "2024-01-02T03:04:05.5Z", "2024-01-02T03:04:05.5Z"),
            ("Z with nanoseconds", "2024-01-02T03:04:05.123456789Z", "2024-01-02T03:04:05.123456789Z"),
            ("colon offset", "2024-01-02T03:04:05+00:00", "2024-01-02T03:04:05Z"),
            ("non-UTC AWS offset", "2024-01-02T05:04:05.000+0200", "2024-01-02T03:04:05Z"),
            ("negative colon offset", "2024-01-01T22:04:05-05:00", "2024-01-02T03:04:05Z"),
        ];
        for (name, input, want) in cases {
            assert_eq!(parse_last_modified(input), Some(utc(want)), "{name}: {input}");
        }
    }

    #[test]
    fn garbage_zoneless_and_loose_timestamps_do_not_parse() {
        let cases = [
            "",
            "yesterday",
            "2024-01-02",
            "2024-01-02T03:04:05",
            "2024-01-02T03:04:05.000",
            "2024-13-02T03:04:05Z",
            "2024-02-30T03:04:05Z",
            "2024-01-02 03:04:05Z",
            "2024-01-02t03:04:05z",
            "2024-1-2T3:4:5+0000",
            "2024-01-02T03:04:05.Z",
            "2024-01-02T03:04:05.1234567891Z",
            "2024-01-02T03:04:05.000 +0000",
            "2024-01-02T03:04:05.000+00",
            " 2024-01-02T03:04:05Z",
            "2024-01-02T03:04:05Z ",
            "2024-01-02T03:04:05ZZ",
            "2024-01-02T03:04:05+0000x",
            "2024-01-02T03:04:05\u{e9}",
            "\u{e9}024-01-02T03:04:05Z",
        ];
        for input in cases {
            assert_eq!(parse_last_modified(input), None, "{input:?}");
        }
    }

    #[test]
    fn days_before_counts_back_and_saturates_instead_of_panicking() {
        let now = utc("2026-11-26T12:00:00Z");
        assert_eq!(days_before(now, 0), now);
        assert_eq!(days_before(now, 30), utc("2026-10-27T12:00:00Z"));
        assert_eq!(days_before(now, u32::MAX), DateTime::<Utc>::MIN_UTC);
    }

    #[test]
    fn only_canonical_decimal_numbers_are_version_numbers() {
        let cases = [
            ("1", Some(1)),
            ("10", Some(10)),
            ("0", Some(0)),
            ("18446744073709551615", Some(u64::MAX)),
            ("18446744073709551616", None),
            ("$LATEST", None),
            ("", None),
            ("01a", None),
            ("01", None),
            ("-1", None),
            ("+2", None),
            (" 3", None),
            ("live", None),
        ];
        for (input, want) in cases {
            assert_eq!(parse_version_number(input), want, "{input:?}");
        }
    }
}
