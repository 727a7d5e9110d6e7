//! The handlers. `GET`/`HEAD /approve|/reject?token=…` verify the link and show a confirmation
//! page, changing nothing (mail scanners prefetch links); `POST` to the same path, from this
//! origin and with the CSRF token bound to the link, delivers the decision and shows what the run
//! recorded.

use axum::{
    body::Bytes,
    extract::{RawQuery, State},
    http::{header, HeaderMap, StatusCode},
    response::Html,
    routing::get,
    Router,
};
use serde_json::{json, Value};
use snapstart_proto::{
    approval::MAX_TEXT,
    links::{fingerprint, Claims, Decision},
    status::{RunStatus, PHASE_AWAITING_APPROVAL},
};

use crate::{error::AppError, messenger::MessengerError, pages, AppState};

/// The routes, without the security-header layer (see [`crate::app`]).
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/approve", get(show_approve).post(accept_approve))
        .route("/reject", get(show_reject).post(accept_reject))
        .fallback(|| async { (StatusCode::NOT_FOUND, Html(pages::not_found_path())) })
        .with_state(state)
}

type Page = Result<Html<String>, AppError>;

async fn show_approve(State(state): State<AppState>, RawQuery(query): RawQuery) -> Page {
    show(&state, Decision::Approve, query.as_deref().unwrap_or_default()).await
}

async fn show_reject(State(state): State<AppState>, RawQuery(query): RawQuery) -> Page {
    show(&state, Decision::Reject, query.as_deref().unwrap_or_default()).await
}

async fn accept_approve(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Page {
    accept(&state, Decision::Approve, &headers, &body).await
}

async fn accept_reject(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Page {
    accept(&state, Decision::Reject, &headers, &body).await
}

/// Read-only: verify the link, read the run, render the confirmation (or the truthful state).
async fn show(state: &AppState, decision: Decision, query: &str) -> Page {
    let fields = Fields::parse(query.as_bytes());
    let token = fields.first("token").ok_or(AppError::MissingToken)?;
    let claims = verify(state, token, decision)?;
    let status = state.messenger.status(&claims.workflow_id, &claims.run_id).await?;
    ensure_waiting(&status)?;
    tracing::info!(link = %fingerprint(token), workflow_id = %claims.workflow_id, decision = decision.as_str(), "confirmation page shown");
    Ok(Html(pages::confirm(decision, &status, token, &state.secret.csrf_for(token))))
}

/// The only path that changes anything: checks origin, link and CSRF, then sends `decide`.
async fn accept(state: &AppState, decision: Decision, headers: &HeaderMap, body: &[u8]) -> Page {
    check_origin(state, headers)?;
    let fields = Fields::parse(body);
    let token = fields.first("token").ok_or(AppError::MissingToken)?;
    let claims = verify(state, token, decision)?;
    let csrf = fields.first("csrf").unwrap_or_default();
    if !state.secret.verify_csrf(token, csrf) {
        return Err(AppError::BadCsrf);
    }
    let approver = approver(fields.first("approver"))?;
    let status = state.messenger.status(&claims.workflow_id, &claims.run_id).await?;
    ensure_waiting(&status)?;
    let payload = match decision {
        Decision::Approve => json!({"approved": true, "approver": approver, "approved_versions": checked_versions(&fields, &status)?, "decision_source": "email-link"}),
        Decision::Reject => json!({"approved": false, "approver": approver, "decision_source": "email-link"}),
    };
    let record = state.messenger.decide(&claims.workflow_id, &claims.run_id, payload).await.map_err(|e| match e {
        MessengerError::Timeout => AppError::Unconfirmed,
        other => AppError::Run(other),
    })?;
    tracing::info!(link = %fingerprint(token), workflow_id = %claims.workflow_id, approved = record.approved, versions = record.approved_versions.len(), "decision recorded");
    Ok(Html(pages::accepted(&record, Some(status.dry_run))))
}

fn verify(state: &AppState, token: &str, decision: Decision) -> Result<Claims, AppError> {
    state.secret.verify(token, decision, (state.clock)()).map_err(|e| {
        tracing::info!(link = %fingerprint(token), reason = %e, "link refused");
        AppError::Link(e)
    })
}

/// A decided or moving-on run gets the truthful page, never a form.
fn ensure_waiting(status: &RunStatus) -> Result<(), AppError> {
    if let Some(record) = &status.decision {
        return Err(MessengerError::AlreadyDecided(pages::decision_sentence(record)).into());
    }
    if status.phase != PHASE_AWAITING_APPROVAL {
        return Err(MessengerError::NotWaiting(phase_words(&status.phase)).into());
    }
    Ok(())
}

fn phase_words(phase: &str) -> String {
    match phase {
        "done" => "the run has finished".into(),
        "rejected" => "the run was rejected".into(),
        "timed_out" => "the approval deadline passed; nothing was deleted".into(),
        "no_candidates" => "the run found nothing to delete".into(),
        "invalid_input" => "the run stopped on invalid input".into(),
        "" => "the run has not reported its state yet".into(),
        other => format!("the run is in phase {other}"),
    }
}

/// If the browser says where the form came from, it must be this resolver's public origin.
fn check_origin(state: &AppState, headers: &HeaderMap) -> Result<(), AppError> {
    if let Some(origin) = headers.get(header::ORIGIN) {
        let origin = String::from_utf8_lossy(origin.as_bytes()).into_owned();
        let same = url::Url::parse(&origin).is_ok_and(|u| u.origin().ascii_serialization() == state.public_origin());
        return if same { Ok(()) } else { Err(AppError::CrossOrigin(origin)) };
    }
    match headers.get("sec-fetch-site") {
        Some(site) if site == "cross-site" => Err(AppError::CrossOrigin("Sec-Fetch-Site: cross-site".into())),
        _ => Ok(()),
    }
}

fn approver(name: Option<&str>) -> Result<Value, AppError> {
    match name.map(str::trim).filter(|n| !n.is_empty()) {
        None => Ok(Value::Null),
        Some(n) if n.chars().count() > MAX_TEXT => Err(AppError::BadForm(format!("Your name is longer than {MAX_TEXT} characters"))),
        Some(n) => Ok(Value::String(n.to_string())),
    }
}

/// The checked rows that are candidates of this run; at least one is required.
fn checked_versions(fields: &Fields, status: &RunStatus) -> Result<Vec<Value>, AppError> {
    let mut out: Vec<Value> = Vec::new();
    for value in fields.all("versions") {
        let (function_name, version) = value.rsplit_once(':').filter(|(f, v)| !f.is_empty() && !v.is_empty()).ok_or_else(|| AppError::BadForm("A checked row could not be read".into()))?;
        let is_candidate = status.candidates.iter().any(|c| c.function_name == function_name && c.version == version);
        let item = json!({"function_name": function_name, "version": version});
        if is_candidate && !out.contains(&item) {
            out.push(item);
        }
    }
    if out.is_empty() {
        return Err(AppError::NoRowsChecked);
    }
    Ok(out)
}

/// Decoded `application/x-www-form-urlencoded` pairs (query string or POST body), repeats kept.
struct Fields(Vec<(String, String)>);

impl Fields {
    fn parse(bytes: &[u8]) -> Self {
        Self(url::form_urlencoded::parse(bytes).into_owned().collect())
    }

    fn first(&self, key: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str()).filter(|v| !v.is_empty())
    }

    fn all<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0.iter().filter(move |(k, _)| k == key).map(|(_, v)| v.as_str())
    }
}

