//! The IAM policies in `iam/` grant exactly the AWS operations the worker's code calls: an
//! operation added to an adapter without its grant, or a grant left behind after the code stopped
//! needing it, fails here rather than in someone's production account.

use std::{collections::BTreeSet, path::PathBuf};

use serde_json::Value;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The files that call AWS, and the IAM service prefix of the client each uses.
const ADAPTERS: &[(&str, &str)] = &[
    ("aws/src/lambda.rs", "lambda"),
    ("aws/src/cloudwatch.rs", "cloudwatch"),
    ("aws/src/tagging.rs", "tag"),
    ("aws/src/factory.rs", "sts"),
    ("notifications/src/sns.rs", "sns"),
    ("aws/src/s3.rs", "s3"),
    ("aws/src/archive.rs", "s3"),
];

/// SDK operations IAM authorises under another action's name (S3's multipart upload is
/// authorised by s3:PutObject, AWS's "Multipart upload API and permissions").
const AUTHORISED_AS: &[(&str, &str)] = &[
    ("s3:CreateMultipartUpload", "s3:PutObject"),
    ("s3:UploadPart", "s3:PutObject"),
    ("s3:CompleteMultipartUpload", "s3:PutObject"),
];

/// Operations that need no grant (AWS documents GetCallerIdentity as always allowed).
const UNGRANTED: &[&str] = &["sts:GetCallerIdentity"];

/// Grants no call names but a call needs: S3 answers GetObject of a missing key with 404
/// NoSuchKey ("not archived yet") only to a caller with s3:ListBucket, and with 403 otherwise
/// (emulator/FIDELITY.md, "S3: the archive's reads and writes").
const NEEDED_BY_ANSWERS: &[&str] = &["s3:ListBucket"];

/// `list_event_source_mappings` → `ListEventSourceMappings`.
fn pascal(snake: &str) -> String {
    snake.split('_').map(|w| w[..1].to_uppercase() + &w[1..]).collect()
}

/// Every SDK operation an adapter calls: `.get_x()`, `.list_x()`, `.delete_x()`, `.publish()`
/// (the SDK's operation builders take no arguments; ours always do).
fn operations_in(source: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (i, _) in source.match_indices('.') {
        let rest = &source[i + 1..];
        let name: String = rest.chars().take_while(|c| c.is_ascii_lowercase() || *c == '_').collect();
        let is_call = rest[name.len()..].starts_with("()");
        let is_operation = ["get_", "list_", "delete_", "put_", "create_", "complete_", "abort_"].iter().any(|p| name.starts_with(p)) || name == "publish" || name == "upload_part";
        if is_call && is_operation {
            out.insert(pascal(&name));
        }
    }
    out
}

/// What the worker's code calls, as IAM actions.
fn called() -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (file, service) in ADAPTERS {
        let source = std::fs::read_to_string(repo().join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        for op in operations_in(&source) {
            let action = format!("{service}:{op}");
            let authorised = AUTHORISED_AS.iter().find(|(sdk, _)| *sdk == action).map_or(action.as_str(), |(_, iam)| iam);
            out.insert(authorised.to_string());
        }
        // Other accounts' credentials come from the SDK's AssumeRole provider.
        if source.contains("AssumeRoleProvider::builder") {
            out.insert("sts:AssumeRole".into());
        }
    }
    out.retain(|a| !UNGRANTED.contains(&a.as_str()));
    if out.contains("s3:GetObject") {
        out.extend(NEEDED_BY_ANSWERS.iter().map(|a| a.to_string()));
    }
    out
}

fn granted(file: &str) -> BTreeSet<String> {
    let text = std::fs::read_to_string(repo().join("iam").join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
    let policy: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{file} is not JSON: {e}"));
    assert_eq!(policy["Version"], "2012-10-17", "{file}");
    let mut out = BTreeSet::new();
    for statement in policy["Statement"].as_array().unwrap_or_else(|| panic!("{file}: no Statement list")) {
        assert_eq!(statement["Effect"], "Allow", "{file}: only Allow statements");
        match &statement["Action"] {
            Value::String(a) => {
                out.insert(a.clone());
            }
            Value::Array(list) => out.extend(list.iter().map(|a| a.as_str().unwrap().to_string())),
            other => panic!("{file}: Action {other}"),
        }
    }
    assert!(out.iter().all(|a| !a.contains('*')), "{file}: no wildcard actions: {out:?}");
    out
}

#[test]
fn the_worker_policy_grants_exactly_what_the_worker_calls() {
    let called = called();

    assert!(called.contains("lambda:DeleteFunction") && called.contains("cloudwatch:GetMetricData"), "the adapters were read: {called:?}");
    assert_eq!(granted("worker-policy.json"), called);
}

#[test]
fn the_role_in_other_accounts_grants_the_scan_and_delete_calls_and_nothing_of_the_worker_s_own() {
    let mut wanted = called();
    // Reports, notifications and other accounts are the worker's own business.
    wanted.retain(|a| a.starts_with("lambda:") || a.starts_with("cloudwatch:") || a.starts_with("tag:"));

    assert_eq!(granted("target-account-role-policy.json"), wanted);
    let trust: Value = serde_json::from_str(&std::fs::read_to_string(repo().join("iam/target-account-role-trust.json")).unwrap()).unwrap();
    assert_eq!(trust["Statement"][0]["Action"], "sts:AssumeRole");
    assert!(trust["Statement"][0]["Condition"]["StringEquals"]["sts:ExternalId"].is_string(), "the trust policy asks for the ExternalId");
}

#[test]
fn delete_is_granted_on_versions_of_functions_only() {
    for file in ["worker-policy.json", "target-account-role-policy.json"] {
        let policy: Value = serde_json::from_str(&std::fs::read_to_string(repo().join("iam").join(file)).unwrap()).unwrap();
        let delete = policy["Statement"].as_array().unwrap().iter().find(|s| s["Action"][0] == "lambda:DeleteFunction").unwrap();
        let resource = delete["Resource"].as_str().unwrap();
        assert!(resource.starts_with("arn:aws:lambda:*:") && resource.ends_with("*:*"), "{file}: {resource}: qualified ARNs only");
    }
}

#[test]
fn operation_names_are_read_from_argument_free_calls_with_an_operation_prefix() {
    let source = "self.client.list_aliases().function_name(f)\n  .get_function()\n lambda.list_aliases(&name) x.get_mut() .publish()";

    let ops: Vec<String> = operations_in(source).into_iter().collect();

    assert_eq!(ops, vec!["GetFunction", "GetMut", "ListAliases", "Publish"]);
}

/// What `restore` calls: the writes to `$LATEST` and the alias (aws/src/restore.rs), GetFunction,
/// the archive's reads, and the staging copies (CopyObject is authorised by s3:GetObject on the
/// source and s3:PutObject on the copy; multipart by s3:PutObject). UpdateFunctionConfiguration
/// sends the function's Role, which needs iam:PassRole.
const RESTORE_ACTIONS: &[&str] = &[
    "iam:PassRole", "lambda:GetFunction", "lambda:PublishVersion", "lambda:UpdateAlias", "lambda:UpdateFunctionCode",
    "lambda:UpdateFunctionConfiguration", "s3:AbortMultipartUpload", "s3:DeleteObject", "s3:GetBucketLocation", "s3:GetObject", "s3:ListBucket", "s3:PutObject",
];

#[test]
fn the_restore_policy_grants_what_restore_calls() {
    // restore.rs, and the archive's GetObject (object_body) it reads through.
    let source = ["aws/src/restore.rs", "aws/src/archive.rs"].map(|f| std::fs::read_to_string(repo().join(f)).unwrap()).concat();
    for (call, action) in [
        (".update_function_code()", "lambda:UpdateFunctionCode"),
        (".update_function_configuration()", "lambda:UpdateFunctionConfiguration"),
        (".publish_version()", "lambda:PublishVersion"),
        (".update_alias()", "lambda:UpdateAlias"),
        (".get_bucket_location()", "s3:GetBucketLocation"),
        (".copy_object()", "s3:PutObject"),
        (".delete_object()", "s3:DeleteObject"),
        (".get_object()", "s3:GetObject"),
    ] {
        assert!(source.contains(call), "restore.rs (or the archive reads it uses) no longer calls {call}: update RESTORE_ACTIONS");
        assert!(RESTORE_ACTIONS.contains(&action), "{action}");
    }
    let granted = granted("restore-policy.json");
    assert_eq!(granted, RESTORE_ACTIONS.iter().map(|a| a.to_string()).collect::<BTreeSet<_>>());
}
