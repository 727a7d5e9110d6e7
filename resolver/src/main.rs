//! `snapstart-cleaner-resolver`: wiring only — arguments, the link secret, the Temporal
//! messenger, the listener and graceful shutdown.

use std::sync::Arc;

use anyhow::Context;
use clap::Parser;
use snapstart_proto::links::LinkSecret;
use snapstart_resolver::{
    codec::CorsOrigins,
    temporal::{TemporalArgs, TemporalMessenger},
    AppState,
};

/// Serves the approval links: a confirmation page per link, and the confirmed decision sent to
/// the run. Requires APPROVAL_LINK_SECRET (at least 32 bytes, the same as the worker's).
#[derive(Debug, Parser)]
#[command(name = "snapstart-cleaner-resolver", version, about)]
struct Args {
    /// Address to listen on (port 0 picks a free port)
    #[arg(long, env = "RESOLVER_LISTEN", default_value = "127.0.0.1:8787")]
    listen: String,
    /// Public base URL of this resolver as it appears in the emailed links, e.g. https://approve.example.com
    #[arg(long, env = "RESOLVER_PUBLIC_URL")]
    public_url: String,
    /// Browser origins (comma-separated) allowed to call /codec, the Temporal UI's; empty allows none
    #[arg(long, env = "CODEC_CORS_ORIGINS", default_value = snapstart_resolver::codec::DEFAULT_CORS_ORIGINS)]
    codec_cors_origins: String,
    /// Serve Prometheus metrics at http://<addr>/metrics, e.g. 127.0.0.1:9465
    #[arg(long, env = "METRICS_LISTEN")]
    metrics_listen: Option<std::net::SocketAddr>,
    #[command(flatten)]
    temporal: TemporalArgs,
}

fn public_url(raw: &str) -> anyhow::Result<url::Url> {
    let url = url::Url::parse(raw).with_context(|| format!("RESOLVER_PUBLIC_URL {raw:?} is not a URL"))?;
    anyhow::ensure!(matches!(url.scheme(), "http" | "https") && url.has_host(), "RESOLVER_PUBLIC_URL must be an http(s) URL with a host; got {raw:?}");
    Ok(url)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
}

/// `snapstart-cleaner-resolver --check-health`: GET /healthz on RESOLVER_LISTEN (all interfaces
/// are asked on loopback) within 3 s; exit 0 when it answers 200. For container health checks,
/// where no curl exists; needs no other setting.
fn check_health() -> std::process::ExitCode {
    use std::io::{Read, Write};
    let listen = std::env::var("RESOLVER_LISTEN").unwrap_or_else(|_| "127.0.0.1:8787".into());
    let address = listen.replace("0.0.0.0", "127.0.0.1").replace("[::]", "[::1]");
    let probe = || -> std::io::Result<bool> {
        let addr = std::net::ToSocketAddrs::to_socket_addrs(&address)?.next().ok_or(std::io::ErrorKind::NotFound)?;
        let timeout = std::time::Duration::from_secs(3);
        let mut stream = std::net::TcpStream::connect_timeout(&addr, timeout)?;
        stream.set_read_timeout(Some(timeout))?;
        stream.write_all(b"GET /healthz HTTP/1.0\r\nHost: localhost\r\n\r\n")?;
        let mut answer = String::new();
        stream.read_to_string(&mut answer)?;
        Ok(answer.starts_with("HTTP/1.0 200") || answer.starts_with("HTTP/1.1 200"))
    };
    match probe() {
        Ok(true) => std::process::ExitCode::SUCCESS,
        Ok(false) => {
            eprintln!("unhealthy: {address}/healthz did not answer 200");
            std::process::ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("unhealthy: {address}: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    if std::env::args().nth(1).as_deref() == Some("--check-health") {
        return check_health();
    }
    if let Err(e) = snapstart_telemetry::logs::init() {
        eprintln!("snapstart-cleaner-resolver: {e}");
        return std::process::ExitCode::from(2);
    }
    match run(Args::parse()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("snapstart-cleaner-resolver: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> anyhow::Result<()> {
    let secret = LinkSecret::from_env().context("APPROVAL_LINK_SECRET is missing or shorter than 32 bytes; set it to the worker's link secret")?;
    let public_url = public_url(&args.public_url)?;
    if let Some(addr) = args.metrics_listen {
        snapstart_telemetry::metrics::serve(addr).with_context(|| format!("METRICS_LISTEN {addr}"))?;
    }
    let messenger = Arc::new(TemporalMessenger::new(args.temporal.clone()));
    let codec_origins = CorsOrigins::parse(&args.codec_cors_origins).map_err(|e| anyhow::anyhow!("CODEC_CORS_ORIGINS: {e}"))?;
    let state = AppState::new(messenger, secret, public_url).with_codec_origins(codec_origins);
    let listener = tokio::net::TcpListener::bind(&args.listen).await.with_context(|| format!("binding {}", args.listen))?;
    eprintln!("resolver listening on http://{}", listener.local_addr()?);
    snapstart_resolver::serve(listener, state, shutdown_signal()).await?;
    Ok(())
}
