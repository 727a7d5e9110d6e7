//! The Temporal side of [`RunMessenger`]: the `status`, `candidates` and `functions` queries and
//! the `decide` update, sent by name (the resolver never sees the workflow type) to the exact
//! workflow id + run id of a link. Connects the way the Temporal CLI does (`TEMPORAL_ADDRESS`,
//! `TEMPORAL_NAMESPACE`, its config file), lazily and with a timeout, so the resolver starts (and
//! answers `/healthz`) before Temporal is reachable and an outage is a quick 503, not a hang.

use std::time::Duration;

use anyhow::Context;
use async_trait::async_trait;
use snapstart_proto::{
    names,
    status::{CandidatePage, CandidatesQuery, DecisionRecord, FunctionPage, FunctionsQuery, RunStatus},
};
use temporalio_client::{
    envconfig::LoadClientConfigProfileOptions, errors::WorkflowQueryError, errors::WorkflowUpdateError, Client, ClientOptions,
    Connection, NamespacedClient, tonic, UntypedQuery, UntypedUpdate, UntypedWorkflow, UntypedWorkflowHandle, WorkflowExecuteUpdateOptions,
    WorkflowExecutionInfo, WorkflowQueryOptions,
};
use temporalio_common::{data_converters::RawValue, protos::temporal::api::common::v1::Payload};
use tokio::sync::OnceCell;

use crate::messenger::{classify_rejection, MessengerError, RunMessenger};

/// How long each call to Temporal may take. A run that does not answer in time gets a clear 503
/// page, never a hang.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    /// Connecting (TCP, TLS and the first RPC); tried again on the next request after a failure.
    pub connect: Duration,
    /// One query (a query needs a live worker).
    pub query: Duration,
    /// The `decide` update: the run accepts or rejects it.
    pub update: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self { connect: Duration::from_secs(5), query: Duration::from_secs(10), update: Duration::from_secs(30) }
    }
}

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
    /// Connects a client; `timeout` bounds the TCP/TLS connection (callers bound the whole).
    pub async fn connect(&self, timeout: Duration) -> anyhow::Result<Client> {
        let (mut conn, mut opts) = ClientOptions::load_from_config(LoadClientConfigProfileOptions::default())
            .map_err(|e| anyhow::anyhow!("reading Temporal client configuration: {e:?}"))?;
        if let Some(address) = &self.address {
            let scheme = if conn.tls_options.is_some() { "https" } else { "http" };
            conn.target = url::Url::parse(&format!("{scheme}://{address}")).context("parsing --address")?;
        }
        if let Some(namespace) = &self.namespace {
            opts.namespace = namespace.clone();
        }
        conn.connect_timeout = Some(timeout);
        let target = conn.target.clone();
        let connection = Connection::connect(conn).await.with_context(|| format!("connecting to Temporal at {target}"))?;
        Ok(Client::new(connection, opts)?)
    }
}

/// [`RunMessenger`] over a Temporal client, connected on first use (so the resolver starts and
/// answers `/healthz` while Temporal is down), reused once connected, and tried again by the
/// next request after a failed connection.
pub struct TemporalMessenger {
    args: TemporalArgs,
    timeouts: Timeouts,
    client: OnceCell<Client>,
}

impl TemporalMessenger {
    /// A messenger that connects with `args` when first needed.
    pub fn new(args: TemporalArgs) -> Self {
        Self { args, timeouts: Timeouts::default(), client: OnceCell::new() }
    }

    /// Replaces the timeouts (tests use short ones).
    pub fn with_timeouts(mut self, timeouts: Timeouts) -> Self {
        self.timeouts = timeouts;
        self
    }

    async fn client(&self) -> Result<&Client, MessengerError> {
        let connect = self.client.get_or_try_init(|| self.args.connect(self.timeouts.connect));
        match tokio::time::timeout(self.timeouts.connect, connect).await {
            Ok(Ok(client)) => Ok(client),
            Ok(Err(e)) => {
                tracing::warn!(error = format!("{e:#}"), "Temporal is unreachable");
                Err(MessengerError::Unavailable("the connection failed".into()))
            }
            Err(_) => {
                tracing::warn!(timeout = ?self.timeouts.connect, "Temporal is unreachable: no connection in time");
                Err(MessengerError::Unavailable(format!("no connection within {} s", self.timeouts.connect.as_secs_f32())))
            }
        }
    }

    async fn handle(&self, workflow_id: &str, run_id: &str) -> Result<UntypedWorkflowHandle<Client>, MessengerError> {
        let client = self.client().await?;
        let info = WorkflowExecutionInfo::builder()
            .namespace(client.namespace())
            .workflow_id(workflow_id)
            .run_id(run_id.to_string())
            .build();
        Ok(info.bind_untyped(client.clone()))
    }

    /// Sends the query `name` with `input` and decodes its JSON answer.
    async fn query<T: serde::de::DeserializeOwned>(&self, workflow_id: &str, run_id: &str, name: &str, input: RawValue) -> Result<T, MessengerError> {
        let handle = self.handle(workflow_id, run_id).await?;
        let query = handle.query(UntypedQuery::<UntypedWorkflow>::new(name), input, WorkflowQueryOptions::default());
        let raw = tokio::time::timeout(self.timeouts.query, query).await.map_err(|_| MessengerError::Timeout)?.map_err(|e| query_error(name, e))?;
        from_json(raw).with_context(|| format!("decoding the {name} query answer")).map_err(MessengerError::Other)
    }
}

#[async_trait]
impl RunMessenger for TemporalMessenger {
    async fn status(&self, workflow_id: &str, run_id: &str) -> Result<RunStatus, MessengerError> {
        self.query(workflow_id, run_id, names::QUERY_STATUS, RawValue::new(vec![])).await
    }

    async fn candidates(&self, workflow_id: &str, run_id: &str, query: &CandidatesQuery) -> Result<CandidatePage, MessengerError> {
        self.query(workflow_id, run_id, names::QUERY_CANDIDATES, to_json(query)?).await
    }

    async fn functions(&self, workflow_id: &str, run_id: &str, query: &FunctionsQuery) -> Result<FunctionPage, MessengerError> {
        self.query(workflow_id, run_id, names::QUERY_FUNCTIONS, to_json(query)?).await
    }

    async fn decide(&self, workflow_id: &str, run_id: &str, decision: serde_json::Value) -> Result<DecisionRecord, MessengerError> {
        let handle = self.handle(workflow_id, run_id).await?;
        let update = handle.execute_update(
            UntypedUpdate::<UntypedWorkflow>::new(names::UPDATE_DECIDE),
            to_json(&decision)?,
            WorkflowExecuteUpdateOptions::default(),
        );
        let raw = tokio::time::timeout(self.timeouts.update, update).await.map_err(|_| MessengerError::Timeout)?.map_err(update_error)?;
        from_json(raw).context("decoding the decide update answer").map_err(MessengerError::Other)
    }
}

/// A `json/plain` payload, as the Temporal CLI and the workflow's data converter expect.
fn to_json(value: &impl serde::Serialize) -> Result<RawValue, MessengerError> {
    let data = serde_json::to_vec(value).context("encoding a query or update input")?;
    let metadata = [("encoding".to_string(), b"json/plain".to_vec())].into();
    Ok(RawValue::new(vec![Payload { metadata, data, ..Default::default() }]))
}

fn from_json<T: serde::de::DeserializeOwned>(raw: RawValue) -> anyhow::Result<T> {
    let payload = raw.payloads.into_iter().next().context("the answer carried no payload")?;
    Ok(serde_json::from_slice(&payload.data)?)
}

/// Whether an RPC failed because the server could not be reached (rather than refused).
fn unreachable(status: &tonic::Status) -> bool {
    matches!(status.code(), tonic::Code::Unavailable | tonic::Code::DeadlineExceeded)
}

fn query_error(name: &str, e: WorkflowQueryError) -> MessengerError {
    match e {
        WorkflowQueryError::NotFound(_) => MessengerError::NotFound,
        WorkflowQueryError::Rejected { status } => MessengerError::NotWaiting(format!("the run is closed ({status:?})")),
        WorkflowQueryError::Rpc(status) if unreachable(&status) => MessengerError::Unavailable(format!("{name} query: {}", status.code())),
        other => MessengerError::Other(anyhow::Error::new(other).context(format!("{name} query"))),
    }
}

/// Maps an update failure onto the contract: the validator's prefixed rejections, and the
/// server's NotFound, which also means "already completed" for a run that has ended.
fn update_error(e: WorkflowUpdateError) -> MessengerError {
    match e {
        WorkflowUpdateError::Failed(failure) => {
            classify_rejection(&failure.message).unwrap_or_else(|| MessengerError::Other(anyhow::anyhow!("decide update failed: {}", failure.message)))
        }
        WorkflowUpdateError::NotFound(status) if status.message().contains("already completed") => {
            MessengerError::NotWaiting("the run has already finished".into())
        }
        WorkflowUpdateError::NotFound(_) => MessengerError::NotFound,
        WorkflowUpdateError::Rpc(status) if unreachable(&status) => MessengerError::Unavailable(format!("decide update: {}", status.code())),
        other => MessengerError::Other(anyhow::Error::new(other).context("decide update")),
    }
}
