//! `snapstart-cleaner`: wiring only; see the library for everything else.

use clap::Parser;
use snapstart_worker::cli::{self, Cli, Command};

/// Logs to stderr: human-readable, or one JSON object per line with `LOG_FORMAT=json` (level,
/// message, target and the current span's fields: the workflow id and activity of an activity's
/// lines). Any other value is refused, so a typo cannot silently change what a log shipper parses.
fn init_logs() -> Result<(), String> {
    let filter = || tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    let builder = tracing_subscriber::fmt().with_writer(std::io::stderr).with_env_filter(filter());
    match std::env::var("LOG_FORMAT").as_deref() {
        Err(_) | Ok("" | "text") => builder.init(),
        Ok("json") => builder.json().flatten_event(true).with_current_span(true).with_span_list(false).init(),
        Ok(other) => return Err(format!("LOG_FORMAT must be \"text\" or \"json\"; got {other:?}")),
    }
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    if let Err(e) = init_logs() {
        eprintln!("error: {e}");
        std::process::exit(2);
    }
    match Cli::parse().command {
        Command::Worker(args) => cli::worker(args).await,
        Command::Start(args) => cli::start(args).await,
        Command::Scan(args) => cli::scan(args).await,
        Command::Schedule(args) => snapstart_worker::schedule::run(args).await,
    }
}
