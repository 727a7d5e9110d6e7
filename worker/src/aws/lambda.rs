//! The Lambda adapter: ListFunctions, GetFunctionConfiguration, ListAliases,
//! ListEventSourceMappings, ListVersionsByFunction and DeleteFunction, each attempt through the
//! rate budget.

use std::sync::Arc;

use async_trait::async_trait;
use aws_sdk_lambda::{types::FunctionVersion, Client};

use super::{
    retry::{with_retries, RetryPolicy},
    AliasInfo, AwsError, CallCounter, Deleted, EventSourceMapping, LambdaDelete, LambdaRead, ListedVersion, RateBudget,
    VersionState, VersionsPage,
};

/// Largest page ListFunctions and ListAliases serve.
const PAGE_SIZE: i32 = 50;
/// Largest page ListEventSourceMappings serves.
const ESM_PAGE_SIZE: i32 = 100;

/// [`LambdaRead`] over the AWS SDK. Cheap to build per scan (the client is shared).
pub struct LambdaAdapter {
    client: Client,
    budget: Arc<RateBudget>,
    counter: Arc<CallCounter>,
    policy: RetryPolicy,
}

impl LambdaAdapter {
    /// Wraps a client whose own retries are disabled (see `retry.rs`).
    pub fn new(client: Client, budget: Arc<RateBudget>, counter: Arc<CallCounter>) -> Self {
        Self { client, budget, counter, policy: RetryPolicy::default() }
    }

    async fn call<T, E, F, Fut>(&self, operation: &'static str, call: F) -> Result<T, AwsError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, aws_sdk_lambda::error::SdkError<E, aws_sdk_lambda::config::http::HttpResponse>>>,
        E: aws_sdk_lambda::error::ProvideErrorMetadata + std::error::Error,
    {
        with_retries(operation, Some(&self.budget), &self.counter, self.policy, call).await
    }
}

#[async_trait]
impl LambdaRead for LambdaAdapter {
    async fn list_versions_page(&self, marker: Option<String>) -> Result<VersionsPage, AwsError> {
        let out = self
            .call("ListFunctions", || {
                self.client
                    .list_functions()
                    .function_version(FunctionVersion::All)
                    .max_items(PAGE_SIZE)
                    .set_marker(marker.clone())
                    .send()
            })
            .await?;
        let versions = out.functions().iter().map(listed_version).collect();
        Ok(VersionsPage { versions, next_marker: out.next_marker().filter(|m| !m.is_empty()).map(str::to_string) })
    }

    async fn version_state(&self, function_name: &str, version: &str) -> Result<VersionState, AwsError> {
        let out = self
            .call("GetFunctionConfiguration", || {
                self.client.get_function_configuration().function_name(function_name).qualifier(version).send()
            })
            .await?;
        let state = out
            .state()
            .map(|s| s.as_str().to_string())
            .ok_or_else(|| AwsError::invalid("GetFunctionConfiguration", "response has no State"))?;
        let state_reason_code = out.state_reason_code().map(|c| c.as_str().to_string()).unwrap_or_default();
        Ok(VersionState { state, state_reason_code })
    }

    async fn list_aliases(&self, function_name: &str) -> Result<Vec<AliasInfo>, AwsError> {
        let mut aliases = Vec::new();
        let mut marker = None;
        loop {
            let out = self
                .call("ListAliases", || {
                    self.client.list_aliases().function_name(function_name).max_items(PAGE_SIZE).set_marker(marker.clone()).send()
                })
                .await?;
            for a in out.aliases() {
                aliases.push(alias_info(a)?);
            }
            match out.next_marker().filter(|m| !m.is_empty()) {
                Some(next) => marker = Some(next.to_string()),
                None => return Ok(aliases),
            }
        }
    }

    async fn list_event_source_mappings(&self) -> Result<Vec<EventSourceMapping>, AwsError> {
        let mut mappings = Vec::new();
        let mut marker = None;
        loop {
            let out = self
                .call("ListEventSourceMappings", || {
                    self.client.list_event_source_mappings().max_items(ESM_PAGE_SIZE).set_marker(marker.clone()).send()
                })
                .await?;
            for m in out.event_source_mappings() {
                let (Some(uuid), Some(arn)) = (m.uuid(), m.function_arn()) else {
                    return Err(AwsError::invalid("ListEventSourceMappings", "mapping without UUID or FunctionArn"));
                };
                mappings.push(EventSourceMapping { uuid: uuid.to_string(), function_arn: arn.to_string() });
            }
            match out.next_marker().filter(|m| !m.is_empty()) {
                Some(next) => marker = Some(next.to_string()),
                None => return Ok(mappings),
            }
        }
    }

    async fn list_published_versions(&self, function_name: &str) -> Result<Vec<String>, AwsError> {
        let mut versions = Vec::new();
        let mut marker = None;
        loop {
            let out = self
                .call("ListVersionsByFunction", || {
                    self.client.list_versions_by_function().function_name(function_name).max_items(PAGE_SIZE).set_marker(marker.clone()).send()
                })
                .await?;
            versions.extend(out.versions().iter().filter_map(|v| v.version()).filter(|v| *v != "$LATEST").map(str::to_string));
            match out.next_marker().filter(|m| !m.is_empty()) {
                Some(next) => marker = Some(next.to_string()),
                None => return Ok(versions),
            }
        }
    }
}

#[async_trait]
impl LambdaDelete for LambdaAdapter {
    async fn delete_version(&self, function_name: &str, version: &str) -> Result<Deleted, AwsError> {
        // Never $LATEST, never an unqualified name: a version number or nothing.
        if snapstart_rules::parse_version_number(version).is_none() {
            return Err(AwsError::invalid("DeleteFunction", format!("refusing to delete non-numeric qualifier {version:?}")));
        }
        let result = self
            .call("DeleteFunction", || self.client.delete_function().function_name(function_name).qualifier(version).send())
            .await;
        match result {
            Ok(_) => Ok(Deleted::Deleted),
            Err(e) if e.code == "ResourceNotFoundException" => Ok(Deleted::AlreadyGone),
            Err(e) if e.code == "ResourceConflictException" => Ok(Deleted::InUse(e.message)),
            Err(e) => Err(e),
        }
    }
}

fn listed_version(f: &aws_sdk_lambda::types::FunctionConfiguration) -> ListedVersion {
    let snap = f.snap_start();
    ListedVersion {
        function_name: f.function_name().unwrap_or_default().to_string(),
        version: f.version().unwrap_or_default().to_string(),
        runtime: f.runtime().map(|r| r.as_str().to_string()).unwrap_or_default(),
        memory_size_mb: f.memory_size().and_then(|m| u32::try_from(m).ok()).unwrap_or_default(),
        last_modified: f.last_modified().unwrap_or_default().to_string(),
        snapstart_apply_on: snap.and_then(|s| s.apply_on()).map(|a| a.as_str().to_string()).unwrap_or_default(),
        snapstart_optimization_status: snap
            .and_then(|s| s.optimization_status())
            .map(|o| o.as_str().to_string())
            .unwrap_or_default(),
    }
}

/// An alias without a name or version cannot be matched to versions: fail closed.
fn alias_info(a: &aws_sdk_lambda::types::AliasConfiguration) -> Result<AliasInfo, AwsError> {
    let (Some(name), Some(version)) = (a.name(), a.function_version()) else {
        return Err(AwsError::invalid("ListAliases", "alias without Name or FunctionVersion"));
    };
    let mut weighted_versions: Vec<String> = a
        .routing_config()
        .and_then(|r| r.additional_version_weights())
        .map(|w| w.keys().cloned().collect())
        .unwrap_or_default();
    weighted_versions.sort();
    Ok(AliasInfo { name: name.to_string(), function_version: version.to_string(), weighted_versions })
}
