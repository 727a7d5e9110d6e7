//! Progress of `scan` on stderr: one line that updates in place on a terminal, a log line every
//! few seconds otherwise (CI logs, pipes). Standard output keeps only the report, so
//! `--format json` is unchanged.

use std::{
    io::{IsTerminal, Write},
    sync::Arc,
    time::Duration,
};

use crate::{aws::CallCounter, scan::progress::ScanProgress};

/// How often a terminal line is redrawn, and a log line written.
const TERMINAL_EVERY: Duration = Duration::from_millis(250);
const LOG_EVERY: Duration = Duration::from_secs(5);

/// The progress line: phase, units done, AWS calls and throttled attempts so far.
pub fn line(progress: &ScanProgress, calls: &CallCounter) -> String {
    let (made, throttled) = calls.totals();
    format!("{} · {made} AWS calls · {throttled} throttled", progress.snapshot())
}

/// Reports until aborted.
pub async fn report(progress: Arc<ScanProgress>, calls: Arc<CallCounter>) {
    let terminal = std::io::stderr().is_terminal();
    loop {
        tokio::time::sleep(if terminal { TERMINAL_EVERY } else { LOG_EVERY }).await;
        let text = line(&progress, &calls);
        if terminal {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[2K{text}");
            let _ = err.flush();
        } else {
            tracing::info!("{text}");
        }
    }
}

/// Ends the terminal line so what follows starts on a fresh one.
pub fn finish() {
    if std::io::stderr().is_terminal() {
        eprintln!();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_names_the_step_its_counts_calls_and_throttles() {
        let (progress, calls) = (ScanProgress::default(), CallCounter::default());
        progress.start("confirm-state: versions read", 10);
        progress.advance(4);
        calls.record("GetFunctionConfiguration");
        calls.record("GetFunctionConfiguration");
        calls.record_throttle("GetFunctionConfiguration");

        assert_eq!(line(&progress, &calls), "confirm-state: versions read: 4 / 10 · 2 AWS calls · 1 throttled");
    }
}
