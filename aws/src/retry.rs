//! One retry loop for every AWS call: exponential backoff with full jitter on throttling, 5xx,
//! timeouts and connection errors. It is ours rather than the SDK's so that every attempt passes
//! through the Lambda rate budget and is counted.

use std::{future::Future, time::Duration};

use aws_sdk_lambda::{
    config::http::HttpResponse,
    error::{ProvideErrorMetadata, SdkError},
};

use super::{AwsError, CallCounter, RateBudget};

/// How hard to try before giving up (and failing the check closed).
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    pub max_attempts: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self { max_attempts: 5, base_delay: Duration::from_millis(100), max_delay: Duration::from_secs(5) }
    }
}

/// Error codes AWS uses for throttling (Lambda, CloudWatch and the shared SDK list).
const THROTTLING_CODES: &[&str] = &[
    "Throttling", "ThrottlingException", "ThrottledException", "TooManyRequestsException",
    "RequestLimitExceeded", "RequestThrottled", "RequestThrottledException", "SlowDown",
    "PriorRequestNotComplete", "EC2ThrottledException", "ProvisionedThroughputExceededException",
];

/// Whether an error is worth another attempt, and how to describe it.
pub fn classify<E>(err: &SdkError<E, HttpResponse>) -> (bool, String, String)
where
    E: ProvideErrorMetadata + std::error::Error,
{
    match err {
        SdkError::TimeoutError(_) => (true, String::new(), "timed out".into()),
        SdkError::DispatchFailure(e) => (true, String::new(), format!("dispatch failure: {e:?}")),
        SdkError::ResponseError(_) => (true, String::new(), "unreadable response".into()),
        SdkError::ServiceError(se) => {
            let e = se.err();
            let code = e.code().unwrap_or("Unknown");
            let status = Some(se.raw().status().as_u16());
            let retryable = THROTTLING_CODES.contains(&code) || status == Some(429) || status.is_some_and(|s| s >= 500);
            let message = e.message().unwrap_or_default();
            let text = format!("{code}{}: {message}", status.map(|s| format!(" (HTTP {s})")).unwrap_or_default());
            (retryable, code.to_string(), text)
        }
        other => (false, String::new(), format!("{other:?}")),
    }
}

/// Runs `call` until it succeeds, fails permanently, or runs out of attempts.
pub async fn with_retries<T, E, F, Fut>(
    operation: &'static str,
    budget: Option<&RateBudget>,
    counter: &CallCounter,
    policy: RetryPolicy,
    mut call: F,
) -> Result<T, AwsError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, SdkError<E, HttpResponse>>>,
    E: ProvideErrorMetadata + std::error::Error,
{
    let mut attempt = 0;
    loop {
        attempt += 1;
        if let Some(budget) = budget {
            budget.acquire().await;
        }
        counter.record(operation);
        let err = match call().await {
            Ok(value) => return Ok(value),
            Err(err) => err,
        };
        let (retryable, code, message) = classify(&err);
        if THROTTLING_CODES.contains(&code.as_str()) || message.contains("(HTTP 429)") {
            counter.record_throttle(operation);
        }
        if !retryable || attempt >= policy.max_attempts {
            let message = if retryable { format!("{message} (gave up after {attempt} attempts)") } else { message };
            return Err(AwsError { operation, code, message });
        }
        tracing::debug!(operation, attempt, %message, "retrying AWS call");
        tokio::time::sleep(backoff(policy, attempt)).await;
    }
}

fn backoff(policy: RetryPolicy, attempt: u32) -> Duration {
    let cap = policy.base_delay.saturating_mul(1 << attempt.min(16)).min(policy.max_delay);
    cap.mul_f64(fastrand::f64())
}
