//! Builds the AWS side of a scan for one region: SDK clients (shared, cached per region), the
//! region's Lambda rate budget (shared by every scan this process runs there), and a fresh call
//! counter per scan.

use std::{collections::HashMap, sync::Arc, time::Duration};

use aws_config::{retry::RetryConfig, timeout::TimeoutConfig, BehaviorVersion, Region};
use tokio::sync::Mutex;

use super::{cloudwatch::CloudWatchAdapter, lambda::LambdaAdapter, tagging::TaggingAdapter, CallCounter, RateBudget};
use crate::scan::ScanDeps;

/// Per-attempt timeout for one AWS call; a hung call is retried, then fails closed.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(20);

struct RegionClients {
    lambda: aws_sdk_lambda::Client,
    cloudwatch: aws_sdk_cloudwatch::Client,
    tagging: aws_sdk_resourcegroupstagging::Client,
    budgets: Budgets,
}

/// One rate budget per Lambda quota (per account and region): the shared control plane
/// (15/s), GetFunction (100/s) and GetPolicy (15/s).
#[derive(Clone)]
pub struct Budgets {
    pub control_plane: Arc<RateBudget>,
    pub get_function: Arc<RateBudget>,
    pub get_policy: Arc<RateBudget>,
}

/// GetFunction's own quota is 100 requests/s per account and region; we leave half of it.
pub const DEFAULT_GET_FUNCTION_RPS: u32 = 50;
/// GetPolicy's own quota is 15 requests/s per account and region; we leave a third of it.
pub const DEFAULT_GET_POLICY_RPS: u32 = 10;

/// Hands out [`ScanDeps`] for a region.
pub struct AwsFactory {
    lambda_rps: u32,
    get_function_rps: u32,
    get_policy_rps: u32,
    concurrency: usize,
    emulator: Option<String>,
    regions: Mutex<HashMap<String, Arc<RegionClients>>>,
}

impl AwsFactory {
    /// `lambda_rps` 0 lifts the rate budgets (GetFunction's and GetPolicy's too, unless set with
    /// [`Self::with_get_function_rps`] and [`Self::with_get_policy_rps`]).
    pub fn new(lambda_rps: u32, concurrency: usize) -> Self {
        let (get_function_rps, get_policy_rps) = match lambda_rps {
            0 => (0, 0),
            _ => (DEFAULT_GET_FUNCTION_RPS, DEFAULT_GET_POLICY_RPS),
        };
        Self { lambda_rps, get_function_rps, get_policy_rps, concurrency, emulator: None, regions: Mutex::new(HashMap::new()) }
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

    /// Dependencies for one scan in `region`, with a fresh call counter.
    pub async fn scan_deps(&self, region: &str) -> (ScanDeps, Arc<CallCounter>) {
        let clients = self.clients(region).await;
        let counter = Arc::new(CallCounter::default());
        let deps = ScanDeps {
            lambda: Arc::new(LambdaAdapter::new(clients.lambda.clone(), &clients.budgets, counter.clone())),
            metrics: Arc::new(CloudWatchAdapter::new(clients.cloudwatch.clone(), counter.clone())),
            tags: Arc::new(TaggingAdapter::new(clients.tagging.clone(), counter.clone())),
            concurrency: self.concurrency,
            progress: Default::default(),
        };
        (deps, counter)
    }

    /// The Lambda writer for `region` (same client, budget and retries as the scan).
    pub async fn deleter(&self, region: &str) -> Arc<LambdaAdapter> {
        let clients = self.clients(region).await;
        Arc::new(LambdaAdapter::new(clients.lambda.clone(), &clients.budgets, Arc::new(CallCounter::default())))
    }

    async fn clients(&self, region: &str) -> Arc<RegionClients> {
        let mut regions = self.regions.lock().await;
        if let Some(c) = regions.get(region) {
            return c.clone();
        }
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
        let config = loader.load().await;
        let clients = Arc::new(RegionClients {
            lambda: aws_sdk_lambda::Client::new(&config),
            cloudwatch: aws_sdk_cloudwatch::Client::new(&config),
            tagging: aws_sdk_resourcegroupstagging::Client::new(&config),
            budgets: Budgets {
                control_plane: Arc::new(RateBudget::per_second(self.lambda_rps)),
                get_function: Arc::new(RateBudget::per_second(self.get_function_rps)),
                get_policy: Arc::new(RateBudget::per_second(self.get_policy_rps)),
            },
        });
        regions.insert(region.to_string(), clients.clone());
        clients
    }
}
