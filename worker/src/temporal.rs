//! Connecting to Temporal the way the Temporal CLI does: `TEMPORAL_ADDRESS`,
//! `TEMPORAL_NAMESPACE` (and the CLI's config file, TLS and API-key settings), with flags on top.

use anyhow::Context;
use temporalio_client::{envconfig::LoadClientConfigProfileOptions, Client, ClientOptions, Connection};

/// Where the Temporal server is; `None` fields fall back to the environment / CLI config.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct TemporalArgs {
    /// Temporal frontend host:port [env: TEMPORAL_ADDRESS; default localhost:7233]
    #[arg(long)]
    pub address: Option<String>,
    /// Temporal namespace [env: TEMPORAL_NAMESPACE; default "default"]
    #[arg(long)]
    pub namespace: Option<String>,
}

impl TemporalArgs {
    /// Connects a client.
    pub async fn connect(&self) -> anyhow::Result<Client> {
        let (mut conn, mut opts) = ClientOptions::load_from_config(LoadClientConfigProfileOptions::default())
            .map_err(|e| anyhow::anyhow!("reading Temporal client configuration: {e:?}"))?;
        if let Some(address) = &self.address {
            let scheme = if conn.tls_options.is_some() { "https" } else { "http" };
            conn.target = url::Url::parse(&format!("{scheme}://{address}")).context("parsing --address")?;
        }
        if let Some(namespace) = &self.namespace {
            opts.namespace = namespace.clone();
        }
        let target = conn.target.clone();
        let connection = Connection::connect(conn).await.with_context(|| format!("connecting to Temporal at {target}"))?;
        Ok(Client::new(connection, opts)?)
    }

    /// The namespace in effect, for UI links.
    pub fn namespace_or_env(&self) -> String {
        self.namespace
            .clone()
            .or_else(|| std::env::var("TEMPORAL_NAMESPACE").ok())
            .unwrap_or_else(|| "default".into())
    }
}
