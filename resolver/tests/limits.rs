//! What one client may cost the others, and HSTS: a body limit (413), an in-flight limit (a quick
//! 503), a deadline per request, and `Strict-Transport-Security` exactly when the public URL is
//! https.

mod common;

use std::{sync::Arc, time::Duration};

use axum::{body::Body, http::Request, Router};
use common::*;
use snapstart_proto::links::Decision;
use snapstart_resolver::{app, Limits};
use tokio::sync::Semaphore;

fn requests() -> Vec<Request<Body>> {
    vec![
        Request::get("/healthz").body(Body::empty()).unwrap(),
        Request::get("/nope").body(Body::empty()).unwrap(),
        Request::get("/approve").body(Body::empty()).unwrap(),
        Request::get(link(Decision::Approve, &token(Decision::Approve))).body(Body::empty()).unwrap(),
        Request::post("/reject").header("origin", "https://evil.example").body(Body::empty()).unwrap(),
    ]
}

#[tokio::test]
async fn hsts_is_on_every_response_when_the_public_url_is_https() {
    let run = FakeRun::waiting(vec![row("f", "1")]);
    for request in requests() {
        let what = format!("{} {}", request.method(), request.uri());

        let answer = send(&run, request).await;

        assert_eq!(answer.headers.get("strict-transport-security").map(|v| v.to_str().unwrap()), Some("max-age=31536000"), "{what}");
    }
}

#[tokio::test]
async fn hsts_is_never_sent_when_the_public_url_is_http() {
    let run = FakeRun::waiting(vec![row("f", "1")]);
    let state = || state_at(&run, NOW);
    for request in requests() {
        let what = format!("{} {}", request.method(), request.uri());
        let http = snapstart_resolver::AppState { public_url: url::Url::parse("http://127.0.0.1:8787").unwrap(), ..state() };

        let answer = send_to(app(http), request).await;

        assert!(answer.headers.get("strict-transport-security").is_none(), "{what}");
        assert_eq!(answer.headers.get("x-frame-options").map(|v| v.to_str().unwrap()), Some("DENY"), "{what}: the other headers stay");
    }
}

fn confirm_body(padding: usize) -> String {
    let token = token(Decision::Reject);
    let csrf = secret().csrf_for(&token);
    form(&[("token", token.as_str()), ("csrf", csrf.as_str()), ("pad", &"x".repeat(padding))])
}

#[tokio::test]
async fn a_form_over_one_mebibyte_is_refused_with_413_before_reaching_the_run() {
    let run = FakeRun::waiting(vec![row("f", "1")]);
    let at_limit = confirm_body(0).len();
    let chunked = |body: String| {
        let stream = futures::stream::iter(body.into_bytes().chunks(64 * 1024).map(|c| Ok::<_, std::io::Error>(c.to_vec())).collect::<Vec<_>>());
        Request::post("/reject").header("content-type", "application/x-www-form-urlencoded").header("origin", ORIGIN).body(Body::from_stream(stream)).unwrap()
    };

    let sized = post(&run, "/reject", confirm_body((1 << 20) + 1 - at_limit), Some(ORIGIN)).await;
    let streamed = send(&run, chunked(confirm_body((1 << 20) + 1 - at_limit))).await;
    let just_fits = post(&run, "/reject", confirm_body((1 << 20) - at_limit - 4), Some(ORIGIN)).await;

    for page in [&sized, &streamed] {
        assert_eq!((page.status.as_u16(), title(page)), (413, "The form is too large"), "{}", page.body);
    }
    assert_eq!(run.decides().len(), 1, "only the form within the limit reached the run");
    assert_eq!(just_fits.status, 200, "{}", just_fits.body);
}

/// The app with `limits`, one router shared by every request of a test (the limits are per app).
fn limited(run: &Arc<FakeRun>, limits: Limits) -> Router {
    app(state_at(run, NOW).with_limits(limits))
}

/// Waits (up to 5 s) until the fake has seen `n` status calls.
async fn until_status_calls(run: &FakeRun, n: usize) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while *run.status_calls.lock().unwrap() < n {
        assert!(tokio::time::Instant::now() < deadline, "the first request never reached the run");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test]
async fn requests_beyond_the_in_flight_limit_get_a_quick_503_and_probes_still_pass() {
    let run = FakeRun::waiting(vec![row("f", "1")]);
    let gate = Arc::new(Semaphore::new(0));
    *run.gate.lock().unwrap() = Some(gate.clone());
    let router = limited(&run, Limits { max_in_flight: 1, ..Limits::default() });
    let uri = link(Decision::Reject, &token(Decision::Reject));
    let held = tokio::spawn(send_to(router.clone(), Request::get(&uri).body(Body::empty()).unwrap()));
    until_status_calls(&run, 1).await;

    let refused = tokio::time::timeout(Duration::from_secs(5), send_to(router.clone(), Request::get(&uri).body(Body::empty()).unwrap())).await.expect("refused at once, not queued");
    let probe = send_to(router.clone(), Request::get("/healthz").body(Body::empty()).unwrap()).await;
    gate.add_permits(10);
    let finished = held.await.unwrap();
    let after = send_to(router, Request::get(&uri).body(Body::empty()).unwrap()).await;

    assert_eq!((refused.status.as_u16(), title(&refused)), (503, "The resolver is busy"));
    assert_eq!(refused.headers.get("retry-after").map(|v| v.to_str().unwrap()), Some("60"));
    assert_eq!(*run.status_calls.lock().unwrap(), 2, "the refused request never reached the run");
    assert_eq!(probe.status, 200);
    assert_eq!((finished.status.as_u16(), after.status.as_u16()), (200, 200), "the held request finishes and frees its place");
}

#[tokio::test]
async fn a_request_that_outlives_its_deadline_gets_a_503_page() {
    let run = FakeRun::waiting(vec![row("f", "1")]);
    *run.gate.lock().unwrap() = Some(Arc::new(Semaphore::new(0)));
    let router = limited(&run, Limits { request_timeout: Duration::from_millis(200), ..Limits::default() });

    let request = send_to(router, Request::get(link(Decision::Approve, &token(Decision::Approve))).body(Body::empty()).unwrap());
    let page = tokio::time::timeout(Duration::from_secs(5), request).await.expect("cut off at its deadline");

    assert_eq!((page.status.as_u16(), title(&page)), (503, "The request took too long"));
    assert!(page.body.contains("open the link again to see whether it was recorded"));
}

#[test]
fn the_shipped_limits_are_pinned() {
    let shipped = Limits::default();

    assert_eq!(shipped.max_in_flight, 64);
    assert_eq!(shipped.request_timeout, Duration::from_secs(60));
    assert_eq!(shipped.max_body_bytes, 1 << 20);
    assert_eq!(shipped.header_read_timeout, Duration::from_secs(10));
    assert_eq!(shipped.body_read_timeout, Duration::from_secs(10));
    assert_eq!(snapstart_resolver::codec::BODY_LIMIT, 4 << 20);
    assert_eq!(snapstart_resolver::codec::BODY_DEADLINE, Duration::from_secs(10));
    let temporal = snapstart_resolver::temporal::Timeouts::default();
    assert_eq!((temporal.connect, temporal.query, temporal.update), (Duration::from_secs(5), Duration::from_secs(10), Duration::from_secs(30)));
}

/// A POST whose body never finishes arriving (the sender is kept, so the stream stays open).
fn trickling_post(path: &str) -> (Request<Body>, tokio::sync::mpsc::Sender<Result<Vec<u8>, std::io::Error>>) {
    let (sender, mut receiver) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(1);
    let stream = futures::stream::poll_fn(move |cx| receiver.poll_recv(cx));
    let request = Request::post(path).header("content-type", "application/x-www-form-urlencoded").header("origin", ORIGIN).body(Body::from_stream(stream)).unwrap();
    (request, sender)
}

#[tokio::test]
async fn slow_unauthenticated_posts_hold_no_permit_and_an_approver_still_gets_in() {
    let run = FakeRun::waiting(vec![row("f", "1")]);
    let router = limited(&run, Limits { max_in_flight: 1, body_read_timeout: Duration::from_secs(30), ..Limits::default() });
    let mut slow = Vec::new();
    for _ in 0..5 {
        let (request, sender) = trickling_post("/approve");
        slow.push((tokio::spawn(send_to(router.clone(), request)), sender));
    }
    let bad_link = send_to(router.clone(), Request::get(link(Decision::Approve, "not-a-token")).body(Body::empty()).unwrap()).await;

    let approver = send_to(router.clone(), Request::get(link(Decision::Approve, &token(Decision::Approve))).body(Body::empty()).unwrap()).await;

    assert_ne!(bad_link.status.as_u16(), 503, "a link that does not verify is refused for what it is, and takes no permit");
    assert_eq!(approver.status, 200, "five trickling POSTs and a bad link left the one permit free: {}", approver.body);
    for (task, _sender) in slow {
        task.abort();
    }
}

#[tokio::test]
async fn a_form_that_arrives_too_slowly_is_answered_408_and_reaches_nothing() {
    let run = FakeRun::waiting(vec![row("f", "1")]);
    let router = limited(&run, Limits { body_read_timeout: Duration::from_millis(200), ..Limits::default() });
    let (request, _sender) = trickling_post("/reject");

    let page = tokio::time::timeout(Duration::from_secs(5), send_to(router, request)).await.expect("cut off at the body deadline");

    assert_eq!((page.status.as_u16(), title(&page)), (408, "The form arrived too slowly"));
    assert_eq!((*run.status_calls.lock().unwrap(), run.decides().len()), (0, 0));
}
