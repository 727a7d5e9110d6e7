//! Shared test harness: a real AWS emulator per test (isolation without resets), the worker
//! binary, and the Temporal dev server that `scripts/test.sh` starts.
#![allow(dead_code)]

pub mod browser;
pub mod canned;
pub mod group;
pub mod run;

use std::{
    path::PathBuf,
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use serde_json::{json, Value};
use snapstart_proto::v1::{ScanRequest, ScanSettings};
use snapstart_aws::factory::AwsFactory;
use snapstart_scan::ScanDeps;

/// Reads a harness variable that `scripts/test.sh` sets. Tests that need one are `#[ignore]`d
/// with the reason, so a plain `cargo test` lists them as ignored, never as passed; run with
/// `--include-ignored` (as scripts/test.sh does) and a missing service fails the test.
pub fn service_env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: this test needs the services scripts/test.sh starts (run scripts/test.sh, or export its SNAPSTART_TEST_* variables)")
    })
}

/// A running emulator process, killed (with its process group) on drop.
pub struct Emulator {
    _process: group::Group,
    pub url: String,
    http: reqwest::Client,
    _dir: tempfile::TempDir,
}

/// Polls `check` until it returns Some or `timeout` passes.
pub async fn eventually<T, F, Fut>(timeout: Duration, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let start = Instant::now();
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

impl Emulator {
    /// Starts a fresh emulator (ours) on a free port.
    pub async fn start() -> Self {
        Self::start_script("SNAPSTART_TEST_EMULATOR").await
    }

    /// Starts stock moto server behind its thin shim (emulator/stock_moto.py): no control API.
    pub async fn start_stock() -> Self {
        Self::start_script("SNAPSTART_TEST_STOCK_EMULATOR").await
    }

    /// Starts the launcher named by the harness variable `script_env` (same command line).
    async fn start_script(script_env: &str) -> Self {
        let python = service_env("SNAPSTART_TEST_PYTHON");
        let script = service_env(script_env);
        let dir = tempfile::tempdir().unwrap();
        let port_file = dir.path().join("port");
        let process = group::Group::spawn(
            Command::new(python).arg(script).args(["--host", "127.0.0.1", "--port", "0", "--port-file"]).arg(&port_file).stdout(Stdio::null()).stderr(Stdio::inherit()),
            "the emulator",
        );
        let port = eventually(Duration::from_secs(60), "the emulator port file", || {
            let p = port_file.clone();
            async move { std::fs::read_to_string(p).ok().filter(|s| !s.trim().is_empty()) }
        })
        .await;
        let url = format!("http://127.0.0.1:{}", port.trim());
        Self { _process: process, url, http: reqwest::Client::new(), _dir: dir }
    }

    /// POSTs `body` to one of the emulator's control routes (emulator/README.md).
    pub async fn post(&self, path: &str, body: Value) -> Value {
        let resp = self.http.post(format!("{}{path}", self.url)).json(&body).send().await.unwrap();
        let status = resp.status();
        let text = resp.text().await.unwrap();
        assert!(status.is_success(), "POST {path} -> {status}: {text}");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    /// Seeds a scenario (see emulator/README.md).
    pub async fn seed(&self, scenario: Value) -> Value {
        self.post("/_emulator/seed", scenario).await
    }

    /// Messages published to SNS topics.
    pub async fn sns_messages(&self) -> Vec<Value> {
        let resp = self.http.get(format!("{}/_emulator/sns/messages", self.url)).send().await.unwrap();
        let v: Value = resp.json().await.unwrap();
        v.as_array().cloned().or_else(|| v["messages"].as_array().cloned()).unwrap_or_default()
    }

    /// A Lambda client on this emulator (for arranging changes and checking what remains).
    pub async fn lambda_client(&self) -> aws_sdk_lambda::Client {
        let creds = aws_credential_types::Credentials::new("testing", "testing", None, None, "test");
        let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("us-west-2"))
            .endpoint_url(&self.url)
            .credentials_provider(creds)
            .load()
            .await;
        aws_sdk_lambda::Client::new(&config)
    }

    /// A Lambda client in `region`, acting through `role` (ARN and ExternalId) when given.
    pub async fn lambda_client_as(&self, role: Option<(&str, &str)>, region: &str) -> aws_sdk_lambda::Client {
        let creds = aws_credential_types::Credentials::new("testing", "testing", None, None, "test");
        let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new(region.to_string()))
            .endpoint_url(&self.url)
            .credentials_provider(creds)
            .load()
            .await;
        let Some((arn, external_id)) = role else { return aws_sdk_lambda::Client::new(&config) };
        let provider = aws_config::sts::AssumeRoleProvider::builder(arn).external_id(external_id).session_name("test").configure(&config).build().await;
        let config = config.into_builder().credentials_provider(aws_credential_types::provider::SharedCredentialsProvider::new(provider)).build();
        aws_sdk_lambda::Client::new(&config)
    }

    /// An S3 client (path-style) in `region`, acting through `role` (ARN and ExternalId, empty for
    /// none) when given.
    pub async fn s3_client_as(&self, role: Option<(&str, &str)>, region: &str) -> aws_sdk_s3::Client {
        let creds = aws_credential_types::Credentials::new("testing", "testing", None, None, "test");
        let mut config = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new(region.to_string()))
            .endpoint_url(&self.url)
            .credentials_provider(creds)
            .load()
            .await;
        if let Some((arn, external_id)) = role {
            let mut provider = aws_config::sts::AssumeRoleProvider::builder(arn).session_name("test");
            if !external_id.is_empty() {
                provider = provider.external_id(external_id);
            }
            let provider = provider.configure(&config).build().await;
            config = config.into_builder().credentials_provider(aws_credential_types::provider::SharedCredentialsProvider::new(provider)).build();
        }
        aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(&config).force_path_style(true).build())
    }

    /// Published version numbers of a function that still exist.
    pub async fn versions_of(&self, function: &str) -> Vec<String> {
        let out = self.lambda_client().await.list_versions_by_function().function_name(function).send().await.unwrap();
        out.versions().iter().filter_map(|v| v.version()).filter(|v| *v != "$LATEST").map(str::to_string).collect()
    }

    /// Injects a fault (see emulator/README.md).
    pub async fn fault(&self, spec: Value) {
        self.post("/_emulator/faults", spec).await;
    }

    /// Clears injected faults.
    pub async fn clear_faults(&self) {
        self.http.delete(format!("{}/_emulator/faults", self.url)).send().await.unwrap();
    }

    /// Sets a version's State / StateReasonCode / LastModified.
    pub async fn set_version(&self, body: Value) {
        self.post("/_emulator/lambda/version", body).await;
    }

    /// The AWS request log.
    pub async fn requests(&self) -> Vec<Value> {
        let resp = self.http.get(format!("{}/_emulator/requests", self.url)).send().await.unwrap();
        let v: Value = resp.json().await.unwrap();
        v.as_array().cloned().or_else(|| v["requests"].as_array().cloned()).unwrap_or_default()
    }

    /// Clears the request log.
    pub async fn clear_requests(&self) {
        self.http.delete(format!("{}/_emulator/requests", self.url)).send().await.unwrap();
    }

    /// Logged requests of one operation that an injected fault answered.
    pub async fn faulted(&self, operation: &str) -> usize {
        self.requests().await.iter().filter(|r| r["operation"] == operation && r["fault"] == true).count()
    }

    /// Fails unless an injected fault answered at least one `operation` request: a fault test
    /// whose fault never fired proves nothing.
    pub async fn assert_fault_fired(&self, operation: &str) {
        let n = self.faulted(operation).await;
        assert!(n > 0, "the injected {operation} fault never fired");
    }

    /// Count of logged requests for one operation.
    pub async fn count(&self, operation: &str) -> usize {
        self.requests().await.iter().filter(|r| r["operation"] == operation).count()
    }

    /// Scan dependencies pointed at this emulator, budget lifted.
    pub async fn deps(&self) -> ScanDeps {
        snapstart_scan::deps(&AwsFactory::for_emulator(&self.url, 0, 8), "us-west-2").await.0
    }
}

struct QuietProgress;

impl snapstart_deletion::Progress for QuietProgress {
    async fn record(&mut self, _done: &[snapstart_proto::v1::DeletionResult], _total: usize) {}
}

/// Runs the deletion phase of `rows` against the emulator at `url` (budgets lifted), as a scan at
/// `since` approved them; function-level traffic is judged in `mode`.
pub async fn delete_on(
    url: &str,
    rows: &[snapstart_proto::v1::ReportRow],
    since: chrono::DateTime<chrono::Utc>,
    dry_run: bool,
    resumed: bool,
    mode: snapstart_rules::FallbackMode,
) -> Vec<snapstart_proto::v1::DeletionResult> {
    delete_watching(url, rows, (since, dry_run, resumed, mode), snapstart_deletion::MAPPINGS_MAX_AGE, &mut QuietProgress).await
}

/// [`delete_on`] with the mappings listing's maximum age and a progress hook of the test's own
/// (called after every version: a test can change the world mid-deletion there).
pub async fn delete_watching(
    url: &str,
    rows: &[snapstart_proto::v1::ReportRow],
    (since, dry_run, resumed, mode): (chrono::DateTime<chrono::Utc>, bool, bool, snapstart_rules::FallbackMode),
    mappings_max_age: Duration,
    progress: &mut impl snapstart_deletion::Progress,
) -> Vec<snapstart_proto::v1::DeletionResult> {
    let factory = AwsFactory::for_emulator(url, 0, 2);
    let (deps, _) = snapstart_scan::deps(&factory, "us-west-2").await;
    let deleter = factory.deleter("us-west-2").await;
    let deps = snapstart_deletion::DeleteDeps {
        lambda: deps.lambda.as_ref(),
        deleter: deleter.as_ref(),
        metrics: deps.metrics.as_ref(),
        since,
        dry_run,
        resumed,
        function_level: mode,
        mappings_max_age,
        archive: None,
    };
    let mut done = Vec::new();
    snapstart_deletion::run(&deps, rows, &mut done, rows.len(), progress).await;
    done
}

/// Replays a history against the current workflow code; any nondeterminism fails the test.
pub async fn replay(history: temporalio_client::WorkflowHistory) {
    use snapstart_worker::workflow::SnapStartCleanup;
    use temporalio_sdk::workflow_replayer::{WorkflowReplayer, WorkflowReplayerOptions};
    let options = WorkflowReplayerOptions::new().register_workflow::<SnapStartCleanup>().unwrap().build();
    WorkflowReplayer::new(options).unwrap().replay_workflow(history).await.expect("the history replays deterministically");
}

/// Settings for a scan at the real present with the given overrides.
pub fn settings(overrides: Value) -> ScanSettings {
    let mut request = json!({"region": "us-west-2"});
    for (k, v) in overrides.as_object().unwrap() {
        request[k] = v.clone();
    }
    ScanRequest::from_value(request).unwrap().validate(chrono::Utc::now().timestamp()).unwrap()
}

/// An ISO-8601 timestamp `days` ago.
pub fn days_ago(days: f64) -> String {
    let t = chrono::Utc::now() - chrono::Duration::seconds((days * 86400.0) as i64);
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// `n` versions of a function, all `age_days` old.
pub fn versions(n: usize, age_days: f64) -> Vec<Value> {
    (0..n).map(|_| json!({"last_modified": days_ago(age_days)})).collect()
}

/// Path of the worker binary built for these tests.
pub fn cleaner_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_snapstart-cleaner"))
}

/// A free TCP port on loopback (bound, then released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}
