//! Limits that keep one client from starving the others: link requests in flight (more get a
//! quick 503), how long one request may take, how large a form may be and how long its body may
//! take to arrive, and how long a client may take to send its request headers (enforced by the
//! server, see `server.rs`).
//!
//! A permit is taken only once a link's signature verifies (see `routes.rs`), and a form's body is
//! read before that, within its own deadline: clients without a valid link, however many and
//! however slow, never hold a permit an approver needs.

use std::{sync::Arc, time::Duration};

use axum::{
    body::Body,
    extract::{rejection::BytesRejection, Request, State},
    http::{Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::error::AppError;

/// The server's limits; [`Limits::default`] is what `snapstart-cleaner-resolver` runs with.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Link requests with a verified link handled at once; more are answered 503 at once.
    pub max_in_flight: usize,
    /// Longest a link request may take, body included (longer than the `decide` timeout, so a
    /// decision's outcome is known before this fires).
    pub request_timeout: Duration,
    /// Largest form body accepted (413 beyond).
    pub max_body_bytes: usize,
    /// Longest a client may take to send its request headers; the connection is closed after.
    pub header_read_timeout: Duration,
    /// Longest a client may take to send a form's body (408 after); no permit is held meanwhile.
    pub body_read_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_in_flight: 64,
            request_timeout: Duration::from_secs(60),
            max_body_bytes: 1 << 20,
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(10),
        }
    }
}

/// The in-flight permits, shared by every clone of the router.
#[derive(Clone)]
pub struct Gate {
    permits: Arc<Semaphore>,
}

impl Gate {
    /// A gate for `limits`.
    pub fn new(limits: &Limits) -> Self {
        Self { permits: Arc::new(Semaphore::new(limits.max_in_flight)) }
    }

    /// A permit, held until dropped, or 503 now.
    pub fn admit(&self) -> Result<OwnedSemaphorePermit, AppError> {
        self.permits.clone().try_acquire_owned().map_err(|_| AppError::Busy)
    }
}

/// Middleware: the request within its deadline or a 503.
pub async fn deadline(State(limits): State<Limits>, request: Request, next: Next) -> Response {
    match tokio::time::timeout(limits.request_timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => AppError::TooSlow.into_response(),
    }
}

/// Middleware: a POST's whole body, read within its own deadline (408) and size (413) before the
/// handler runs, so a trickling client holds nothing but its connection.
pub async fn body_first(State(limits): State<Limits>, request: Request, next: Next) -> Response {
    if request.method() != Method::POST {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    match tokio::time::timeout(limits.body_read_timeout, axum::body::to_bytes(body, limits.max_body_bytes)).await {
        Ok(Ok(bytes)) => next.run(Request::from_parts(parts, Body::from(bytes))).await,
        Ok(Err(_)) => AppError::TooLarge.into_response(),
        Err(_) => AppError::SlowBody.into_response(),
    }
}

/// A form body that could not be read: too large (413) or broken off.
pub fn body_error(rejection: BytesRejection) -> AppError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return AppError::TooLarge;
    }
    AppError::BadForm("The form did not arrive whole".into())
}
