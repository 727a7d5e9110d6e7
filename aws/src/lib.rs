//! The adapter layer: AWS access behind narrow traits in domain terms. The scan and deletion
//! phases see only these traits and the plain types below, never an SDK type; the adapters
//! (`lambda.rs`, `cloudwatch.rs`, `tagging.rs`, `s3.rs`, `archive.rs`) are thin and tested against the
//! emulator and recorded answers. `factory.rs` builds them per place (account and region), with
//! credentials, rate budgets (`budget.rs`) and retries (`retry.rs`). Nothing here knows the
//! phases or Temporal.

pub mod archive;
pub mod arn;
pub mod budget;
pub mod calls;
pub mod cloudwatch;
pub mod configuration;
pub mod factory;
pub mod lambda;
pub mod restore;
pub mod retry;
pub mod s3;
pub mod tagging;

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

pub use budget::RateBudget;
pub use calls::CallCounter;

/// The reads of one place (account and region), as the scan and the re-check use them.
#[derive(Clone)]
pub struct Readers {
    pub lambda: Arc<dyn LambdaRead>,
    pub metrics: Arc<dyn InvocationMetrics>,
    pub tags: Arc<dyn TagRead>,
}

/// One published version (or `$LATEST`) as ListFunctions reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct ListedVersion {
    pub function_name: String,
    pub version: String,
    pub runtime: String,
    pub memory_size_mb: u32,
    pub last_modified: String,
    pub snapstart_apply_on: String,
    pub snapstart_optimization_status: String,
    pub code_size_bytes: u64,
    pub code_sha256: String,
}

/// One page of ListFunctions(FunctionVersion=ALL).
#[derive(Debug, Clone, Default)]
pub struct VersionsPage {
    pub versions: Vec<ListedVersion>,
    pub next_marker: Option<String>,
}

/// State of one version (GetFunction with a qualifier).
#[derive(Debug, Clone, PartialEq)]
pub struct VersionState {
    pub state: String,
    pub state_reason_code: String,
}

/// What GetPolicy says of one published version's own resource-based policy.
#[derive(Debug, Clone, PartialEq)]
pub enum VersionPolicy {
    /// The principals its statements name; empty when it has no policy.
    Principals(Vec<String>),
    /// The function or the version itself does not exist (AWS's message).
    Gone(String),
}

/// An alias and every version it routes to.
#[derive(Debug, Clone, PartialEq)]
pub struct AliasInfo {
    pub name: String,
    pub function_version: String,
    pub weighted_versions: Vec<String>,
}

/// An event source mapping and the function ARN (possibly qualified) it invokes.
#[derive(Debug, Clone, PartialEq)]
pub struct EventSourceMapping {
    pub uuid: String,
    pub function_arn: String,
}

/// An AWS call that failed for good (after retries). Fail closed: callers record it as a
/// `check_failed` reason, never as "no usage".
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{operation}: {message}")]
pub struct AwsError {
    pub operation: &'static str,
    /// The AWS error code (e.g. `ResourceNotFoundException`), empty when there was none.
    pub code: String,
    pub message: String,
}

impl AwsError {
    /// An error found in a response rather than returned by AWS.
    pub fn invalid(operation: &'static str, message: impl Into<String>) -> Self {
        Self { operation, code: String::new(), message: message.into() }
    }
}

/// The Lambda control-plane reads a scan needs.
#[async_trait]
pub trait LambdaRead: Send + Sync {
    /// One page of every function version in the region.
    async fn list_versions_page(&self, marker: Option<String>) -> Result<VersionsPage, AwsError>;
    /// State and StateReasonCode of one published version.
    async fn version_state(&self, function_name: &str, version: &str) -> Result<VersionState, AwsError>;
    /// Every alias of a function (all pages).
    async fn list_aliases(&self, function_name: &str) -> Result<Vec<AliasInfo>, AwsError>;
    /// Every event source mapping in the region (all pages).
    async fn list_event_source_mappings(&self) -> Result<Vec<EventSourceMapping>, AwsError>;
    /// The numbers of the function's published versions that exist now (all pages).
    async fn list_published_versions(&self, function_name: &str) -> Result<Vec<String>, AwsError>;
    /// The version's own resource-based policy (GetPolicy with the version as qualifier; its own
    /// quota and budget).
    async fn version_policy(&self, function_name: &str, version: &str) -> Result<VersionPolicy, AwsError>;
    /// The region's code storage in use and its quota, in bytes (GetAccountSettings).
    async fn code_storage(&self) -> Result<(u64, u64), AwsError>;
    /// The qualifiers (versions or aliases) that have provisioned concurrency configured (all pages).
    async fn provisioned_concurrency_qualifiers(&self, function_name: &str) -> Result<Vec<String>, AwsError>;
}

/// Tags, read for a whole region at once.
#[async_trait]
pub trait TagRead: Send + Sync {
    /// Every Lambda function carrying the tag `key`, by name, with the tag's value (all pages).
    async fn functions_tagged(&self, key: &str) -> Result<std::collections::BTreeMap<String, String>, AwsError>;
}

/// What DeleteFunction did to one version.
#[derive(Debug, Clone, PartialEq)]
pub enum Deleted {
    Deleted,
    /// 404: it was already gone.
    AlreadyGone,
    /// 409: an alias still references it (AWS's message names them).
    InUse(String),
    /// 400: a Lambda@Edge replica that CloudFront still holds (AWS's message says so).
    Replicated(String),
}

/// The one write: deleting a published version by number.
#[async_trait]
pub trait LambdaDelete: Send + Sync {
    /// DeleteFunction(FunctionName, Qualifier=version); `version` must be a version number.
    async fn delete_version(&self, function_name: &str, version: &str) -> Result<Deleted, AwsError>;
}

/// One CloudWatch `AWS/Lambda` `Invocations` series, identified by its exact dimension set.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesQuery {
    pub id: String,
    pub dimensions: Vec<(String, String)>,
}

/// Datapoints of one series; `error` is set when CloudWatch could not deliver it completely.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Series {
    pub id: String,
    pub timestamps: Vec<DateTime<Utc>>,
    pub values: Vec<f64>,
    pub error: Option<String>,
}

/// The time window and resolution of an invocation query.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub period_seconds: u32,
}

/// CloudWatch reads: Invocations Sum for up to 500 series per call.
#[async_trait]
pub trait InvocationMetrics: Send + Sync {
    /// Fetches every series (all pages); fails as a whole only if the call itself fails.
    async fn invocations(&self, queries: &[SeriesQuery], window: Window) -> Result<Vec<Series>, AwsError>;
}

/// CloudWatch accepts at most this many queries in one GetMetricData call.
pub const MAX_QUERIES_PER_CALL: usize = 500;
