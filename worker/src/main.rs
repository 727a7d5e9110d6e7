//! `snapstart-cleaner`: wiring only; see the library for everything else.

use clap::Parser;
use snapstart_worker::cli::{self, Cli, Command};

/// glibc gives threads that allocate at the same time arenas of their own (up to 8 per core) and
/// seldom hands their free memory back, so the worker's RSS grows with every thread that touched
/// a large working set: at 1,000 functions × 10 versions one arena keeps its peak near 53 MB
/// instead of 63–66 MB (docs/benchmarks.md). glibc reads `MALLOC_ARENA_MAX` before the first
/// allocation, so a process started without it replaces itself, once, with one that has it; an
/// operator's own value is kept. If that fails, it runs on as it is.
fn one_malloc_arena() {
    use std::os::unix::process::CommandExt;
    if std::env::var_os("MALLOC_ARENA_MAX").is_some() {
        return;
    }
    let Ok(exe) = std::env::current_exe() else { return };
    let mut args = std::env::args_os();
    let arg0 = args.next().unwrap_or_else(|| exe.clone().into_os_string());
    let error = std::process::Command::new(&exe).arg0(arg0).args(args).env("MALLOC_ARENA_MAX", "1").exec();
    eprintln!("warning: could not restart with MALLOC_ARENA_MAX=1 ({error}); running with glibc's default arenas");
}

fn main() -> anyhow::Result<()> {
    one_malloc_arena();
    run()
}

#[tokio::main]
async fn run() -> anyhow::Result<()> {
    if let Err(e) = snapstart_telemetry::logs::init() {
        eprintln!("error: {e}");
        std::process::exit(2);
    }
    match Cli::parse().command {
        Command::Worker(args) => cli::worker(args).await,
        Command::Start(args) => cli::start(args).await,
        Command::Scan(args) => cli::scan(args).await,
        Command::Schedule(args) => snapstart_worker::schedule::run(args).await,
        Command::Restore(args) => snapstart_worker::restore_cli::restore(args).await,
    }
}
