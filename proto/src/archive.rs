//! A deleted version's archive: where it lives and what its `version.json` says. The deletion
//! writes it (`code.zip` first, `version.json` last, so a folder with a `version.json` is a
//! whole archive) and `restore` reads it back. The environment variables are in it, so an
//! archive is as secret as the function itself.

use serde::{Deserialize, Serialize};

use crate::v1::ReportRow;

/// `version.json`'s `format`; a reader refuses any other.
pub const FORMAT: &str = "snapstart-cleaner/archive/v1";
/// The record's name in a version's folder.
pub const RECORD: &str = "version.json";
/// The package's name in a version's folder (zip versions only).
pub const PACKAGE: &str = "code.zip";

/// How many characters of a CodeSha256 (base64, 44 characters) the scan keeps: 72 bits tell two
/// packages apart, and 10,000 whole hashes would not fit a working set's payload budget.
pub const HASH_PREFIX_CHARS: usize = 12;

/// The part of a CodeSha256 the scan keeps.
pub fn hash_prefix(code_sha256: &str) -> String {
    code_sha256.chars().take(HASH_PREFIX_CHARS).collect()
}

/// One version's archive record.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ArchiveRecord {
    pub format: String,
    pub account_id: String,
    pub region: String,
    pub function_name: String,
    pub version: String,
    /// Base64 SHA-256 of the package (`code.zip` hashes to it), as AWS reports CodeSha256.
    pub code_sha256: String,
    pub last_modified: String,
    /// `Zip` (the package is `code.zip` beside this record) or `Image` (it stays in ECR).
    pub package_type: String,
    /// The package's size in bytes (zip versions).
    #[serde(default)]
    pub code_size_bytes: u64,
    #[serde(default)]
    pub image_uri: String,
    #[serde(default)]
    pub resolved_image_uri: String,
    /// GetFunction's `Configuration`, with AWS's key names.
    pub configuration: serde_json::Value,
    #[serde(default)]
    pub tags: std::collections::BTreeMap<String, String>,
    /// The scan's row for the version.
    pub scan_row: ReportRow,
    pub workflow_id: String,
    pub run_id: String,
    /// RFC 3339.
    pub archived_at: String,
}

/// Why an archive record cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct BadRecord(pub String);

impl ArchiveRecord {
    /// Reads and checks a `version.json`: its format, and the fields a restore relies on.
    pub fn parse(bytes: &[u8]) -> Result<Self, BadRecord> {
        let record: Self = serde_json::from_slice(bytes).map_err(|e| BadRecord(format!("{RECORD} is not an archive record: {e}")))?;
        if record.format != FORMAT {
            return Err(BadRecord(format!("{RECORD} has format {:?}; this release reads {FORMAT:?}", record.format)));
        }
        let missing: Vec<&str> = [
            ("function_name", record.function_name.is_empty()),
            ("version", record.version.is_empty()),
            ("region", record.region.is_empty()),
            ("code_sha256", record.code_sha256.is_empty()),
            ("configuration", !record.configuration.is_object()),
            ("image_uri", record.package_type == "Image" && record.image_uri.is_empty()),
        ]
        .into_iter()
        .filter_map(|(name, missing)| missing.then_some(name))
        .collect();
        if !missing.is_empty() {
            return Err(BadRecord(format!("{RECORD} lacks {}", missing.join(", "))));
        }
        if !matches!(record.package_type.as_str(), "Zip" | "Image") {
            return Err(BadRecord(format!("{RECORD} has package_type {:?} (Zip or Image)", record.package_type)));
        }
        Ok(record)
    }

    /// Whether the version is archived as a zip package beside the record.
    pub fn has_package(&self) -> bool {
        self.package_type == "Zip"
    }
}

/// The folder of one version's archive under `prefix`:
/// `<prefix><account_id>/<region>/<function_name>/<version>/`.
pub fn folder(prefix: &str, account_id: &str, region: &str, function_name: &str, version: &str) -> String {
    let sep = if prefix.is_empty() || prefix.ends_with('/') { "" } else { "/" };
    format!("{prefix}{sep}{account_id}/{region}/{function_name}/{version}/")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> ArchiveRecord {
        ArchiveRecord {
            format: FORMAT.into(),
            account_id: "111111111111".into(),
            region: "us-west-2".into(),
            function_name: "orders".into(),
            version: "7".into(),
            code_sha256: "abc=".into(),
            package_type: "Zip".into(),
            configuration: serde_json::json!({"MemorySize": 512}),
            ..Default::default()
        }
    }

    #[test]
    fn a_record_reads_back_as_written() {
        let bytes = serde_json::to_vec(&record()).unwrap();
        assert_eq!(ArchiveRecord::parse(&bytes).unwrap(), record());
        assert!(record().has_package());
        assert!(!ArchiveRecord { package_type: "Image".into(), ..record() }.has_package(), "an image stays in ECR");
    }

    #[test]
    fn a_record_without_what_a_restore_needs_is_refused_with_what_is_missing() {
        let cases: Vec<(Box<dyn Fn(&mut ArchiveRecord)>, &str)> = vec![
            (Box::new(|r| r.format = "v0".into()), "format"),
            (Box::new(|r| r.code_sha256.clear()), "code_sha256"),
            (Box::new(|r| r.function_name.clear()), "function_name"),
            (Box::new(|r| r.version.clear()), "version"),
            (Box::new(|r| r.region.clear()), "region"),
            (Box::new(|r| r.configuration = serde_json::Value::Null), "configuration"),
            (Box::new(|r| r.package_type = "Image".into()), "image_uri"),
            (Box::new(|r| r.package_type = "Tar".into()), "package_type"),
        ];
        for (break_it, named) in cases {
            let mut r = record();
            break_it(&mut r);
            let err = ArchiveRecord::parse(&serde_json::to_vec(&r).unwrap()).unwrap_err();
            assert!(err.0.contains(named), "{named}: {err}");
        }
        assert!(ArchiveRecord::parse(b"{not json").unwrap_err().0.contains("not an archive record"));
        assert!(ArchiveRecord::parse(br#"{"format": "snapstart-cleaner/archive/v1"}"#).unwrap_err().0.contains("missing field"));
    }

    #[test]
    fn the_scan_keeps_the_first_twelve_characters_of_a_hash() {
        assert_eq!(hash_prefix("47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="), "47DEQpj8HBSa");
        assert_eq!(hash_prefix("short"), "short");
    }

    #[test]
    fn a_version_s_folder_is_account_region_function_version() {
        assert_eq!(folder("archive/", "111111111111", "us-west-2", "orders", "7"), "archive/111111111111/us-west-2/orders/7/");
        assert_eq!(folder("archive", "111111111111", "us-west-2", "orders", "7"), "archive/111111111111/us-west-2/orders/7/", "a prefix is a folder");
        assert_eq!(folder("", "111111111111", "us-west-2", "orders", "7"), "111111111111/us-west-2/orders/7/");
    }
}
