//! Limits that keep one client from starving the others: requests in flight (more get a quick
//! 503), how long one request may take, how large a form may be, and how long a client may take
//! to send its request headers (enforced by the server, see `server.rs`).

use std::{sync::Arc, time::Duration};

use axum::{
    extract::{rejection::BytesRejection, Request, State},
    http::StatusCode,
    middleware::Next,
    response::{IntoResponse, Response},
};
use tokio::sync::Semaphore;

use crate::error::AppError;

/// The server's limits; [`Limits::default`] is what `snapstart-cleaner-resolver` runs with.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Link requests handled at once; more are answered 503 at once.
    pub max_in_flight: usize,
    /// Longest a link request may take, body included (longer than the `decide` timeout, so a
    /// decision's outcome is known before this fires).
    pub request_timeout: Duration,
    /// Largest form body accepted (413 beyond).
    pub max_body_bytes: usize,
    /// Longest a client may take to send its request headers; the connection is closed after.
    pub header_read_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self { max_in_flight: 64, request_timeout: Duration::from_secs(60), max_body_bytes: 1 << 20, header_read_timeout: Duration::from_secs(10) }
    }
}

/// The in-flight permits and the request deadline, shared by every clone of the router.
#[derive(Clone)]
pub struct Gate {
    permits: Arc<Semaphore>,
    timeout: Duration,
}

impl Gate {
    /// A gate for `limits`.
    pub fn new(limits: &Limits) -> Self {
        Self { permits: Arc::new(Semaphore::new(limits.max_in_flight)), timeout: limits.request_timeout }
    }
}

/// Middleware: a permit or a 503 now, then the request within its deadline or a 503.
pub async fn guard(State(gate): State<Gate>, request: Request, next: Next) -> Response {
    let Ok(_permit) = gate.permits.try_acquire() else { return AppError::Busy.into_response() };
    match tokio::time::timeout(gate.timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => AppError::TooSlow.into_response(),
    }
}

/// A form body that could not be read: too large (413) or broken off.
pub fn body_error(rejection: BytesRejection) -> AppError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return AppError::TooLarge;
    }
    AppError::BadForm("The form did not arrive whole".into())
}
