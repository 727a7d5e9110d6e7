//! The steps of `restore --apply`, each guarded by `$LATEST`'s RevisionId, and putting `$LATEST`
//! back whatever happens once it was touched.

use std::time::Duration;

use serde::Serialize;
use serde_json::Value;
use snapstart_aws::{
    factory::{AwsFactory, Place},
    restore::{CodeSource, FunctionWrite, Latest},
    CallCounter,
};
use snapstart_proto::archive::PACKAGE;

use crate::Prepared;

/// How long an update of `$LATEST` may stay `InProgress` before the restore gives up on it.
const SETTLE_TIMEOUT: Duration = Duration::from_secs(300);
const SETTLE_POLL: Duration = Duration::from_secs(1);

/// What a restore did (`--format json` prints exactly these fields).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Restored {
    pub function_name: String,
    pub restored_from_version: String,
    pub new_version: String,
    pub code_sha256: String,
    /// `$LATEST` has its own code and configuration again.
    pub latest_restored: bool,
}

/// A restore that stopped: at which step, why, and where things stand.
#[derive(Debug, Clone, PartialEq, Serialize, thiserror::Error)]
#[error("restore stopped at {step}: {error}")]
pub struct Failed {
    pub function_name: String,
    pub restored_from_version: String,
    pub step: String,
    pub error: String,
    /// A version published before the failure (the alias step failed), if any.
    pub new_version: Option<String>,
    /// `$LATEST` has its own code and configuration (it was never changed, or was put back).
    pub latest_restored: bool,
    /// What happened to `$LATEST`, in words.
    pub latest: String,
}

/// The configuration fields a restore checks after it wrote them: those the archive keeps that
/// decide how the code runs. An absent field and an empty one are the same.
const CHECKED: &[&str] = &[
    "/Runtime", "/Handler", "/MemorySize", "/Timeout", "/Description", "/Role", "/Environment/Variables", "/SnapStart/ApplyOn", "/PackageType",
    "/Layers", "/KMSKeyArn", "/DeadLetterConfig/TargetArn", "/VpcConfig/SubnetIds", "/VpcConfig/SecurityGroupIds", "/Architectures",
];

/// The checked fields where `actual` differs from `expected`, as "field: expected → actual".
pub fn differences(expected: &Value, actual: &Value) -> Vec<String> {
    let norm = |v: Option<&Value>| -> Value {
        match v {
            None | Some(Value::Null) => Value::Null,
            Some(Value::String(s)) if s.is_empty() || s == "None" => Value::Null,
            Some(Value::Object(o)) if o.is_empty() => Value::Null,
            Some(Value::Array(a)) if a.is_empty() => Value::Null,
            Some(other) => other.clone(),
        }
    };
    CHECKED
        .iter()
        .filter_map(|field| {
            let (e, a) = (norm(expected.pointer(field)), norm(actual.pointer(field)));
            (e != a).then(|| format!("{}: {e} → {a}", field.trim_start_matches('/')))
        })
        .collect()
}

fn error(step: &str) -> impl Fn(snapstart_aws::AwsError) -> (String, String) + '_ {
    move |e| (step.to_string(), e.to_string())
}

/// Reads `$LATEST` until no update is in progress; a failed update is an error.
async fn settle(lambda: &dyn FunctionWrite, function: &str) -> Result<Latest, (String, String)> {
    let latest = settled(lambda, function).await?;
    match latest.last_update_status.as_str() {
        "Failed" => Err(("GetFunction".into(), "$LATEST's last update failed".into())),
        _ => Ok(latest),
    }
}

/// Reads `$LATEST` until no update is in progress, whatever the last one ended as (putting it
/// back must go on after a failed update).
async fn settled(lambda: &dyn FunctionWrite, function: &str) -> Result<Latest, (String, String)> {
    let started = tokio::time::Instant::now();
    loop {
        let latest = lambda.latest(function).await.map_err(error("GetFunction"))?;
        match latest.last_update_status.as_str() {
            "InProgress" if started.elapsed() < SETTLE_TIMEOUT => tokio::time::sleep(SETTLE_POLL).await,
            "InProgress" => return Err(("GetFunction".into(), format!("$LATEST's update is still in progress after {} s", SETTLE_TIMEOUT.as_secs()))),
            _ => return Ok(latest),
        }
    }
}

/// Steps 2–4: the archived code and configuration on `$LATEST`, then the version.
async fn publish_archived(lambda: &dyn FunctionWrite, p: &Prepared, original: &Latest) -> Result<String, (String, String)> {
    let r = &p.record;
    let function = r.function_name.as_str();
    lambda.update_code(function, &p.archived_code(), &architectures(&r.configuration), &original.revision_id).await.map_err(error("UpdateFunctionCode"))?;
    let now = settle(lambda, function).await?;
    if now.code.code_sha256 != r.code_sha256 {
        return Err(("UpdateFunctionCode".into(), format!("$LATEST's CodeSha256 is {} after the update, not the archived {}: $LATEST changed under the restore", now.code.code_sha256, r.code_sha256)));
    }
    lambda.update_configuration(function, &r.configuration, &now.revision_id).await.map_err(error("UpdateFunctionConfiguration"))?;
    let now = settle(lambda, function).await?;
    let changed = differences(&r.configuration, &now.code.configuration);
    if now.code.code_sha256 != r.code_sha256 || !changed.is_empty() {
        return Err(("UpdateFunctionConfiguration".into(), format!("$LATEST is not what the restore wrote ({}): it changed under the restore", changed.join("; "))));
    }
    let description = format!("restored from version {} by snapstart-cleaner ({})", r.version, p.folder_uri);
    let description: String = description.chars().take(256).collect();
    lambda.publish(function, &r.code_sha256, &now.revision_id, &description).await.map_err(error("PublishVersion"))
}

/// The architectures a configuration runs on (sent with its code).
fn architectures(configuration: &Value) -> Vec<String> {
    configuration.get("Architectures").and_then(Value::as_array).map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect()).unwrap_or_default()
}

/// Step 5: `$LATEST`'s own code and configuration back, checked. The configuration is always
/// written back whole (fields the check does not compare may differ too), and it goes on after a
/// failed update.
async fn put_back(lambda: &dyn FunctionWrite, function: &str, original: &Latest, source: &CodeSource) -> Result<(), (String, String)> {
    let mut now = settled(lambda, function).await?;
    if now.code.code_sha256 != original.code.code_sha256 || now.last_update_status == "Failed" {
        lambda.update_code(function, source, &architectures(&original.code.configuration), &now.revision_id).await.map_err(error("UpdateFunctionCode ($LATEST back)"))?;
        now = settled(lambda, function).await?;
    }
    lambda.update_configuration(function, &original.code.configuration, &now.revision_id).await.map_err(error("UpdateFunctionConfiguration ($LATEST back)"))?;
    now = settle(lambda, function).await?;
    let changed = differences(&original.code.configuration, &now.code.configuration);
    if now.code.code_sha256 != original.code.code_sha256 || !changed.is_empty() {
        return Err(("check $LATEST".into(), format!("$LATEST has CodeSha256 {} (was {}) and differs in: {}", now.code.code_sha256, original.code.code_sha256, changed.join("; "))));
    }
    Ok(())
}

/// Restores the prepared archive as a new version; `point_alias` moves that alias to it.
pub async fn apply(aws: &AwsFactory, p: &Prepared, point_alias: Option<&str>) -> Result<Restored, Failed> {
    let r = &p.record;
    let function = r.function_name.as_str();
    let failed = |(step, error): (String, String), new_version: Option<String>, latest_restored: bool, latest: &str| Failed {
        function_name: function.to_string(),
        restored_from_version: r.version.clone(),
        step,
        error,
        new_version,
        latest_restored,
        latest: latest.to_string(),
    };
    let untouched = "$LATEST was not changed";
    match aws.account_id(&Place::own(&r.region), &CallCounter::default()).await {
        Ok(account) if account == r.account_id || r.account_id.is_empty() => {}
        Ok(account) => return Err(failed(("check account".into(), format!("these credentials act on account {account}; the archive is of account {}", r.account_id)), None, true, untouched)),
        Err(e) => return Err(failed(error("check account")(e), None, true, untouched)),
    }
    let lambda = aws.deleter(&r.region).await;
    let lambda: &dyn FunctionWrite = lambda.as_ref();
    let original = settle(lambda, function).await.map_err(|e| failed(e, None, true, untouched))?;
    // Step 1: a copy of $LATEST's package, in the bucket Lambda will read it back from.
    let latest_key = format!("{}latest-{}.zip", p.staging_prefix, original.code.code_sha256.replace(['/', '+', '='], "_"));
    let original_source = match original.code.package_type.as_str() {
        "Image" => CodeSource::Image(if original.code.resolved_image_uri.is_empty() { original.code.image_uri.clone() } else { original.code.resolved_image_uri.clone() }),
        _ => {
            use snapstart_aws::archive::ArchiveWrite;
            // Not pinned to the caller's account: the archive bucket is the worker's.
            let store = aws.staging_store(&r.region, &p.staging_bucket).await;
            store.copy_link(&original.code.location, &latest_key, &original.code.code_sha256).await.map_err(|e| failed(("copy $LATEST's package".into(), e.to_string()), None, true, untouched))?;
            CodeSource::S3 { bucket: p.staging_bucket.clone(), key: latest_key.clone() }
        }
    };
    let staging = aws.staging_writer(&r.region).await;
    if p.needs_copy() {
        let copied = staging.copy(&p.archive_bucket, &format!("{}{PACKAGE}", p.folder_key), &p.staging_bucket, &format!("{}{PACKAGE}", p.staging_prefix)).await;
        copied.map_err(|e| failed(error("copy the archived package to the staging bucket")(e), None, true, untouched))?;
    }
    let published = publish_archived(lambda, p, &original).await;
    let back = put_back(lambda, function, &original, &original_source).await;
    // $LATEST's own package is kept while $LATEST may still need it.
    let latest_copy = back.is_ok().then_some(latest_key.clone());
    for key in [latest_copy, p.needs_copy().then(|| format!("{}{PACKAGE}", p.staging_prefix))].into_iter().flatten() {
        if let Err(e) = staging.delete(&p.staging_bucket, &key).await {
            tracing::warn!(key, error = %e, "could not remove a staging copy");
        }
    }
    let kept = format!("$LATEST could NOT be put back: check its code and configuration; its own package is kept at s3://{}/{latest_key}", p.staging_bucket);
    let latest_words = |ok: bool| if ok { "$LATEST was put back as it was before the restore (a change made to it during the restore, if any, was undone)".to_string() } else { kept.clone() };
    let new_version = match (published, back) {
        (Ok(version), Ok(())) => version,
        (Ok(version), Err(e)) => return Err(failed(e, Some(version), false, &latest_words(false))),
        (Err(e), back) => return Err(failed(e, None, back.is_ok(), &latest_words(back.is_ok()))),
    };
    if let Some(alias) = point_alias {
        lambda.point_alias(function, alias, &new_version).await.map_err(|e| failed(error("UpdateAlias")(e), Some(new_version.clone()), true, &latest_words(true)))?;
    }
    Ok(Restored { function_name: function.to_string(), restored_from_version: r.version.clone(), new_version, code_sha256: r.code_sha256.clone(), latest_restored: true })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn what_differs_is_named_and_absent_equals_empty() {
        let archived = json!({"Runtime": "python3.12", "MemorySize": 1024, "Environment": {"Variables": {"TABLE": "orders"}}, "SnapStart": {"ApplyOn": "PublishedVersions"}, "Description": ""});
        assert!(differences(&archived, &archived).is_empty());
        assert!(differences(&json!({"Description": "", "SnapStart": {"ApplyOn": "None"}, "Environment": {"Variables": {}}}), &json!({})).is_empty(), "absent is empty");

        let cases = [
            (json!({"MemorySize": 512}), "MemorySize"),
            (json!({"Environment": {"Variables": {"TABLE": "other"}}}), "Environment/Variables"),
            (json!({"SnapStart": {"ApplyOn": "None"}}), "SnapStart/ApplyOn"),
            (json!({"Description": "changed by someone else"}), "Description"),
            (json!({"Runtime": "python3.13"}), "Runtime"),
        ];
        for (change, named) in cases {
            let mut actual = archived.clone();
            json_merge(&mut actual, &change);
            let found = differences(&archived, &actual);
            assert!(found.len() == 1 && found[0].starts_with(named), "{named}: {found:?}");
        }
    }

    fn json_merge(into: &mut Value, from: &Value) {
        match (into, from) {
            (Value::Object(a), Value::Object(b)) => b.iter().for_each(|(k, v)| json_merge(a.entry(k.clone()).or_insert(Value::Null), v)),
            (slot, v) => *slot = v.clone(),
        }
    }
}
