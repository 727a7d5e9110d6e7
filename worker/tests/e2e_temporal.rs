//! End to end: a real Temporal dev server, the worker binary, the emulator, and runs started
//! through the Temporal CLI exactly as users type them.

mod common;

use std::{
    process::{Child, Command, Stdio},
    time::Duration,
};

use common::{cleaner_bin, eventually, service_env, versions, Emulator};
use serde_json::json;
use snapstart_worker::workflow::{RunStatus, SnapStartCleanup};
use temporalio_client::{Client, ClientOptions, Connection, ConnectionOptions, WorkflowGetResultOptions, WorkflowQueryOptions};

/// The original system's payload, verbatim.
const ORIGINAL_PAYLOAD: &str = r#"{"region": "us-west-2", "lookback_days": 30, "min_age_days": 14, "keep_last_n": 3, "period_seconds": 3600, "function_name_prefix": null, "s3_report_uri": null}"#;

struct Harness {
    emulator: Emulator,
    address: String,
    cli: String,
    task_queue: String,
    worker: Option<Child>,
}

impl Drop for Harness {
    fn drop(&mut self) {
        self.stop_worker();
    }
}

impl Harness {
    async fn start() -> Option<Self> {
        let address = service_env("SNAPSTART_TEST_TEMPORAL_ADDRESS")?;
        let cli = service_env("SNAPSTART_TEST_TEMPORAL_CLI")?;
        let emulator = Emulator::start().await?;
        let task_queue = format!("snapstart-test-{}", uuid_ish());
        Some(Self { emulator, address, cli, task_queue, worker: None })
    }

    fn start_worker(&mut self, lambda_rps: u32) {
        let child = Command::new(cleaner_bin())
            .args(["worker", "--task-queue", &self.task_queue, "--address", &self.address, "--namespace", "default"])
            .args(["--lambda-rps", &lambda_rps.to_string(), "--concurrency", "2"])
            .env("AWS_ENDPOINT_URL", &self.emulator.url)
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env_remove("TEMPORAL_ADDRESS")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("starting the worker");
        self.worker = Some(child);
    }

    fn stop_worker(&mut self) {
        if let Some(mut w) = self.worker.take() {
            let _ = w.kill();
            let _ = w.wait();
        }
    }

    /// `temporal workflow start` as a user types it.
    fn cli_start(&self, workflow_id: &str, input: &str) {
        let out = Command::new(&self.cli)
            .args(["workflow", "start", "--type", "SnapStartCleanup", "--task-queue", &self.task_queue])
            .args(["--workflow-id", workflow_id, "--address", &self.address, "--input", input])
            .output()
            .expect("running the temporal CLI");
        assert!(out.status.success(), "temporal workflow start: {}", String::from_utf8_lossy(&out.stderr));
    }

    async fn client(&self) -> Client {
        let url = url::Url::parse(&format!("http://{}", self.address)).unwrap();
        let connection = Connection::connect(ConnectionOptions::new(url).build()).await.unwrap();
        Client::new(connection, ClientOptions::new("default").build()).unwrap()
    }
}

fn uuid_ish() -> String {
    format!("{:x}{:x}", std::process::id(), fastrand::u64(..))
}

fn demo_account() -> serde_json::Value {
    json!({"functions": [
        {"name": "orders", "runtime": "python3.12", "memory_size": 512, "snapstart": true, "versions": versions(6, 40.0),
         "aliases": [{"name": "live", "version": "2"}]},
        {"name": "billing", "runtime": "python3.13", "memory_size": 1024, "snapstart": true, "versions": versions(5, 40.0)},
    ]})
}

#[tokio::test]
async fn a_run_started_with_the_original_payload_returns_the_report() {
    let Some(mut h) = Harness::start().await else { return };
    h.emulator.seed(demo_account()).await;
    h.start_worker(0);
    let id = format!("e2e-original-{}", uuid_ish());

    h.cli_start(&id, ORIGINAL_PAYLOAD);
    let client = h.client().await;
    let handle = client.get_workflow_handle::<SnapStartCleanup>(id.clone());
    let preview = tokio::time::timeout(Duration::from_secs(120), handle.get_result(WorkflowGetResultOptions::default()))
        .await
        .expect("run finished in time")
        .expect("run succeeded");

    let summary = preview.summary.unwrap();
    assert_eq!(summary.snapstart_versions, 11);
    let mut candidates: Vec<String> = preview.rows.iter().filter(|r| r.candidate_for_deletion).map(|r| format!("{}:{}", r.function_name, r.version)).collect();
    candidates.sort();
    assert_eq!(candidates, vec!["billing:1", "billing:2", "orders:1", "orders:3"]);
    assert_eq!(summary.candidates, 4);
    let status: RunStatus = handle.query(SnapStartCleanup::status, (), WorkflowQueryOptions::default()).await.unwrap();
    assert_eq!(status.phase, "reported");
}

#[tokio::test]
async fn an_invalid_input_fails_fast_naming_the_field() {
    let Some(mut h) = Harness::start().await else { return };
    h.start_worker(0);
    let client = h.client().await;
    for (input, field) in [
        (r#"{"region": "us-west-2", "min_age_day": 14}"#, "min_age_day"),
        (r#"{"region": "us-west-2", "lookback_days": 900}"#, "lookback_days"),
        (r#"{"lookback_days": 30}"#, "region"),
        (r#"{"region": "us-west-2", "period_seconds": 90}"#, "period_seconds"),
    ] {
        let id = format!("e2e-invalid-{}", uuid_ish());

        h.cli_start(&id, input);
        let handle = client.get_workflow_handle::<SnapStartCleanup>(id.clone());
        let result = tokio::time::timeout(Duration::from_secs(30), handle.get_result(WorkflowGetResultOptions::default()))
            .await
            .expect("an invalid input fails fast");

        let err = format!("{:?}", result.expect_err("the run fails"));
        assert!(err.contains(field), "{input}: {err}");
    }
}

#[tokio::test]
async fn a_worker_killed_mid_run_and_restarted_still_completes() {
    let Some(mut h) = Harness::start().await else { return };
    h.emulator.seed(demo_account()).await;
    // A slow rate budget keeps the run in confirm-state long enough to kill the worker there.
    h.start_worker(1);
    let id = format!("e2e-restart-{}", uuid_ish());
    h.cli_start(&id, ORIGINAL_PAYLOAD);
    let client = h.client().await;
    let handle = client.get_workflow_handle::<SnapStartCleanup>(id.clone());
    eventually(Duration::from_secs(60), "the run to reach confirm-state", || {
        let handle = &handle;
        async move {
            let status: RunStatus = handle.query(SnapStartCleanup::status, (), WorkflowQueryOptions::default()).await.ok()?;
            (status.phase == "confirm-state").then_some(())
        }
    })
    .await;

    h.stop_worker();
    h.start_worker(0);
    let preview = tokio::time::timeout(Duration::from_secs(180), handle.get_result(WorkflowGetResultOptions::default()))
        .await
        .expect("run finished after the restart")
        .expect("run succeeded");

    assert_eq!(preview.summary.unwrap().candidates, 4);
}
