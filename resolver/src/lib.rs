//! snapstart-cleaner-resolver: turns a confirmed approval link into the run's `decide` update.
//!
//! A link in the approval email opens a confirmation page (GET/HEAD never change anything, since
//! mail scanners prefetch links); only the page's POST, carrying the link token and a CSRF token
//! bound to it, delivers the decision. Modules: `messenger` (the run, in domain terms),
//! `temporal` (that messenger over Temporal), `listing` (the whole candidate list through the
//! paged queries), `truth` (what the run says about itself), `routes` (handlers), `form` (the
//! form and the approver's name), `selection` (what an approval selects), `error` (the one error
//! enum and its pages), `pages` (HTML), `headers` (security headers on every response), `limits`
//! and `server` (what one client may cost the others).

pub mod codec;
pub mod error;
pub mod form;
pub mod headers;
pub mod limits;
pub mod listing;
pub mod messenger;
pub mod metrics;
pub mod pages;
pub mod routes;
pub mod selection;
pub mod server;
pub mod temporal;
pub mod truth;

use std::sync::Arc;

use axum::Router;
use snapstart_proto::links::LinkSecret;

pub use limits::Limits;
pub use messenger::{MessengerError, RunMessenger};
pub use server::serve;

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
    /// What one client may cost the others.
    pub limits: Limits,
    /// The in-flight permits of `limits` (shared by every clone of this state).
    pub gate: limits::Gate,
    /// Browser origins allowed to call `/codec` (`CODEC_CORS_ORIGINS`).
    pub codec_origins: codec::CorsOrigins,
}

impl AppState {
    /// State with the system clock.
    pub fn new(messenger: Arc<dyn RunMessenger>, secret: LinkSecret, public_url: url::Url) -> Self {
        let clock: Clock = Arc::new(|| std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64));
        let limits = Limits::default();
        Self { messenger, secret, public_url, clock, gate: limits::Gate::new(&limits), limits, codec_origins: codec::CorsOrigins::default() }
    }

    /// Replaces the clock (tests).
    pub fn with_clock(mut self, clock: impl Fn() -> i64 + Send + Sync + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Replaces the limits (tests use small ones).
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.gate = limits::Gate::new(&limits);
        self.limits = limits;
        self
    }

    /// Replaces the origins allowed to call `/codec`.
    pub fn with_codec_origins(mut self, origins: codec::CorsOrigins) -> Self {
        self.codec_origins = origins;
        self
    }

    /// The origin (`scheme://host[:port]`) a browser must send on POST, if it sends one.
    pub fn public_origin(&self) -> String {
        self.public_url.origin().ascii_serialization()
    }
}

/// The resolver's routes, with the security headers on every response (404s and 503s included).
pub fn app(state: AppState) -> Router {
    let hsts = headers::Hsts::for_url(&state.public_url);
    let codec = codec::router(state.codec_origins.clone());
    routes::router(state)
        .merge(codec)
        .layer(axum::middleware::map_response_with_state(hsts, headers::add_security_headers))
        .layer(axum::middleware::from_fn(metrics::track))
}
