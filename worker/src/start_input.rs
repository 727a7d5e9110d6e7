//! A run's start input from the command line: the scan options `scan`, `start` and `schedule`
//! share, the JSON payload `temporal workflow start --input` would send, and the default
//! workflow id of a scope.

use clap::Args;
use snapstart_proto::v1::{ScanRequest, ScanSettings};

/// Scan settings; defaults are the original system's.
#[derive(Debug, Clone, Args)]
pub struct ScanOptions {
    /// AWS region to scan, e.g. us-west-2; repeat for several (scanned at once, each with its own budgets)
    #[arg(long = "region", required = true, value_name = "REGION")]
    pub regions: Vec<String>,
    /// Also scan the account of this IAM role (assumed with the worker's own credentials); repeatable
    #[arg(long = "assume-role", value_name = "ROLE_ARN")]
    pub assume_roles: Vec<String>,
    /// ExternalId for --assume-role
    #[arg(long)]
    pub external_id: Option<String>,
    /// Scan the worker's own account too [default: true without --assume-role, false with]
    #[arg(long, num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    pub include_own_account: Option<bool>,
    /// Versions younger than this are never candidates [default: 14]
    #[arg(long)]
    pub min_age_days: Option<i64>,
    /// Always keep the newest N SnapStart versions of each function [default: 3]
    #[arg(long)]
    pub keep_last_n: Option<i64>,
    /// Invocation lookback window in days, at most 455 [default: 30]
    #[arg(long)]
    pub lookback_days: Option<i64>,
    /// CloudWatch period in seconds, a multiple of 60 [default: 3600]
    #[arg(long)]
    pub period_seconds: Option<i64>,
    /// Only scan functions whose name starts with this
    #[arg(long)]
    pub function_name_prefix: Option<String>,
    /// strict (any recent unqualified traffic blocks the function) or attributed [default: strict]
    #[arg(long)]
    pub function_level_fallback: Option<String>,
    /// Only functions whose name matches one of these globs (* and ?); repeatable
    #[arg(long = "include", value_name = "GLOB")]
    pub include: Vec<String>,
    /// Never functions whose name matches one of these globs (* and ?); repeatable
    #[arg(long = "exclude", value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// Functions carrying this tag (any value but "false") are never candidates [default: snapstart-cleaner:protect]
    #[arg(long)]
    pub protect_tag_key: Option<String>,
    /// SnapStart cache price in USD per GB-second for the savings estimate [default: the region's in AWS's price list (us-east-1 and us-west-2 0.0000015046, ap-northeast-1 0.0000018383); other regions us-east-1's, marked approximate]
    #[arg(long, value_name = "USD")]
    pub cache_price_per_gb_second: Option<f64>,
    /// Which published versions are in scope: snapstart (SnapStart versions only) or all (every numbered version, for code storage) [default: snapstart]
    #[arg(long, value_name = "snapstart|all")]
    pub versions: Option<String>,
}

impl ScanOptions {
    /// The start input these options describe (validated by [`Self::settings`]).
    pub fn request(&self) -> ScanRequest {
        let (region, regions) = match self.regions.as_slice() {
            [one] => (Some(one.clone()), Vec::new()),
            many => (None, many.to_vec()),
        };
        ScanRequest {
            region,
            regions,
            assume_role_arns: self.assume_roles.clone(),
            external_id: self.external_id.clone(),
            include_own_account: self.include_own_account,
            lookback_days: self.lookback_days,
            min_age_days: self.min_age_days,
            keep_last_n: self.keep_last_n,
            period_seconds: self.period_seconds,
            function_name_prefix: self.function_name_prefix.clone(),
            function_level_fallback: self.function_level_fallback.clone(),
            include: self.include.clone(),
            exclude: self.exclude.clone(),
            protect_tag_key: self.protect_tag_key.clone(),
            cache_price_per_gb_second: self.cache_price_per_gb_second,
            versions: self.versions.clone(),
            ..Default::default()
        }
    }

    /// Validated settings, or exit status 2 with the field named.
    pub fn settings(&self) -> ScanSettings {
        settings_of(&self.request())
    }
}

/// Validated settings of a start input, or exit status 2 with the field named.
pub fn settings_of(request: &ScanRequest) -> ScanSettings {
    match request.validate(chrono::Utc::now().timestamp()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    }
}

/// Where a run that deletes archives each version first (`start` and `schedule`).
#[derive(Debug, Clone, Args)]
pub struct ArchiveOptions {
    /// Archive each version under s3://bucket/prefix/ before deleting it (a bucket in the first --region) [default: the worker's ARCHIVE_URI]
    #[arg(long)]
    pub archive_uri: Option<String>,
    /// SSE-KMS key for the archive (id, ARN or alias) [default: the worker's ARCHIVE_KMS_KEY_ID, else SSE-S3]
    #[arg(long)]
    pub archive_kms_key_id: Option<String>,
}

impl ArchiveOptions {
    /// Adds these options to a start input.
    pub fn apply(&self, request: &mut ScanRequest) {
        request.archive_uri = self.archive_uri.clone();
        request.archive_kms_key_id = self.archive_kms_key_id.clone();
    }
}

/// The default workflow id of a scope: one open run per scope, whether started by hand or by the
/// schedule (which keeps this id too).
pub fn default_workflow_id(settings: &ScanSettings) -> String {
    format!("snapstart-cleanup-{}", settings.scan_regions().join("+"))
}

/// The start input as the JSON payload `temporal workflow start --input` would send.
pub fn json_input(request: &ScanRequest) -> anyhow::Result<temporalio_common::data_converters::RawValue> {
    use temporalio_common::protos::temporal::api::common::v1::Payload;
    let data = serde_json::to_vec(request)?;
    let payload = Payload { metadata: [("encoding".to_string(), b"json/plain".to_vec())].into(), data, ..Default::default() };
    Ok(temporalio_common::data_converters::RawValue::new(vec![payload]))
}
