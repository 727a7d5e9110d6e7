//! snapstart-cleaner's Temporal layer: the workflow, its activities, the schedule and the
//! command line that starts them. Only this crate (and the resolver) knows Temporal; the work
//! itself lives below it, in `snapstart-scan`, `snapstart-deletion` and `snapstart-notifications`,
//! over the adapters of `snapstart-aws`. `main.rs` only wires these together.

pub mod activities;
pub mod aws_args;
pub use snapstart_proto::candidates;
pub mod cleanup_activities;
pub mod cli;
pub mod decision;
pub mod metrics;
pub mod output;
pub mod payload;
pub mod progress_report;
pub mod restore_cli;
pub mod schedule;
pub mod search_attributes;
pub mod start_input;
pub mod temporal;
pub mod workflow;
