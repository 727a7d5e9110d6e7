//! Histories recorded by earlier releases (worker/tests/histories/<release>/*.json) replay
//! against the current workflow code. Runs wait up to 7 days, so a new worker meets histories
//! the old one wrote: a change to the workflow's commands that breaks one of these needs a
//! `patched` marker or a new workflow type. Record a release's histories with
//! `SNAPSTART_RECORD_HISTORIES=<dir> scripts/test.sh`.

mod common;

use std::path::PathBuf;

use temporalio_client::WorkflowHistory;

fn recorded() -> Vec<PathBuf> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/histories");
    let mut files = Vec::new();
    for release in std::fs::read_dir(&root).unwrap() {
        for file in std::fs::read_dir(release.unwrap().path()).unwrap() {
            let path = file.unwrap().path();
            if path.extension().is_some_and(|e| e == "json") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

#[tokio::test]
async fn every_recorded_history_of_an_earlier_release_replays() {
    let files = recorded();
    assert!(files.len() >= 6, "recorded histories are missing: {files:?}");

    for path in files {
        let bytes = std::fs::read(&path).unwrap();
        let history = WorkflowHistory::from_json(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        println!("replaying {}", path.display());
        common::replay(history).await;
    }
}
