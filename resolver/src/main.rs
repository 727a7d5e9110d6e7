//! `snapstart-cleaner-resolver`: wiring only.

use clap::Parser;

/// Serves the approval links (skeleton: health check only until the approval phase lands).
#[derive(Debug, Parser)]
#[command(name = "snapstart-cleaner-resolver", version, about)]
struct Args {
    /// Address to listen on
    #[arg(long, env = "RESOLVER_LISTEN", default_value = "127.0.0.1:8787")]
    listen: String,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt().with_writer(std::io::stderr).init();
    let args = Args::parse();
    let listener = tokio::net::TcpListener::bind(&args.listen).await?;
    tracing::info!(listen = %listener.local_addr()?, "resolver listening");
    snapstart_resolver::serve(listener, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    Ok(())
}
