//! Parsing and validating a start input. The JSON users type is parsed strictly (unknown keys are
//! errors, so a typo like `min_age_day` is caught) and every problem names its field.

use crate::v1::{ScanRequest, ScanSettings};

/// Defaults, as in the original system.
pub const DEFAULT_LOOKBACK_DAYS: u32 = 30;
/// Versions younger than this are never candidates.
pub const DEFAULT_MIN_AGE_DAYS: u32 = 14;
/// The newest N SnapStart versions of each function are always kept.
pub const DEFAULT_KEEP_LAST_N: u32 = 3;
/// CloudWatch period for the invocation queries.
pub const DEFAULT_PERIOD_SECONDS: u32 = 3600;
/// How long a run waits for a human decision.
pub const DEFAULT_APPROVAL_TIMEOUT_SECONDS: u64 = 7 * 24 * 3600;
/// CloudWatch keeps hourly data for 455 days; a longer lookback would read nothing.
pub const MAX_LOOKBACK_DAYS: i64 = 455;
/// The tag that takes a function out of every run unless its value is `false`.
pub const DEFAULT_PROTECT_TAG_KEY: &str = "snapstart-cleaner:protect";
/// At most this many `include` or `exclude` globs.
pub const MAX_PATTERNS: usize = 50;

/// `versions`: SnapStart versions only (the default).
pub const VERSIONS_SNAPSTART: &str = "snapstart";
/// `versions`: every numeric published version.
pub const VERSIONS_ALL: &str = "all";

/// A start input that cannot be used; `field` names the offending key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidRequest {
    /// The JSON key at fault (`input` when the whole document is).
    pub field: String,
    /// What is wrong and what would be accepted.
    pub message: String,
}

impl std::fmt::Display for InvalidRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "invalid start input: `{}`: {}", self.field, self.message)
    }
}

impl std::error::Error for InvalidRequest {}

fn invalid(field: &str, message: impl Into<String>) -> InvalidRequest {
    InvalidRequest { field: field.to_string(), message: message.into() }
}

impl ScanRequest {
    /// Parses the JSON form strictly; errors name the field.
    pub fn from_json(json: &str) -> Result<Self, InvalidRequest> {
        Self::from_value(serde_json::from_str(json).map_err(|e| invalid("input", format!("not valid JSON: {e}")))?)
    }

    /// Parses an already-decoded JSON value strictly; errors name the field.
    pub fn from_value(value: serde_json::Value) -> Result<Self, InvalidRequest> {
        if !value.is_object() {
            return Err(invalid("input", "expected a JSON object such as {\"region\": \"us-west-2\"}"));
        }
        serde_path_to_error::deserialize(value).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner().to_string();
            match inner.strip_prefix("unknown field `") {
                Some(rest) => {
                    let name = rest.split('`').next().unwrap_or_default();
                    invalid(name, format!("unknown field (accepted: {})", ACCEPTED_FIELDS.join(", ")))
                }
                None => invalid(if path == "." { "input" } else { &path }, inner),
            }
        })
    }

    /// Applies defaults and checks every field; `now_unix` pins the run's clock.
    pub fn validate(&self, now_unix: i64) -> Result<ScanSettings, InvalidRequest> {
        let regions = validate_regions(self.region.as_deref(), &self.regions)?;
        let assume_role_arns = validate_roles(&self.assume_role_arns)?;
        let external_id = validate_external_id(self.external_id.as_deref(), &assume_role_arns)?;
        let include_own_account = match (self.include_own_account, assume_role_arns.is_empty()) {
            (Some(false), true) => return Err(invalid("include_own_account", "false leaves nothing to scan without assume_role_arns")),
            (Some(own), false) => own,
            (_, true) => true,
            (None, false) => false,
        };
        let lookback_days = non_negative("lookback_days", self.lookback_days, DEFAULT_LOOKBACK_DAYS.into())?;
        if lookback_days == 0 || lookback_days > MAX_LOOKBACK_DAYS {
            return Err(invalid("lookback_days", format!("must be between 1 and {MAX_LOOKBACK_DAYS} (CloudWatch keeps hourly data 455 days); got {lookback_days}")));
        }
        let min_age_days = non_negative("min_age_days", self.min_age_days, DEFAULT_MIN_AGE_DAYS.into())?;
        let keep_last_n = non_negative("keep_last_n", self.keep_last_n, DEFAULT_KEEP_LAST_N.into())?;
        let period_seconds = non_negative("period_seconds", self.period_seconds, DEFAULT_PERIOD_SECONDS.into())?;
        validate_period(period_seconds, lookback_days)?;
        let fallback = self.function_level_fallback.as_deref().unwrap_or("strict");
        if !matches!(fallback, "strict" | "attributed") {
            return Err(invalid("function_level_fallback", format!("must be \"strict\" or \"attributed\"; got {fallback:?}")));
        }
        let timeout = non_negative("approval_timeout_seconds", self.approval_timeout_seconds, DEFAULT_APPROVAL_TIMEOUT_SECONDS as i64)?;
        if timeout == 0 || timeout > DEFAULT_APPROVAL_TIMEOUT_SECONDS as i64 {
            return Err(invalid("approval_timeout_seconds", format!("must be between 1 and {DEFAULT_APPROVAL_TIMEOUT_SECONDS} (7 days); got {timeout}")));
        }
        let s3_report_uri = validate_s3_uri("s3_report_uri", self.s3_report_uri.as_deref())?;
        let archive_uri = validate_s3_uri("archive_uri", self.archive_uri.as_deref())?;
        let archive_kms_key_id = validate_kms_key_id("archive_kms_key_id", self.archive_kms_key_id.as_deref())?;
        let versions = self.versions.clone().unwrap_or_else(|| VERSIONS_SNAPSTART.to_string());
        if !matches!(versions.as_str(), VERSIONS_SNAPSTART | VERSIONS_ALL) {
            return Err(invalid("versions", format!("must be \"snapstart\" (SnapStart versions only) or \"all\" (every published version); got {versions:?}")));
        }
        let cache_price_per_gb_second = match self.cache_price_per_gb_second {
            None => 0.0,
            Some(p) if p.is_finite() && p > 0.0 && p < 0.001 => p,
            Some(p) => return Err(invalid("cache_price_per_gb_second", format!("must be a price in USD per GB-second above 0 and below 0.001 (us-east-1: 0.0000015046); got {p}"))),
        };
        let include = validate_patterns("include", &self.include)?;
        let exclude = validate_patterns("exclude", &self.exclude)?;
        let protect_tag_key = self.protect_tag_key.clone().unwrap_or_else(|| DEFAULT_PROTECT_TAG_KEY.to_string());
        if protect_tag_key.is_empty() || protect_tag_key.chars().count() > 128 || protect_tag_key.starts_with("aws:") {
            return Err(invalid("protect_tag_key", format!("must be a tag key of 1–128 characters not starting with \"aws:\"; got {protect_tag_key:?}")));
        }
        Ok(ScanSettings {
            include,
            exclude,
            protect_tag_key,
            region: regions[0].clone(),
            regions,
            s3_report_uri,
            archive_uri,
            archive_kms_key_id,
            cache_price_per_gb_second,
            versions,
            assume_role_arns,
            external_id,
            include_own_account,
            lookback_days: lookback_days as u32,
            min_age_days: to_u32("min_age_days", min_age_days)?,
            keep_last_n: to_u32("keep_last_n", keep_last_n)?,
            period_seconds: period_seconds as u32,
            function_name_prefix: self.function_name_prefix.clone().unwrap_or_default(),
            function_level_fallback: fallback.to_string(),
            dry_run_requested: self.dry_run.unwrap_or(false),
            approval_timeout_seconds: timeout as u64,
            now_unix,
        })
    }
}

/// The keys a start input may carry.
pub const ACCEPTED_FIELDS: &[&str] = &[
    "region", "lookback_days", "min_age_days", "keep_last_n", "period_seconds",
    "function_name_prefix", "s3_report_uri", "function_level_fallback", "dry_run",
    "approval_timeout_seconds", "include", "exclude", "protect_tag_key", "regions",
    "assume_role_arns", "external_id", "include_own_account", "archive_uri", "archive_kms_key_id", "cache_price_per_gb_second", "versions",
];

/// `s3://bucket/prefix` (prefix optional): a DNS-style bucket name, a key prefix of printable
/// characters. Empty or absent: none (no S3 reports; no archive).
pub fn validate_s3_uri(field: &str, uri: Option<&str>) -> Result<String, InvalidRequest> {
    let Some(uri) = uri.filter(|u| !u.is_empty()) else { return Ok(String::new()) };
    let bad = || invalid(field, format!("{uri:?} is not an S3 location such as \"s3://audit-bucket/snapstart-cleaner/\""));
    let rest = uri.strip_prefix("s3://").ok_or_else(bad)?;
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    let bucket_ok = (3..=63).contains(&bucket.len())
        && bucket.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
        && bucket.starts_with(|c: char| c.is_ascii_alphanumeric())
        && bucket.ends_with(|c: char| c.is_ascii_alphanumeric());
    if !bucket_ok || prefix.len() > 900 || prefix.chars().any(|c| c.is_control()) {
        return Err(bad());
    }
    Ok(uri.to_string())
}

/// A KMS key as S3 takes it for SSE-KMS: a key id, key ARN, alias name or alias ARN (1–2048
/// characters, no spaces or control characters). Empty or absent: SSE-S3.
pub fn validate_kms_key_id(field: &str, key: Option<&str>) -> Result<String, InvalidRequest> {
    let Some(key) = key.filter(|k| !k.is_empty()) else { return Ok(String::new()) };
    let shape_ok = key.starts_with("arn:") || key.starts_with("alias/") || key.chars().all(|c| c.is_ascii_hexdigit() || c == '-');
    if key.len() > 2048 || !shape_ok || key.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(invalid(field, format!("{key:?} is not a KMS key id, key ARN or alias (such as \"alias/snapstart-archive\")")));
    }
    Ok(key.to_string())
}

/// The bucket and key prefix of a validated S3 location (`s3_report_uri`, `archive_uri`).
pub fn s3_location(uri: &str) -> Option<(&str, &str)> {
    let rest = uri.strip_prefix("s3://")?;
    Some(rest.split_once('/').unwrap_or((rest, "")))
}

/// At most this many roles in one run.
pub const MAX_ROLES: usize = 100;

impl ScanSettings {
    /// The regions this run covers: `regions`, or `region` alone for runs started before
    /// several regions existed.
    pub fn scan_regions(&self) -> Vec<String> {
        match self.regions.is_empty() {
            true => vec![self.region.clone()],
            false => self.regions.clone(),
        }
    }

    /// Whether the run covers every published version, not only SnapStart ones.
    pub fn covers_every_version(&self) -> bool {
        self.versions == VERSIONS_ALL
    }

    /// Whether the worker's own account is scanned: always without roles.
    pub fn scans_own_account(&self) -> bool {
        self.assume_role_arns.is_empty() || self.include_own_account
    }
}

/// The account an IAM role ARN belongs to (`arn:<partition>:iam::<12 digits>:role/<path/name>`),
/// or `None` when it is not a role ARN.
pub fn role_account(arn: &str) -> Option<&str> {
    let rest = ["arn:aws:iam::", "arn:aws-cn:iam::", "arn:aws-us-gov:iam::"].iter().find_map(|p| arn.strip_prefix(p))?;
    let (account, role) = rest.split_once(':')?;
    let name = role.strip_prefix("role/")?;
    let name_ok = !name.is_empty() && name.len() <= 512 && name.chars().all(|c| c.is_ascii_alphanumeric() || "+=,.@_-/".contains(c));
    (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()) && name_ok).then_some(account)
}

fn validate_roles(roles: &[String]) -> Result<Vec<String>, InvalidRequest> {
    if roles.len() > MAX_ROLES {
        return Err(invalid("assume_role_arns", format!("at most {MAX_ROLES} roles; got {}", roles.len())));
    }
    let mut accounts: Vec<&str> = Vec::new();
    for arn in roles {
        let account = role_account(arn).ok_or_else(|| invalid("assume_role_arns", format!("{arn:?} is not an IAM role ARN such as \"arn:aws:iam::111111111111:role/snapstart-cleaner\"")))?;
        if accounts.contains(&account) {
            return Err(invalid("assume_role_arns", format!("two roles in account {account}: one role per account")));
        }
        accounts.push(account);
    }
    Ok(roles.to_vec())
}

/// STS accepts 2–1224 characters of letters, digits and `+=,.@:/-` (and `_`).
fn validate_external_id(external_id: Option<&str>, roles: &[String]) -> Result<String, InvalidRequest> {
    let Some(id) = external_id else { return Ok(String::new()) };
    if roles.is_empty() {
        return Err(invalid("external_id", "is only used with assume_role_arns"));
    }
    let allowed = |c: char| c.is_ascii_alphanumeric() || "+=,.@:/-_".contains(c);
    if id.len() < 2 || id.len() > 1224 || !id.chars().all(allowed) {
        return Err(invalid("external_id", "must be 2–1224 characters of letters, digits and +=,.@:/-_"));
    }
    Ok(id.to_string())
}

/// Function-name globs: letters, digits, `-`, `_`, and the wildcards `*` and `?`.
fn validate_patterns(field: &str, patterns: &[String]) -> Result<Vec<String>, InvalidRequest> {
    if patterns.len() > MAX_PATTERNS {
        return Err(invalid(field, format!("at most {MAX_PATTERNS} globs; got {}", patterns.len())));
    }
    for p in patterns {
        let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '*' | '?');
        if p.is_empty() || p.len() > 140 || !p.chars().all(allowed) {
            return Err(invalid(field, format!("{p:?} is not a function-name glob (1–140 of letters, digits, -, _, * and ?)")));
        }
    }
    Ok(patterns.to_vec())
}

fn non_negative(field: &str, value: Option<i64>, default: i64) -> Result<i64, InvalidRequest> {
    match value {
        Some(v) if v < 0 => Err(invalid(field, format!("must not be negative; got {v}"))),
        Some(v) => Ok(v),
        None => Ok(default),
    }
}

fn to_u32(field: &str, value: i64) -> Result<u32, InvalidRequest> {
    u32::try_from(value).map_err(|_| invalid(field, format!("is too large; got {value}")))
}

/// CloudWatch keeps 1-minute data 15 days, 5-minute 63 days, 1-hour 455 days, and answers a query
/// whose StartTime is older than that for its period with no datapoints at all (GetMetricData,
/// MetricStat.Period): every version would look unused. The age counts when CloudWatch receives
/// the request, hours after the run started, so each boundary keeps a day of margin.
fn validate_period(period: i64, lookback_days: i64) -> Result<(), InvalidRequest> {
    if period == 0 || period % 60 != 0 {
        return Err(invalid("period_seconds", format!("must be a positive multiple of 60; got {period}")));
    }
    let required = i64::from(finest_period_seconds(lookback_days));
    if period % required != 0 {
        return Err(invalid("period_seconds", format!(
            "{period} is too fine for a {lookback_days}-day lookback: CloudWatch keeps 1-minute data 15 days and 5-minute data 63 days and reads nothing older at a finer period (with a day of margin), so use a multiple of {required}"
        )));
    }
    Ok(())
}

/// The finest period (seconds) CloudWatch answers for data `age_days` old, with a day of margin
/// (1-minute data is kept 15 days, 5-minute 63 days; a finer period on older data returns no
/// datapoints at all). The scan's lookback and the re-check's window both use it.
pub fn finest_period_seconds(age_days: i64) -> u32 {
    match age_days {
        d if d >= 62 => 3600,
        d if d >= 14 => 300,
        _ => 60,
    }
}

/// Regions where Lambda SnapStart may run. An unknown name is far more likely a typo than a new
/// region, and scanning the wrong region would report "nothing to delete".
pub const KNOWN_REGIONS: &[&str] = &[
    "us-east-1", "us-east-2", "us-west-1", "us-west-2", "af-south-1", "ap-east-1", "ap-east-2",
    "ap-south-1", "ap-south-2", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3",
    "ap-southeast-4", "ap-southeast-5", "ap-southeast-6", "ap-southeast-7", "ap-northeast-1",
    "ap-northeast-2", "ap-northeast-3", "ca-central-1", "ca-west-1", "eu-central-1",
    "eu-central-2", "eu-west-1", "eu-west-2", "eu-west-3", "eu-south-1", "eu-south-2",
    "eu-north-1", "il-central-1", "me-south-1", "me-central-1", "mx-central-1", "sa-east-1",
    "us-gov-east-1", "us-gov-west-1", "cn-north-1", "cn-northwest-1",
];

/// Exactly one of `region` and `regions`; every name known, none twice.
fn validate_regions(region: Option<&str>, regions: &[String]) -> Result<Vec<String>, InvalidRequest> {
    let (field, names): (&str, Vec<&str>) = match (region, regions.is_empty()) {
        (Some(_), false) => return Err(invalid("regions", "give `region` or `regions`, not both")),
        (None | Some(""), true) => return Err(invalid("region", "is required, e.g. \"us-west-2\" (or `regions`: [\"us-west-2\", \"eu-west-1\"])")),
        (Some(r), true) => ("region", vec![r]),
        (None, false) => ("regions", regions.iter().map(String::as_str).collect()),
    };
    let mut out: Vec<String> = Vec::new();
    for r in names {
        if !KNOWN_REGIONS.contains(&r) {
            return Err(invalid(field, format!("unknown region {r:?}")));
        }
        if out.iter().any(|o| o == r) {
            return Err(invalid(field, format!("{r:?} is listed twice")));
        }
        out.push(r.to_string());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ORIGINAL: &str = r#"{"region": "us-west-2", "lookback_days": 30, "min_age_days": 14, "keep_last_n": 3, "period_seconds": 3600, "function_name_prefix": null, "s3_report_uri": null}"#;

    fn check(json: &str) -> Result<ScanSettings, InvalidRequest> {
        ScanRequest::from_json(json)?.validate(1_700_000_000)
    }

    #[test]
    fn the_original_payload_is_accepted_unchanged() {
        let s = check(ORIGINAL).unwrap();
        assert_eq!((s.region.as_str(), s.lookback_days, s.min_age_days, s.keep_last_n, s.period_seconds), ("us-west-2", 30, 14, 3, 3600));
        assert_eq!(s.function_name_prefix, "");
        assert_eq!(s.function_level_fallback, "strict");
        assert_eq!(s.approval_timeout_seconds, 604_800, "seven days");
        assert!(!s.dry_run_requested);
        assert_eq!(s.now_unix, 1_700_000_000);
    }

    #[test]
    fn only_region_is_required() {
        let s = check(r#"{"region":"eu-west-1"}"#).unwrap();
        assert_eq!((s.lookback_days, s.min_age_days, s.keep_last_n, s.period_seconds), (30, 14, 3, 3600));
    }

    #[test]
    fn each_bad_input_names_its_field_and_what_is_wrong() {
        let cases = [
            (r#"{}"#, "region", "is required"),
            (r#"{"region":"us-wst-2"}"#, "region", "unknown region \"us-wst-2\""),
            (r#"{"region":"us-west-2","min_age_day":14}"#, "min_age_day", "unknown field (accepted: region, lookback_days, min_age_days,"),
            (r#"{"region":"us-west-2","lookback_days":-1}"#, "lookback_days", "must not be negative; got -1"),
            (r#"{"region":"us-west-2","lookback_days":456}"#, "lookback_days", "must be between 1 and 455"),
            (r#"{"region":"us-west-2","lookback_days":0}"#, "lookback_days", "must be between 1 and 455"),
            (r#"{"region":"us-west-2","min_age_days":-3}"#, "min_age_days", "must not be negative; got -3"),
            (r#"{"region":"us-west-2","min_age_days":4294967296}"#, "min_age_days", "is too large; got 4294967296"),
            (r#"{"region":"us-west-2","keep_last_n":-1}"#, "keep_last_n", "must not be negative; got -1"),
            (r#"{"region":"us-west-2","period_seconds":90}"#, "period_seconds", "must be a positive multiple of 60; got 90"),
            (r#"{"region":"us-west-2","period_seconds":0}"#, "period_seconds", "must be a positive multiple of 60; got 0"),
            (r#"{"region":"us-west-2","period_seconds":-60}"#, "period_seconds", "must not be negative; got -60"),
            (r#"{"region":"us-west-2","period_seconds":60,"lookback_days":30}"#, "period_seconds", "60 is too fine for a 30-day lookback"),
            (r#"{"region":"us-west-2","period_seconds":300,"lookback_days":90}"#, "period_seconds", "300 is too fine for a 90-day lookback"),
            (r#"{"region":"us-west-2","period_seconds":60,"lookback_days":14}"#, "period_seconds", "60 is too fine for a 14-day lookback"),
            (r#"{"region":"us-west-2","period_seconds":300,"lookback_days":62}"#, "period_seconds", "300 is too fine for a 62-day lookback"),
            (r#"{"region":"us-west-2","lookback_days":"30"}"#, "lookback_days", "invalid type: string \"30\""),
            (r#"{"region":"us-west-2","function_level_fallback":"loose"}"#, "function_level_fallback", "must be \"strict\" or \"attributed\"; got \"loose\""),
            (r#"{"region":"us-west-2","approval_timeout_seconds":0}"#, "approval_timeout_seconds", "must be between 1 and 604800"),
            (r#"{"region":"us-west-2","approval_timeout_seconds":604801}"#, "approval_timeout_seconds", "must be between 1 and 604800"),
            (r#"[]"#, "input", "expected a JSON object"),
            (r#"not json"#, "input", "not valid JSON"),
            (r#""#, "input", "not valid JSON"),
        ];
        for (json, field, message) in cases {
            let err = check(json).expect_err(json);
            assert_eq!(err.field, field, "{json}: {err}");
            assert!(err.message.starts_with(message), "{json}: got {:?}, want it to start with {message:?}", err.message);
        }
    }

    #[test]
    fn periods_matching_cloudwatch_retention_are_accepted() {
        for (period, lookback) in [(60, 13), (300, 14), (300, 61), (3600, 62), (3600, 455), (600, 30)] {
            let json = format!(r#"{{"region":"us-west-2","period_seconds":{period},"lookback_days":{lookback}}}"#);
            let s = check(&json).unwrap_or_else(|e| panic!("{json}: {e}"));
            assert_eq!((s.period_seconds, s.lookback_days), (period, lookback), "{json}");
        }
    }

    #[test]
    fn dry_run_and_fallback_are_carried_through() {
        let s = check(r#"{"region":"us-west-2","dry_run":true,"function_level_fallback":"attributed","approval_timeout_seconds":30}"#).unwrap();
        assert!(s.dry_run_requested);
        assert_eq!(s.function_level_fallback, "attributed");
        assert_eq!(s.approval_timeout_seconds, 30);
    }

    #[test]
    fn regions_and_roles_are_checked_and_the_own_account_defaults_by_roles() {
        let s = check(r#"{"regions": ["us-west-2", "eu-west-1"]}"#).unwrap();
        assert_eq!((s.region.as_str(), s.scan_regions()), ("us-west-2", vec!["us-west-2".to_string(), "eu-west-1".to_string()]));
        assert!(s.scans_own_account());
        let s = check(r#"{"region": "us-west-2"}"#).unwrap();
        assert_eq!(s.scan_regions(), vec!["us-west-2".to_string()]);
        let role = "arn:aws:iam::111111111111:role/ops/snapstart-cleaner";
        let s = check(&format!(r#"{{"region": "us-west-2", "assume_role_arns": ["{role}"], "external_id": "ext-1"}}"#)).unwrap();
        assert_eq!((s.assume_role_arns, s.external_id.as_str(), s.include_own_account), (vec![role.to_string()], "ext-1", false));
        let s = check(&format!(r#"{{"region": "us-west-2", "assume_role_arns": ["{role}"], "include_own_account": true}}"#)).unwrap();
        assert!(s.scans_own_account());
        assert_eq!(role_account(role), Some("111111111111"));
        let legacy = ScanSettings { region: "eu-west-1".into(), ..Default::default() };
        assert_eq!(legacy.scan_regions(), vec!["eu-west-1".to_string()], "runs started before `regions` scan their one region");
        assert!(legacy.scans_own_account());

        let bad = [
            (r#"{"region": "us-west-2", "regions": ["eu-west-1"]}"#, "regions", "give `region` or `regions`, not both"),
            (r#"{"regions": []}"#, "region", "is required"),
            (r#"{"regions": ["us-west-2", "us-west-2"]}"#, "regions", "\"us-west-2\" is listed twice"),
            (r#"{"regions": ["us-west-2", "mars-1"]}"#, "regions", "unknown region \"mars-1\""),
            (r#"{"region": "us-west-2", "assume_role_arns": ["111111111111"]}"#, "assume_role_arns", "\"111111111111\" is not an IAM role ARN"),
            (r#"{"region": "us-west-2", "assume_role_arns": ["arn:aws:iam::11111111111:role/x"]}"#, "assume_role_arns", "\"arn:aws:iam::11111111111:role/x\" is not an IAM role ARN"),
            (r#"{"region": "us-west-2", "assume_role_arns": ["arn:aws:iam::111111111111:user/x"]}"#, "assume_role_arns", "\"arn:aws:iam::111111111111:user/x\" is not an IAM role ARN"),
            (r#"{"region": "us-west-2", "assume_role_arns": ["arn:aws:iam::111111111111:role/a", "arn:aws:iam::111111111111:role/b"]}"#, "assume_role_arns", "two roles in account 111111111111"),
            (r#"{"region": "us-west-2", "external_id": "abc"}"#, "external_id", "is only used with assume_role_arns"),
            (r#"{"region": "us-west-2", "assume_role_arns": ["arn:aws:iam::111111111111:role/a"], "external_id": "a b"}"#, "external_id", "must be 2–1224 characters"),
            (r#"{"region": "us-west-2", "include_own_account": false}"#, "include_own_account", "false leaves nothing to scan"),
        ];
        for (json, field, message) in bad {
            let err = check(json).expect_err(json);
            assert_eq!(err.field, field, "{json}: {err}");
            assert!(err.message.starts_with(message), "{json}: got {:?}, want it to start with {message:?}", err.message);
        }
    }

    #[test]
    fn an_s3_report_location_is_a_bucket_and_an_optional_prefix() {
        assert_eq!(check(r#"{"region": "us-west-2", "s3_report_uri": "s3://audit-bucket/snapstart/"}"#).unwrap().s3_report_uri, "s3://audit-bucket/snapstart/");
        assert_eq!(check(r#"{"region": "us-west-2", "s3_report_uri": null}"#).unwrap().s3_report_uri, "");
        assert_eq!(s3_location("s3://audit-bucket/snapstart/"), Some(("audit-bucket", "snapstart/")));
        assert_eq!(s3_location("s3://audit-bucket"), Some(("audit-bucket", "")));
        for bad in ["audit-bucket/x", "s3://", "s3://Audit/x", "s3://ab/x", "s3://-bucket/x", "https://audit-bucket/x"] {
            let err = check(&format!(r#"{{"region": "us-west-2", "s3_report_uri": "{bad}"}}"#)).unwrap_err();
            assert_eq!(err.field, "s3_report_uri", "{bad}");
        }
    }

    #[test]
    fn versions_are_snapstart_by_default_or_all() {
        assert_eq!(check(r#"{"region": "us-west-2"}"#).unwrap().versions, "snapstart");
        assert_eq!(check(r#"{"region": "us-west-2", "versions": "all"}"#).unwrap().versions, "all");
        assert!(check(r#"{"region": "us-west-2", "versions": "all"}"#).unwrap().covers_every_version());
        assert!(!check(r#"{"region": "us-west-2"}"#).unwrap().covers_every_version());
        assert!(!ScanSettings::default().covers_every_version(), "runs started before it: SnapStart only");
        assert_eq!(check(r#"{"region": "us-west-2", "versions": "every"}"#).unwrap_err().field, "versions");
    }

    #[test]
    fn a_cache_price_is_a_positive_price_per_gb_second() {
        assert_eq!(check(r#"{"region": "us-west-2", "cache_price_per_gb_second": 0.0000018383}"#).unwrap().cache_price_per_gb_second, 0.0000018383);
        assert_eq!(check(r#"{"region": "us-west-2"}"#).unwrap().cache_price_per_gb_second, 0.0, "the table");
        for bad in ["0", "-0.0000015", "0.5", "1e400"] {
            let err = check(&format!(r#"{{"region": "us-west-2", "cache_price_per_gb_second": {bad}}}"#)).unwrap_err();
            assert!(err.field == "cache_price_per_gb_second" || err.field == "input", "{bad}: {err:?}");
        }
    }

    #[test]
    fn an_archive_location_is_checked_like_a_report_location_and_its_kms_key_is_a_key_or_alias() {
        let s = check(r#"{"region": "us-west-2", "archive_uri": "s3://archive-bucket/versions/", "archive_kms_key_id": "alias/snapstart-archive"}"#).unwrap();
        assert_eq!((s.archive_uri.as_str(), s.archive_kms_key_id.as_str()), ("s3://archive-bucket/versions/", "alias/snapstart-archive"));
        let none = check(r#"{"region": "us-west-2", "archive_uri": "", "archive_kms_key_id": null}"#).unwrap();
        assert_eq!((none.archive_uri.as_str(), none.archive_kms_key_id.as_str()), ("", ""), "none: the worker's ARCHIVE_URI, SSE-S3");
        for key in ["1234abcd-12ab-34cd-56ef-1234567890ab", "arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab", "alias/x"] {
            assert!(check(&format!(r#"{{"region": "us-west-2", "archive_kms_key_id": "{key}"}}"#)).is_ok(), "{key}");
        }
        assert_eq!(check(r#"{"region": "us-west-2", "archive_uri": "s3://Archive/x"}"#).unwrap_err().field, "archive_uri");
        for bad in ["my key", "snapstart-archive", "alias/a\nb"] {
            assert_eq!(check(&serde_json::json!({"region": "us-west-2", "archive_kms_key_id": bad}).to_string()).unwrap_err().field, "archive_kms_key_id", "{bad:?}");
        }
    }

    #[test]
    fn globs_and_the_protect_tag_key_are_checked_and_defaulted() {
        let s = ScanRequest::from_json(r#"{"region": "us-west-2", "include": ["orders-*"], "exclude": ["*-prod-*", "legacy?"]}"#).unwrap().validate(0).unwrap();
        assert_eq!((s.include, s.exclude), (vec!["orders-*".to_string()], vec!["*-prod-*".to_string(), "legacy?".to_string()]));
        assert_eq!(s.protect_tag_key, DEFAULT_PROTECT_TAG_KEY);
        let bad = [
            (r#"{"region": "us-west-2", "exclude": [""]}"#, "exclude"),
            (r#"{"region": "us-west-2", "include": ["orders/*"]}"#, "include"),
            (r#"{"region": "us-west-2", "exclude": "prod"}"#, "exclude"),
            (r#"{"region": "us-west-2", "protect_tag_key": ""}"#, "protect_tag_key"),
            (r#"{"region": "us-west-2", "protect_tag_key": "aws:cloudformation:stack-name"}"#, "protect_tag_key"),
        ];
        for (json, field) in bad {
            let err = ScanRequest::from_json(json).and_then(|r| r.validate(0)).unwrap_err();
            assert_eq!(err.field, field, "{json}: {err}");
        }
    }
}
