//! Shared test fixtures: an in-memory run (`fake.rs`), the confirm page's form as a browser
//! submits it (`page_form.rs`), signed links, and one-shot request helpers against `app()` (no
//! socket).
#![allow(dead_code)]

mod fake;
mod page_form;

use std::sync::Arc;

use axum::{
    body::Body,
    http::{HeaderMap, Request, StatusCode},
    Router,
};
use snapstart_proto::{
    links::{Claims, Decision, LinkSecret},
    v1::ReportRow,
};
use snapstart_resolver::{app, AppState};
use tower::ServiceExt;

pub use fake::{FakeRun, RUN_ID, WORKFLOW_ID};
pub use page_form::PageForm;

pub const NOW: i64 = 1_700_000_000;
pub const PUBLIC_URL: &str = "https://resolver.example.com";
pub const ORIGIN: &str = "https://resolver.example.com";

pub fn row(function_name: &str, version: &str) -> ReportRow {
    ReportRow {
        function_name: function_name.into(),
        version: version.into(),
        age_days: Some(40.25),
        version_last_invoked_utc: Some("2023-09-01T00:00:00Z".into()),
        estimated_monthly_cost_usd: 6.25,
        runtime: "python3.12".into(),
        memory_size_mb: 2048,
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

/// The state of the app under test: the fake run, the test secret, the clock fixed at `now`.
pub fn state_at(run: &Arc<FakeRun>, now: i64) -> AppState {
    AppState::new(run.clone(), secret(), url::Url::parse(PUBLIC_URL).unwrap()).with_clock(move || now)
}

/// The app with its clock fixed at `now`.
pub fn router_at(run: &Arc<FakeRun>, now: i64) -> Router {
    app(state_at(run, now))
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
    send_to(router_at(run, now), request).await
}

/// One request to `router`.
pub async fn send_to(router: Router, request: Request<Body>) -> Answer {
    let response = router.oneshot(request).await.unwrap();
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

/// A POST of the earlier form for `decision`, naming the checked rows `function:version`.
pub async fn confirm(run: &Arc<FakeRun>, decision: Decision, approver: &str, versions: &[&str]) -> Answer {
    let token = token(decision);
    let csrf = secret().csrf_for(&token);
    let mut pairs = vec![("token", token.as_str()), ("csrf", csrf.as_str()), ("approver", approver)];
    pairs.extend(versions.iter().map(|v| ("versions", *v)));
    post(run, &format!("/{}", decision.as_str()), form(&pairs), Some(ORIGIN)).await
}

/// The confirm page of a live link for `decision`, and its form as a browser would submit it.
pub async fn open_page(run: &Arc<FakeRun>, decision: Decision) -> (Answer, PageForm) {
    let page = get(run, &link(decision, &token(decision))).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let form = PageForm::parse(&page.body);
    (page, form)
}

/// Submits `form` from the confirm page of `decision`, as a browser on this origin would.
pub async fn submit(run: &Arc<FakeRun>, decision: Decision, form: &PageForm) -> Answer {
    post(run, &format!("/{}", decision.as_str()), form.body(), Some(ORIGIN)).await
}

/// The candidate indexes the one recorded `decide` call approved, by the workflow's rules.
pub fn approved_indexes(run: &FakeRun) -> Vec<u32> {
    let calls = run.decides();
    assert_eq!(calls.len(), 1, "exactly one decide call");
    run.resolve(&calls[0].2).unwrap().0
}
