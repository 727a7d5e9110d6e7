//! The logs and metrics set-up both binaries share: `logs::init` reads `LOG_FORMAT` and
//! `RUST_LOG`; `metrics::add` counts wherever the work happens and costs nothing until a binary
//! serves `/metrics` (`metrics::serve`, feature `prometheus`).

pub mod logs;
pub mod metrics;
