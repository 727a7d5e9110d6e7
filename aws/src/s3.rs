//! The report store: PutObject of a report into the run's `s3_report_uri`, server-side encrypted
//! (SSE-S3), with the same retries as every other AWS call. It is an audit trail that was asked
//! for, so a write that keeps failing fails the activity rather than being skipped. Each run
//! writes under its own run id, so no run overwrites another's trail, and when the account the
//! store acts as is known, S3 refuses the write (403) unless that account owns the bucket.

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
    /// Sent as `ExpectedBucketOwner`: a bucket of another account (a typo, a squatted name) is
    /// refused rather than given the report.
    expected_owner: Option<String>,
}

impl ReportStore {
    /// A store that pins the bucket's owner to `expected_owner` when it is known.
    pub fn new(client: Client, counter: Arc<CallCounter>, expected_owner: Option<String>) -> Self {
        Self { client, counter, expected_owner }
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
                .set_expected_bucket_owner(self.expected_owner.clone())
                .send()
        })
        .await?;
        Ok(format!("s3://{bucket}/{key}"))
    }
}

/// The object key of a run's report: `<prefix><workflow id>/<run id><suffix>`, each id with
/// anything but letters, digits, `-`, `_` and `.` replaced (and never `.` or `..` alone).
pub fn report_key(prefix: &str, workflow_id: &str, run_id: &str, suffix: &str) -> String {
    format!("{prefix}{}/{}{suffix}", safe(workflow_id), safe(run_id))
}

fn safe(id: &str) -> String {
    let safe: String = id.chars().map(|c| if c.is_ascii_alphanumeric() || "-_.".contains(c) { c } else { '_' }).collect();
    match safe.as_str() {
        "" | "." | ".." => format!("_{safe}"),
        _ => safe,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_the_prefix_and_safe_workflow_and_run_ids() {
        let run = "0194f3a2-7c1e-7d3b-9a55-3c2f1e0d9b8a";
        assert_eq!(report_key("audit/", "snapstart-cleanup-us-west-2+eu-west-1", run, ".json"), format!("audit/snapstart-cleanup-us-west-2_eu-west-1/{run}.json"));
        assert_eq!(report_key("", "wf/../x", "r", ".csv"), "wf_.._x/r.csv");
        assert_eq!(report_key("p/", "..", "", ".json"), "p/_../_.json", "never a path segment of dots");
    }

    #[test]
    fn two_runs_of_one_workflow_id_never_share_a_key() {
        assert_ne!(report_key("p/", "wf", "run-1", ".json"), report_key("p/", "wf", "run-2", ".json"));
    }
}
