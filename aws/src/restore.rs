//! The writes `restore` makes to a function's `$LATEST`: its code (from S3 or an image), its
//! configuration, and the version published from it, each guarded by the RevisionId the caller
//! last read, so AWS refuses (412 PreconditionFailedException) when someone else changed
//! `$LATEST` in between. Also the archive's side: where its bucket is, copying its package to
//! a staging bucket, and hashing it.

use async_trait::async_trait;
use base64::Engine;
use sha2::{Digest, Sha256};

use super::{
    archive::{object_body, whole_body, VersionCode},
    configuration::configuration_update,
    lambda::LambdaAdapter,
    retry::{with_retries, RetryPolicy},
    AwsError, CallCounter,
};

/// `$LATEST` as GetFunction reports it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Latest {
    pub code: VersionCode,
    pub revision_id: String,
    /// `Successful`, `InProgress` or `Failed`.
    pub last_update_status: String,
}

/// Where new code for `$LATEST` comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum CodeSource {
    /// A zip in a bucket in the function's region.
    S3 { bucket: String, key: String },
    Image(String),
}

/// The writes of a restore.
#[async_trait]
pub trait FunctionWrite: Send + Sync {
    /// GetFunction of `$LATEST`.
    async fn latest(&self, function_name: &str) -> Result<Latest, AwsError>;
    /// UpdateFunctionCode on `architectures` (left as they are when empty), only if `$LATEST`'s
    /// RevisionId is still `revision_id`.
    async fn update_code(&self, function_name: &str, code: &CodeSource, architectures: &[String], revision_id: &str) -> Result<(), AwsError>;
    /// UpdateFunctionConfiguration to `configuration` (AWS's key names), only if `$LATEST`'s
    /// RevisionId is still `revision_id`.
    async fn update_configuration(&self, function_name: &str, configuration: &serde_json::Value, revision_id: &str) -> Result<(), AwsError>;
    /// PublishVersion, only if `$LATEST`'s CodeSha256 is `code_sha256` and its RevisionId is
    /// still `revision_id`; returns the version number.
    async fn publish(&self, function_name: &str, code_sha256: &str, revision_id: &str, description: &str) -> Result<String, AwsError>;
    /// UpdateAlias: points `alias` at `version`.
    async fn point_alias(&self, function_name: &str, alias: &str, version: &str) -> Result<(), AwsError>;
}

#[async_trait]
impl FunctionWrite for LambdaAdapter {
    async fn latest(&self, function_name: &str) -> Result<Latest, AwsError> {
        let out = self.get_function(function_name, "$LATEST").await?;
        let config = out.configuration().ok_or_else(|| AwsError::invalid("GetFunction", "response has no Configuration"))?;
        let revision_id = config.revision_id().unwrap_or_default().to_string();
        let last_update_status = config.last_update_status().map(|s| s.as_str().to_string()).unwrap_or_else(|| "Successful".to_string());
        Ok(Latest { code: super::archive::version_code_of(&out)?, revision_id, last_update_status })
    }

    async fn update_code(&self, function_name: &str, code: &CodeSource, architectures: &[String], revision_id: &str) -> Result<(), AwsError> {
        let mut request = self.client.update_function_code().function_name(function_name).revision_id(revision_id);
        if !architectures.is_empty() {
            request = request.set_architectures(Some(architectures.iter().map(|a| aws_sdk_lambda::types::Architecture::from(a.as_str())).collect()));
        }
        request = match code {
            CodeSource::S3 { bucket, key } => request.s3_bucket(bucket).s3_key(key),
            CodeSource::Image(uri) => request.image_uri(uri),
        };
        self.call("UpdateFunctionCode", || request.clone().send()).await.map(|_| ())
    }

    async fn update_configuration(&self, function_name: &str, configuration: &serde_json::Value, revision_id: &str) -> Result<(), AwsError> {
        let request = configuration_update(self.client.update_function_configuration().function_name(function_name), configuration).revision_id(revision_id);
        self.call("UpdateFunctionConfiguration", || request.clone().send()).await.map(|_| ())
    }

    async fn publish(&self, function_name: &str, code_sha256: &str, revision_id: &str, description: &str) -> Result<String, AwsError> {
        let request = self.client.publish_version().function_name(function_name).code_sha256(code_sha256).revision_id(revision_id).description(description);
        let out = self.call("PublishVersion", || request.clone().send()).await?;
        out.version().map(str::to_string).ok_or_else(|| AwsError::invalid("PublishVersion", "no Version in the answer"))
    }

    async fn point_alias(&self, function_name: &str, alias: &str, version: &str) -> Result<(), AwsError> {
        let request = self.client.update_alias().function_name(function_name).name(alias).function_version(version);
        self.call("UpdateAlias", || request.clone().send()).await.map(|_| ())
    }
}

/// The archive bucket as a restore reads it, and the staging copy Lambda needs when the bucket
/// is not in the function's region.
pub struct ArchiveReader {
    s3: aws_sdk_s3::Client,
    counter: std::sync::Arc<CallCounter>,
}

impl ArchiveReader {
    pub fn new(s3: aws_sdk_s3::Client, counter: std::sync::Arc<CallCounter>) -> Self {
        Self { s3, counter }
    }

    /// The object's body, `None` when there is none.
    pub async fn read(&self, bucket: &str, key: &str) -> Result<Option<Vec<u8>>, AwsError> {
        match object_body(&self.s3, &self.counter, bucket, key, None).await? {
            Some(body) => Ok(Some(whole_body(body).await?)),
            None => Ok(None),
        }
    }

    /// The SHA-256 (base64) and size of an object, read as a stream (one chunk at a time);
    /// `None` when there is no such object.
    pub async fn sha256(&self, bucket: &str, key: &str) -> Result<Option<(String, u64)>, AwsError> {
        let Some(mut body) = object_body(&self.s3, &self.counter, bucket, key, None).await? else { return Ok(None) };
        let (mut hash, mut size) = (Sha256::new(), 0u64);
        while let Some(chunk) = body.try_next().await.map_err(|e| AwsError::invalid("GetObject", format!("reading the body: {e}")))? {
            hash.update(&chunk);
            size += chunk.len() as u64;
        }
        Ok(Some((base64::engine::general_purpose::STANDARD.encode(hash.finalize()), size)))
    }

    /// The bucket's region (GetBucketLocation: empty means us-east-1, `EU` eu-west-1).
    pub async fn bucket_region(&self, bucket: &str) -> Result<String, AwsError> {
        let out = with_retries("GetBucketLocation", None, &self.counter, RetryPolicy::default(), || self.s3.get_bucket_location().bucket(bucket).send()).await?;
        Ok(match out.location_constraint().map(|c| c.as_str()).unwrap_or_default() {
            "" => "us-east-1".to_string(),
            "EU" => "eu-west-1".to_string(),
            region => region.to_string(),
        })
    }
}

/// Writes into the staging bucket (in the function's region).
pub struct StagingWriter {
    s3: aws_sdk_s3::Client,
    counter: std::sync::Arc<CallCounter>,
}

impl StagingWriter {
    pub fn new(s3: aws_sdk_s3::Client, counter: std::sync::Arc<CallCounter>) -> Self {
        Self { s3, counter }
    }

    /// CopyObject from `source_bucket`/`source_key` (any region) to `bucket`/`key`, SSE-S3.
    pub async fn copy(&self, source_bucket: &str, source_key: &str, bucket: &str, key: &str) -> Result<(), AwsError> {
        let source = format!("{source_bucket}/{}", url::form_urlencoded::byte_serialize(source_key.as_bytes()).collect::<String>().replace("%2F", "/"));
        with_retries("CopyObject", None, &self.counter, RetryPolicy::default(), || {
            self.s3.copy_object().copy_source(&source).bucket(bucket).key(key).server_side_encryption(aws_sdk_s3::types::ServerSideEncryption::Aes256).send()
        })
        .await
        .map(|_| ())
    }

    /// DeleteObject (the staging copies, once the restore is over).
    pub async fn delete(&self, bucket: &str, key: &str) -> Result<(), AwsError> {
        with_retries("DeleteObject", None, &self.counter, RetryPolicy::default(), || self.s3.delete_object().bucket(bucket).key(key).send()).await.map(|_| ())
    }
}
