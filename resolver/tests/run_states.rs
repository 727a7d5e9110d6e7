//! Links that arrive when their run cannot take a decision: not yet (the scan or the approval
//! email still running), or after the link expired — where the page tells what the run recorded,
//! and only a correctly signed link may ask.

mod common;

use axum::{body::Body, http::Request};
use common::*;
use snapstart_proto::{
    links::{Claims, Decision, LinkSecret},
    status::DecisionRecord,
};
use snapstart_resolver::MessengerError;

/// The run while its approval email activity is still retrying: no deadline yet.
fn sending_email() -> std::sync::Arc<FakeRun> {
    let run = FakeRun::waiting(vec![row("f", "1")]);
    {
        let mut status = run.status.lock().unwrap();
        status.phase = "send-approval-email".into();
        status.deadline_unix = None;
        status.deadline = None;
    }
    run
}

fn assert_not_yet(page: &Answer, what: &str) {
    assert_eq!((page.status.as_u16(), title(page)), (503, "This run is not waiting yet"), "{what}: {}", page.body);
    assert_eq!(page.headers.get("retry-after").map(|v| v.to_str().unwrap()), Some("60"), "{what}");
    assert!(page.body.contains("not waiting yet: try again in a minute"), "{what}");
    assert!(!page.body.contains("no longer"), "{what}: never 'no longer waiting'");
    assert!(!page.body.contains("<form"), "{what}");
}

#[tokio::test]
async fn links_opened_before_the_run_waits_say_not_yet_with_retry_after() {
    for phase in ["send-approval-email", "stage-b-usage-and-alias", "discover-snapstart"] {
        let run = sending_email();
        run.status.lock().unwrap().phase = phase.into();
        for decision in [Decision::Approve, Decision::Reject] {
            let get_page = get(&run, &link(decision, &token(decision))).await;
            let post_page = confirm(&run, decision, "ana", &["f:1"]).await;

            assert_not_yet(&get_page, &format!("GET {phase} {decision:?}"));
            assert_not_yet(&post_page, &format!("POST {phase} {decision:?}"));
        }
        assert!(run.decides().is_empty(), "{phase}");
    }
}

#[tokio::test]
async fn a_not_yet_answer_from_the_run_gets_the_same_page() {
    let run = FakeRun::waiting(vec![row("f", "1")]);
    *run.decide_error.lock().unwrap() = Some(|| MessengerError::NotYet("the run is in phase send-approval-email".into()));

    let page = confirm(&run, Decision::Approve, "ana", &["f:1"]).await;

    assert_not_yet(&page, "decide answered not_yet");
}

async fn expired_page(run: &std::sync::Arc<FakeRun>, decision: Decision) -> Answer {
    get(run, &link(decision, &expired_token(decision))).await
}

fn assert_expired(page: &Answer) {
    assert_eq!((page.status.as_u16(), title(page)), (410, "This link has expired"), "{}", page.body);
    assert!(page.body.contains("The approval deadline has passed, so this link can no longer decide anything."));
    assert!(!page.body.contains("<form"));
}

#[tokio::test]
async fn an_expired_link_to_an_approved_run_shows_who_approved_when_and_how_many() {
    let run = FakeRun::waiting(vec![row("f", "1")]);
    {
        let mut status = run.status.lock().unwrap();
        status.phase = "done".into();
        status.decision = Some(DecisionRecord { approved: true, approver: Some("ana".into()), decided_at: "2023-11-14T20:00:00Z".into(), approved_count: 1234, ..Default::default() });
    }

    let page = expired_page(&run, Decision::Reject).await;

    assert_expired(&page);
    assert!(page.body.contains("approved by ana at 2023-11-14T20:00:00Z, 1,234 version(s) approved for deletion"), "{}", page.body);
    assert!(!page.body.contains("nothing will be deleted") && !page.body.contains("nothing was deleted"), "{}", page.body);
}

#[tokio::test]
async fn an_expired_link_to_a_rejected_run_says_who_rejected_and_that_nothing_was_deleted() {
    let run = FakeRun::waiting(vec![row("f", "1")]);
    {
        let mut status = run.status.lock().unwrap();
        status.phase = "rejected".into();
        status.decision = Some(DecisionRecord { approved: false, approver: Some("bo".into()), decided_at: "2023-11-14T20:00:00Z".into(), ..Default::default() });
    }

    let page = expired_page(&run, Decision::Approve).await;

    assert_expired(&page);
    assert!(page.body.contains("rejected by bo at 2023-11-14T20:00:00Z; nothing was deleted"), "{}", page.body);
}

#[tokio::test]
async fn an_expired_link_to_a_timed_out_run_says_it_timed_out_and_nothing_was_deleted() {
    let run = FakeRun::waiting(vec![row("f", "1")]);
    run.status.lock().unwrap().phase = "timed_out".into();

    let page = expired_page(&run, Decision::Approve).await;

    assert_expired(&page);
    assert!(page.body.contains("the run timed out and nothing was deleted"), "{}", page.body);
}

#[tokio::test]
async fn an_expired_link_to_an_unknown_or_unreadable_run_says_so_and_claims_nothing() {
    type Case = (fn() -> MessengerError, &'static str);
    let cases: [Case; 2] = [(|| MessengerError::NotFound, "is not known any more"), (|| MessengerError::Unavailable("down".into()), "cannot be read right now")];
    for (error, want) in cases {
        let run = FakeRun::waiting(vec![row("f", "1")]);
        *run.status_error.lock().unwrap() = Some(error);

        let page = expired_page(&run, Decision::Approve).await;

        assert_expired(&page);
        assert!(page.body.contains(want), "{want}: {}", page.body);
        assert!(!page.body.contains("will be deleted") && !page.body.contains("nothing was deleted"), "{}", page.body);
    }
}

#[tokio::test]
async fn an_expired_post_shows_what_the_run_recorded_and_decides_nothing() {
    let run = FakeRun::waiting(vec![row("f", "1")]);
    run.status.lock().unwrap().phase = "timed_out".into();
    let expired = expired_token(Decision::Approve);
    let body = form(&[("token", &expired), ("csrf", &secret().csrf_for(&expired)), ("versions", "f:1")]);

    let page = post(&run, "/approve", body, Some(ORIGIN)).await;

    assert_expired(&page);
    assert!(page.body.contains("the run timed out and nothing was deleted"));
    assert!(run.decides().is_empty());
}

#[tokio::test]
async fn only_a_correctly_signed_expired_link_reads_the_run() {
    let run = FakeRun::waiting(vec![row("f", "1")]);
    let expired = Claims { expires_unix: EXPIRED_AT, ..live_claims(Decision::Approve) };
    let foreign = LinkSecret::new(vec![1u8; 32]).unwrap().sign(&expired);
    let (body, _) = expired_token(Decision::Approve).split_once('.').map(|(b, t)| (b.to_string(), t.to_string())).unwrap();
    let unsigned = format!("{body}.AAAA");

    for (token, want) in [(foreign, 403), (unsigned, 403)] {
        let page = send(&run, Request::get(link(Decision::Approve, &token)).body(Body::empty()).unwrap()).await;
        assert_eq!(page.status.as_u16(), want, "{}", page.body);
    }
    assert_eq!(*run.status_calls.lock().unwrap(), 0, "a badly signed expired link never reaches the run");
    assert_eq!(expired_page(&run, Decision::Approve).await.status, 410);
    assert_eq!(*run.status_calls.lock().unwrap(), 1, "the correctly signed one does");
}
