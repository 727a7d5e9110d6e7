//! `snapstart-cleaner`: wiring only; see the library for everything else.

use clap::Parser;
use snapstart_worker::cli::{self, Cli, Command};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    if let Err(e) = snapstart_telemetry::logs::init() {
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
