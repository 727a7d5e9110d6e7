//! Archive before delete: a version that passed its re-check is copied into the run's archive
//! before its DeleteFunction, so `restore` can bring it back. Its folder
//! (`<prefix><account>/<region>/<function>/<version>/`) gets `code.zip` (streamed from
//! GetFunction's link, stored only if it hashes to CodeSha256) and then `version.json`, which
//! makes the folder a whole archive. A container image keeps its image URIs instead of a zip.
//!
//! Any doubt means the version is not deleted: a version whose CodeSha256 or LastModified differ
//! from the scan's is `skipped_changed_since_scan`, and any failure (access denied, an expired
//! link twice, a hash mismatch, a timeout) is `skipped_archive_failed`. A folder whose
//! `version.json` already records the same CodeSha256 (an earlier attempt's) is not written again.

use chrono::{DateTime, SecondsFormat, Utc};
use snapstart_aws::archive::{ArchiveWrite, CopyError, VersionCode, VersionCodeRead};
use snapstart_proto::{
    archive::{folder, ArchiveRecord, FORMAT, PACKAGE, RECORD},
    v1::ReportRow,
};
use snapstart_rules::parse_last_modified;

use crate::outcome;

/// Where and for which run one place's versions are archived.
pub struct ArchiveDeps<'a> {
    pub code: &'a dyn VersionCodeRead,
    pub store: &'a dyn ArchiveWrite,
    /// The key prefix inside the bucket (`archive_uri` without its bucket).
    pub prefix: &'a str,
    /// The account the versions are in (the folder names it).
    pub account_id: &'a str,
    pub region: &'a str,
    pub workflow_id: &'a str,
    pub run_id: &'a str,
}

impl ArchiveDeps<'_> {
    /// The key of `row`'s folder.
    fn folder_key(&self, row: &ReportRow) -> String {
        folder(self.prefix, self.account_id, self.region, &row.function_name, &row.version)
    }

    /// `s3://…` of `row`'s folder.
    pub fn folder_uri(&self, row: &ReportRow) -> String {
        self.store.location(&self.folder_key(row))
    }
}

/// Why a version was not archived, and so is not deleted.
#[derive(Debug, Clone, PartialEq)]
pub struct NotArchived {
    pub outcome: &'static str,
    pub reason: String,
}

fn failed(reason: impl Into<String>) -> NotArchived {
    NotArchived { outcome: outcome::ARCHIVE_FAILED, reason: reason.into() }
}

/// Whether the version GetFunction describes now is the one the scan saw; `Some(why)` if not:
/// its CodeSha256 must start with the scan's prefix of it, and its LastModified be the scan's.
/// A scan row without a hash (a run started before hashes were kept) is checked on LastModified
/// alone; a LastModified that does not parse on either side counts as changed.
pub fn changed_since_scan(row: &ReportRow, now: &VersionCode) -> Option<String> {
    let seen = &row.code_sha256_prefix;
    if !seen.is_empty() && (now.code_sha256.is_empty() || !now.code_sha256.starts_with(seen.as_str())) {
        return Some(format!("CodeSha256 is {} now; the scan saw {seen}…", now.code_sha256));
    }
    let (seen, current) = (parse_last_modified(&row.last_modified), parse_last_modified(&now.last_modified));
    match (seen, current) {
        (Some(a), Some(b)) if a == b => None,
        _ => Some(format!("LastModified is {:?} now; the scan saw {:?}", now.last_modified, row.last_modified)),
    }
}

/// Archives `row`'s version; returns its folder's `s3://` location.
pub async fn archive(deps: &ArchiveDeps<'_>, row: &ReportRow, now: DateTime<Utc>) -> Result<String, NotArchived> {
    let folder_key = deps.folder_key(row);
    let mut code = read(deps, row).await?;
    if let Some(why) = changed_since_scan(row, &code) {
        return Err(NotArchived { outcome: outcome::CHANGED, reason: why });
    }
    let record_key = format!("{folder_key}{RECORD}");
    match deps.store.read(&record_key).await {
        Ok(Some(bytes)) => {
            return match ArchiveRecord::parse(&bytes) {
                Ok(r) if same_version(&r, &code) => {
                    tracing::info!(function = %row.function_name, version = %row.version, "already archived by an earlier attempt; not archived again");
                    Ok(deps.store.location(&folder_key))
                }
                // A whole archive of something else is never overwritten (it may be the only
                // way back to a version deleted before), and never stands for this version.
                Ok(r) => Err(failed(format!(
                    "{} already holds the archive of another package (CodeSha256 {}, LastModified {}): not overwritten",
                    deps.store.location(&folder_key), r.code_sha256, r.last_modified
                ))),
                Err(e) => Err(failed(format!("{} holds a {RECORD} this release cannot read ({e}): not overwritten", deps.store.location(&folder_key)))),
            };
        }
        Ok(None) => {}
        Err(e) => return Err(failed(format!("reading {}: {e}", deps.store.location(&record_key)))),
    }
    let mut size = 0;
    if code.package_type != "Image" {
        let package_key = format!("{folder_key}{PACKAGE}");
        let copied = match deps.store.copy_link(&code.location, &package_key, &code.code_sha256).await {
            // An expired link (or any other failed download): a fresh link, once.
            Err(CopyError::Link(first)) => {
                tracing::info!(function = %row.function_name, version = %row.version, error = %first, "the code link failed; asking GetFunction for a fresh one");
                code = read(deps, row).await?;
                if let Some(why) = changed_since_scan(row, &code) {
                    return Err(NotArchived { outcome: outcome::CHANGED, reason: why });
                }
                deps.store.copy_link(&code.location, &package_key, &code.code_sha256).await
            }
            other => other,
        };
        size = copied.map_err(|e| failed(e.to_string()))?.bytes;
    }
    let record = record_of(deps, row, code, size, now);
    let body = serde_json::to_vec_pretty(&record).map_err(|e| failed(format!("writing {RECORD}: {e}")))?;
    deps.store.put(&record_key, body, "application/json").await.map_err(|e| failed(format!("writing {}: {e}", deps.store.location(&record_key))))?;
    Ok(deps.store.location(&folder_key))
}

async fn read(deps: &ArchiveDeps<'_>, row: &ReportRow) -> Result<VersionCode, NotArchived> {
    let code = deps.code.version_code(&row.function_name, &row.version).await.map_err(|e| failed(e.to_string()))?;
    whole(code)
}

/// A GetFunction answer an archive can be made of: a hash, a link (zip versions), and the
/// environment variables themselves (Lambda reports an `Environment.Error` instead when it cannot
/// decrypt them, e.g. with a disabled KMS key: an archive without them would restore a broken
/// version).
pub fn whole(code: VersionCode) -> Result<VersionCode, NotArchived> {
    if code.code_sha256.is_empty() || (code.package_type != "Image" && code.location.is_empty()) {
        return Err(failed("GetFunction gave no CodeSha256 or no Code.Location"));
    }
    if let Some(error) = code.configuration.pointer("/Environment/Error") {
        return Err(failed(format!("GetFunction could not give the environment variables ({error}): an archive without them could not restore the version")));
    }
    Ok(code)
}

/// Whether an archive record is of the version GetFunction describes now.
fn same_version(record: &ArchiveRecord, now: &VersionCode) -> bool {
    record.code_sha256 == now.code_sha256 && record.last_modified == now.last_modified
}

/// The `version.json` of one version.
fn record_of(deps: &ArchiveDeps<'_>, row: &ReportRow, code: VersionCode, size: u64, now: DateTime<Utc>) -> ArchiveRecord {
    ArchiveRecord {
        format: FORMAT.to_string(),
        account_id: deps.account_id.to_string(),
        region: deps.region.to_string(),
        function_name: row.function_name.clone(),
        version: row.version.clone(),
        code_sha256: code.code_sha256,
        last_modified: code.last_modified,
        package_type: code.package_type,
        code_size_bytes: size,
        image_uri: code.image_uri,
        resolved_image_uri: code.resolved_image_uri,
        configuration: code.configuration,
        tags: code.tags,
        scan_row: row.clone(),
        workflow_id: deps.workflow_id.to_string(),
        run_id: deps.run_id.to_string(),
        archived_at: now.to_rfc3339_opts(SecondsFormat::Secs, true),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_version_is_the_one_the_scan_saw_only_if_its_hash_and_last_modified_match() {
        let row = |sha: &str, modified: &str| ReportRow { code_sha256_prefix: sha.into(), last_modified: modified.into(), ..Default::default() };
        let now = VersionCode { code_sha256: "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=".into(), last_modified: "2026-10-01T03:04:05.000+0000".into(), ..Default::default() };
        let cases = [
            ("47DEQpj8HBSa", "2026-10-01T03:04:05.000+0000", false, "the same version"),
            ("", "2026-10-01T03:04:05.000+0000", false, "a row from before hashes: LastModified alone"),
            ("47DEQpj8HBSb", "2026-10-01T03:04:05.000+0000", true, "another package under the same number"),
            ("47DEQpj8HBSa", "2026-10-01T03:04:06.000+0000", true, "modified since"),
            ("47DEQpj8HBSa", "", true, "nothing to compare: fail closed"),
            ("47DEQpj8HBSa", "yesterday", true, "unreadable: fail closed"),
        ];
        for (sha, modified, changed, why) in cases {
            assert_eq!(changed_since_scan(&row(sha, modified), &now).is_some(), changed, "{why}");
        }
        let unreadable_now = VersionCode { last_modified: "".into(), ..now.clone() };
        assert!(changed_since_scan(&row("47DEQpj8HBSa", "2026-10-01T03:04:05.000+0000"), &unreadable_now).is_some(), "fail closed on AWS's side too");
        let no_hash_now = VersionCode { code_sha256: "".into(), ..now.clone() };
        assert!(changed_since_scan(&row("47DEQpj8HBSa", "2026-10-01T03:04:05.000+0000"), &no_hash_now).is_some(), "no hash now: fail closed");
    }

    #[test]
    fn an_answer_without_a_hash_a_link_or_the_environment_itself_cannot_be_archived() {
        let good = VersionCode { code_sha256: "A=".into(), location: "https://link".into(), package_type: "Zip".into(), configuration: serde_json::json!({"Environment": {"Variables": {"K": "v"}}}), ..Default::default() };
        assert!(whole(good.clone()).is_ok());
        assert!(whole(VersionCode { package_type: "Image".into(), location: "".into(), ..good.clone() }).is_ok(), "an image has no link");
        assert!(whole(VersionCode { code_sha256: "".into(), ..good.clone() }).is_err());
        assert!(whole(VersionCode { location: "".into(), ..good.clone() }).is_err());
        let undecryptable = VersionCode { configuration: serde_json::json!({"Environment": {"Error": {"ErrorCode": "KMSDisabledException"}}}), ..good.clone() };
        assert_eq!(whole(undecryptable).unwrap_err().outcome, outcome::ARCHIVE_FAILED);
    }

    #[test]
    fn a_record_is_of_this_version_only_if_its_hash_and_last_modified_are() {
        let now = VersionCode { code_sha256: "A=".into(), last_modified: "2026-10-01T03:04:05.000+0000".into(), ..Default::default() };
        let record = |sha: &str, modified: &str| ArchiveRecord { code_sha256: sha.into(), last_modified: modified.into(), ..Default::default() };
        assert!(same_version(&record("A=", "2026-10-01T03:04:05.000+0000"), &now));
        assert!(!same_version(&record("B=", "2026-10-01T03:04:05.000+0000"), &now));
        assert!(!same_version(&record("A=", "2026-10-02T03:04:05.000+0000"), &now));
    }
}
