//! Every name that lands in Temporal history, in one place. Renaming a Rust type must never change
//! these strings: running workflows would no longer find their activities or handlers.

/// Default task queue the worker polls.
pub const TASK_QUEUE: &str = "snapstart-cleaner";
/// Workflow type users pass to `temporal workflow start --type`.
pub const WORKFLOW_TYPE: &str = "SnapStartCleanup";

/// Lists every SnapStart published version in the region.
pub const ACTIVITY_DISCOVER: &str = "discover-snapstart";
/// Age and keep-last-N (pure).
pub const ACTIVITY_STAGE_A: &str = "stage-a-age-and-keep-last-n";
/// Reads State for the versions that passed stage A.
pub const ACTIVITY_CONFIRM_STATE: &str = "confirm-state";
/// Aliases, event source mappings and CloudWatch invocations.
pub const ACTIVITY_STAGE_B: &str = "stage-b-usage-and-alias";
/// Classifies every row and builds the report.
pub const ACTIVITY_BUILD_REPORT: &str = "build-report";
/// Sends the approval email (next phase of the product).
pub const ACTIVITY_SEND_APPROVAL_EMAIL: &str = "send-approval-email";
/// Deletes the approved versions.
pub const ACTIVITY_DELETE_VERSIONS: &str = "delete-versions";
/// Sends the completion summary.
pub const ACTIVITY_SEND_COMPLETION_EMAIL: &str = "send-completion-email";

/// Query returning the run's phase, counts, decision and the first candidates.
pub const QUERY_STATUS: &str = "status";
/// Query returning a page of candidates (optionally of one function).
pub const QUERY_CANDIDATES: &str = "candidates";
/// Query returning a page of the functions that have candidates.
pub const QUERY_FUNCTIONS: &str = "functions";
/// Signal carrying the approver's decision.
pub const SIGNAL_APPROVAL: &str = "approval";

/// Update the resolver uses to deliver a decision and learn, atomically, whether it counted.
pub const UPDATE_DECIDE: &str = "decide";

/// Failure type of an invalid start input (non-retryable).
pub const ERROR_INVALID_INPUT: &str = "InvalidInput";
/// Failure type of a scheduled run whose scope has an open manual run (ends it `skipped_overlap`).
pub const ERROR_SCOPE_BUSY: &str = "ScopeBusy";
/// Failure type the Temporal core gives an oversized payload; never worth retrying.
pub const ERROR_PAYLOADS_TOO_LARGE: &str = "PayloadsTooLarge";

/// Patch marker (`ctx.patched`): the wait for a decision ends at the deadline the links carry,
/// set before the approval email went out. Runs without the marker waited the full timeout
/// after the email.
pub const PATCH_ONE_DEADLINE: &str = "one-deadline";
/// Marks runs that read state (and the protections) after stage B, not right after stage A.
pub const PATCH_STATE_AFTER_USAGE: &str = "state-after-usage";
/// Marks runs that refuse a decision arriving at or after the links' deadline even though the
/// wait's timer has not fired yet (recorded as ignored, reason `late`). Runs without the marker
/// counted such a decision, and keep doing so on replay.
pub const PATCH_REFUSE_LATE: &str = "refuse-late-decisions";

/// Custom search attributes the workflow sets (when the namespace has them): filter runs in the
/// UI or `temporal workflow list --query 'SnapStartOutcome="rejected"'`. Never names or emails.
pub const SEARCH_ATTRIBUTE_REGIONS: &str = "SnapStartRegions";
/// Int: how many candidates the scan found.
pub const SEARCH_ATTRIBUTE_CANDIDATES: &str = "SnapStartCandidates";
/// Keyword: how the run ended (done, rejected, timed_out, no_candidates, invalid_input).
pub const SEARCH_ATTRIBUTE_OUTCOME: &str = "SnapStartOutcome";
/// Bool: whether the run is (or was) a dry run.
pub const SEARCH_ATTRIBUTE_DRY_RUN: &str = "SnapStartDryRun";
/// Marks runs that set the search attributes (only where the namespace has them registered).
pub const PATCH_SEARCH_ATTRIBUTES: &str = "search-attributes";
