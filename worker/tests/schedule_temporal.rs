//! `snapstart-cleaner schedule …` against the real Temporal dev server: created paused, a tick
//! while its own run is open is skipped, a tick while a manual run of its scope is open ends
//! `skipped_overlap` without scanning, and a manual `start` of a scope with an open run (manual or
//! scheduled) is refused, naming that run.

mod common;

use std::{process::Command, time::Duration};

use common::{cleaner_bin, eventually, run::{uuid_ish, Harness}};

/// Runs `snapstart-cleaner <args>` against the harness's Temporal; returns (success, stdout, stderr).
fn cleaner(h: &Harness, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(cleaner_bin())
        .args(args)
        .args(["--address", h.address(), "--namespace", "default"])
        .env_remove("TEMPORAL_ADDRESS")
        .output()
        .expect("running snapstart-cleaner");
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

fn describe(h: &Harness, schedule: &str) -> String {
    let (ok, out, err) = cleaner(h, &["schedule", "describe", "--schedule-id", schedule]);
    assert!(ok, "{err}");
    out
}

/// `temporal workflow list --query <query>` as JSON (an empty list when it cannot be read).
fn list(h: &Harness, query: &str) -> Vec<serde_json::Value> {
    let out = Command::new(h.cli()).args(["workflow", "list", "--query", query, "--output", "json", "--address", h.address()]).output().unwrap();
    serde_json::from_slice::<serde_json::Value>(&out.stdout).ok().and_then(|l| l.as_array().cloned()).unwrap_or_default()
}

/// The scope's scheduled runs (`<workflow id>-<time>`) with `status` (e.g. Running, Completed).
fn scheduled(h: &Harness, workflow_id: &str, status: &str) -> Vec<serde_json::Value> {
    list(h, &format!("WorkflowId STARTS_WITH '{workflow_id}-' AND ExecutionStatus = '{status}'"))
}

fn id_of(run: &serde_json::Value) -> Option<String> {
    run["execution"]["workflowId"].as_str().map(str::to_string)
}

/// The id of the scope's open scheduled run, if one is open.
async fn open_scheduled(h: &Harness, workflow_id: &str) -> Option<String> {
    scheduled(h, workflow_id, "Running").first().and_then(id_of)
}

/// How many scheduled runs of the scope are open.
async fn open_scheduled_count(h: &Harness, workflow_id: &str) -> usize {
    scheduled(h, workflow_id, "Running").len()
}

/// The id of a closed scheduled run of the scope, if one ended.
async fn closed_scheduled(h: &Harness, workflow_id: &str) -> Option<String> {
    scheduled(h, workflow_id, "Completed").first().and_then(id_of)
}

/// The run ids of every execution (open or closed) with `workflow_id`.
async fn runs_of(h: &Harness, workflow_id: &str) -> Vec<String> {
    list(h, &format!("WorkflowId = '{workflow_id}'")).iter().filter_map(|w| w["execution"]["runId"].as_str().map(str::to_string)).collect()
}

/// The schedule as Temporal itself describes it (`temporal schedule describe --output json`).
fn server_side(h: &Harness, schedule: &str) -> serde_json::Value {
    let out = Command::new(h.cli()).args(["schedule", "describe", "--schedule-id", schedule, "--output", "json", "--address", h.address()]).output().unwrap();
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)))
}

/// A counter Temporal's JSON writes as a string or a number; 0 when absent.
fn count(v: &serde_json::Value) -> u64 {
    v.as_u64().or_else(|| v.as_str().and_then(|s| s.parse().ok())).unwrap_or(0)
}

#[tokio::test]
#[ignore = "needs the services scripts/test.sh starts (Temporal dev server, AWS emulator): run scripts/test.sh"]
async fn a_schedule_is_created_paused_and_its_runs_never_overlap_a_manual_run_of_the_same_scope() {
    let mut h = Harness::start(false).await;
    h.start_worker(0);
    let (schedule, workflow) = (format!("sched-{}", uuid_ish()), format!("scope-{}", uuid_ish()));
    let scope = ["--region", "us-west-2", "--task-queue", h.task_queue(), "--workflow-id", &workflow];
    let create: Vec<&str> = ["schedule", "create", "--schedule-id", &schedule, "--interval", "7d"].into_iter().chain(scope).collect();

    let (created, out, err) = cleaner(&h, &create);
    let paused = describe(&h, &schedule);
    let (bad, _, bad_err) = cleaner(&h, &["schedule", "create", "--schedule-id", "never", "--region", "us-west-2", "--interval", "7w"]);
    let (bad_input, _, bad_input_err) = cleaner(&h, &["schedule", "create", "--schedule-id", "never", "--region", "mars-1"]);

    assert!(created, "{err}");
    assert!(out.contains("PAUSED"), "{out}");
    assert!(paused.contains("state:         PAUSED") && paused.contains(&format!("workflow id {workflow}")), "{paused}");
    assert!(paused.contains("next runs:     none while paused"), "{paused}");
    assert_eq!(server_side(&h, &schedule)["schedule"]["policies"]["overlapPolicy"], "SCHEDULE_OVERLAP_POLICY_SKIP", "read back from Temporal");
    assert!(!bad && bad_err.contains("the unit must be d, h, m or s"), "{bad_err}");
    assert!(!bad_input && bad_input_err.contains("unknown region"), "{bad_input_err}");

    // A manual run of the scope refuses a second manual one, naming it.
    let manual: Vec<&str> = ["start", "--region", "us-west-2", "--task-queue", h.task_queue(), "--workflow-id", &workflow].into_iter().collect();
    let (started, _, err) = cleaner(&h, &manual);
    assert!(started, "{err}");
    h.wait_for_phase(&workflow, "awaiting_approval").await;
    let (again, _, again_err) = cleaner(&h, &manual);
    assert!(!again && again_err.contains(&format!("a run of this scope is still open: workflow {workflow}, run ")), "{again_err}");
    // A tick while the manual run is open ends at once as skipped_overlap: nothing scanned, nobody asked.
    let (triggered, _, err) = cleaner(&h, &["schedule", "trigger", "--schedule-id", &schedule]);
    assert!(triggered, "{err}");
    let skipped = eventually(Duration::from_secs(30), "the skipped scheduled run", || async { closed_scheduled(&h, &workflow).await }).await;
    let result = h.temporal_output(&["workflow", "result", "--workflow-id", &skipped]);
    assert!(result.contains("skipped_overlap"), "{result}");
    assert_eq!(runs_of(&h, &workflow).await.len(), 1, "the manual run is still the scope's only run");
    h.temporal(&["workflow", "terminate", "--workflow-id", &workflow, "--reason", "test"]);

    // A scheduled run (`<workflow id>-<time>`) refuses a manual start of its scope, and a tick
    // while it is open is skipped.
    let (triggered, _, err) = cleaner(&h, &["schedule", "trigger", "--schedule-id", &schedule]);
    assert!(triggered, "{err}");
    let scheduled = eventually(Duration::from_secs(30), "the scheduled run", || async { open_scheduled(&h, &workflow).await }).await;
    h.wait_for_phase(&scheduled, "awaiting_approval").await;
    let (refused, _, refusal) = cleaner(&h, &manual);
    let (triggered, _, err) = cleaner(&h, &["schedule", "trigger", "--schedule-id", &schedule]);
    assert!(triggered, "{err}");
    // The trigger names no policy: the server applies the schedule's own and counts the skip.
    eventually(Duration::from_secs(30), "a tick skipped by the server", || async { (count(&server_side(&h, &schedule)["info"]["overlapSkipped"]) == 1).then_some(()) }).await;
    let skipped = describe(&h, &schedule);

    assert!(!refused, "a manual start while the scheduled run is open is refused");
    assert!(refusal.contains(&format!("a run of this scope is still open: workflow {scheduled}, run ")), "{refusal}");
    assert!(skipped.contains(&format!("open run:      {scheduled}")), "{skipped}");
    // (Two ticks in the same second share an id, so count the scope's open scheduled runs.)
    assert_eq!(open_scheduled_count(&h, &workflow).await, 1, "the second tick started no run");
    let workflow = scheduled;

    h.temporal(&["workflow", "terminate", "--workflow-id", &workflow, "--reason", "test done"]);
    let (unpaused, _, _) = cleaner(&h, &["schedule", "unpause", "--schedule-id", &schedule]);
    assert!(unpaused && describe(&h, &schedule).contains("state:         running"));
    let (deleted, _, err) = cleaner(&h, &["schedule", "delete", "--schedule-id", &schedule]);
    assert!(deleted, "{err}");
}
