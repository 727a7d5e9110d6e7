//! The Lambda adapter: ListFunctions, ListAliases, ListEventSourceMappings,
//! ListVersionsByFunction, ListProvisionedConcurrencyConfigs, GetAccountSettings and
//! DeleteFunction, each attempt through the shared control-plane budget; GetFunction (state) and
//! GetPolicy each through their own, as each has its own quota.

use std::sync::Arc;

use async_trait::async_trait;
use aws_sdk_lambda::{types::FunctionVersion, Client};

use super::{
    budget::Budgets,
    retry::{with_retries, RetryPolicy},
    AliasInfo, AwsError, CallCounter, Deleted, EventSourceMapping, LambdaDelete, LambdaRead, ListedVersion, RateBudget,
    VersionPolicy, VersionState, VersionsPage,
};

/// Largest page ListFunctions and ListAliases serve.
const PAGE_SIZE: i32 = 50;
/// Largest page ListEventSourceMappings serves.
const ESM_PAGE_SIZE: i32 = 100;

/// [`LambdaRead`] over the AWS SDK. Cheap to build per scan (the client is shared).
pub struct LambdaAdapter {
    pub(crate) client: Client,
    budget: Arc<RateBudget>,
    function_budget: Arc<RateBudget>,
    policy_budget: Arc<RateBudget>,
    counter: Arc<CallCounter>,
    policy: RetryPolicy,
}

impl LambdaAdapter {
    /// Wraps a client whose own retries are disabled (see `retry.rs`).
    pub fn new(client: Client, budgets: &Budgets, counter: Arc<CallCounter>) -> Self {
        Self {
            client,
            budget: budgets.control_plane.clone(),
            function_budget: budgets.get_function.clone(),
            policy_budget: budgets.get_policy.clone(),
            counter,
            policy: RetryPolicy::default(),
        }
    }

    /// One control-plane call: through the shared budget, with retries.
    pub(crate) async fn call<T, E, F, Fut>(&self, operation: &'static str, call: F) -> Result<T, AwsError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, aws_sdk_lambda::error::SdkError<E, aws_sdk_lambda::config::http::HttpResponse>>>,
        E: aws_sdk_lambda::error::ProvideErrorMetadata + std::error::Error,
    {
        with_retries(operation, Some(&self.budget), &self.counter, self.policy, call).await
    }
}

impl LambdaAdapter {
    /// GetFunction of one version, through GetFunction's own budget.
    pub(crate) async fn get_function(&self, function_name: &str, version: &str) -> Result<aws_sdk_lambda::operation::get_function::GetFunctionOutput, AwsError> {
        with_retries("GetFunction", Some(&self.function_budget), &self.counter, self.policy, || {
            self.client.get_function().function_name(function_name).qualifier(version).send()
        })
        .await
    }
}

/// What a failed GetPolicy means, decided on the error code (emulator/FIDELITY.md, GetPolicy).
/// `ResourceNotFoundException` is AWS's answer for a version with no resource-based policy,
/// whatever its wording ("The resource you requested does not exist." is the one on record),
/// except when it says the function or version itself is missing ("Function not found: <arn>"):
/// then the version is gone. Any other error fails the read (fail closed).
pub fn policy_error(e: AwsError) -> Result<VersionPolicy, AwsError> {
    if e.code != "ResourceNotFoundException" {
        return Err(e);
    }
    if e.message.to_ascii_lowercase().contains("function not found") {
        return Ok(VersionPolicy::Gone(e.message));
    }
    Ok(VersionPolicy::Principals(Vec::new()))
}

/// The principals of a policy document's statements ("*" where a statement names none, so an
/// open statement still protects). A document that does not parse fails the read (fail closed).
pub fn policy_principals(document: &str) -> Result<Vec<String>, AwsError> {
    let invalid = |m: String| AwsError::invalid("GetPolicy", m);
    let doc: serde_json::Value = serde_json::from_str(document).map_err(|e| invalid(format!("policy is not JSON: {e}")))?;
    let statements = match doc.get("Statement") {
        None | Some(serde_json::Value::Null) => return Ok(Vec::new()),
        Some(serde_json::Value::Array(list)) => list.clone(),
        Some(one @ serde_json::Value::Object(_)) => vec![one.clone()],
        Some(other) => return Err(invalid(format!("Statement is neither a list nor an object: {other}"))),
    };
    let mut principals = Vec::new();
    for statement in &statements {
        collect_principals(statement.get("Principal"), &mut principals);
    }
    principals.sort();
    principals.dedup();
    Ok(principals)
}

fn collect_principals(principal: Option<&serde_json::Value>, out: &mut Vec<String>) {
    use serde_json::Value;
    match principal {
        Some(Value::String(s)) => out.push(s.clone()),
        Some(Value::Array(list)) => list.iter().for_each(|p| collect_principals(Some(p), out)),
        Some(Value::Object(kinds)) => kinds.values().for_each(|p| collect_principals(Some(p), out)),
        _ => out.push("*".to_string()),
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
        // GetFunction rather than GetFunctionConfiguration: the same configuration, on its own
        // quota (100/s) instead of the control plane that deploy pipelines share.
        let out = self.get_function(function_name, version).await?;
        let config = out.configuration().ok_or_else(|| AwsError::invalid("GetFunction", "response has no Configuration"))?;
        let state = config.state().map(|s| s.as_str().to_string()).ok_or_else(|| AwsError::invalid("GetFunction", "response has no State"))?;
        let state_reason_code = config.state_reason_code().map(|c| c.as_str().to_string()).unwrap_or_default();
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

    async fn version_policy(&self, function_name: &str, version: &str) -> Result<VersionPolicy, AwsError> {
        let result = with_retries("GetPolicy", Some(&self.policy_budget), &self.counter, self.policy, || {
            self.client.get_policy().function_name(function_name).qualifier(version).send()
        })
        .await;
        match result {
            Ok(out) => policy_principals(out.policy().unwrap_or_default()).map(VersionPolicy::Principals),
            Err(e) => policy_error(e),
        }
    }

    async fn code_storage(&self) -> Result<(u64, u64), AwsError> {
        let out = self.call("GetAccountSettings", || self.client.get_account_settings().send()).await?;
        let used = out.account_usage().map(|u| u.total_code_size()).unwrap_or_default();
        let limit = out.account_limit().map(|l| l.total_code_size()).unwrap_or_default();
        Ok((u64::try_from(used).unwrap_or_default(), u64::try_from(limit).unwrap_or_default()))
    }

    async fn provisioned_concurrency_qualifiers(&self, function_name: &str) -> Result<Vec<String>, AwsError> {
        let mut qualifiers = Vec::new();
        let mut marker = None;
        loop {
            let out = self
                .call("ListProvisionedConcurrencyConfigs", || {
                    self.client
                        .list_provisioned_concurrency_configs()
                        .function_name(function_name)
                        .max_items(PAGE_SIZE)
                        .set_marker(marker.clone())
                        .send()
                })
                .await?;
            for c in out.provisioned_concurrency_configs() {
                let qualifier = c.function_arn().and_then(|arn| crate::arn::parse_function_arn(arn)).and_then(|(_, q)| q);
                let Some(q) = qualifier else {
                    return Err(AwsError::invalid("ListProvisionedConcurrencyConfigs", "config without a qualified FunctionArn"));
                };
                qualifiers.push(q.to_string());
            }
            match out.next_marker().filter(|m| !m.is_empty()) {
                Some(next) => marker = Some(next.to_string()),
                None => return Ok(qualifiers),
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
            Err(e) if e.code == "InvalidParameterValueException" && e.message.contains("replicated function") => {
                Ok(Deleted::Replicated(e.message))
            }
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
        code_size_bytes: u64::try_from(f.code_size()).unwrap_or_default(),
        code_sha256: f.code_sha256().unwrap_or_default().to_string(),
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

#[cfg(test)]
mod tests {
    use super::{policy_error, policy_principals, AwsError, VersionPolicy};

    fn err(code: &str, message: &str) -> AwsError {
        AwsError { operation: "GetPolicy", code: code.into(), message: message.into() }
    }

    #[test]
    fn get_policy_errors_are_decided_on_the_code() {
        let none = Ok(VersionPolicy::Principals(vec![]));
        let cases = [
            (err("ResourceNotFoundException", "ResourceNotFoundException (HTTP 404): The resource you requested does not exist."), none.clone()),
            (err("ResourceNotFoundException", "ResourceNotFoundException (HTTP 404): No policy is associated with the given resource."), none.clone()),
            (err("ResourceNotFoundException", "ResourceNotFoundException (HTTP 404): a wording nobody has seen"), none.clone()),
            (err("ResourceNotFoundException", "ResourceNotFoundException (HTTP 404): Function not found: arn:aws:lambda:us-west-2:1:function:f:3"),
             Ok(VersionPolicy::Gone("ResourceNotFoundException (HTTP 404): Function not found: arn:aws:lambda:us-west-2:1:function:f:3".into()))),
        ];
        for (e, want) in cases {
            assert_eq!(policy_error(e.clone()), want, "{e:?}");
        }
        for code in ["AccessDeniedException", "TooManyRequestsException", "ServiceException", ""] {
            let e = err(code, "The resource you requested does not exist.");
            assert_eq!(policy_error(e.clone()), Err(e), "{code} fails the read");
        }
    }

    #[test]
    fn policy_principals_are_read_from_every_statement_shape() {
        let apigw = r#"{"Version":"2012-10-17","Statement":[{"Sid":"a","Effect":"Allow","Principal":{"Service":"apigateway.amazonaws.com"},"Action":"lambda:InvokeFunction"}]}"#;
        let several = r#"{"Statement":[{"Principal":{"Service":["s3.amazonaws.com","sns.amazonaws.com"]}},{"Principal":{"AWS":"arn:aws:iam::111111111111:root"}}]}"#;
        let single = r#"{"Statement":{"Principal":"*"}}"#;
        let no_principal = r#"{"Statement":[{"Effect":"Allow"}]}"#;
        let cases: [(&str, &[&str]); 5] = [
            (apigw, &["apigateway.amazonaws.com"]),
            (several, &["arn:aws:iam::111111111111:root", "s3.amazonaws.com", "sns.amazonaws.com"]),
            (single, &["*"]),
            (no_principal, &["*"]),
            (r#"{"Version":"2012-10-17","Statement":[]}"#, &[]),
        ];
        for (doc, want) in cases {
            assert_eq!(policy_principals(doc).unwrap(), want.iter().map(|s| s.to_string()).collect::<Vec<_>>(), "{doc}");
        }
    }

    #[test]
    fn a_policy_that_does_not_parse_fails_the_read() {
        for doc in ["", "not json", r#"{"Statement":"x"}"#] {
            assert!(policy_principals(doc).is_err(), "{doc:?}");
        }
    }
}
