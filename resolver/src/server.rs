//! The HTTP server: HTTP/1.1, one task per connection, a deadline for each request's headers (a
//! client that trickles them, or idles on a kept-alive connection, is cut off), and a graceful
//! shutdown that stops accepting and lets requests in flight finish. `axum::serve` has no header
//! deadline, hence hyper's connection builder here.

use std::{future::Future, time::Duration};

use hyper::server::conn::http1;
use hyper_util::{
    rt::{TokioIo, TokioTimer},
    server::graceful::GracefulShutdown,
    service::TowerToHyperService,
};
use tokio::net::{TcpListener, TcpStream};

use crate::{app, AppState};

/// Serves `app(state)` on an already-bound listener until `shutdown` resolves, then waits for
/// the requests in flight.
pub async fn serve(listener: TcpListener, state: AppState, shutdown: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
    let header_read_timeout = state.limits.header_read_timeout;
    let router = app(state);
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        match stream {
            Ok((stream, _peer)) => spawn_connection(stream, &router, &graceful, header_read_timeout),
            Err(e) => accept_failed(e).await,
        }
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

fn spawn_connection(stream: TcpStream, router: &axum::Router, graceful: &GracefulShutdown, header_read_timeout: Duration) {
    let service = TowerToHyperService::new(router.clone());
    let connection = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(header_read_timeout)
        .serve_connection(TokioIo::new(stream), service);
    let connection = graceful.watch(connection);
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::debug!(error = %e, "connection ended with an error");
        }
    });
}

/// Accept errors (out of file descriptors, a connection reset before accept) are not fatal:
/// log, pause so a persistent one does not spin, go on.
async fn accept_failed(e: std::io::Error) {
    tracing::warn!(error = %e, "accepting a connection failed");
    tokio::time::sleep(Duration::from_millis(100)).await;
}
