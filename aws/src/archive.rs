//! The archive's AWS side: GetFunction of one version (its configuration and the presigned link
//! to its package), and the archive bucket: small reads and writes, and the copy of a package
//! from its link into the bucket, streamed part by part (memory independent of package size)
//! and hashed on the way, so nothing whose SHA-256 differs from CodeSha256 is ever stored.
//!
//! The bucket is written with the worker's own credentials, pinned to the worker's account
//! (`ExpectedBucketOwner`), encrypted with SSE-KMS when a key is given, else SSE-S3.

use std::{collections::BTreeMap, sync::Arc, time::Duration};

use async_trait::async_trait;
use aws_sdk_s3::{
    primitives::ByteStream,
    types::{CompletedMultipartUpload, CompletedPart, ServerSideEncryption},
};
use base64::Engine;
use bytes::Bytes;
use sha2::{Digest, Sha256};

use super::{
    configuration::configuration_json,
    lambda::LambdaAdapter,
    retry::{with_retries, RetryPolicy},
    AwsError, CallCounter,
};

/// What GetFunction says of one version: what its archive records, and where its code is.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct VersionCode {
    /// GetFunction's `Configuration`, with AWS's key names (see `configuration.rs`).
    pub configuration: serde_json::Value,
    /// The function's tags (GetFunction's `Tags`).
    pub tags: BTreeMap<String, String>,
    pub code_sha256: String,
    pub last_modified: String,
    /// `Zip` or `Image`.
    pub package_type: String,
    /// The presigned link to the package (`Code.Location`, valid for 10 minutes); empty for images.
    pub location: String,
    pub image_uri: String,
    pub resolved_image_uri: String,
}

/// Reads one version's code and configuration.
#[async_trait]
pub trait VersionCodeRead: Send + Sync {
    /// GetFunction with the version as qualifier (GetFunction's own quota and budget).
    async fn version_code(&self, function_name: &str, version: &str) -> Result<VersionCode, AwsError>;
}

#[async_trait]
impl VersionCodeRead for LambdaAdapter {
    async fn version_code(&self, function_name: &str, version: &str) -> Result<VersionCode, AwsError> {
        version_code_of(&self.get_function(function_name, version).await?)
    }
}

/// What a GetFunction answer says of the version's code and configuration.
pub fn version_code_of(out: &aws_sdk_lambda::operation::get_function::GetFunctionOutput) -> Result<VersionCode, AwsError> {
    let config = out.configuration().ok_or_else(|| AwsError::invalid("GetFunction", "response has no Configuration"))?;
    let code = out.code();
    let text = |v: Option<&str>| v.unwrap_or_default().to_string();
    Ok(VersionCode {
        configuration: configuration_json(config),
        tags: out.tags().map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect()).unwrap_or_default(),
        code_sha256: text(config.code_sha256()),
        last_modified: text(config.last_modified()),
        package_type: config.package_type().map(|p| p.as_str().to_string()).unwrap_or_else(|| "Zip".to_string()),
        location: text(code.and_then(|c| c.location())),
        image_uri: text(code.and_then(|c| c.image_uri())),
        resolved_image_uri: text(code.and_then(|c| c.resolved_image_uri())),
    })
}

/// What a copy stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Copied {
    pub bytes: u64,
    /// 0 for a single PutObject, else the multipart upload's parts.
    pub parts: u32,
}

/// Why a package was not copied; nothing is left in the bucket in any case.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CopyError {
    /// The link could not be read (an expired link answers 403): a fresh GetFunction may help.
    #[error("downloading the package: {0}")]
    Link(String),
    #[error("the package's SHA-256 is {actual}, not its CodeSha256 {expected}")]
    Mismatch { expected: String, actual: String },
    #[error("storing the package: {0}")]
    Store(AwsError),
}

/// The archive bucket.
#[async_trait]
pub trait ArchiveWrite: Send + Sync {
    /// `s3://<bucket>/<key>`.
    fn location(&self, key: &str) -> String;
    /// The object's body, `None` when there is none (NoSuchKey).
    async fn read(&self, key: &str) -> Result<Option<Vec<u8>>, AwsError>;
    async fn put(&self, key: &str, body: Vec<u8>, content_type: &str) -> Result<(), AwsError>;
    /// Copies the package behind `link` to `key`, storing it only if its SHA-256 (base64) is
    /// `expected_sha256`.
    async fn copy_link(&self, link: &str, key: &str, expected_sha256: &str) -> Result<Copied, CopyError>;
}

/// S3 requires parts of at least 5 MiB but the last; we hold one part at a time.
pub const PART_SIZE: usize = 8 * 1024 * 1024;
/// The longest silence tolerated from the link while downloading.
const READ_TIMEOUT: Duration = Duration::from_secs(60);

/// [`ArchiveWrite`] over S3 and an HTTP client for the links.
pub struct ArchiveStore {
    s3: aws_sdk_s3::Client,
    http: reqwest::Client,
    bucket: String,
    kms_key_id: String,
    expected_owner: Option<String>,
    counter: Arc<CallCounter>,
}

impl ArchiveStore {
    /// A store for `bucket`, encrypting with `kms_key_id` (empty: SSE-S3), refusing a bucket not
    /// owned by `expected_owner` when that is known.
    pub fn new(s3: aws_sdk_s3::Client, bucket: &str, kms_key_id: &str, expected_owner: Option<String>, counter: Arc<CallCounter>) -> Self {
        let http = reqwest::Client::builder().connect_timeout(Duration::from_secs(10)).read_timeout(READ_TIMEOUT).build().expect("an HTTP client with rustls");
        Self { s3, http, bucket: bucket.to_string(), kms_key_id: kms_key_id.to_string(), expected_owner, counter }
    }

    fn encryption(&self) -> (ServerSideEncryption, Option<String>) {
        match self.kms_key_id.is_empty() {
            true => (ServerSideEncryption::Aes256, None),
            false => (ServerSideEncryption::AwsKms, Some(self.kms_key_id.clone())),
        }
    }

    async fn put_bytes(&self, key: &str, body: Bytes, content_type: &str) -> Result<(), AwsError> {
        let (sse, kms) = self.encryption();
        with_retries("PutObject", None, &self.counter, RetryPolicy::default(), || {
            self.s3
                .put_object()
                .bucket(&self.bucket)
                .key(key)
                .body(ByteStream::from(body.clone()))
                .content_type(content_type)
                .server_side_encryption(sse.clone())
                .set_ssekms_key_id(kms.clone())
                .set_expected_bucket_owner(self.expected_owner.clone())
                .send()
        })
        .await
        .map(|_| ())
    }

    async fn upload_part(&self, key: &str, upload_id: &str, number: i32, body: Bytes) -> Result<CompletedPart, AwsError> {
        let out = with_retries("UploadPart", None, &self.counter, RetryPolicy::default(), || {
            self.s3
                .upload_part()
                .bucket(&self.bucket)
                .key(key)
                .upload_id(upload_id)
                .part_number(number)
                .body(ByteStream::from(body.clone()))
                .set_expected_bucket_owner(self.expected_owner.clone())
                .send()
        })
        .await?;
        Ok(CompletedPart::builder().part_number(number).set_e_tag(out.e_tag().map(str::to_string)).build())
    }

    async fn abort(&self, key: &str, upload_id: &str) {
        let aborted = with_retries("AbortMultipartUpload", None, &self.counter, RetryPolicy::default(), || {
            self.s3.abort_multipart_upload().bucket(&self.bucket).key(key).upload_id(upload_id).set_expected_bucket_owner(self.expected_owner.clone()).send()
        })
        .await;
        if let Err(e) = aborted {
            // Parts of an aborted copy are never an archive (no version.json names them); a
            // lifecycle rule removes them (docs/operations.md).
            tracing::warn!(key, error = %e, "could not abort the multipart upload of a failed copy");
        }
    }

    /// Streams the link's body into `key`; the upload is completed only if the hash matches.
    async fn stream(&self, link: &str, key: &str, expected: &str, upload_id: &mut Option<String>) -> Result<Copied, CopyError> {
        self.counter.record("GetCodeLink");
        let mut response = self.http.get(link).send().await.map_err(|e| CopyError::Link(e.without_url().to_string()))?;
        if !response.status().is_success() {
            let status = response.status();
            let body = response.text().await.unwrap_or_default();
            return Err(CopyError::Link(format!("HTTP {status}: {}", s3_error(&body))));
        }
        let mut hash = Sha256::new();
        // One part's buffer, never grown past it (pages are touched only as bytes arrive), and
        // the part in flight: memory is about two parts whatever the package's size.
        let capacity = |known: Option<u64>| known.map_or(PART_SIZE, |n| (n as usize).min(PART_SIZE));
        let mut buffer: Vec<u8> = Vec::with_capacity(capacity(response.content_length()));
        let mut parts: Vec<CompletedPart> = Vec::new();
        let mut bytes = 0u64;
        while let Some(chunk) = response.chunk().await.map_err(|e| CopyError::Link(e.without_url().to_string()))? {
            hash.update(&chunk);
            bytes += chunk.len() as u64;
            let mut rest: &[u8] = &chunk;
            while !rest.is_empty() {
                let take = rest.len().min(PART_SIZE - buffer.len());
                buffer.extend_from_slice(&rest[..take]);
                rest = &rest[take..];
                if buffer.len() < PART_SIZE {
                    continue;
                }
                let part = Bytes::from(std::mem::replace(&mut buffer, Vec::with_capacity(PART_SIZE)));
                let id = match upload_id {
                    Some(id) => id.clone(),
                    None => upload_id.insert(self.create_upload(key).await.map_err(CopyError::Store)?).clone(),
                };
                let number = parts.len() as i32 + 1;
                parts.push(self.upload_part(key, &id, number, part).await.map_err(CopyError::Store)?);
            }
        }
        let actual = base64::engine::general_purpose::STANDARD.encode(hash.finalize());
        if actual != expected {
            return Err(CopyError::Mismatch { expected: expected.to_string(), actual });
        }
        let Some(id) = upload_id.clone() else {
            self.put_bytes(key, Bytes::from(buffer), "application/zip").await.map_err(CopyError::Store)?;
            return Ok(Copied { bytes, parts: 0 });
        };
        if !buffer.is_empty() {
            let number = parts.len() as i32 + 1;
            parts.push(self.upload_part(key, &id, number, Bytes::from(buffer)).await.map_err(CopyError::Store)?);
        }
        let count = parts.len() as u32;
        let completed = CompletedMultipartUpload::builder().set_parts(Some(parts)).build();
        with_retries("CompleteMultipartUpload", None, &self.counter, RetryPolicy::default(), || {
            self.s3
                .complete_multipart_upload()
                .bucket(&self.bucket)
                .key(key)
                .upload_id(&id)
                .multipart_upload(completed.clone())
                .set_expected_bucket_owner(self.expected_owner.clone())
                .send()
        })
        .await
        .map_err(CopyError::Store)?;
        *upload_id = None;
        Ok(Copied { bytes, parts: count })
    }

    async fn create_upload(&self, key: &str) -> Result<String, AwsError> {
        let (sse, kms) = self.encryption();
        let out = with_retries("CreateMultipartUpload", None, &self.counter, RetryPolicy::default(), || {
            self.s3
                .create_multipart_upload()
                .bucket(&self.bucket)
                .key(key)
                .content_type("application/zip")
                .server_side_encryption(sse.clone())
                .set_ssekms_key_id(kms.clone())
                .set_expected_bucket_owner(self.expected_owner.clone())
                .send()
        })
        .await?;
        out.upload_id().map(str::to_string).ok_or_else(|| AwsError::invalid("CreateMultipartUpload", "no UploadId in the answer"))
    }
}

/// GetObject's body, `None` when there is no such key (404 `NoSuchKey`, which S3 answers only to
/// a caller with `s3:ListBucket`: emulator/FIDELITY.md); any other error fails the read.
pub(crate) async fn object_body(s3: &aws_sdk_s3::Client, counter: &CallCounter, bucket: &str, key: &str, owner: Option<String>) -> Result<Option<ByteStream>, AwsError> {
    let result = with_retries("GetObject", None, counter, RetryPolicy::default(), || s3.get_object().bucket(bucket).key(key).set_expected_bucket_owner(owner.clone()).send()).await;
    match result {
        Ok(out) => Ok(Some(out.body)),
        Err(e) if e.code == "NoSuchKey" => Ok(None),
        Err(e) => Err(e),
    }
}

/// All of a (small) body.
pub(crate) async fn whole_body(body: ByteStream) -> Result<Vec<u8>, AwsError> {
    Ok(body.collect().await.map_err(|e| AwsError::invalid("GetObject", format!("reading the body: {e}")))?.into_bytes().to_vec())
}

/// The code and message of an S3 error document, or the start of whatever came instead.
fn s3_error(body: &str) -> String {
    let tag = |name: &str| body.split_once(&format!("<{name}>")).and_then(|(_, rest)| rest.split_once(&format!("</{name}>"))).map(|(v, _)| v.to_string());
    match (tag("Code"), tag("Message")) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (Some(code), None) => code,
        _ => body.chars().take(200).collect(),
    }
}

#[async_trait]
impl ArchiveWrite for ArchiveStore {
    fn location(&self, key: &str) -> String {
        format!("s3://{}/{key}", self.bucket)
    }

    async fn read(&self, key: &str) -> Result<Option<Vec<u8>>, AwsError> {
        match object_body(&self.s3, &self.counter, &self.bucket, key, self.expected_owner.clone()).await? {
            Some(body) => Ok(Some(whole_body(body).await?)),
            None => Ok(None),
        }
    }

    async fn put(&self, key: &str, body: Vec<u8>, content_type: &str) -> Result<(), AwsError> {
        self.put_bytes(key, Bytes::from(body), content_type).await
    }

    async fn copy_link(&self, link: &str, key: &str, expected_sha256: &str) -> Result<Copied, CopyError> {
        let mut upload_id = None;
        let copied = self.stream(link, key, expected_sha256, &mut upload_id).await;
        if let Some(id) = upload_id {
            self.abort(key, &id).await;
        }
        copied
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_s3_error_document_reads_as_its_code_and_message() {
        let expired = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>AccessDenied</Code><Message>Request has expired</Message><X-Amz-Expires>600</X-Amz-Expires></Error>";
        assert_eq!(s3_error(expired), "AccessDenied: Request has expired");
        assert_eq!(s3_error("<Error><Code>NoSuchKey</Code></Error>"), "NoSuchKey");
        assert_eq!(s3_error("gateway timeout"), "gateway timeout");
    }
}
