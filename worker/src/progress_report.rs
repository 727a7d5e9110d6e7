//! Progress of `scan` on stderr: one line that updates in place on a terminal, a log line every
//! few seconds otherwise (CI logs, pipes). Standard output keeps only the report, so
//! `--format json` is unchanged.

use std::{
    io::{IsTerminal, Write},
    sync::Arc,
    time::Duration,
};

use snapstart_scan::fanout::Current;

/// How often a terminal line is redrawn, and a log line written.
const TERMINAL_EVERY: Duration = Duration::from_millis(250);
const LOG_EVERY: Duration = Duration::from_secs(5);

/// Reports the phase running now until aborted: phase, units done, AWS calls and throttled
/// attempts so far (see [`Fanout::line`]).
pub async fn report(current: Arc<Current>) {
    let terminal = std::io::stderr().is_terminal();
    loop {
        tokio::time::sleep(if terminal { TERMINAL_EVERY } else { LOG_EVERY }).await;
        let line = current.lock().expect("current poisoned").as_ref().map(|f| f.line());
        if let Some(line) = line {
            show(&line);
        }
    }
}

/// Shows one progress line: in place on a terminal, as a log line otherwise.
pub fn show(text: &str) {
    if std::io::stderr().is_terminal() {
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r\x1b[2K{text}");
        let _ = err.flush();
    } else {
        tracing::info!("{text}");
    }
}

/// How often `start --wait` reports (a terminal line is cheap; a log line every 5 s).
pub fn every() -> Duration {
    if std::io::stderr().is_terminal() { Duration::from_secs(1) } else { LOG_EVERY }
}

/// The progress a pending activity's heartbeat carries (scan phases and deletion), if readable.
pub fn heartbeat_line(data: &[u8], message_type: Option<&[u8]>) -> Option<String> {
    use prost::{Message, Name};
    use snapstart_proto::v1::{DeleteProgress, ScanHeartbeat};
    let kind = message_type?;
    if kind == ScanHeartbeat::full_name().as_bytes() {
        let beat = ScanHeartbeat::decode(data).ok()?;
        return Some(format!("{}: {} / {}", beat.step, beat.done, beat.total));
    }
    if kind == DeleteProgress::full_name().as_bytes() {
        let p = DeleteProgress::decode(data).ok()?;
        let outcomes: Vec<String> = p.outcomes.iter().map(|(k, v)| format!("{k} {v}")).collect();
        return Some(format!("delete-versions: {} / {} ({})", p.done, p.total, outcomes.join(", ")));
    }
    None
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
    fn heartbeats_of_scan_phases_and_deletion_read_as_progress_lines() {
        use prost::{Message, Name};
        use snapstart_proto::v1::{DeleteProgress, ScanHeartbeat};
        let scan = ScanHeartbeat { step: "stage-b: functions' aliases listed".into(), done: 620, total: 1000, checkpoint: None };
        let delete = DeleteProgress { done: 3, total: 7, outcomes: [("deleted".to_string(), 2), ("error".to_string(), 1)].into(), results: None };

        let scan_line = heartbeat_line(&scan.encode_to_vec(), Some(ScanHeartbeat::full_name().as_bytes()));
        let delete_line = heartbeat_line(&delete.encode_to_vec(), Some(DeleteProgress::full_name().as_bytes()));

        assert_eq!(scan_line.as_deref(), Some("stage-b: functions' aliases listed: 620 / 1000"));
        assert_eq!(delete_line.as_deref(), Some("delete-versions: 3 / 7 (deleted 2, error 1)"));
        assert_eq!(heartbeat_line(b"\x08\x01", None), None, "no type named: not guessed");
    }
}
