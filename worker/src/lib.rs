//! snapstart-cleaner's worker library: AWS adapters, the scan phases, the Temporal activities
//! and workflow, and the CLI. `main.rs` only wires these together.

pub mod activities;
pub mod aws;
pub use snapstart_proto::candidates;
pub mod cleanup_activities;
pub mod cli;
pub mod decision;
pub mod deletion;
pub mod metrics;
pub mod notify;
pub mod output;
pub mod payload;
pub mod progress_report;
pub mod scan;
pub mod search_attributes;
pub mod schedule;
pub mod temporal;
pub mod workflow;
