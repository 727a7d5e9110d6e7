//! `snapstart-cleaner`: wiring only; see the library for everything else.

use clap::Parser;
use snapstart_worker::cli::{self, Cli, Command};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .init();
    match Cli::parse().command {
        Command::Worker(args) => cli::worker(args).await,
        Command::Start(args) => cli::start(args).await,
        Command::Scan(args) => cli::scan(args).await,
    }
}
