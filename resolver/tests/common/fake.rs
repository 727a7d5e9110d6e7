//! An in-memory run (`WORKFLOW_ID`/`RUN_ID`) holding any number of candidates. It answers the
//! `status`, `candidates` and `functions` queries with the workflow's paging semantics
//! (proto/src/candidates.rs) and `decide` with its selection rules (worker/src/decision.rs),
//! records every call, and answers `NotFound` for any other workflow id or run id.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use serde_json::Value;
use snapstart_proto::{
    approval::parse_decision,
    candidates, selection,
    status::{CandidatePage, CandidatesQuery, DecisionRecord, FunctionGroup, FunctionPage, FunctionsQuery, RunStatus, PHASE_AWAITING_APPROVAL, SHOWN_VERSIONS, STATUS_CANDIDATES},
    v1::{ReportRow, ReportSummary, VersionRef},
};
use snapstart_resolver::{MessengerError, RunMessenger};
use tokio::sync::Semaphore;

use super::NOW;

/// The one run the fake knows: links for any other workflow id or run id find nothing.
pub const WORKFLOW_ID: &str = "wf-1";
pub const RUN_ID: &str = "run-1";

type MakeError = Mutex<Option<fn() -> MessengerError>>;

#[derive(Default)]
pub struct FakeRun {
    /// The whole candidate list, in the run's order.
    pub rows: Vec<ReportRow>,
    pub status: Mutex<RunStatus>,
    pub status_error: MakeError,
    pub pages_error: MakeError,
    pub decide_error: MakeError,
    pub status_calls: Mutex<usize>,
    /// `(query name, offset, limit)` of every `candidates` and `functions` query.
    pub page_calls: Mutex<Vec<(&'static str, u32, u32)>>,
    pub decide_calls: Mutex<Vec<(String, String, Value)>>,
    /// When set, `status` waits for a permit (tests hold requests in flight with it).
    pub gate: Mutex<Option<Arc<Semaphore>>>,
}

impl FakeRun {
    /// A run waiting for a decision on `candidates`.
    pub fn waiting(candidates: Vec<ReportRow>) -> Arc<Self> {
        let summary = ReportSummary { candidates: candidates.len() as u32, estimated_monthly_saving_usd: 12.5, region: "us-west-2".into(), ..Default::default() };
        let status = RunStatus {
            phase: PHASE_AWAITING_APPROVAL.into(),
            deadline: Some("2023-11-21T22:13:20Z".into()),
            deadline_unix: Some(NOW + 3600),
            candidates: candidates.iter().take(STATUS_CANDIDATES).cloned().collect(),
            candidates_total: candidates.len() as u32,
            candidates_digest: selection::digest(candidates.iter().map(|c| (c.function_name.as_str(), c.version.as_str()))),
            summary: Some(summary),
            ..Default::default()
        };
        Arc::new(Self { rows: candidates, status: Mutex::new(status), ..Default::default() })
    }

    /// A waiting run with `functions` functions of `versions` candidates each, interleaved the
    /// way a scan lists them (function by function is not guaranteed).
    pub fn large(functions: usize, versions: usize) -> Arc<Self> {
        let rows = (0..functions * versions).map(|i| super::row(&format!("fn-{:04}", i % functions), &(1 + i / functions).to_string())).collect();
        Self::waiting(rows)
    }

    pub fn decides(&self) -> Vec<(String, String, Value)> {
        self.decide_calls.lock().unwrap().clone()
    }

    pub fn pages(&self) -> Vec<(&'static str, u32, u32)> {
        self.page_calls.lock().unwrap().clone()
    }

    fn check_run(workflow_id: &str, run_id: &str) -> Result<(), MessengerError> {
        if (workflow_id, run_id) != (WORKFLOW_ID, RUN_ID) {
            return Err(MessengerError::NotFound);
        }
        Ok(())
    }

    fn injected(error: &MakeError) -> Result<(), MessengerError> {
        error.lock().unwrap().map_or(Ok(()), |make| Err(make()))
    }

    /// Every function with candidates, in order of first appearance.
    pub fn groups(&self) -> Vec<FunctionGroup> {
        candidates::groups(&self.rows)
    }

    /// The candidate indexes a `decide` payload approves, by the workflow's rules.
    pub fn resolve(&self, decision: &Value) -> Result<(Vec<u32>, Vec<VersionRef>), MessengerError> {
        let input = parse_decision(decision).map_err(MessengerError::Invalid)?;
        let (approved, ignored) = match (&input.approved_versions, &input.selection) {
            _ if !input.approved => (vec![], vec![]),
            (Some(_), Some(_)) => return Err(MessengerError::Invalid("give approved_versions or selection, not both".into())),
            (None, None) => ((0..self.rows.len() as u32).collect(), vec![]),
            (Some(named), None) => self.by_name(named),
            (None, Some(sel)) => {
                if sel.candidates_digest != self.status.lock().unwrap().candidates_digest {
                    return Err(MessengerError::Invalid("the selection was made for another candidate list".into()));
                }
                let bits = selection::decode(&sel.approved_indexes, self.rows.len()).map_err(|e| MessengerError::Invalid(e.to_string()))?;
                (bits.iter().enumerate().filter(|(_, b)| **b).map(|(i, _)| i as u32).collect(), vec![])
            }
        };
        if input.approved && approved.is_empty() {
            return Err(MessengerError::EmptySelection("this approval selects no candidate".into()));
        }
        Ok((approved, ignored))
    }

    fn by_name(&self, named: &[VersionRef]) -> (Vec<u32>, Vec<VersionRef>) {
        let (mut approved, mut ignored) = (Vec::new(), Vec::new());
        for v in named {
            match self.rows.iter().position(|r| r.function_name == v.function_name && r.version == v.version) {
                Some(i) if !approved.contains(&(i as u32)) => approved.push(i as u32),
                Some(_) => {}
                None => ignored.push(v.clone()),
            }
        }
        approved.sort_unstable();
        (approved, ignored)
    }

    fn record(&self, decision: &Value, approved: &[u32], ignored: Vec<VersionRef>) -> DecisionRecord {
        let refs = approved.iter().take(SHOWN_VERSIONS).map(|i| &self.rows[*i as usize]).map(|r| VersionRef { function_name: r.function_name.clone(), version: r.version.clone(), account_id: r.account_id.clone(), region: r.region.clone() });
        DecisionRecord {
            approved: decision["approved"].as_bool().unwrap(),
            approver: decision["approver"].as_str().map(String::from),
            decided_at: "2023-11-14T22:20:00Z".into(),
            decision_source: decision["decision_source"].as_str().map(String::from),
            approved_count: approved.len() as u32,
            approved_versions: refs.collect(),
            ignored_versions_total: ignored.len() as u32,
            ignored_versions: ignored,
        }
    }
}

#[async_trait]
impl RunMessenger for FakeRun {
    async fn status(&self, workflow_id: &str, run_id: &str) -> Result<RunStatus, MessengerError> {
        *self.status_calls.lock().unwrap() += 1;
        let gate = self.gate.lock().unwrap().clone();
        if let Some(gate) = gate {
            gate.acquire().await.unwrap().forget();
        }
        Self::check_run(workflow_id, run_id)?;
        Self::injected(&self.status_error)?;
        Ok(self.status.lock().unwrap().clone())
    }

    async fn candidates(&self, workflow_id: &str, run_id: &str, query: &CandidatesQuery) -> Result<CandidatePage, MessengerError> {
        self.page_calls.lock().unwrap().push(("candidates", query.offset, query.limit));
        Self::check_run(workflow_id, run_id)?;
        Self::injected(&self.pages_error)?;
        Ok(candidates::page(&self.rows, query))
    }

    async fn functions(&self, workflow_id: &str, run_id: &str, query: &FunctionsQuery) -> Result<FunctionPage, MessengerError> {
        self.page_calls.lock().unwrap().push(("functions", query.offset, query.limit));
        Self::check_run(workflow_id, run_id)?;
        Self::injected(&self.pages_error)?;
        Ok(candidates::function_page(&self.rows, query))
    }

    async fn decide(&self, workflow_id: &str, run_id: &str, decision: Value) -> Result<DecisionRecord, MessengerError> {
        self.decide_calls.lock().unwrap().push((workflow_id.into(), run_id.into(), decision.clone()));
        Self::check_run(workflow_id, run_id)?;
        Self::injected(&self.decide_error)?;
        let (approved, ignored) = self.resolve(&decision)?;
        Ok(self.record(&decision, &approved, ignored))
    }
}
