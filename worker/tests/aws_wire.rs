//! The AWS adapters fed the exact HTTP answers AWS gives (status, `x-amzn-ErrorType`, body), one
//! recorded answer per fixture in `tests/fixtures/aws/`, each citing its source. A changed code or
//! wording then fails here, not in a customer's run. No emulator: a loopback server replays the
//! answer to the real SDK client.

mod common;

use common::canned::Canned;
use snapstart_worker::aws::{factory::AwsFactory, Deleted, LambdaDelete, VersionPolicy};

async fn get_policy(fixture: &str) -> (Result<VersionPolicy, snapstart_worker::aws::AwsError>, usize) {
    let server = Canned::serve(fixture).await;
    let (deps, _) = AwsFactory::for_emulator(&server.url, 0, 1).scan_deps("us-west-2").await;
    let answer = deps.lambda.version_policy("orders", "3").await;
    (answer, server.requests())
}

async fn delete(fixture: &str) -> (Result<Deleted, snapstart_worker::aws::AwsError>, usize) {
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
