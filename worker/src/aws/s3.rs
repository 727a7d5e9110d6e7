//! The report store: PutObject of a report into the run's `s3_report_uri`, server-side encrypted
//! (SSE-S3), with the same retries as every other AWS call. It is an audit trail that was asked
//! for, so a write that keeps failing fails the activity rather than being skipped.

use std::sync::Arc;

use aws_sdk_s3::{primitives::ByteStream, types::ServerSideEncryption, Client};

use super::{
    retry::{with_retries, RetryPolicy},
    AwsError, CallCounter,
};

/// Writes reports to S3.
pub struct ReportStore {
    client: Client,
    counter: Arc<CallCounter>,
}

impl ReportStore {
    pub fn new(client: Client, counter: Arc<CallCounter>) -> Self {
        Self { client, counter }
    }

    /// Puts `body` at `bucket`/`key`, encrypted at rest; returns the `s3://` location.
    pub async fn put(&self, bucket: &str, key: &str, body: Vec<u8>, content_type: &str) -> Result<String, AwsError> {
        with_retries("PutObject", None, &self.counter, RetryPolicy::default(), || {
            self.client
                .put_object()
                .bucket(bucket)
                .key(key)
                .body(ByteStream::from(body.clone()))
                .content_type(content_type)
                .server_side_encryption(ServerSideEncryption::Aes256)
                .send()
        })
        .await?;
        Ok(format!("s3://{bucket}/{key}"))
    }
}

/// The object key of a run's report: `<prefix><workflow id><suffix>`, the workflow id with
/// anything but letters, digits, `-`, `_` and `.` replaced.
pub fn report_key(prefix: &str, workflow_id: &str, suffix: &str) -> String {
    let safe: String = workflow_id.chars().map(|c| if c.is_ascii_alphanumeric() || "-_.".contains(c) { c } else { '_' }).collect();
    format!("{prefix}{safe}{suffix}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_the_prefix_and_a_safe_workflow_id() {
        assert_eq!(report_key("audit/", "snapstart-cleanup-us-west-2+eu-west-1", ".json"), "audit/snapstart-cleanup-us-west-2_eu-west-1.json");
        assert_eq!(report_key("", "wf/../x", ".csv"), "wf_.._x.csv");
    }
}
