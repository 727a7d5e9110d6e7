//! Shared test fixtures: an in-memory [`RunMessenger`] that records every call, signed links, and
//! one-shot request helpers against `app()` (no socket).
#![allow(dead_code)]

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use axum::{
    body::Body,
    http::{HeaderMap, Request, StatusCode},
    Router,
};
use serde_json::Value;
use snapstart_proto::{
    links::{Claims, Decision, LinkSecret},
    status::{DecisionRecord, RunStatus, PHASE_AWAITING_APPROVAL},
    v1::{ReportRow, ReportSummary, VersionRef},
};
use snapstart_resolver::{app, AppState, MessengerError, RunMessenger};
use tower::ServiceExt;

pub const NOW: i64 = 1_700_000_000;
/// The one run the fake knows: links for any other workflow id or run id find nothing.
pub const WORKFLOW_ID: &str = "wf-1";
pub const RUN_ID: &str = "run-1";
pub const PUBLIC_URL: &str = "https://resolver.example.com";
pub const ORIGIN: &str = "https://resolver.example.com";

/// A fake run (`WORKFLOW_ID`/`RUN_ID`): answers `status` from `status`, `decide` like the
/// workflow would, records calls, and answers `NotFound` for any other workflow id or run id.
#[derive(Default)]
pub struct FakeRun {
    pub status: Mutex<RunStatus>,
    pub status_error: Mutex<Option<fn() -> MessengerError>>,
    pub decide_error: Mutex<Option<fn() -> MessengerError>>,
    pub status_calls: Mutex<usize>,
    pub decide_calls: Mutex<Vec<(String, String, Value)>>,
}

impl FakeRun {
    pub fn waiting(candidates: Vec<ReportRow>) -> Arc<Self> {
        let summary = ReportSummary { candidates: candidates.len() as u32, estimated_monthly_saving_usd: 12.5, ..Default::default() };
        let status = RunStatus {
            phase: PHASE_AWAITING_APPROVAL.into(),
            deadline: Some("2023-11-21T22:13:20Z".into()),
            deadline_unix: Some(NOW + 3600),
            candidates,
            summary: Some(summary),
            ..Default::default()
        };
        Arc::new(Self { status: Mutex::new(status), ..Default::default() })
    }

    pub fn decides(&self) -> Vec<(String, String, Value)> {
        self.decide_calls.lock().unwrap().clone()
    }
}

#[async_trait]
impl RunMessenger for FakeRun {
    async fn status(&self, workflow_id: &str, run_id: &str) -> Result<RunStatus, MessengerError> {
        *self.status_calls.lock().unwrap() += 1;
        if (workflow_id, run_id) != (WORKFLOW_ID, RUN_ID) {
            return Err(MessengerError::NotFound);
        }
        match *self.status_error.lock().unwrap() {
            Some(make) => Err(make()),
            None => Ok(self.status.lock().unwrap().clone()),
        }
    }

    async fn decide(&self, workflow_id: &str, run_id: &str, decision: Value) -> Result<DecisionRecord, MessengerError> {
        self.decide_calls.lock().unwrap().push((workflow_id.into(), run_id.into(), decision.clone()));
        if (workflow_id, run_id) != (WORKFLOW_ID, RUN_ID) {
            return Err(MessengerError::NotFound);
        }
        if let Some(make) = *self.decide_error.lock().unwrap() {
            return Err(make());
        }
        let versions = decision["approved_versions"].as_array().cloned().unwrap_or_default();
        Ok(DecisionRecord {
            approved: decision["approved"].as_bool().unwrap(),
            approver: decision["approver"].as_str().map(String::from),
            decided_at: "2023-11-14T22:20:00Z".into(),
            decision_source: decision["decision_source"].as_str().map(String::from),
            approved_versions: versions
                .iter()
                .map(|v| VersionRef { function_name: v["function_name"].as_str().unwrap().into(), version: v["version"].as_str().unwrap().into() })
                .collect(),
            ..Default::default()
        })
    }
}

pub fn row(function_name: &str, version: &str) -> ReportRow {
    ReportRow {
        function_name: function_name.into(),
        version: version.into(),
        age_days: Some(40.25),
        version_last_invoked_utc: Some("2023-09-01T00:00:00Z".into()),
        estimated_monthly_cost_usd: 6.25,
        reason_flags: vec!["no_invocations_in_lookback".into()],
        candidate_for_deletion: true,
        ..Default::default()
    }
}

pub fn secret() -> LinkSecret {
    LinkSecret::new(vec![42u8; 32]).unwrap()
}

/// The claims of a live link to the fake run, expiring an hour after `NOW`.
pub fn live_claims(decision: Decision) -> Claims {
    Claims { workflow_id: WORKFLOW_ID.into(), run_id: RUN_ID.into(), decision, expires_unix: NOW + 3600 }
}

/// A live link token for `decision`.
pub fn token(decision: Decision) -> String {
    secret().sign(&live_claims(decision))
}

/// When `expired_token` expired: one second before `NOW`.
pub const EXPIRED_AT: i64 = NOW - 1;

/// `token(decision)` with only the expiry moved into the past: same workflow id, run id,
/// decision and secret, so expiry is the only reason it can be refused.
pub fn expired_token(decision: Decision) -> String {
    secret().sign(&Claims { expires_unix: EXPIRED_AT, ..live_claims(decision) })
}

pub fn router(run: &Arc<FakeRun>) -> Router {
    router_at(run, NOW)
}

/// The app with its clock fixed at `now`.
pub fn router_at(run: &Arc<FakeRun>, now: i64) -> Router {
    let state = AppState::new(run.clone(), secret(), url::Url::parse(PUBLIC_URL).unwrap()).with_clock(move || now);
    app(state)
}

pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

pub async fn send(run: &Arc<FakeRun>, request: Request<Body>) -> Answer {
    send_at(run, NOW, request).await
}

/// `send` with the app's clock at `now`.
pub async fn send_at(run: &Arc<FakeRun>, now: i64, request: Request<Body>) -> Answer {
    let response = router_at(run, now).oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
    Answer { status, headers, body: String::from_utf8(bytes.to_vec()).unwrap() }
}

pub async fn get(run: &Arc<FakeRun>, uri: &str) -> Answer {
    send(run, Request::get(uri).body(Body::empty()).unwrap()).await
}

pub fn link(decision: Decision, token: &str) -> String {
    format!("/{}?token={}", decision.as_str(), url::form_urlencoded::byte_serialize(token.as_bytes()).collect::<String>())
}

/// A form body from pairs (repeats allowed).
pub fn form(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish()
}

/// A form POST to `path`, with an `Origin` header when given.
pub fn post_request(path: &str, body: String, origin: Option<&str>) -> Request<Body> {
    let mut request = Request::post(path).header("content-type", "application/x-www-form-urlencoded");
    if let Some(origin) = origin {
        request = request.header("origin", origin);
    }
    request.body(Body::from(body)).unwrap()
}

pub async fn post(run: &Arc<FakeRun>, path: &str, body: String, origin: Option<&str>) -> Answer {
    send(run, post_request(path, body, origin)).await
}

/// The `<h1>` title of a page, so a test can tell which refusal it got.
pub fn title(page: &Answer) -> &str {
    page.body.split_once("<h1>").and_then(|(_, rest)| rest.split_once("</h1>")).map_or("", |(t, _)| t)
}

/// A POST the confirmation page would send for `decision`, with the given checked rows.
pub async fn confirm(run: &Arc<FakeRun>, decision: Decision, approver: &str, versions: &[&str]) -> Answer {
    let token = token(decision);
    let csrf = secret().csrf_for(&token);
    let mut pairs = vec![("token", token.as_str()), ("csrf", csrf.as_str()), ("approver", approver)];
    pairs.extend(versions.iter().map(|v| ("versions", *v)));
    post(run, &format!("/{}", decision.as_str()), form(&pairs), Some(ORIGIN)).await
}
