//! `snapstart-cleaner schedule …`: the weekly run as a Temporal Schedule. Created **paused**
//! unless asked otherwise (a fresh install emails nobody unasked), with overlap policy Skip (a
//! tick while the schedule's last run still waits for approval is skipped). Scheduled runs are
//! named `<the scope's workflow id>-<time>`, so a manual `start` of the same scope finds an open
//! scheduled run and is refused.

use std::time::{Duration, SystemTime};

use anyhow::Context;
use clap::{Args, Subcommand};
use snapstart_proto::names;
use temporalio_client::{
    schedules::{
        CreateScheduleOptions, DeleteScheduleOptions, ScheduleAction, ScheduleDescriptionAction, ScheduleOverlapPolicy, ScheduleSpec,
        TriggerScheduleOptions,
    },
    Client,
};

use crate::{start_input::ScanOptions, temporal::TemporalArgs};

/// The schedule id unless `--schedule-id` says otherwise.
pub const DEFAULT_SCHEDULE_ID: &str = "snapstart-weekly";

#[derive(Debug, Args)]
pub struct ScheduleArgs {
    #[command(subcommand)]
    pub command: ScheduleCommand,
}

#[derive(Debug, Subcommand)]
pub enum ScheduleCommand {
    /// Create the schedule (paused unless --unpaused), after validating its run input.
    Create(Box<CreateArgs>),
    /// Show the schedule: paused or not, when, the next runs, recent and open runs, skipped ticks.
    Describe(Target),
    /// Change when the schedule fires (to change the run input, delete and create it again).
    Update(UpdateArgs),
    /// Pause the schedule; an open run is not affected.
    Pause(NoteArgs),
    /// Unpause the schedule.
    Unpause(NoteArgs),
    /// Start a run now (skipped, like a tick, while a run of the same scope is open).
    Trigger(Target),
    /// Delete the schedule; an open run is not affected.
    Delete(Target),
}

/// Which schedule, on which Temporal.
#[derive(Debug, Args)]
pub struct Target {
    /// Schedule id
    #[arg(long, default_value = DEFAULT_SCHEDULE_ID)]
    pub schedule_id: String,
    #[command(flatten)]
    pub temporal: TemporalArgs,
}

/// When it fires: every `--interval` (default 7d), or on `--cron`.
#[derive(Debug, Args)]
pub struct When {
    /// Interval between runs: e.g. 7d, 168h, 90m [default: 7d]
    #[arg(long, conflicts_with = "cron")]
    pub interval: Option<String>,
    /// Cron expression (UTC), e.g. "0 6 * * MON"
    #[arg(long)]
    pub cron: Option<String>,
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    #[command(flatten)]
    pub target: Target,
    #[command(flatten)]
    pub when: When,
    #[command(flatten)]
    pub options: ScanOptions,
    #[command(flatten)]
    pub archive: crate::start_input::ArchiveOptions,
    /// Task queue the worker polls
    #[arg(long, env = "SNAPSTART_TASK_QUEUE", default_value = names::TASK_QUEUE)]
    pub task_queue: String,
    /// Force every scheduled run to be a dry run
    #[arg(long)]
    pub dry_run: bool,
    /// Create it running (default: paused, so nothing is emailed until you unpause it)
    #[arg(long)]
    pub unpaused: bool,
    /// Workflow id of every scheduled run [default: snapstart-cleanup-<region>, as `start` uses]
    #[arg(long)]
    pub workflow_id: Option<String>,
}

#[derive(Debug, Args)]
pub struct UpdateArgs {
    #[command(flatten)]
    pub target: Target,
    #[command(flatten)]
    pub when: When,
}

#[derive(Debug, Args)]
pub struct NoteArgs {
    #[command(flatten)]
    pub target: Target,
    /// Why (shown by describe and in the Temporal UI)
    #[arg(long)]
    pub note: Option<String>,
}

/// Parses `7d`, `168h`, `90m` or `3600s` (a whole number and a unit, at least a minute).
pub fn parse_interval(text: &str) -> Result<Duration, String> {
    let (number, unit) = text.split_at(text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len()));
    let n: u64 = number.parse().map_err(|_| format!("--interval {text:?}: expected a number and a unit, e.g. 7d, 168h, 90m"))?;
    let seconds = match unit {
        "d" => n * 86_400,
        "h" => n * 3_600,
        "m" => n * 60,
        "s" => n,
        _ => return Err(format!("--interval {text:?}: the unit must be d, h, m or s")),
    };
    if seconds < 60 {
        return Err(format!("--interval {text:?}: at least one minute"));
    }
    Ok(Duration::from_secs(seconds))
}

impl When {
    fn spec(&self) -> Result<ScheduleSpec, String> {
        match (&self.interval, &self.cron) {
            (_, Some(cron)) if cron.split_whitespace().count() != 5 => Err(format!("--cron {cron:?}: expected five fields, e.g. \"0 6 * * MON\"")),
            (_, Some(cron)) => Ok(ScheduleSpec::builder().cron_strings(vec![cron.clone()]).build()),
            (interval, None) => Ok(ScheduleSpec::from_interval(parse_interval(interval.as_deref().unwrap_or("7d"))?)),
        }
    }

    fn given(&self) -> bool {
        self.interval.is_some() || self.cron.is_some()
    }
}

fn usage_error(message: String) -> ! {
    eprintln!("error: {message}");
    std::process::exit(2);
}

/// Runs a `schedule` subcommand.
pub async fn run(args: ScheduleArgs) -> anyhow::Result<()> {
    match args.command {
        ScheduleCommand::Create(a) => create(*a).await,
        ScheduleCommand::Describe(t) => describe(&t).await,
        ScheduleCommand::Update(a) => update(a).await,
        ScheduleCommand::Pause(a) => {
            let note = a.note.unwrap_or_else(|| "paused with snapstart-cleaner schedule pause".into());
            handle(&a.target).await?.pause(Some(note), Default::default()).await?;
            println!("schedule {} paused", a.target.schedule_id);
            Ok(())
        }
        ScheduleCommand::Unpause(a) => {
            let note = a.note.unwrap_or_else(|| "unpaused with snapstart-cleaner schedule unpause".into());
            handle(&a.target).await?.unpause(Some(note), Default::default()).await?;
            println!("schedule {} unpaused", a.target.schedule_id);
            Ok(())
        }
        ScheduleCommand::Trigger(t) => {
            // Unspecified: the schedule's own overlap policy (Skip, set at create) decides, on the
            // server, as it does for the spec's ticks (TriggerImmediatelyRequest.overlap_policy).
            handle(&t).await?.trigger(ScheduleOverlapPolicy::Unspecified, TriggerScheduleOptions::default()).await?;
            println!("schedule {} triggered (skipped if a run of its scope is still open; see describe)", t.schedule_id);
            Ok(())
        }
        ScheduleCommand::Delete(t) => {
            handle(&t).await?.delete(DeleteScheduleOptions::default()).await?;
            println!("schedule {} deleted (an open run goes on)", t.schedule_id);
            Ok(())
        }
    }
}

async fn handle(target: &Target) -> anyhow::Result<temporalio_client::schedules::ScheduleHandle<Client>> {
    Ok(target.temporal.connect().await?.get_schedule_handle(target.schedule_id.clone()))
}

async fn create(a: CreateArgs) -> anyhow::Result<()> {
    let mut request = a.options.request();
    a.archive.apply(&mut request);
    let settings = crate::start_input::settings_of(&request); // validate locally first: exit 2 with the field named
    let spec = a.when.spec().unwrap_or_else(|e| usage_error(e));
    request.dry_run = a.dry_run.then_some(true);
    let workflow_id = a.workflow_id.clone().unwrap_or_else(|| crate::start_input::default_workflow_id(&settings));
    let action = ScheduleAction::start_workflow(crate::workflow::SnapStartCleanup::run, crate::start_input::json_input(&request)?, a.task_queue.clone(), workflow_id.clone());
    let note = if a.unpaused { "created running" } else { "created paused: run `snapstart-cleaner schedule unpause` to start the weekly runs" };
    let options = CreateScheduleOptions::builder().action(action).spec(spec).overlap_policy(ScheduleOverlapPolicy::Skip).paused(!a.unpaused).note(note).build();
    let client = a.target.temporal.connect().await?;
    client.create_schedule(a.target.schedule_id.clone(), options).await.with_context(|| format!("creating schedule {}", a.target.schedule_id))?;
    println!("schedule {} created {}; runs start as workflow {workflow_id}-<time>", a.target.schedule_id, if a.unpaused { "running" } else { "PAUSED (nothing runs until `schedule unpause`)" });
    Ok(())
}

async fn update(a: UpdateArgs) -> anyhow::Result<()> {
    if !a.when.given() {
        usage_error("schedule update changes when it fires: give --interval or --cron".into());
    }
    let spec = a.when.spec().unwrap_or_else(|e| usage_error(e));
    handle(&a.target).await?.update(move |u| {
        u.set_spec(spec);
    }, Default::default()).await?;
    println!("schedule {} updated", a.target.schedule_id);
    Ok(())
}

fn iso(t: SystemTime) -> String {
    chrono::DateTime::<chrono::Utc>::from(t).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

async fn describe(t: &Target) -> anyhow::Result<()> {
    let d = handle(t).await?.describe(Default::default()).await.with_context(|| format!("describing schedule {}", t.schedule_id))?;
    println!("schedule:      {}", t.schedule_id);
    println!("state:         {}{}", if d.paused() { "PAUSED" } else { "running" }, d.note().map(|n| format!(" ({n})")).unwrap_or_default());
    if let ScheduleDescriptionAction::StartWorkflow(w) = d.action() {
        println!("runs:          {} on task queue {}, workflow id {}", w.workflow_type(), w.task_queue(), w.workflow_id());
    }
    let spec = d.raw().schedule.as_ref().and_then(|s| s.spec.as_ref());
    if let Some(spec) = spec {
        for i in &spec.interval {
            println!("every:         {}", i.interval.as_ref().map(|d| format!("{} s", d.seconds)).unwrap_or_default());
        }
        for c in &spec.cron_string {
            println!("cron:          {c}");
        }
    }
    let overlap = d.raw().schedule.as_ref().and_then(|s| s.policies.as_ref()).map(|p| p.overlap_policy).unwrap_or_default();
    let skip = temporalio_common::protos::temporal::api::enums::v1::ScheduleOverlapPolicy::Skip as i32;
    println!("overlap:       {}", if overlap == skip { "skip (a tick while a run is open is skipped)".to_string() } else { format!("policy {overlap}") });
    let next: Vec<String> = d.future_action_times().into_iter().take(3).map(iso).collect();
    println!("next runs:     {}", if d.paused() { "none while paused".to_string() } else { next.join(", ") });
    for r in d.running_actions() {
        println!("open run:      {} (run {}): the next tick is skipped until it ends", r.workflow_id, r.run_id);
    }
    for r in d.recent_actions().into_iter().rev().take(5) {
        println!("recent run:    {} (run {}) at {}", r.workflow_id, r.run_id, r.actual_time.map(iso).unwrap_or_default());
    }
    println!("ticks skipped: {} (a run was still open)", d.overlap_skipped());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_read_as_a_number_and_a_unit_of_at_least_a_minute() {
        assert_eq!(parse_interval("7d"), Ok(Duration::from_secs(7 * 86_400)));
        assert_eq!(parse_interval("168h"), Ok(Duration::from_secs(7 * 86_400)));
        assert_eq!(parse_interval("90m"), Ok(Duration::from_secs(5_400)));
        assert_eq!(parse_interval("60s"), Ok(Duration::from_secs(60)));
        for bad in ["", "7", "d", "7w", "1.5h", "-1d", "30s", "7 d"] {
            assert!(parse_interval(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_default_is_every_seven_days_and_cron_needs_five_fields() {
        let when = |interval: Option<&str>, cron: Option<&str>| When { interval: interval.map(str::to_string), cron: cron.map(str::to_string) };
        assert_eq!(when(None, None).spec().unwrap(), ScheduleSpec::from_interval(Duration::from_secs(7 * 86_400)));
        assert_eq!(when(None, Some("0 6 * * MON")).spec().unwrap().cron_strings, vec!["0 6 * * MON".to_string()]);
        assert!(when(None, Some("0 6 * *")).spec().is_err());
    }
}
