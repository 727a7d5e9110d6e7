//! snapstart-cleaner-resolver: turns a confirmed approval link into the run's `decide` update.
//!
//! A link in the approval email opens a confirmation page (GET/HEAD never change anything, since
//! mail scanners prefetch links); only the page's POST, carrying the link token and a CSRF token
//! bound to it, delivers the decision. Modules: `messenger` (the run, in domain terms),
//! `temporal` (that messenger over Temporal), `routes` (handlers), `error` (the one error enum and
//! its pages), `pages` (HTML), `headers` (security headers on every response).

pub mod error;
pub mod headers;
pub mod messenger;
pub mod pages;
pub mod routes;
pub mod temporal;

use std::sync::Arc;

use axum::Router;
use snapstart_proto::links::LinkSecret;
use tokio::net::TcpListener;

pub use messenger::{MessengerError, RunMessenger};

/// Current unix time in seconds; replaceable so tests can expire links.
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// What every handler needs.
#[derive(Clone)]
pub struct AppState {
    /// Reaches the run named by a link.
    pub messenger: Arc<dyn RunMessenger>,
    /// Verifies link tokens and CSRF tokens.
    pub secret: LinkSecret,
    /// `RESOLVER_PUBLIC_URL`; its origin is the only one allowed to POST.
    pub public_url: url::Url,
    /// The clock links are checked against.
    pub clock: Clock,
}

impl AppState {
    /// State with the system clock.
    pub fn new(messenger: Arc<dyn RunMessenger>, secret: LinkSecret, public_url: url::Url) -> Self {
        let clock: Clock = Arc::new(|| std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64));
        Self { messenger, secret, public_url, clock }
    }

    /// Replaces the clock (tests).
    pub fn with_clock(mut self, clock: impl Fn() -> i64 + Send + Sync + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// The origin (`scheme://host[:port]`) a browser must send on POST, if it sends one.
    pub fn public_origin(&self) -> String {
        self.public_url.origin().ascii_serialization()
    }
}

/// The resolver's routes, with the security headers on every response (404s included).
pub fn app(state: AppState) -> Router {
    routes::router(state).layer(axum::middleware::map_response(headers::add_security_headers))
}

/// Serves `app(state)` on an already-bound listener until `shutdown` resolves.
pub async fn serve(listener: TcpListener, state: AppState, shutdown: impl std::future::Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
    axum::serve(listener, app(state)).with_graceful_shutdown(shutdown).await
}
