//! Reading and checking an archive folder, and deciding where Lambda will read the code from.
//! Nothing here writes anything.

use snapstart_aws::{factory::AwsFactory, restore::CodeSource};
use snapstart_proto::archive::{ArchiveRecord, PACKAGE, RECORD};

/// Why an archive folder cannot be restored; nothing was changed (exit status 2).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct Refused(pub String);

/// A whole archive, and where the restore keeps its copies.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub record: ArchiveRecord,
    /// `s3://…/` of the version's folder.
    pub folder_uri: String,
    pub archive_bucket: String,
    pub folder_key: String,
    /// The bucket in the function's region where Lambda reads code from: the archive bucket when
    /// it is in that region, else `--staging-bucket`.
    pub staging_bucket: String,
    /// Key prefix of the restore's copies in the staging bucket.
    pub staging_prefix: String,
}

impl Prepared {
    /// Where UpdateFunctionCode takes the archived code from.
    pub fn archived_code(&self) -> CodeSource {
        if !self.record.has_package() {
            let uri = if self.record.resolved_image_uri.is_empty() { &self.record.image_uri } else { &self.record.resolved_image_uri };
            return CodeSource::Image(uri.clone());
        }
        match self.staging_bucket == self.archive_bucket {
            true => CodeSource::S3 { bucket: self.archive_bucket.clone(), key: format!("{}{PACKAGE}", self.folder_key) },
            false => CodeSource::S3 { bucket: self.staging_bucket.clone(), key: format!("{}{PACKAGE}", self.staging_prefix) },
        }
    }

    /// Whether the archived zip must first be copied to the staging bucket.
    pub fn needs_copy(&self) -> bool {
        self.record.has_package() && self.staging_bucket != self.archive_bucket
    }

    /// What `restore` without `--apply` prints.
    pub fn plan(&self) -> Vec<String> {
        let r = &self.record;
        let c = &r.configuration;
        let field = |k: &str| c.get(k).map(|v| v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string())).unwrap_or_else(|| "-".into());
        let variables: Vec<&str> = c.pointer("/Environment/Variables").and_then(|v| v.as_object()).map(|m| m.keys().map(String::as_str).collect()).unwrap_or_default();
        let snapstart = c.pointer("/SnapStart/ApplyOn").and_then(|v| v.as_str()).unwrap_or("None");
        let code = match self.archived_code() {
            CodeSource::S3 { bucket, key } => format!("s3://{bucket}/{key}"),
            CodeSource::Image(uri) => format!("image {uri} (from ECR: it must still exist there)"),
        };
        let mut lines = vec![
            format!("Archive {} of {}:{} (account {}, {}), archived {} by run {}", self.folder_uri, r.function_name, r.version, r.account_id, r.region, r.archived_at, r.workflow_id),
            format!("  CodeSha256 {}  {}  runtime {}  memory {} MB  timeout {} s  SnapStart {snapstart}", r.code_sha256, r.package_type, field("Runtime"), field("MemorySize"), field("Timeout")),
            format!("  environment variables: {}", if variables.is_empty() { "none".to_string() } else { variables.join(", ") }),
            "With --apply:".to_string(),
        ];
        if self.needs_copy() {
            lines.push(format!("  0. copy the package to s3://{}/{} (Lambda reads code only from a bucket in {})", self.staging_bucket, self.staging_prefix, r.region));
        }
        lines.extend([
            format!("  1. read $LATEST of {} and keep a copy of its package in s3://{}/{}", r.function_name, self.staging_bucket, self.staging_prefix),
            format!("  2. UpdateFunctionCode from {code}"),
            "  3. UpdateFunctionConfiguration with the archived configuration".to_string(),
            format!("  4. PublishVersion with CodeSha256 {} (refused if $LATEST changed)", r.code_sha256),
            "  5. put $LATEST's code and configuration back and check its CodeSha256".to_string(),
            "Each write is guarded by the RevisionId read after the update before it; whatever fails, $LATEST is put back (its configuration written back whole). No alias is moved unless --point-alias is given.".to_string(),
        ]);
        lines
    }
}

/// Whether Lambda needs the archived package copied to a bucket in the function's region: only a
/// zip, and only when the archive bucket is elsewhere (an image comes from ECR).
fn needs_staging_bucket(archive_region: &str, function_region: &str, has_package: bool) -> bool {
    has_package && archive_region != function_region
}

/// `s3://bucket/key/` → (bucket, key ending in `/`).
fn folder_of(uri: &str) -> Result<(String, String), Refused> {
    let rest = uri.strip_prefix("s3://").ok_or_else(|| Refused(format!("{uri:?} is not an archive folder such as s3://archive-bucket/versions/111111111111/us-west-2/orders/7/")))?;
    let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
    let key = key.trim_end_matches(RECORD).trim_end_matches('/');
    if bucket.is_empty() || key.is_empty() {
        return Err(Refused(format!("{uri:?} names no folder inside its bucket")));
    }
    Ok((bucket.to_string(), format!("{key}/")))
}

/// Reads and checks the archive at `folder_uri` and decides where Lambda reads its code from.
pub async fn prepare(aws: &AwsFactory, folder_uri: &str, staging_bucket: Option<&str>) -> Result<Prepared, Refused> {
    let (bucket, folder_key) = folder_of(folder_uri)?;
    let unreadable = |e: snapstart_aws::AwsError| Refused(format!("cannot read the archive s3://{bucket}/{folder_key}: {e}"));
    let archive_region = aws.archive_reader("us-east-1").await.bucket_region(&bucket).await.map_err(unreadable)?;
    let reader = aws.archive_reader(&archive_region).await;
    let bytes = reader.read(&bucket, &format!("{folder_key}{RECORD}")).await.map_err(unreadable)?;
    let bytes = bytes.ok_or_else(|| Refused(format!("s3://{bucket}/{folder_key} has no {RECORD}: it is not a whole archive (nothing was archived there, or the archive was interrupted)")))?;
    let record = ArchiveRecord::parse(&bytes).map_err(|e| Refused(format!("s3://{bucket}/{folder_key}: {e}")))?;
    if record.has_package() {
        let hashed = reader.sha256(&bucket, &format!("{folder_key}{PACKAGE}")).await.map_err(unreadable)?;
        match hashed {
            None => return Err(Refused(format!("s3://{bucket}/{folder_key} has no {PACKAGE}"))),
            Some((sha, _)) if sha != record.code_sha256 => {
                return Err(Refused(format!("s3://{bucket}/{folder_key}{PACKAGE} hashes to {sha}, not its CodeSha256 {}: it is not the archived package", record.code_sha256)))
            }
            Some(_) => {}
        }
    }
    let (staging_bucket, staging_prefix) = match staging_bucket {
        Some(staging) => {
            let region = aws.archive_reader("us-east-1").await.bucket_region(staging).await.map_err(|e| Refused(format!("cannot find the staging bucket {staging}: {e}")))?;
            if region != record.region {
                return Err(Refused(format!("the staging bucket {staging} is in {region}, the function in {}: it must be in the function's region", record.region)));
            }
            (staging.to_string(), format!("snapstart-cleaner-restore/{}/{}/", record.function_name, record.version))
        }
        None if !needs_staging_bucket(&archive_region, &record.region, record.has_package()) => (bucket.clone(), format!("{folder_key}restore/")),
        None => {
            return Err(Refused(format!(
                "the archive bucket {bucket} is in {archive_region}, the function in {}: Lambda reads code only from a bucket in the function's region; give --staging-bucket <a bucket in {}>",
                record.region, record.region
            )))
        }
    };
    Ok(Prepared { folder_uri: format!("s3://{bucket}/{folder_key}"), record, archive_bucket: bucket, folder_key, staging_bucket, staging_prefix })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_is_a_bucket_and_a_key_with_or_without_its_trailing_slash_or_record() {
        let want = Ok(("archive".to_string(), "v/1/us-west-2/f/7/".to_string()));
        assert_eq!(folder_of("s3://archive/v/1/us-west-2/f/7/"), want);
        assert_eq!(folder_of("s3://archive/v/1/us-west-2/f/7"), want);
        assert_eq!(folder_of("s3://archive/v/1/us-west-2/f/7/version.json"), want);
        for bad in ["archive/v/1", "s3://archive", "s3://archive/", "s3:///v/1"] {
            assert!(folder_of(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn only_a_zip_archived_in_another_region_needs_a_staging_bucket() {
        assert!(needs_staging_bucket("us-east-1", "eu-west-1", true));
        assert!(!needs_staging_bucket("eu-west-1", "eu-west-1", true));
        assert!(!needs_staging_bucket("us-east-1", "eu-west-1", false), "an image comes from ECR");
    }

    fn prepared(package_type: &str, staging: &str) -> Prepared {
        Prepared {
            record: ArchiveRecord { package_type: package_type.into(), image_uri: "r/img:latest".into(), resolved_image_uri: "r/img@sha256:ab".into(), ..Default::default() },
            folder_uri: "s3://archive/v/f/7/".into(),
            archive_bucket: "archive".into(),
            folder_key: "v/f/7/".into(),
            staging_bucket: staging.into(),
            staging_prefix: "stage/".into(),
        }
    }

    #[test]
    fn lambda_reads_the_archived_zip_where_it_is_or_from_its_staging_copy_and_an_image_by_digest() {
        assert_eq!(prepared("Zip", "archive").archived_code(), CodeSource::S3 { bucket: "archive".into(), key: "v/f/7/code.zip".into() });
        assert!(!prepared("Zip", "archive").needs_copy());
        assert_eq!(prepared("Zip", "staging").archived_code(), CodeSource::S3 { bucket: "staging".into(), key: "stage/code.zip".into() });
        assert!(prepared("Zip", "staging").needs_copy());
        assert_eq!(prepared("Image", "archive").archived_code(), CodeSource::Image("r/img@sha256:ab".into()), "the digest the version ran, not a tag that moved");
        assert!(!prepared("Image", "staging").needs_copy());
    }
}
