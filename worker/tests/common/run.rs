//! A whole local deployment per test: emulator (seeded with a small account), worker binary,
//! optional SMTP sink and resolver, on the Temporal dev server that scripts/test.sh starts.
#![allow(dead_code)]

use std::{
    path::PathBuf,
    process::{Command, Stdio},
    time::Duration,
};

use serde_json::{json, Value};
use snapstart_proto::{status::RunStatus, v1::CleanupResult};
use snapstart_worker::workflow::SnapStartCleanup;
use temporalio_client::{Client, ClientOptions, Connection, ConnectionOptions, WorkflowGetResultOptions, WorkflowQueryOptions};

use super::{cleaner_bin, eventually, free_port, group::Group, service_env, versions, Emulator};

/// The original system's payload, verbatim.
pub const ORIGINAL_PAYLOAD: &str = r#"{"region": "us-west-2", "lookback_days": 30, "min_age_days": 14, "keep_last_n": 3, "period_seconds": 3600, "function_name_prefix": null, "s3_report_uri": null}"#;
pub const SECRET: &str = "test-secret-test-secret-test-secret-0123";

pub struct Harness {
    pub emulator: Emulator,
    address: String,
    cli: String,
    task_queue: String,
    topic_arn: String,
    worker: Option<Group>,
    /// The worker's DELETE_DRY_RUN value (`false` is the only live one); `None` leaves it out of
    /// the worker's environment altogether (the shipped default).
    pub delete_dry_run: Option<String>,
    /// Mail by SNS as well when an SMTP sink is set up.
    pub sns_too: bool,
    /// Extra environment for the next worker started.
    pub worker_env: Vec<(String, String)>,
    /// Extra environment for the resolver.
    pub resolver_env: Vec<(String, String)>,
    /// Where the resolver listens (and what the links point at).
    pub resolver_url: String,
    resolver: Option<Group>,
    smtp: Option<(Option<Group>, tempfile::TempDir)>,
    /// The namespace the next worker started polls (`default`, where scripts/test.sh registers
    /// the search attributes).
    pub namespace: String,
}

// The worker, resolver and SMTP sink are process groups: dropping the harness kills them all.

pub fn uuid_ish() -> String {
    format!("{:x}{:x}", std::process::id(), fastrand::u64(..))
}

/// orders (6 versions, alias live → 2) and billing (5): candidates orders:1, orders:3, billing:1, billing:2.
pub fn demo_account() -> Value {
    json!({"sns_topics": ["notify"], "functions": [
        {"name": "orders", "runtime": "python3.12", "memory_size": 512, "snapstart": true, "versions": versions(6, 40.0),
         "aliases": [{"name": "live", "version": "2"}]},
        {"name": "billing", "runtime": "python3.13", "memory_size": 1024, "snapstart": true, "versions": versions(5, 40.0)},
    ]})
}

impl Harness {
    pub async fn start(live: bool) -> Self {
        let address = service_env("SNAPSTART_TEST_TEMPORAL_ADDRESS");
        let cli = service_env("SNAPSTART_TEST_TEMPORAL_CLI");
        let emulator = Emulator::start().await;
        let seeded = emulator.seed(demo_account()).await;
        let topic_arn = seeded["sns_topics"][0].as_str().unwrap().to_string();
        let task_queue = format!("snapstart-test-{}", uuid_ish());
        let resolver_url = format!("http://127.0.0.1:{}", free_port());
        let delete_dry_run = Some(if live { "false" } else { "true" }.to_string());
        Self { emulator, address, cli, task_queue, topic_arn, worker: None, delete_dry_run, sns_too: false, worker_env: vec![], resolver_env: vec![], resolver_url, resolver: None, smtp: None, namespace: "default".into() }
    }

    pub fn start_worker(&mut self, lambda_rps: u32) {
        let mut cmd = Command::new(cleaner_bin());
        cmd.env_remove("SMTP_URL").env_remove("APPROVAL_TOPIC_ARN").env_remove("REPORT_DIR").env_remove("MAX_PAYLOAD_BYTES");
        if let Some((_, dir)) = &self.smtp {
            let port = std::fs::read_to_string(dir.path().join("port")).unwrap();
            cmd.env("SMTP_URL", format!("smtp://127.0.0.1:{}", port.trim()))
                .env("APPROVAL_EMAIL_FROM", "cleaner@example.test")
                .env("APPROVAL_EMAIL_TO", "approver@example.test");
        }
        if self.smtp.is_none() || self.sns_too {
            cmd.env("APPROVAL_TOPIC_ARN", &self.topic_arn);
        }
        cmd.envs(self.worker_env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        cmd
            .args(["worker", "--task-queue", &self.task_queue, "--address", &self.address, "--namespace", &self.namespace])
            .args(["--lambda-rps", &lambda_rps.to_string(), "--concurrency", "2"])
            .env("AWS_ENDPOINT_URL", &self.emulator.url)
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("APPROVAL_LINK_SECRET", SECRET)
            .env_remove("DELETE_DRY_RUN")
            .env("RESOLVER_PUBLIC_URL", &self.resolver_url)
            .env_remove("TEMPORAL_ADDRESS")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        if let Some(value) = &self.delete_dry_run {
            cmd.env("DELETE_DRY_RUN", value);
        }
        let child = Group::spawn(&mut cmd, "the worker");
        self.worker = Some(child);
    }

    /// The Temporal frontend address.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// This harness's task queue.
    pub fn task_queue(&self) -> &str {
        &self.task_queue
    }

    pub fn stop_worker(&mut self) {
        if let Some(mut w) = self.worker.take() {
            w.kill();
        }
    }

    pub fn temporal(&self, args: &[&str]) {
        let out = Command::new(&self.cli).args(args).args(["--address", &self.address]).output().expect("running the temporal CLI");
        assert!(out.status.success(), "temporal {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }

    /// Runs the Temporal CLI and returns its standard output.
    pub fn temporal_output(&self, args: &[&str]) -> String {
        let out = Command::new(&self.cli).args(args).args(["--address", &self.address]).output().expect("running the temporal CLI");
        assert!(out.status.success(), "temporal {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// `temporal workflow start` as a user types it; returns the workflow id.
    pub fn cli_start(&self, input: &str) -> String {
        self.cli_start_as(&format!("e2e-{}", uuid_ish()), input)
    }

    /// [`Self::cli_start`] with the workflow id `id` (a rerun of a closed run's id starts a new run).
    pub fn cli_start_as(&self, id: &str, input: &str) -> String {
        self.temporal(&["workflow", "start", "--type", "SnapStartCleanup", "--task-queue", &self.task_queue, "--workflow-id", id, "--input", input]);
        id.to_string()
    }

    /// `temporal workflow signal --name approval`, with `input` as given (None: no input at all).
    pub fn cli_signal(&self, id: &str, input: Option<&str>) {
        let mut args = vec!["workflow", "signal", "--workflow-id", id, "--name", "approval"];
        if let Some(i) = input {
            args.extend(["--input", i]);
        }
        self.temporal(&args);
    }

    pub async fn client(&self) -> Client {
        let url = url::Url::parse(&format!("http://{}", self.address)).unwrap();
        let connection = Connection::connect(ConnectionOptions::new(url).build()).await.unwrap();
        Client::new(connection, ClientOptions::new("default").build()).unwrap()
    }

    pub async fn status(&self, id: &str) -> Option<RunStatus> {
        let client = self.client().await;
        client.get_workflow_handle::<SnapStartCleanup>(id.to_string()).query(SnapStartCleanup::status, (), WorkflowQueryOptions::default()).await.ok()
    }

    pub async fn wait_for_phase(&self, id: &str, phase: &str) -> RunStatus {
        self.wait_for_phase_within(id, phase, Duration::from_secs(90)).await
    }

    pub async fn wait_for_phase_within(&self, id: &str, phase: &str, timeout: Duration) -> RunStatus {
        eventually(timeout, phase, || async { self.status(id).await.filter(|s| s.phase == phase) }).await
    }

    pub async fn result(&self, id: &str) -> CleanupResult {
        self.result_within(id, Duration::from_secs(180)).await
    }

    pub async fn result_within(&self, id: &str, timeout: Duration) -> CleanupResult {
        let client = self.client().await;
        let handle = client.get_workflow_handle::<SnapStartCleanup>(id.to_string());
        tokio::time::timeout(timeout, handle.get_result(WorkflowGetResultOptions::default()))
            .await
            .expect("run finished in time")
            .expect("run succeeded")
    }

    /// The Temporal CLI binary.
    pub fn cli(&self) -> &str {
        &self.cli
    }

    pub async fn subjects(&self) -> Vec<String> {
        self.emulator.sns_messages().await.iter().map(|m| m["subject"].as_str().unwrap_or_default().to_string()).collect()
    }


    /// Replays the run's history against the current workflow code: any nondeterminism fails.
    /// With `SNAPSTART_RECORD_HISTORIES=<dir>` the history is also saved there as `<name>.json`,
    /// for `replay_recorded` to replay against later releases.
    pub async fn assert_replays(&self, id: &str, name: &str) {
        use temporalio_client::WorkflowHistory;
        let client = self.client().await;
        let json = client.get_workflow_handle::<SnapStartCleanup>(id.to_string()).fetch_history(Default::default()).to_json().await.unwrap();
        if let Ok(dir) = std::env::var("SNAPSTART_RECORD_HISTORIES") {
            std::fs::write(std::path::Path::new(&dir).join(format!("{name}.json")), &json).unwrap();
        }
        super::replay(WorkflowHistory::from_json(&json).unwrap()).await;
    }

    /// Picks the SMTP sink's port and maildir without starting it: a worker started now mails to
    /// a port where nothing listens yet (every SMTP attempt fails until `start_smtp_sink`).
    pub fn reserve_smtp_sink(&mut self) {
        let dir = tempfile::tempdir().unwrap();
        for sub in ["tmp", "new", "cur"] {
            std::fs::create_dir_all(dir.path().join("mail").join(sub)).unwrap();
        }
        std::fs::write(dir.path().join("port"), free_port().to_string()).unwrap();
        self.smtp = Some((None, dir));
    }

    /// Starts an SMTP sink (aiosmtpd, maildir) on the reserved port (or a new one); call before
    /// `start_worker` to mail by SMTP.
    pub async fn start_smtp_sink(&mut self) {
        if self.smtp.is_none() {
            self.reserve_smtp_sink();
        }
        let python = service_env("SNAPSTART_TEST_PYTHON");
        let (placeholder, dir) = self.smtp.as_mut().unwrap();
        let port: u16 = std::fs::read_to_string(dir.path().join("port")).unwrap().trim().parse().unwrap();
        let child = Group::spawn(
            Command::new(python)
                .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}"), "-c", "aiosmtpd.handlers.Mailbox"])
                .arg(dir.path().join("mail"))
                .stdout(Stdio::null())
                .stderr(Stdio::null()),
            "aiosmtpd",
        );
        *placeholder = Some(child);
        eventually(Duration::from_secs(30), "the SMTP sink", || async { std::net::TcpStream::connect(("127.0.0.1", port)).ok().map(|_| ()) }).await;
    }

    /// Raw bytes of every message in the SMTP sink.
    pub fn raw_mails(&self) -> Vec<String> {
        let (_, dir) = self.smtp.as_ref().expect("no SMTP sink");
        let mut files: Vec<_> = std::fs::read_dir(dir.path().join("mail").join("new")).unwrap().map(|e| e.unwrap().path()).collect();
        files.sort();
        files.iter().map(|f| String::from_utf8_lossy(&std::fs::read(f).unwrap()).into_owned()).collect()
    }

    /// The run id of a workflow (its latest run).
    pub async fn run_id(&self, id: &str) -> String {
        let out = Command::new(&self.cli)
            .args(["workflow", "describe", "--workflow-id", id, "--output", "json", "--address", &self.address])
            .output()
            .expect("temporal workflow describe");
        let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("describe: {}", String::from_utf8_lossy(&out.stderr)));
        v["workflowExecutionInfo"]["execution"]["runId"].as_str().unwrap_or_else(|| panic!("no run id in {v}")).to_string()
    }

    /// The heartbeat details of the run's pending scan activity, if it has sent any.
    pub fn pending_heartbeat(&self, id: &str) -> Option<snapstart_proto::v1::ScanHeartbeat> {
        use base64::Engine;
        use prost::Message;
        let out = Command::new(&self.cli)
            .args(["workflow", "describe", "--workflow-id", id, "--output", "json", "--address", &self.address])
            .output()
            .ok()?;
        let v: Value = serde_json::from_slice(&out.stdout).ok()?;
        let data = v["pendingActivities"][0]["heartbeatDetails"]["payloads"][0]["data"].as_str()?;
        let bytes = base64::engine::general_purpose::STANDARD.decode(data).ok()?;
        snapstart_proto::v1::ScanHeartbeat::decode(bytes.as_slice()).ok()
    }

    /// The run's history as the Temporal CLI prints it (JSON).
    pub fn history_json(&self, id: &str) -> Value {
        let out = Command::new(&self.cli)
            .args(["workflow", "show", "--workflow-id", id, "--output", "json", "--address", &self.address])
            .output()
            .expect("temporal workflow show");
        serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("show: {}", String::from_utf8_lossy(&out.stderr)))
    }

    /// The attempt number each completed or failed activity of the run ended on, by activity type.
    pub fn activity_attempts(&self, id: &str) -> Vec<(String, u64)> {
        let history = self.history_json(id);
        let events = history["events"].as_array().cloned().unwrap_or_default();
        let mut types = std::collections::HashMap::new();
        let mut out = Vec::new();
        for e in &events {
            let event_id = e["eventId"].as_str().map(str::to_string).or_else(|| e["eventId"].as_i64().map(|n| n.to_string())).unwrap_or_default();
            if let Some(a) = e.get("activityTaskScheduledEventAttributes") {
                types.insert(event_id, a["activityType"]["name"].as_str().unwrap_or_default().to_string());
            }
            if let Some(a) = e.get("activityTaskStartedEventAttributes") {
                let scheduled = a["scheduledEventId"].as_str().map(str::to_string).or_else(|| a["scheduledEventId"].as_i64().map(|n| n.to_string())).unwrap_or_default();
                out.push((types.get(&scheduled).cloned().unwrap_or_default(), a["attempt"].as_u64().unwrap_or(1)));
            }
        }
        out
    }

    /// Text parts of every message in the SMTP sink (decoded by Python's email package).
    pub fn mails(&self) -> Vec<String> {
        let (_, dir) = self.smtp.as_ref().expect("no SMTP sink");
        let python = service_env("SNAPSTART_TEST_PYTHON");
        let script = "import email,glob,json,sys; print(json.dumps([[p.get_payload(decode=True).decode() for p in email.message_from_binary_file(open(f,'rb')).walk() if p.get_content_type()=='text/plain'][0] for f in sorted(glob.glob(sys.argv[1]+'/new/*'))]))";
        let out = Command::new(python).args(["-c", script]).arg(dir.path().join("mail")).output().unwrap();
        serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("reading mail: {}", String::from_utf8_lossy(&out.stderr)))
    }

    /// Waits for an email whose text contains `needle`; returns its text.
    pub async fn mail_containing(&self, needle: &str) -> String {
        eventually(Duration::from_secs(60), needle, || async { self.mails().into_iter().find(|m| m.contains(needle)) }).await
    }

    /// Starts the resolver at `resolver_url`.
    pub async fn start_resolver(&mut self) {
        let port = self.resolver_url.rsplit(':').next().unwrap().to_string();
        let child = Group::spawn(
            Command::new(resolver_bin())
                .args(["--listen", &format!("127.0.0.1:{port}"), "--public-url", &self.resolver_url, "--address", &self.address, "--namespace", "default"])
                .env("APPROVAL_LINK_SECRET", SECRET)
                .env_remove("TEMPORAL_ADDRESS")
                .envs(self.resolver_env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
                .stdout(Stdio::null())
                .stderr(Stdio::inherit()),
            "the resolver",
        );
        self.resolver = Some(child);
        let url = format!("{}/healthz", self.resolver_url);
        eventually(Duration::from_secs(30), "the resolver", || {
            let url = url.clone();
            async move { reqwest::get(url).await.ok().filter(|r| r.status().is_success()).map(|_| ()) }
        })
        .await;
    }
}

/// The resolver binary, built beside the worker's by `cargo test --workspace`.
pub fn resolver_bin() -> PathBuf {
    let mut dir = std::env::current_exe().unwrap();
    dir.pop();
    if dir.ends_with("deps") {
        dir.pop();
    }
    dir.join("snapstart-cleaner-resolver")
}
