//! The Temporal side of [`RunMessenger`]: the `status` query and the `decide` update, sent by
//! name (the resolver never sees the workflow type) to the exact workflow id + run id of a link.
//! Connects the way the Temporal CLI does (`TEMPORAL_ADDRESS`, `TEMPORAL_NAMESPACE`, its config
//! file), lazily, so the resolver starts (and answers `/healthz`) before Temporal is reachable.

use std::time::Duration;

use anyhow::Context;
use async_trait::async_trait;
use snapstart_proto::{
    names,
    status::{DecisionRecord, RunStatus},
};
use temporalio_client::{
    envconfig::LoadClientConfigProfileOptions, errors::WorkflowQueryError, errors::WorkflowUpdateError, Client, ClientOptions,
    Connection, NamespacedClient, UntypedQuery, UntypedUpdate, UntypedWorkflow, UntypedWorkflowHandle, WorkflowExecuteUpdateOptions,
    WorkflowExecutionInfo, WorkflowQueryOptions,
};
use temporalio_common::{data_converters::RawValue, protos::temporal::api::common::v1::Payload};
use tokio::sync::OnceCell;

use crate::messenger::{classify_rejection, MessengerError, RunMessenger};

/// How long a status query may take (a query needs a live worker).
const QUERY_TIMEOUT: Duration = Duration::from_secs(15);
/// How long to wait for the run to accept or reject a decision.
const UPDATE_TIMEOUT: Duration = Duration::from_secs(30);

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
}

/// [`RunMessenger`] over a Temporal client, connected on first use and then reused.
pub struct TemporalMessenger {
    args: TemporalArgs,
    client: OnceCell<Client>,
}

impl TemporalMessenger {
    /// A messenger that connects with `args` when first needed.
    pub fn new(args: TemporalArgs) -> Self {
        Self { args, client: OnceCell::new() }
    }

    async fn handle(&self, workflow_id: &str, run_id: &str) -> Result<UntypedWorkflowHandle<Client>, MessengerError> {
        let client = self.client.get_or_try_init(|| self.args.connect()).await?;
        let info = WorkflowExecutionInfo::builder()
            .namespace(client.namespace())
            .workflow_id(workflow_id)
            .run_id(run_id.to_string())
            .build();
        Ok(info.bind_untyped(client.clone()))
    }
}

#[async_trait]
impl RunMessenger for TemporalMessenger {
    async fn status(&self, workflow_id: &str, run_id: &str) -> Result<RunStatus, MessengerError> {
        let handle = self.handle(workflow_id, run_id).await?;
        let query = handle.query(UntypedQuery::<UntypedWorkflow>::new(names::QUERY_STATUS), RawValue::new(vec![]), WorkflowQueryOptions::default());
        let raw = tokio::time::timeout(QUERY_TIMEOUT, query).await.map_err(|_| MessengerError::Timeout)?.map_err(query_error)?;
        from_json(raw).context("decoding the status query answer").map_err(MessengerError::Other)
    }

    async fn decide(&self, workflow_id: &str, run_id: &str, decision: serde_json::Value) -> Result<DecisionRecord, MessengerError> {
        let handle = self.handle(workflow_id, run_id).await?;
        let update = handle.execute_update(
            UntypedUpdate::<UntypedWorkflow>::new(names::UPDATE_DECIDE),
            to_json(&decision)?,
            WorkflowExecuteUpdateOptions::default(),
        );
        let raw = tokio::time::timeout(UPDATE_TIMEOUT, update).await.map_err(|_| MessengerError::Timeout)?.map_err(update_error)?;
        from_json(raw).context("decoding the decide update answer").map_err(MessengerError::Other)
    }
}

/// A `json/plain` payload, as the Temporal CLI and the workflow's data converter expect.
fn to_json(value: &serde_json::Value) -> Result<RawValue, MessengerError> {
    let data = serde_json::to_vec(value).context("encoding the decision")?;
    let metadata = [("encoding".to_string(), b"json/plain".to_vec())].into();
    Ok(RawValue::new(vec![Payload { metadata, data, ..Default::default() }]))
}

fn from_json<T: serde::de::DeserializeOwned>(raw: RawValue) -> anyhow::Result<T> {
    let payload = raw.payloads.into_iter().next().context("the answer carried no payload")?;
    Ok(serde_json::from_slice(&payload.data)?)
}

fn query_error(e: WorkflowQueryError) -> MessengerError {
    match e {
        WorkflowQueryError::NotFound(_) => MessengerError::NotFound,
        WorkflowQueryError::Rejected { status } => MessengerError::NotWaiting(format!("the run is closed ({status:?})")),
        other => MessengerError::Other(anyhow::Error::new(other).context("status query")),
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
        other => MessengerError::Other(anyhow::Error::new(other).context("decide update")),
    }
}
