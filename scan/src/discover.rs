//! Phase 1, `discover-snapstart`: every published version with SnapStart applied to published
//! versions (or, in a run over every version, every numbered published version), grouped by
//! function. `$LATEST` and other non-numeric qualifiers never reach the report.
//!
//! AWS does not allow provisioned concurrency on a SnapStart version ("SnapStart does not
//! support provisioned concurrency", Lambda developer guide), so a SnapStart version's
//! provisioned concurrency is known to be none here and never listed.
//! Functions outside the run's globs, or carrying the protect tag (one tagging listing for the
//! region; if it fails, every function is marked unreadable and nothing can be a candidate), are
//! marked so that no later phase spends a call on them.

use std::collections::BTreeMap;

use snapstart_aws::{AwsError, ListedVersion};
use snapstart_proto::v1::{CodeStorage, FunctionScan, Observation, ScanSettings, ScanState, VersionScan};
use snapstart_rules::{excluded_by_pattern, parse_version_number, tag_protects};

use crate::ScanDeps;

/// Lists every version in the region (all pages) and keeps the SnapStart ones.
pub async fn discover(deps: &ScanDeps, settings: ScanSettings) -> Result<ScanState, AwsError> {
    let (lambda, progress) = (deps.lambda.as_ref(), deps.progress.as_ref());
    let mut functions: BTreeMap<String, FunctionScan> = BTreeMap::new();
    let mut marker = None;
    progress.start("discover-snapstart: versions listed", 0);
    loop {
        let page = lambda.list_versions_page(marker).await?;
        progress.advance(page.versions.len());
        for v in page.versions {
            if v.function_name.starts_with(&settings.function_name_prefix) {
                add(&mut functions, v, settings.covers_every_version());
            }
        }
        marker = page.next_marker;
        if marker.is_none() {
            break;
        }
    }
    let mut functions: Vec<FunctionScan> = functions.into_values().filter(|f| !f.versions.is_empty()).map(sorted).collect();
    mark_exclusions(deps, &settings, &mut functions).await;
    // What the region's code storage is; the report is just as safe without it.
    let code_storage = match lambda.code_storage().await {
        Ok((used_bytes, limit_bytes)) => CodeStorage { used_bytes, limit_bytes, error: String::new() },
        Err(e) => CodeStorage { error: e.to_string(), ..Default::default() },
    };
    Ok(ScanState { settings: Some(settings), functions, code_storage: Some(code_storage), ..Default::default() })
}

async fn mark_exclusions(deps: &ScanDeps, settings: &ScanSettings, functions: &mut [FunctionScan]) {
    for f in functions.iter_mut() {
        f.excluded_by_pattern = excluded_by_pattern(&f.function_name, &settings.include, &settings.exclude);
    }
    if functions.is_empty() {
        return;
    }
    let tagged = deps.tags.functions_tagged(&settings.protect_tag_key).await;
    for f in functions.iter_mut() {
        match &tagged {
            Ok(tags) => {
                f.tag_observation = Observation::Known as i32;
                f.protect_tagged = tags.get(&f.function_name).is_some_and(|value| tag_protects(value));
            }
            Err(e) => {
                f.tag_observation = Observation::Failed as i32;
                f.tag_error = e.to_string();
            }
        }
    }
}

fn add(functions: &mut BTreeMap<String, FunctionScan>, v: ListedVersion, every_version: bool) {
    if parse_version_number(&v.version).is_none() {
        return; // $LATEST and other non-numeric qualifiers: never in scope
    }
    let f = functions.entry(v.function_name.clone()).or_insert_with(|| FunctionScan {
        function_name: v.function_name.clone(),
        ..Default::default()
    });
    f.published_versions.push(v.version.clone());
    let snapstart = v.snapstart_apply_on == "PublishedVersions";
    if snapstart || every_version {
        // No provisioned concurrency can exist on a SnapStart version: known without a call.
        let provisioned_observation = if snapstart { Observation::Known } else { Observation::NotChecked } as i32;
        f.versions.push(VersionScan {
            snapstart,
            provisioned_observation,
            version: v.version,
            runtime: v.runtime,
            memory_size_mb: v.memory_size_mb,
            last_modified: v.last_modified,
            snapstart_optimization_status: v.snapstart_optimization_status,
            code_size_bytes: v.code_size_bytes,
            code_sha256_prefix: snapstart_proto::archive::hash_prefix(&v.code_sha256),
            ..Default::default()
        });
    }
}

fn sorted(mut f: FunctionScan) -> FunctionScan {
    let key = |s: &str| parse_version_number(s).unwrap_or(u64::MAX);
    f.published_versions.sort_by_key(|v| key(v));
    f.published_versions.dedup();
    f.versions.sort_by_key(|v| key(&v.version));
    f
}
