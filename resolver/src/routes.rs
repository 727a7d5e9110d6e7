//! The handlers. `GET`/`HEAD /approve|/reject?token=…` verify the link and show a confirmation
//! page, changing nothing (mail scanners prefetch links); `POST` to the same path, from this
//! origin and with the CSRF token bound to the link, delivers the decision and shows what the run
//! recorded. An expired link, correctly signed, shows what its run recorded instead.

use axum::{
    body::Bytes,
    extract::{rejection::BytesRejection, DefaultBodyLimit, RawQuery, State},
    http::{header, HeaderMap, StatusCode},
    middleware::from_fn_with_state,
    response::Html,
    routing::get,
    Router,
};
use serde_json::json;
use snapstart_proto::links::{fingerprint, Claims, Decision, LinkError};
use tokio::sync::OwnedSemaphorePermit;

use crate::{
    error::AppError,
    form::{approver, Fields},
    limits,
    listing::{self, RunRef},
    messenger::MessengerError,
    pages,
    pages::fields,
    selection::{self, Asked},
    truth, AppState,
};

/// The routes, without the security-header layer (see [`crate::app`]). Link routes share one
/// deadline, read a form's body first within its own, and take one of the in-flight permits once
/// the link verifies; `/healthz` is outside them so probes see a busy server as alive.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/approve", get(show_approve).post(accept_approve))
        .route("/reject", get(show_reject).post(accept_reject))
        .route_layer(from_fn_with_state(state.limits, limits::body_first))
        .route_layer(from_fn_with_state(state.limits, limits::deadline))
        .layer(DefaultBodyLimit::max(state.limits.max_body_bytes))
        .route("/healthz", get(|| async { "ok" }))
        .fallback(|| async { (StatusCode::NOT_FOUND, Html(pages::not_found_path())) })
        .with_state(state)
}

type Page = Result<Html<String>, AppError>;
type Body = Result<Bytes, BytesRejection>;

async fn show_approve(State(state): State<AppState>, RawQuery(query): RawQuery) -> Page {
    show(&state, Decision::Approve, query.as_deref().unwrap_or_default()).await
}

async fn show_reject(State(state): State<AppState>, RawQuery(query): RawQuery) -> Page {
    show(&state, Decision::Reject, query.as_deref().unwrap_or_default()).await
}

async fn accept_approve(State(state): State<AppState>, headers: HeaderMap, body: Body) -> Page {
    accept(&state, Decision::Approve, &headers, body).await
}

async fn accept_reject(State(state): State<AppState>, headers: HeaderMap, body: Body) -> Page {
    accept(&state, Decision::Reject, &headers, body).await
}

fn run_of(claims: &Claims) -> RunRef<'_> {
    RunRef { workflow_id: &claims.workflow_id, run_id: &claims.run_id }
}

/// Read-only: verify the link, read the run, render the confirmation (or the truthful state).
async fn show(state: &AppState, decision: Decision, query: &str) -> Page {
    let form = Fields::parse(query.as_bytes());
    let token = form.first("token").ok_or(AppError::MissingToken)?;
    let (claims, _permit) = verify(state, token, decision).await?;
    let status = state.messenger.status(&claims.workflow_id, &claims.run_id).await?;
    truth::ensure_waiting(&status)?;
    let csrf = state.secret.csrf_for(token);
    let html = match decision {
        Decision::Approve => {
            let listing = listing::listing(state.messenger.as_ref(), run_of(&claims), status.candidates_total).await?;
            pages::approve(&status, &listing, token, &csrf)
        }
        Decision::Reject => pages::reject(&status, token, &csrf),
    };
    tracing::info!(link = %fingerprint(token), workflow_id = %claims.workflow_id, decision = decision.as_str(), "confirmation page shown");
    Ok(Html(html))
}

/// The only path that changes anything: checks origin, link, CSRF and name, then sends `decide`.
async fn accept(state: &AppState, decision: Decision, headers: &HeaderMap, body: Body) -> Page {
    check_origin(state, headers)?;
    let form = Fields::parse(&body.map_err(limits::body_error)?);
    let token = form.first("token").ok_or(AppError::MissingToken)?;
    let (claims, _permit) = verify(state, token, decision).await?;
    if !state.secret.verify_csrf(token, form.first("csrf").unwrap_or_default()) {
        return Err(AppError::BadCsrf);
    }
    let approver = approver(form.first(fields::APPROVER))?;
    let asked = if decision == Decision::Approve { Some(Asked::from_fields(&form)?) } else { None };
    let status = state.messenger.status(&claims.workflow_id, &claims.run_id).await?;
    truth::ensure_waiting(&status)?;
    let payload = match asked {
        Some(asked) => selection::approval(state.messenger.as_ref(), run_of(&claims), &status, approver, asked).await?,
        None => json!({"approved": false, "approver": approver, "decision_source": "email-link"}),
    };
    let record = state.messenger.decide(&claims.workflow_id, &claims.run_id, payload).await.map_err(|e| match e {
        MessengerError::Timeout => AppError::Unconfirmed,
        other => AppError::Run(other),
    })?;
    tracing::info!(link = %fingerprint(token), workflow_id = %claims.workflow_id, approved = record.approved, versions = record.approved_count, "decision recorded");
    crate::metrics::decision(if record.approved { "approve" } else { "reject" });
    Ok(Html(pages::accepted(&record, Some(status.dry_run))))
}

/// The link's claims and an in-flight permit, taken only once the signature verifies. An
/// expired link whose signature and decision verify becomes the page of what its run recorded;
/// nothing else about a refused link ever reaches the run, and a refused link takes no permit.
async fn verify(state: &AppState, token: &str, decision: Decision) -> Result<(Claims, OwnedSemaphorePermit), AppError> {
    let error = match state.secret.verify(token, decision, (state.clock)()) {
        Ok(claims) => return Ok((claims, state.gate.admit()?)),
        Err(error) => error,
    };
    tracing::info!(link = %fingerprint(token), reason = %error, "link refused");
    if error != LinkError::Expired {
        return Err(AppError::Link(error));
    }
    // Expired is only reported after the signature and the decision verified; checking again at
    // the dawn of time yields the claims.
    let claims = state.secret.verify(token, decision, i64::MIN)?;
    let _permit = state.gate.admit()?;
    Err(AppError::Expired(Box::new(truth::recorded(state.messenger.as_ref(), &claims).await)))
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
