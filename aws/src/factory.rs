//! Builds the AWS side of a scan or deletion for one place (an account, reached through the
//! worker's own credentials or an assumed role, in one region): SDK clients (shared, cached per
//! place), the rate budgets (per account and region, shared by every scan this process runs
//! there), and a fresh call counter per scan.

use std::{collections::HashMap, sync::Arc, time::Duration};

use aws_config::{retry::RetryConfig, sts::AssumeRoleProvider, timeout::TimeoutConfig, BehaviorVersion, Region, SdkConfig};
use tokio::sync::Mutex;

use super::{
    cloudwatch::CloudWatchAdapter,
    lambda::LambdaAdapter,
    retry::{with_retries, RetryPolicy},
    tagging::TaggingAdapter,
    budget::Budgets,
    AwsError, CallCounter, RateBudget, Readers,
};

/// Per-attempt timeout for one AWS call; a hung call is retried, then fails closed.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(20);
/// The session name an assumed role's CloudTrail entries carry.
pub const SESSION_NAME: &str = "snapstart-cleaner";

/// Where AWS calls act: the worker's own credentials (no role) or a role assumed with them, in
/// one region.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Place {
    pub region: String,
    /// Empty for the worker's own credentials.
    pub role_arn: String,
    pub external_id: String,
}

impl Place {
    /// The worker's own credentials in `region`.
    pub fn own(region: &str) -> Self {
        Self { region: region.to_string(), ..Default::default() }
    }

    /// `role_arn` (with `external_id`, if not empty) in `region`.
    pub fn role(region: &str, role_arn: &str, external_id: &str) -> Self {
        Self { region: region.to_string(), role_arn: role_arn.to_string(), external_id: external_id.to_string() }
    }
}

struct PlaceClients {
    lambda: aws_sdk_lambda::Client,
    cloudwatch: aws_sdk_cloudwatch::Client,
    tagging: aws_sdk_resourcegroupstagging::Client,
    sts: aws_sdk_sts::Client,
}

/// GetFunction's own quota is 100 requests/s per account and region; we leave half of it.
pub const DEFAULT_GET_FUNCTION_RPS: u32 = 50;
/// GetPolicy's own quota is 15 requests/s per account and region; we leave a third of it.
pub const DEFAULT_GET_POLICY_RPS: u32 = 10;

/// Hands out the readers and the writer for a place.
pub struct AwsFactory {
    lambda_rps: u32,
    get_function_rps: u32,
    get_policy_rps: u32,
    concurrency: usize,
    emulator: Option<String>,
    clients: Mutex<HashMap<Place, Arc<PlaceClients>>>,
    /// By (account id, region): every place in the same account and region shares them.
    budgets: std::sync::Mutex<HashMap<(String, String), Budgets>>,
}

impl AwsFactory {
    /// `lambda_rps` 0 lifts the rate budgets (GetFunction's and GetPolicy's too, unless set with
    /// [`Self::with_get_function_rps`] and [`Self::with_get_policy_rps`]).
    pub fn new(lambda_rps: u32, concurrency: usize) -> Self {
        let (get_function_rps, get_policy_rps) = match lambda_rps {
            0 => (0, 0),
            _ => (DEFAULT_GET_FUNCTION_RPS, DEFAULT_GET_POLICY_RPS),
        };
        Self {
            lambda_rps,
            get_function_rps,
            get_policy_rps,
            concurrency,
            emulator: None,
            clients: Mutex::new(HashMap::new()),
            budgets: Default::default(),
        }
    }

    /// GetFunction's budget, separate from the shared control plane's; 0 lifts it.
    pub fn with_get_function_rps(mut self, rps: u32) -> Self {
        self.get_function_rps = rps;
        self
    }

    /// GetPolicy's budget, separate from the shared control plane's; 0 lifts it.
    pub fn with_get_policy_rps(mut self, rps: u32) -> Self {
        self.get_policy_rps = rps;
        self
    }

    /// Points every client at an AWS emulator with dummy credentials (tests and benchmarks; a
    /// real run uses `AWS_ENDPOINT_URL` only if it is set, and the standard credential chain).
    pub fn for_emulator(endpoint_url: &str, lambda_rps: u32, concurrency: usize) -> Self {
        Self { emulator: Some(endpoint_url.to_string()), ..Self::new(lambda_rps, concurrency) }
    }

    /// The account the place's credentials act on (STS GetCallerIdentity; for a role, this is
    /// where AssumeRole happens, so a role that cannot be assumed fails here).
    pub async fn account_id(&self, place: &Place, counter: &CallCounter) -> Result<String, AwsError> {
        let clients = self.clients(place).await;
        let out = with_retries("GetCallerIdentity", None, counter, RetryPolicy::default(), || clients.sts.get_caller_identity().send()).await?;
        out.account().filter(|a| !a.is_empty()).map(str::to_string).ok_or_else(|| AwsError::invalid("GetCallerIdentity", "no account in the answer"))
    }

    /// How many AWS calls one scan may have in flight at once (the rate budgets still apply).
    pub fn concurrency(&self) -> usize {
        self.concurrency
    }

    /// The readers for one scan in `region` with the worker's own credentials.
    pub async fn readers(&self, region: &str) -> (Readers, Arc<CallCounter>) {
        self.readers_at(&Place::own(region), "").await
    }

    /// The readers for one scan or re-check at `place`, which acts on `account_id` (its
    /// budgets), with a fresh call counter.
    pub async fn readers_at(&self, place: &Place, account_id: &str) -> (Readers, Arc<CallCounter>) {
        let clients = self.clients(place).await;
        let budgets = self.budgets(account_id, &place.region);
        let counter = Arc::new(CallCounter::default());
        let readers = Readers {
            lambda: Arc::new(LambdaAdapter::new(clients.lambda.clone(), &budgets, counter.clone())),
            metrics: Arc::new(CloudWatchAdapter::new(clients.cloudwatch.clone(), counter.clone())),
            tags: Arc::new(TaggingAdapter::new(clients.tagging.clone(), counter.clone())),
        };
        (readers, counter)
    }

    /// The Lambda writer at `place` (same client, budgets and retries as the scan).
    pub async fn deleter_at(&self, place: &Place, account_id: &str) -> Arc<LambdaAdapter> {
        let clients = self.clients(place).await;
        Arc::new(LambdaAdapter::new(clients.lambda.clone(), &self.budgets(account_id, &place.region), Arc::new(CallCounter::default())))
    }

    /// The Lambda writer in `region` with the worker's own credentials.
    pub async fn deleter(&self, region: &str) -> Arc<LambdaAdapter> {
        self.deleter_at(&Place::own(region), "").await
    }

    /// The report store in `region`, with the worker's own credentials (path-style addressing
    /// when an endpoint URL points at an emulator). It expects the bucket to be owned by the
    /// account those credentials act on, when STS can say which (otherwise it does not pin it).
    pub async fn report_store(&self, region: &str) -> super::s3::ReportStore {
        let (s3, owner, counter) = self.own_s3(region, "report").await;
        super::s3::ReportStore::new(s3, counter, owner)
    }

    /// The archive bucket `bucket` in `region` (the run's first region), written with the
    /// worker's own credentials and pinned to their account when STS can say which.
    pub async fn archive_store(&self, region: &str, bucket: &str, kms_key_id: &str) -> (super::archive::ArchiveStore, Arc<CallCounter>) {
        let (s3, owner, counter) = self.own_s3(region, "archive").await;
        (super::archive::ArchiveStore::new(s3, bucket, kms_key_id, owner, counter.clone()), counter)
    }

    /// A restore's store for its staging copies in `bucket` (in `region`), with the caller's own
    /// credentials and SSE-S3; not pinned to the caller's account (the archive bucket may be the
    /// worker's, in another account).
    pub async fn staging_store(&self, region: &str, bucket: &str) -> super::archive::ArchiveStore {
        super::archive::ArchiveStore::new(self.s3_client(region).await, bucket, "", None, Arc::new(CallCounter::default()))
    }

    /// A restore's reader of archive buckets in `region`, with the caller's own credentials.
    pub async fn archive_reader(&self, region: &str) -> super::restore::ArchiveReader {
        super::restore::ArchiveReader::new(self.s3_client(region).await, Arc::new(CallCounter::default()))
    }

    /// A restore's writer of staging copies in `region`, with the caller's own credentials.
    pub async fn staging_writer(&self, region: &str) -> super::restore::StagingWriter {
        super::restore::StagingWriter::new(self.s3_client(region).await, Arc::new(CallCounter::default()))
    }

    /// An S3 client in `region` with the worker's own credentials (path-style addressing when an
    /// endpoint URL points at an emulator).
    async fn s3_client(&self, region: &str) -> aws_sdk_s3::Client {
        let config = self.own_config(region).await;
        let path_style = config.endpoint_url().is_some();
        aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(&config).force_path_style(path_style).build())
    }

    /// An S3 client in `region` with the worker's own credentials, and the account that should
    /// own the `what` bucket.
    async fn own_s3(&self, region: &str, what: &str) -> (aws_sdk_s3::Client, Option<String>, Arc<CallCounter>) {
        let s3 = self.s3_client(region).await;
        let counter = Arc::new(CallCounter::default());
        let owner = match self.account_id(&Place::own(region), &counter).await {
            Ok(account) => Some(account),
            Err(e) => {
                tracing::warn!(error = %e, "could not learn the worker's account: the {what} bucket's owner is not pinned");
                None
            }
        };
        (s3, owner, counter)
    }

    fn budgets(&self, account_id: &str, region: &str) -> Budgets {
        let mut all = self.budgets.lock().expect("budgets poisoned");
        all.entry((account_id.to_string(), region.to_string()))
            .or_insert_with(|| Budgets {
                control_plane: Arc::new(RateBudget::per_second(self.lambda_rps)),
                get_function: Arc::new(RateBudget::per_second(self.get_function_rps)),
                get_policy: Arc::new(RateBudget::per_second(self.get_policy_rps)),
            })
            .clone()
    }

    async fn own_config(&self, region: &str) -> SdkConfig {
        // Standard credential chain; AWS_ENDPOINT_URL is honoured by the loader. Retries are
        // ours (see retry.rs), so the SDK's are off.
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(region.to_string()))
            .retry_config(RetryConfig::disabled())
            .timeout_config(TimeoutConfig::builder().operation_attempt_timeout(ATTEMPT_TIMEOUT).build());
        if let Some(url) = &self.emulator {
            let creds = aws_credential_types::Credentials::new("testing", "testing", None, None, "emulator");
            loader = loader.endpoint_url(url).credentials_provider(creds);
        }
        loader.load().await
    }

    async fn clients(&self, place: &Place) -> Arc<PlaceClients> {
        let mut all = self.clients.lock().await;
        if let Some(c) = all.get(place) {
            return c.clone();
        }
        let own = self.own_config(&place.region).await;
        let config = match place.role_arn.is_empty() {
            true => own,
            false => {
                // Temporary credentials from the worker's own, refreshed by the SDK before they
                // expire (a deletion can start days after the scan).
                let mut role = AssumeRoleProvider::builder(&place.role_arn).session_name(SESSION_NAME).region(Region::new(place.region.clone())).configure(&own);
                if !place.external_id.is_empty() {
                    role = role.external_id(&place.external_id);
                }
                let provider = role.build().await;
                own.into_builder().credentials_provider(aws_credential_types::provider::SharedCredentialsProvider::new(provider)).build()
            }
        };
        let clients = Arc::new(PlaceClients {
            lambda: aws_sdk_lambda::Client::new(&config),
            cloudwatch: aws_sdk_cloudwatch::Client::new(&config),
            tagging: aws_sdk_resourcegroupstagging::Client::new(&config),
            sts: aws_sdk_sts::Client::new(&config),
        });
        all.insert(place.clone(), clients.clone());
        clients
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn get_function_and_get_policy_spend_budgets_of_their_own_apart_from_the_control_plane() {
        let factory = AwsFactory::new(10, 8);
        let b = factory.budgets("111111111111", "us-west-2");
        let start = tokio::time::Instant::now();

        // A second's worth of each at once: 10 control-plane calls, 50 GetFunction, 10 GetPolicy.
        let drain = |budget: Arc<RateBudget>, n: usize| async move {
            for _ in 0..n {
                budget.acquire().await;
            }
        };
        tokio::join!(drain(b.control_plane.clone(), 10), drain(b.get_function.clone(), 50), drain(b.get_policy.clone(), 10));

        let elapsed = start.elapsed();
        assert!(elapsed < Duration::from_millis(1500), "one budget would take 7 s for 70 calls; took {elapsed:?}");
        assert!(elapsed >= Duration::from_millis(900), "each budget still holds its own rate: {elapsed:?}");
    }

    #[test]
    fn places_in_one_account_and_region_share_budgets_and_other_regions_do_not() {
        let factory = AwsFactory::new(10, 8);

        let (a, again, other) = (factory.budgets("111111111111", "us-west-2"), factory.budgets("111111111111", "us-west-2"), factory.budgets("111111111111", "eu-west-1"));

        assert!(Arc::ptr_eq(&a.control_plane, &again.control_plane) && Arc::ptr_eq(&a.get_policy, &again.get_policy));
        assert!(!Arc::ptr_eq(&a.control_plane, &other.control_plane));
        assert!(!Arc::ptr_eq(&a.control_plane, &a.get_function) && !Arc::ptr_eq(&a.control_plane, &a.get_policy));
    }
}
