//! How hard a command may lean on AWS: the rate budgets and concurrency `worker`, `scan` and
//! `restore` share.

use clap::Args;
use snapstart_aws::factory::AwsFactory;

/// How hard the scan may lean on AWS.
#[derive(Debug, Clone, Args)]
pub struct AwsArgs {
    /// Lambda control-plane requests per second (the account shares 15/s); 0 lifts the budget
    #[arg(long, env = "LAMBDA_RPS", default_value_t = 10)]
    pub lambda_rps: u32,
    /// GetFunction requests per second, for state (its own quota, 100/s; default 50, or lifted with --lambda-rps 0); 0 lifts it
    #[arg(long, env = "GET_FUNCTION_RPS")]
    pub get_function_rps: Option<u32>,
    /// GetPolicy requests per second (its own quota, 15/s; default 10, or lifted with --lambda-rps 0); 0 lifts it
    #[arg(long, env = "GET_POLICY_RPS")]
    pub get_policy_rps: Option<u32>,
    /// AWS calls in flight at once
    #[arg(long, env = "SCAN_CONCURRENCY", default_value_t = 8)]
    pub concurrency: usize,
}

impl AwsArgs {
    /// The AWS side these settings describe.
    pub fn factory(&self) -> AwsFactory {
        let mut factory = AwsFactory::new(self.lambda_rps, self.concurrency);
        if let Some(rps) = self.get_function_rps {
            factory = factory.with_get_function_rps(rps);
        }
        if let Some(rps) = self.get_policy_rps {
            factory = factory.with_get_policy_rps(rps);
        }
        factory
    }
}

