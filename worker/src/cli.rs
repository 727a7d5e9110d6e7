//! The command line: `worker`, `start`, `scan`, `schedule` and `restore`. Invalid scan options exit with status 2.

use std::{path::PathBuf, sync::Arc};

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use snapstart_proto::names;

use crate::{
    output::{render, Format},
    start_input::{default_workflow_id, json_input, ScanOptions},
    temporal::TemporalArgs,
};

/// Finds unused AWS Lambda SnapStart versions and deletes them only after a human approves.
#[derive(Debug, Parser)]
#[command(name = "snapstart-cleaner", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the Temporal worker (workflow SnapStartCleanup and its activities).
    Worker(WorkerArgs),
    /// Start a SnapStartCleanup run on Temporal and print its id and UI link.
    Start(StartArgs),
    /// Run the scan phases in this process (no Temporal) and print the report.
    Scan(ScanArgs),
    /// Manage the weekly run: a Temporal Schedule (created paused).
    Schedule(crate::schedule::ScheduleArgs),
    /// Bring one deleted version back from its archive as a new version ($LATEST is left as it was); prints the plan unless --apply
    Restore(crate::restore_cli::RestoreArgs),
}

pub use crate::aws_args::AwsArgs;

#[derive(Debug, Args)]
pub struct WorkerArgs {
    #[command(flatten)]
    pub temporal: TemporalArgs,
    /// Task queue to poll
    #[arg(long, env = "SNAPSTART_TASK_QUEUE", default_value = names::TASK_QUEUE)]
    pub task_queue: String,
    #[command(flatten)]
    pub aws: AwsArgs,
    /// Directory where each run's full report is written as <workflow-id>.json
    #[arg(long, env = "REPORT_DIR")]
    pub report_dir: Option<PathBuf>,
    /// Serve Prometheus metrics at http://<addr>/metrics, e.g. 127.0.0.1:9464 (the SDK's worker metrics and ours, prefixed snapstart_)
    #[arg(long, env = "METRICS_LISTEN")]
    pub metrics_listen: Option<std::net::SocketAddr>,
    /// Largest activity result in bytes; a larger one fails the run (PayloadsTooLarge, not retried)
    #[arg(long, env = "MAX_PAYLOAD_BYTES", default_value_t = crate::payload::DEFAULT_PAYLOAD_LIMIT)]
    pub max_payload_bytes: usize,
    #[command(flatten)]
    pub approval: ApprovalArgs,
}

/// The approval round trip. The link-signing key comes only from the environment
/// (APPROVAL_LINK_SECRET, at least 32 bytes); the worker refuses to start without it.
#[derive(Debug, Args)]
pub struct ApprovalArgs {
    /// Base URL of snapstart-cleaner-resolver, for the Approve/Reject links
    #[arg(long, env = "RESOLVER_PUBLIC_URL", default_value = "http://127.0.0.1:8787")]
    pub resolver_public_url: String,
    /// Temporal web UI base URL, for links in emails
    #[arg(long, env = "TEMPORAL_UI_URL", default_value = "http://localhost:8233")]
    pub ui_url: String,
    /// Only `false` enables live deletion; anything else is a dry run
    #[arg(long, env = "DELETE_DRY_RUN", default_value = "true")]
    pub delete_dry_run: String,
    /// SNS topic for notifications
    #[arg(long, env = "APPROVAL_TOPIC_ARN")]
    pub topic_arn: Option<String>,
    /// SMTP server, e.g. smtp://127.0.0.1:2525 or smtps://user:pass@mail.example.com
    // It can carry a password: --help names the variable but never prints its value.
    #[arg(long, env = "SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,
    /// Sender address for SMTP
    #[arg(long, env = "APPROVAL_EMAIL_FROM", default_value = "snapstart-cleaner <snapstart-cleaner@localhost>")]
    pub email_from: String,
    /// Comma-separated recipients for SMTP
    #[arg(long, env = "APPROVAL_EMAIL_TO", default_value = "")]
    pub email_to: String,
    /// Also write every notification, with its Approve/Reject links, to the worker log (local
    /// trials; with no SNS or SMTP channel this is required, or the worker refuses to start)
    #[arg(long, env = "NOTIFY_LOG_LINKS", default_value_t = false, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true")]
    pub log_links: bool,
    /// Archive every version before deleting it, under s3://bucket/prefix/ (a bucket in the run's first region), for runs that give no archive_uri; unset: such runs' deletions cannot be undone
    #[arg(long, env = "ARCHIVE_URI")]
    pub archive_uri: Option<String>,
    /// SSE-KMS key for the archive (id, ARN or alias) when a run gives none [default: SSE-S3]
    #[arg(long, env = "ARCHIVE_KMS_KEY_ID")]
    pub archive_kms_key_id: Option<String>,
}

impl ApprovalArgs {
    /// Builds the worker's approval config; a missing secret or a bad channel setting is fatal.
    pub async fn config(&self, namespace: String, payload_limit: usize) -> anyhow::Result<crate::cleanup_activities::CleanupConfig> {
        use snapstart_notifications::{smtp::SmtpChannel, sns::SnsChannel, Channel, LogChannel};
        let secret = snapstart_proto::links::LinkSecret::from_env().context("APPROVAL_LINK_SECRET")?;
        url::Url::parse(&self.resolver_public_url).context("RESOLVER_PUBLIC_URL")?;
        let mut channels: Vec<Arc<dyn Channel>> = Vec::new();
        if let Some(arn) = &self.topic_arn {
            channels.push(Arc::new(SnsChannel::new(arn).await));
        }
        if let Some(url) = &self.smtp_url {
            channels.push(Arc::new(SmtpChannel::new(url, &self.email_from, &self.email_to).map_err(anyhow::Error::msg)?));
        }
        if self.log_links {
            tracing::warn!("NOTIFY_LOG_LINKS: approval links are written to this log; anyone who reads it can decide");
            channels.push(Arc::new(LogChannel));
        }
        if channels.is_empty() {
            anyhow::bail!(
                "no notification channel: set APPROVAL_TOPIC_ARN (SNS) or SMTP_URL with APPROVAL_EMAIL_TO (SMTP), \
                 or NOTIFY_LOG_LINKS=true (--log-links) to write the approval links to this log"
            );
        }
        let archive_uri = snapstart_proto::request::validate_s3_uri("ARCHIVE_URI", self.archive_uri.as_deref()).map_err(anyhow::Error::msg)?;
        let archive_kms_key_id = snapstart_proto::request::validate_kms_key_id("ARCHIVE_KMS_KEY_ID", self.archive_kms_key_id.as_deref()).map_err(anyhow::Error::msg)?;
        if archive_uri.is_empty() && !live_deletion_enabled(&self.delete_dry_run) {
            tracing::info!("no ARCHIVE_URI: runs without their own archive_uri archive nothing");
        } else if archive_uri.is_empty() {
            tracing::warn!("live deletion without ARCHIVE_URI: runs without their own archive_uri delete versions that cannot be restored");
        }
        Ok(crate::cleanup_activities::CleanupConfig {
            secret,
            archive_uri,
            archive_kms_key_id,
            resolver_public_url: self.resolver_public_url.clone(),
            ui_url: self.ui_url.clone(),
            namespace,
            delete_dry_run: !live_deletion_enabled(&self.delete_dry_run),
            channels,
            payload_limit,
        })
    }
}

/// Whether a DELETE_DRY_RUN value enables live deletion: only exactly `false` does. Anything
/// else (`False`, `0`, `no`, ` false`, empty) keeps the worker dry: a typo must fail safe.
pub fn live_deletion_enabled(delete_dry_run: &str) -> bool {
    delete_dry_run == "false"
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    #[command(flatten)]
    pub options: ScanOptions,
    #[command(flatten)]
    pub aws: AwsArgs,
    /// Output format; json prints exactly the report on stdout (logs go to stderr)
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct StartArgs {
    #[command(flatten)]
    pub options: ScanOptions,
    #[command(flatten)]
    pub archive: crate::start_input::ArchiveOptions,
    #[command(flatten)]
    pub temporal: TemporalArgs,
    /// Task queue the worker polls
    #[arg(long, env = "SNAPSTART_TASK_QUEUE", default_value = names::TASK_QUEUE)]
    pub task_queue: String,
    /// Workflow id [default: snapstart-cleanup-<region>; a second run for the region is refused while one is open]
    #[arg(long)]
    pub workflow_id: Option<String>,
    /// Force a dry run whatever the worker is configured to do
    #[arg(long)]
    pub dry_run: bool,
    /// Temporal web UI base URL, for the printed link
    #[arg(long, env = "TEMPORAL_UI_URL", default_value = "http://localhost:8233")]
    pub ui_url: String,
    /// Wait for the report, print the candidates and the summary (the run then waits for approval)
    #[arg(long)]
    pub wait: bool,
    /// Output format with --wait
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
}

/// Runs `scan`: every phase in-process.
pub async fn scan(args: ScanArgs) -> anyhow::Result<()> {
    let settings = args.options.settings();
    let factory = args.aws.factory();
    let started = std::time::Instant::now();
    let current: Arc<snapstart_scan::fanout::Current> = Default::default();
    let reporter = tokio::spawn(crate::progress_report::report(current.clone()));
    let report = snapstart_scan::fanout::run_all(&factory, &settings, &current).await;
    reporter.abort();
    crate::progress_report::finish();
    let summary = report.summary.clone().unwrap_or_default();
    tracing::info!(elapsed_ms = started.elapsed().as_millis() as u64, calls = ?summary.aws_calls, "scan finished");
    print!("{}", render(args.format, &summary, &report.rows));
    // Every account and region failed: nothing was scanned, and saying "no candidates" would lie.
    let failed: Vec<&snapstart_proto::v1::TargetSummary> = summary.targets.iter().filter(|t| t.status == snapstart_proto::status::TARGET_FAILED).collect();
    for t in &failed {
        eprintln!("error: account {} region {} not scanned: {}", t.account_id, t.region, t.error);
    }
    if !failed.is_empty() && failed.len() == summary.targets.len() {
        anyhow::bail!("no account and region could be scanned");
    }
    Ok(())
}

/// Runs `worker` until Ctrl-C / SIGTERM.
pub async fn worker(args: WorkerArgs) -> anyhow::Result<()> {
    use temporalio_sdk::{Runtime, Worker, WorkerOptions};
    let cleanup = args.approval.config(args.temporal.namespace_or_env(), args.max_payload_bytes).await?;
    let dry_run = cleanup.delete_dry_run;
    let client = args.temporal.connect().await?;
    crate::search_attributes::detect(&client, &args.temporal.namespace_or_env()).await;
    let runtime = match args.metrics_listen {
        None => Runtime::from_current_tokio(Default::default())?,
        Some(addr) => {
            use temporalio_common::telemetry::TelemetryOptions;
            let meter = snapstart_telemetry::metrics::serve(addr).with_context(|| format!("METRICS_LISTEN {addr}"))?;
            let telemetry = TelemetryOptions::builder().metrics(meter).metric_prefix("snapstart_".to_string()).build();
            let options = temporalio_sdk::runtime::RuntimeOptions::builder().telemetry_options(telemetry).build().map_err(anyhow::Error::msg)?;
            Runtime::from_current_tokio(options)?
        }
    };
    let aws = Arc::new(args.aws.factory());
    let activities = crate::activities::ScanActivities::new(aws.clone(), args.report_dir.clone(), args.max_payload_bytes).with_temporal(client.clone());
    let options = WorkerOptions::new(args.task_queue.clone())
        .register_workflow::<crate::workflow::SnapStartCleanup>()?
        .register_activities(activities)
        .register_activities(crate::cleanup_activities::CleanupActivities::new(aws, cleanup))
        .build();
    let mut worker = Worker::new(&runtime, client, options)?;
    let shutdown = worker.shutdown_handle();
    tokio::spawn(async move {
        shutdown_signal().await;
        tracing::info!("shutting down worker");
        shutdown();
    });
    tracing::info!(task_queue = %args.task_queue, lambda_rps = args.aws.lambda_rps, delete_dry_run = dry_run, "worker started");
    worker.run().await?;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("SIGTERM handler");
    tokio::select! {
        _ = ctrl_c => {},
        _ = term.recv() => {},
    }
}

/// Runs `start`: one workflow, its id and UI link, optionally the report.
pub async fn start(args: StartArgs) -> anyhow::Result<()> {
    use temporalio_client::{WorkflowIdConflictPolicy, WorkflowStartOptions};
    let mut request = args.options.request();
    args.archive.apply(&mut request);
    let settings = crate::start_input::settings_of(&request); // validate locally first: exit 2 with the field named
    request.dry_run = args.dry_run.then_some(true);
    let workflow_id = args.workflow_id.clone().unwrap_or_else(|| default_workflow_id(&settings));
    let client = args.temporal.connect().await?;
    if let Some((id, run_id)) = open_run(&client, &workflow_id).await {
        anyhow::bail!("a run of this scope is still open: workflow {id}, run {run_id} (started by hand or by the schedule); decide it or wait for it to end");
    }
    let options = WorkflowStartOptions::new(args.task_queue.clone(), workflow_id.clone())
        .id_conflict_policy(WorkflowIdConflictPolicy::Fail)
        .build();
    let handle = match client.start_workflow(crate::workflow::SnapStartCleanup::run, json_input(&request)?, options).await {
        Ok(handle) => handle,
        Err(e) => {
            let open = open_run(&client, &workflow_id).await;
            return Err(anyhow::anyhow!(e)).context(match open {
                Some((id, run_id)) => format!("a run of this scope is still open: workflow {id}, run {run_id} (started by hand or by the schedule); decide it or wait for it to end"),
                None => format!("starting workflow {workflow_id}"),
            });
        }
    };
    let run_id = handle.run_id().unwrap_or_default().to_string();
    let ns = args.temporal.namespace_or_env();
    println!("workflow id: {workflow_id}\nrun id:      {run_id}");
    println!("Temporal UI: {}/namespaces/{ns}/workflows/{workflow_id}/{run_id}/history", args.ui_url.trim_end_matches('/'));
    if args.wait {
        let status = wait_for_report(&client, &workflow_id).await?;
        let summary = status.summary.clone().unwrap_or_default();
        print!("{}", render(args.format, &summary, &status.candidates));
        println!("phase: {}{}", status.phase, status.deadline.map(|d| format!(" (decide before {d})")).unwrap_or_default());
    }
    Ok(())
}

/// The open run of the scope, as (workflow id, run id): one started by hand (`workflow_id`) or
/// by the schedule (`workflow_id` and the timestamp the schedule appends).
async fn open_run(client: &temporalio_client::Client, workflow_id: &str) -> Option<(String, String)> {
    use futures::StreamExt;
    if workflow_id.contains(['\'', '"', '\\']) {
        return None;
    }
    let query = format!("WorkflowId STARTS_WITH '{workflow_id}' AND ExecutionStatus = 'Running'");
    let mut runs = client.list_workflows(query, Default::default());
    while let Some(Ok(run)) = runs.next().await {
        let id = run.id();
        if id == workflow_id || id.strip_prefix(workflow_id).is_some_and(|rest| rest.starts_with('-')) {
            return Some((id.to_string(), run.run_id().to_string()));
        }
    }
    None
}

/// Polls the `status` query until the report exists (the run waits for approval or has ended).
async fn wait_for_report(client: &temporalio_client::Client, workflow_id: &str) -> anyhow::Result<snapstart_proto::status::RunStatus> {
    use temporalio_client::WorkflowQueryOptions;
    let handle = client.get_workflow_handle::<crate::workflow::SnapStartCleanup>(workflow_id.to_string());
    let settled = ["awaiting_approval", "done", "rejected", "timed_out", "no_candidates", "invalid_input"];
    let started = std::time::Instant::now();
    let mut reported = std::time::Instant::now();
    loop {
        match handle.query(crate::workflow::SnapStartCleanup::status, (), WorkflowQueryOptions::default()).await {
            Ok(status) if settled.contains(&status.phase.as_str()) => {
                crate::progress_report::finish();
                return Ok(status);
            }
            Ok(status) if reported.elapsed() >= crate::progress_report::every() => {
                reported = std::time::Instant::now();
                crate::progress_report::show(&pending_progress(&handle).await.unwrap_or(status.phase));
            }
            Ok(_) => {}
            Err(e) if started.elapsed() > std::time::Duration::from_secs(30) => return Err(e.into()),
            Err(_) => {}
        }
        if started.elapsed() > std::time::Duration::from_secs(3600) {
            anyhow::bail!("the run did not produce a report within an hour");
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
}

/// The progress line of the run's pending activity, from its last heartbeat.
async fn pending_progress(handle: &temporalio_client::WorkflowHandle<temporalio_client::Client, crate::workflow::SnapStartCleanup>) -> Option<String> {
    let description = handle.describe(Default::default()).await.ok()?;
    let pending = description.raw_description.pending_activities.first()?;
    let payload = pending.heartbeat_details.as_ref()?.payloads.first()?;
    let kind = payload.metadata.get(snapstart_proto::codec::MESSAGE_TYPE_KEY).map(Vec::as_slice);
    crate::progress_report::heartbeat_line(&payload.data, kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The default clap declares for `--long` of `subcommand` (what runs when neither the flag
    /// nor its variable is given), read from the parser's own definition.
    fn shipped_default(subcommand: &str, long: &str) -> Option<String> {
        use clap::CommandFactory;
        let command = Cli::command();
        let sub = command.find_subcommand(subcommand).unwrap_or_else(|| panic!("no subcommand {subcommand}"));
        let arg = sub.get_arguments().find(|a| a.get_long() == Some(long)).unwrap_or_else(|| panic!("{subcommand} has no --{long}"));
        arg.get_default_values().first().map(|v| v.to_string_lossy().into_owned())
    }

    #[test]
    fn the_shipped_defaults_are_pinned() {
        let cases = [
            ("worker", "delete-dry-run", Some("true")),
            ("worker", "lambda-rps", Some("10")),
            ("worker", "concurrency", Some("8")),
            ("worker", "get-function-rps", None),
            ("worker", "get-policy-rps", None),
            ("worker", "max-payload-bytes", Some("2000000")),
            ("scan", "lambda-rps", Some("10")),
        ];
        for (sub, long, want) in cases {
            assert_eq!(shipped_default(sub, long).as_deref(), want, "{sub} --{long}");
        }
        // GetFunction and GetPolicy have budgets of their own when not set: half and two thirds
        // of their quotas, apart from the shared control plane's 10 of 15.
        assert_eq!((snapstart_aws::factory::DEFAULT_GET_FUNCTION_RPS, snapstart_aws::factory::DEFAULT_GET_POLICY_RPS), (50, 10));
        use snapstart_proto::request::*;
        assert_eq!((DEFAULT_LOOKBACK_DAYS, DEFAULT_MIN_AGE_DAYS, DEFAULT_KEEP_LAST_N, DEFAULT_PERIOD_SECONDS), (30, 14, 3, 3600));
        assert_eq!(DEFAULT_APPROVAL_TIMEOUT_SECONDS, 7 * 24 * 3600);
        assert_eq!(DEFAULT_PROTECT_TAG_KEY, "snapstart-cleaner:protect");
    }

    #[test]
    fn only_the_exact_string_false_enables_live_deletion() {
        assert!(live_deletion_enabled("false"));
        for dry in ["true", "False", "FALSE", "0", "no", "off", "", " false", "false ", "false\n", "fals", "'false'"] {
            assert!(!live_deletion_enabled(dry), "{dry:?} must keep the worker dry");
        }
    }
}
