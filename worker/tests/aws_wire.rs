//! The AWS adapters fed the exact HTTP answers AWS gives (status, `x-amzn-ErrorType`, body), one
//! recorded answer per fixture in `tests/fixtures/aws/`, each citing its source. A changed code or
//! wording then fails here, not in a customer's run. No emulator: a loopback server replays the
//! answer to the real SDK client. Lambda, CloudWatch (CBOR), tagging, STS and S3.

mod common;

use common::canned::Canned;
use snapstart_aws::{
    factory::{AwsFactory, Place},
    s3::ReportStore,
    AwsError, CallCounter, Deleted, LambdaDelete, Series, SeriesQuery, VersionPolicy, Window,
};

async fn get_policy(fixture: &str) -> (Result<VersionPolicy, AwsError>, usize) {
    let server = Canned::serve(fixture).await;
    let (deps, _) = snapstart_scan::deps(&AwsFactory::for_emulator(&server.url, 0, 1), "us-west-2").await;
    let answer = deps.lambda.version_policy("orders", "3").await;
    (answer, server.requests())
}

async fn delete(fixture: &str) -> (Result<Deleted, AwsError>, usize) {
    let server = Canned::serve(fixture).await;
    let deleter = AwsFactory::for_emulator(&server.url, 0, 1).deleter("us-west-2").await;
    let answer = deleter.delete_version("orders", "3").await;
    (answer, server.requests())
}

#[tokio::test]
async fn get_policy_not_found_in_aws_words_means_no_policy() {
    let (answer, requests) = get_policy("lambda-get-policy-no-policy.http").await;

    assert_eq!(answer, Ok(VersionPolicy::Principals(vec![])));
    assert_eq!(requests, 1, "a 404 is an answer, not a reason to retry");
}

#[tokio::test]
async fn get_policy_not_found_in_any_other_wording_still_means_no_policy() {
    for fixture in ["lambda-get-policy-no-policy-other-wording.http", "lambda-get-policy-unknown-wording.http"] {
        let (answer, _) = get_policy(fixture).await;

        assert_eq!(answer, Ok(VersionPolicy::Principals(vec![])), "{fixture}");
    }
}

#[tokio::test]
async fn get_policy_on_a_missing_version_reads_as_no_policy_as_aws_words_it() {
    let (answer, _) = get_policy("lambda-get-policy-version-not-found.http").await;

    assert_eq!(answer, Ok(VersionPolicy::Principals(vec![])), "GetPolicy cannot tell; the deletion phase lists versions");
}

#[tokio::test]
async fn get_policy_function_not_found_means_the_version_is_gone() {
    let (answer, _) = get_policy("lambda-get-policy-function-not-found.http").await;

    match answer {
        Ok(VersionPolicy::Gone(message)) => assert!(message.contains("Function not found: arn:aws:lambda:"), "{message}"),
        other => panic!("want Gone, got {other:?}"),
    }
}

#[tokio::test]
async fn get_policy_refused_by_iam_fails_the_read() {
    let (answer, requests) = get_policy("lambda-get-policy-access-denied.http").await;

    let err = answer.expect_err("an IAM refusal is not 'no policy'");
    assert_eq!(err.code, "AccessDeniedException");
    assert!(err.message.contains("(HTTP 403)"), "{}", err.message);
    assert_eq!(requests, 1);
}

#[tokio::test]
async fn get_policy_statement_principals_are_read() {
    let (answer, _) = get_policy("lambda-get-policy-statement.http").await;

    assert_eq!(answer, Ok(VersionPolicy::Principals(vec!["apigateway.amazonaws.com".to_string()])));
}

#[tokio::test]
async fn get_policy_throttled_is_retried_then_fails_closed() {
    let (answer, requests) = get_policy("lambda-too-many-requests.http").await;

    let err = answer.expect_err("throttled every time");
    assert_eq!(err.code, "TooManyRequestsException");
    assert!(err.message.contains("gave up after 5 attempts"), "{}", err.message);
    assert_eq!(requests, 5);
}

#[tokio::test]
async fn delete_of_a_missing_version_is_already_gone() {
    let (answer, requests) = delete("lambda-delete-function-not-found.http").await;

    assert_eq!(answer, Ok(Deleted::AlreadyGone));
    assert_eq!(requests, 1);
}

#[tokio::test]
async fn delete_of_an_aliased_version_is_in_use_with_aws_words() {
    let (answer, _) = delete("lambda-delete-function-alias-conflict.http").await;

    assert!(
        matches!(answer, Ok(Deleted::InUse(ref m)) if m.contains("Unable to delete version because the following aliases reference it: [live]")),
        "{answer:?}"
    );
}

#[tokio::test]
async fn delete_of_a_missing_version_answers_204_like_a_deletion() {
    let (answer, requests) = delete("lambda-delete-function-missing-version.http").await;

    assert_eq!(answer, Ok(Deleted::Deleted), "AWS does not say it was gone; the deletion phase lists versions first");
    assert_eq!(requests, 1);
}

#[tokio::test]
async fn delete_of_a_lambda_edge_replica_is_replicated_in_every_wording_on_record() {
    for fixture in ["lambda-delete-function-replicated.http", "lambda-delete-function-replicated-2017.http"] {
        let (answer, requests) = delete(fixture).await;

        assert!(matches!(answer, Ok(Deleted::Replicated(ref m)) if m.contains("because it is a replicated function")), "{fixture}: {answer:?}");
        assert_eq!(requests, 1);
    }
}

#[tokio::test]
async fn delete_refused_for_another_reason_is_an_error() {
    let (answer, requests) = delete("lambda-delete-function-invalid-parameter.http").await;

    let err = answer.expect_err("an unknown 400 is not a known outcome");
    assert_eq!(err.code, "InvalidParameterValueException");
    assert_eq!(requests, 1);
}

fn window() -> Window {
    let end = chrono::Utc::now();
    Window { start: end - chrono::Duration::days(2), end, period_seconds: 3600 }
}

fn series(ids: &[&str]) -> Vec<SeriesQuery> {
    ids.iter().map(|id| SeriesQuery { id: id.to_string(), dimensions: vec![("FunctionName".into(), "orders".into())] }).collect()
}

async fn metrics(fixture: &str, ids: &[&str]) -> (Result<Vec<Series>, AwsError>, usize) {
    let server = Canned::serve(fixture).await;
    let (deps, _) = snapstart_scan::deps(&AwsFactory::for_emulator(&server.url, 0, 1), "us-west-2").await;
    let answer = deps.metrics.invocations(&series(ids), window()).await;
    (answer, server.requests())
}

#[tokio::test]
async fn cloudwatch_cbor_series_are_read_with_their_datapoints() {
    let (answer, requests) = metrics("cloudwatch-get-metric-data-complete.http", &["q0"]).await;

    let [q0] = answer.unwrap().try_into().unwrap();
    assert_eq!((q0.values, q0.error), (vec![3.0], None));
    assert_eq!(q0.timestamps, vec!["2026-12-05T10:00:00Z".parse::<chrono::DateTime<chrono::Utc>>().unwrap()]);
    assert_eq!(requests, 1);
}

#[tokio::test]
async fn cloudwatch_forbidden_or_partial_series_are_missing_data_never_zero() {
    let (answer, _) = metrics("cloudwatch-get-metric-data-incomplete.http", &["q0", "q1"]).await;

    let got: Vec<(String, Option<String>)> = answer.unwrap().into_iter().map(|s| (s.id, s.error)).collect();
    assert!(got[0].1.as_deref().is_some_and(|e| e.contains("Forbidden") && e.contains("Authentication too complex")), "{got:?}");
    assert_eq!(got[1].1.as_deref(), Some("PartialData with no further page"), "{got:?}");
}

#[tokio::test]
async fn cloudwatch_top_level_messages_fail_the_read() {
    let (answer, _) = metrics("cloudwatch-get-metric-data-messages.http", &["q0"]).await;

    let err = answer.expect_err("a message means part of the answer is missing");
    assert!(err.message.contains("Maximum number of allowed metrics exceeded"), "{err}");
}

#[tokio::test]
async fn cloudwatch_throttling_in_cbor_is_recognised_retried_and_fails_closed() {
    let (answer, requests) = metrics("cloudwatch-throttling.http", &["q0"]).await;

    let err = answer.expect_err("throttled every time");
    assert_eq!(err.code, "Throttling", "the code comes from x-amzn-query-error");
    assert_eq!(requests, 5);
}

async fn tagged(fixture: &str) -> (Result<std::collections::BTreeMap<String, String>, AwsError>, usize) {
    let server = Canned::serve(fixture).await;
    let (deps, _) = snapstart_scan::deps(&AwsFactory::for_emulator(&server.url, 0, 1), "us-west-2").await;
    let answer = deps.tags.functions_tagged("snapstart-cleaner:protect").await;
    (answer, server.requests())
}

#[tokio::test]
async fn tagging_ends_at_an_empty_pagination_token() {
    let (answer, requests) = tagged("tagging-last-page.http").await;

    assert_eq!(answer.unwrap().into_iter().collect::<Vec<_>>(), vec![("orders".to_string(), "true".to_string())]);
    assert_eq!(requests, 1);
}

#[tokio::test]
async fn tagging_throttled_is_retried_then_fails_closed() {
    let (answer, requests) = tagged("tagging-throttled.http").await;

    assert_eq!(answer.expect_err("throttled every time").code, "ThrottledException");
    assert_eq!(requests, 5);
}

async fn caller_account(fixture: &str) -> (Result<String, AwsError>, usize) {
    let server = Canned::serve(fixture).await;
    let answer = AwsFactory::for_emulator(&server.url, 0, 1).account_id(&Place::own("eu-south-1"), &CallCounter::default()).await;
    (answer, server.requests())
}

#[tokio::test]
async fn sts_throttling_is_retried_then_fails_closed() {
    let (answer, requests) = caller_account("sts-throttling.http").await;

    assert_eq!(answer.expect_err("throttled every time").code, "Throttling");
    assert_eq!(requests, 5);
}

#[tokio::test]
async fn sts_in_a_region_that_is_not_enabled_fails_at_once() {
    let (answer, requests) = caller_account("sts-region-not-enabled.http").await;

    let err = answer.expect_err("refused");
    assert_eq!(err.code, "InvalidClientTokenId");
    assert_eq!(requests, 1, "a refusal is not retried");
}

/// A report store on `url` (path-style, no retries of the SDK's own), pinning `owner`.
async fn store_at(url: &str, owner: Option<&str>) -> ReportStore {
    let creds = aws_credential_types::Credentials::new("testing", "testing", None, None, "test");
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-west-2"))
        .endpoint_url(url)
        .credentials_provider(creds)
        .retry_config(aws_config::retry::RetryConfig::disabled())
        .load()
        .await;
    let s3 = aws_sdk_s3::config::Builder::from(&config).force_path_style(true).build();
    ReportStore::new(aws_sdk_s3::Client::from_conf(s3), std::sync::Arc::new(CallCounter::default()), owner.map(str::to_string))
}

async fn put_report(fixture: &str) -> (Result<String, AwsError>, usize) {
    let server = Canned::serve(fixture).await;
    let answer = store_at(&server.url, None).await.put("audit-bucket", "r/run.json", b"{}".to_vec(), "application/json").await;
    (answer, server.requests())
}

#[tokio::test]
async fn s3_writes_pin_the_bucket_owner_when_it_is_known() {
    let server = Canned::serve("s3-put-object.http").await;

    let pinned = store_at(&server.url, Some("123456789012")).await.put("audit-bucket", "r/run.json", b"{}".to_vec(), "application/json").await;
    let unpinned = store_at(&server.url, None).await.put("audit-bucket", "r/run.csv", b"x".to_vec(), "text/csv").await;

    assert_eq!(pinned.unwrap(), "s3://audit-bucket/r/run.json");
    assert!(unpinned.is_ok());
    let heads = server.heads();
    assert!(heads[0].contains("x-amz-expected-bucket-owner: 123456789012"), "{}", heads[0]);
    assert!(heads[0].contains("x-amz-server-side-encryption: aes256"), "{}", heads[0]);
    assert!(!heads[1].contains("x-amz-expected-bucket-owner"), "{}", heads[1]);
}

#[tokio::test]
async fn s3_slow_down_is_retried_then_fails_the_write() {
    let (answer, requests) = put_report("s3-slow-down.http").await;

    assert_eq!(answer.expect_err("slowed down every time").code, "SlowDown");
    assert_eq!(requests, 5);
}

#[tokio::test]
async fn s3_bucket_in_another_region_fails_the_write_at_once() {
    let (answer, requests) = put_report("s3-permanent-redirect.http").await;

    let err = answer.expect_err("the SDK does not follow the redirect");
    assert!(err.message.contains("301") || err.code == "PermanentRedirect", "{err:?}");
    assert_eq!(requests, 1);
}
