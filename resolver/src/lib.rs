//! snapstart-cleaner-resolver: turns a confirmed approval link into the `approval` signal.
//!
//! This is the skeleton the approval round trip builds on: the router, health check and graceful
//! shutdown. The signed-link pages and the Temporal messenger arrive with the approval phase.

use axum::{routing::get, Router};
use tokio::net::TcpListener;

/// The resolver's routes.
pub fn app() -> Router {
    Router::new().route("/healthz", get(|| async { "ok" }))
}

/// Serves `app()` on an already-bound listener until `shutdown` resolves.
pub async fn serve(listener: TcpListener, shutdown: impl std::future::Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
    axum::serve(listener, app()).with_graceful_shutdown(shutdown).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::{body::Body, http::Request};
    use tower::ServiceExt;

    #[tokio::test]
    async fn healthz_answers_ok() {
        let response = app().oneshot(Request::get("/healthz").body(Body::empty()).unwrap()).await.unwrap();
        assert_eq!(response.status(), 200);
    }

    #[tokio::test]
    async fn unknown_paths_are_404() {
        let response = app().oneshot(Request::get("/nope").body(Body::empty()).unwrap()).await.unwrap();
        assert_eq!(response.status(), 404);
    }
}
