//! POST of the confirmation form: the only request that delivers a decision, and only from this
//! origin with the CSRF token of the same link. These tests post the earlier form, which names
//! rows `function:version` (still accepted, for scripts); `grouped_approval.rs` posts the page's
//! own grouped form.

mod common;

use common::*;
use serde_json::json;
use snapstart_proto::links::Decision;
use snapstart_resolver::MessengerError;

#[tokio::test]
async fn same_origin_post_decides_once_with_the_named_rows() {
    let run = FakeRun::waiting(vec![row("orders-api", "3"), row("orders-api", "4"), row("billing", "9")]);

    let page = confirm(&run, Decision::Approve, "  Ana  ", &["orders-api:3", "billing:9"]).await;

    assert_eq!(page.status, 200, "{}", page.body);
    let calls = run.decides();
    assert_eq!(calls.len(), 1);
    let (workflow_id, run_id, payload) = &calls[0];
    assert_eq!((workflow_id.as_str(), run_id.as_str()), ("wf-1", "run-1"));
    assert_eq!(
        payload,
        &json!({"approved": true, "approver": "Ana", "decision_source": "email-link",
            "approved_versions": [{"function_name": "orders-api", "version": "3"}, {"function_name": "billing", "version": "9"}]})
    );
    assert!(page.body.contains("Approval recorded"));
    assert!(page.body.contains("approved by Ana"));
    assert!(page.body.contains("LIVE"));
    assert!(page.body.contains("billing:9"));
}

#[tokio::test]
async fn accepted_dry_run_approval_says_nothing_is_deleted() {
    let run = FakeRun::waiting(vec![row("f", "1")]);
    run.status.lock().unwrap().dry_run = true;

    let page = confirm(&run, Decision::Approve, "", &["f:1"]).await;

    assert_eq!(page.status, 200);
    assert!(page.body.contains("DRY RUN"));
    assert!(page.body.contains("(anonymous)"));
    assert_eq!(run.decides()[0].2["approver"], json!(null));
}

#[tokio::test]
async fn reject_post_sends_approved_false_and_no_versions() {
    let run = FakeRun::waiting(vec![row("f", "1")]);

    let page = confirm(&run, Decision::Reject, "bo", &[]).await;

    assert_eq!(page.status, 200);
    assert_eq!(run.decides()[0].2, json!({"approved": false, "approver": "bo", "decision_source": "email-link"}));
    assert!(page.body.contains("Nothing will be deleted"));
}

#[tokio::test]
async fn named_rows_that_are_not_candidates_are_listed_as_ignored_by_the_run() {
    let run = FakeRun::waiting(vec![row("f", "1")]);

    let page = confirm(&run, Decision::Approve, "", &["f:1", "other:2", "f:1"]).await;

    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(run.decides()[0].2["approved_versions"], json!([{"function_name": "f", "version": "1"}, {"function_name": "other", "version": "2"}]));
    assert!(page.body.contains("1 version(s) approved for deletion"), "{}", page.body);
    assert!(page.body.contains("Ignored (not candidates of this run)") && page.body.contains("other:2"), "{}", page.body);
}

#[tokio::test]
async fn approve_naming_no_rows_is_400_and_decides_nothing() {
    let run = FakeRun::waiting(vec![row("f", "1")]);

    let page = confirm(&run, Decision::Approve, "ana", &[]).await;

    assert_eq!((page.status.as_u16(), title(&page)), (400, "No version is selected"));
    assert!(page.body.contains("reject link"));
    assert!(run.decides().is_empty());
}

#[tokio::test]
async fn approve_naming_only_non_candidates_gets_the_same_page_when_the_run_refuses_it() {
    let run = FakeRun::waiting(vec![row("f", "1")]);

    let page = confirm(&run, Decision::Approve, "ana", &["other:2"]).await;

    assert_eq!((page.status.as_u16(), title(&page)), (400, "No version is selected"), "{}", page.body);
    assert!(page.body.contains("reject link"));
    assert_eq!(run.decides().len(), 1, "the resolver cannot know the run's whole list, so the run said no");
}

#[tokio::test]
async fn post_without_csrf_or_with_another_links_csrf_is_403() {
    let run = FakeRun::waiting(vec![row("f", "1")]);
    let other_csrf = secret().csrf_for(&token(Decision::Reject));
    let token = token(Decision::Approve);
    for csrf in [None, Some(""), Some("bogus"), Some(other_csrf.as_str())] {
        let mut pairs = vec![("token", token.as_str()), ("versions", "f:1")];
        pairs.extend(csrf.map(|c| ("csrf", c)));
        let page = post(&run, "/approve", form(&pairs), Some(ORIGIN)).await;
        assert_eq!((page.status.as_u16(), title(&page)), (403, "This form cannot be used"), "{csrf:?}");
    }
    assert!(run.decides().is_empty());
}

#[tokio::test]
async fn cross_origin_post_is_403_and_decides_nothing() {
    let run = FakeRun::waiting(vec![row("f", "1")]);
    let token = token(Decision::Approve);
    let csrf = secret().csrf_for(&token);
    let body = form(&[("token", &token), ("csrf", &csrf), ("versions", "f:1")]);
    for origin in ["https://evil.example", "null", "http://resolver.example.com", "https://resolver.example.com:8443"] {
        let page = post(&run, "/approve", body.clone(), Some(origin)).await;
        assert_eq!((page.status.as_u16(), title(&page)), (403, "Refused: the form came from another site"), "{origin}");
    }
    assert!(run.decides().is_empty());
}

#[tokio::test]
async fn post_without_an_origin_header_is_accepted_unless_fetch_metadata_says_cross_site() {
    let run = FakeRun::waiting(vec![row("f", "1")]);
    let token = token(Decision::Reject);
    let csrf = secret().csrf_for(&token);
    let body = form(&[("token", &token), ("csrf", &csrf)]);
    let request = |site: &str| {
        axum::http::Request::post("/reject")
            .header("content-type", "application/x-www-form-urlencoded")
            .header("sec-fetch-site", site)
            .body(axum::body::Body::from(body.clone()))
            .unwrap()
    };

    let cross_site = send(&run, request("cross-site")).await;
    assert_eq!((cross_site.status.as_u16(), title(&cross_site)), (403, "Refused: the form came from another site"));
    assert!(run.decides().is_empty());
    let same_site = send(&run, request("same-origin")).await;
    assert_eq!(same_site.status, 200, "{}", same_site.body);
    let no_header = post(&run, "/reject", body.clone(), None).await;
    assert_eq!(no_header.status, 200, "{}", no_header.body);
    assert_eq!(run.decides().len(), 2);
}

#[tokio::test]
async fn expired_post_is_410_and_says_so_though_it_is_valid_in_every_other_way() {
    let run = FakeRun::waiting(vec![row("f", "1")]);
    let expired = expired_token(Decision::Approve);
    let body = form(&[("token", &expired), ("csrf", &secret().csrf_for(&expired)), ("versions", "f:1")]);

    let page = post(&run, "/approve", body.clone(), Some(ORIGIN)).await;
    let refused_decides = run.decides().len();
    let before_expiry = send_at(&run, EXPIRED_AT - 1, post_request("/approve", body, Some(ORIGIN))).await;

    assert_eq!(page.status, 410);
    assert_eq!(title(&page), "This link has expired");
    assert!(page.body.contains("The approval deadline has passed"), "{}", page.body);
    assert_eq!(refused_decides, 0);
    assert_eq!(before_expiry.status, 200, "the same POST before the link expired is accepted: {}", before_expiry.body);
    assert_eq!(title(&before_expiry), "Approval recorded");
}

#[tokio::test]
async fn wrong_decision_damaged_or_missing_token_post_is_refused_without_deciding() {
    let run = FakeRun::waiting(vec![row("f", "1")]);
    let reject = token(Decision::Reject);
    let cases = [(Some(reject.as_str()), 403, "This link is for the other decision"), (Some("garbage"), 400, "This link is damaged"), (None, 400, "This link is incomplete")];
    for (token, want_status, want_title) in cases {
        let mut pairs = vec![("versions", "f:1")];
        let csrf = token.map(|t| secret().csrf_for(t));
        pairs.extend(token.map(|t| ("token", t)));
        pairs.extend(csrf.as_deref().map(|c| ("csrf", c)));

        let page = post(&run, "/approve", form(&pairs), Some(ORIGIN)).await;

        assert_eq!((page.status.as_u16(), title(&page)), (want_status, want_title), "{token:?}");
    }
    assert!(run.decides().is_empty());
}

#[tokio::test]
async fn already_decided_rejection_says_who_when_and_which_way() {
    let run = FakeRun::waiting(vec![row("f", "1")]);
    *run.decide_error.lock().unwrap() = Some(|| MessengerError::AlreadyDecided("rejected by <bo> at 2023-11-14T20:00:00Z".into()));

    let page = confirm(&run, Decision::Approve, "ana", &["f:1"]).await;

    assert_eq!(page.status, 409);
    assert_eq!(title(&page), "This run was already decided");
    assert!(page.body.contains("rejected by &lt;bo&gt; at 2023-11-14T20:00:00Z"));
}

#[tokio::test]
async fn a_run_that_stopped_waiting_or_vanished_gets_a_truthful_page() {
    type Case = (fn() -> MessengerError, u16, &'static str, &'static str);
    let cases: [Case; 6] = [
        (|| MessengerError::NotWaiting("the run has already finished".into()), 409, "This run is no longer waiting for a decision", "the run has already finished"),
        (|| MessengerError::NotYet("the run is in phase send-approval-email".into()), 503, "This run is not waiting yet", "not waiting yet: try again in a minute"),
        (|| MessengerError::EmptySelection("this approval selects no candidate".into()), 400, "No version is selected", "reject link"),
        (|| MessengerError::Unavailable("connection refused".into()), 503, "The cleanup service cannot be reached", "try the link again in a few minutes"),
        (|| MessengerError::NotFound, 404, "Run not found", "does not exist any more"),
        (|| MessengerError::Invalid("`approved` is required".into()), 400, "The decision was refused", "`approved` is required"),
    ];
    for (error, want_status, want_title, want_text) in cases {
        let run = FakeRun::waiting(vec![row("f", "1")]);
        *run.decide_error.lock().unwrap() = Some(error);

        let page = confirm(&run, Decision::Approve, "", &["f:1"]).await;

        assert_eq!((page.status.as_u16(), title(&page)), (want_status, want_title), "{}", page.body);
        assert!(page.body.contains(want_text), "{want_text}: {}", page.body);
    }
}

#[tokio::test]
async fn a_post_to_a_decided_run_does_not_send_the_update() {
    let run = FakeRun::waiting(vec![row("f", "1")]);
    run.status.lock().unwrap().phase = "done".into();

    let page = confirm(&run, Decision::Reject, "", &[]).await;

    assert_eq!(page.status, 409);
    assert_eq!(title(&page), "This run is no longer waiting for a decision");
    assert!(page.body.contains("the run has finished"));
    assert!(run.decides().is_empty());
}

#[tokio::test]
async fn a_decision_without_an_answer_is_reported_as_unconfirmed() {
    let run = FakeRun::waiting(vec![row("f", "1")]);
    *run.decide_error.lock().unwrap() = Some(|| MessengerError::Timeout);

    let page = confirm(&run, Decision::Approve, "", &["f:1"]).await;

    assert_eq!(page.status, 504);
    assert_eq!(title(&page), "Your decision could not be confirmed");
    assert!(page.body.contains("may or may not"));
}
