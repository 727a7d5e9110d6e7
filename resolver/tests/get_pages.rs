//! GET/HEAD of the approval links: they verify the link, show the truth about the run and never
//! deliver a decision.

mod common;

use axum::{body::Body, http::Request};
use common::*;
use snapstart_proto::{
    links::{Claims, Decision, LinkSecret},
    status::DecisionRecord,
};
use snapstart_resolver::MessengerError;

#[tokio::test]
async fn valid_approve_link_shows_the_candidates_by_function_and_a_form_with_csrf() {
    let run = FakeRun::waiting(vec![row("orders-api", "3"), row("orders-api", "4")]);
    let token = token(Decision::Approve);

    let page = get(&run, &link(Decision::Approve, &token)).await;

    assert_eq!(page.status, 200);
    for want in ["<code>orders-api</code>", "keep 3</label> 40.2 d, last 2023-09-01", "keep 4</label>", "2 versions, $12.50/month", "(each python3.12, 2048 MB, $6.25)", "2023-11-21T22:13:20Z", "LIVE", "us-west-2"] {
        assert!(page.body.contains(want), "missing {want}");
    }
    assert!(page.body.contains(r#"<form method="post" action="approve">"#));
    assert!(page.body.contains(&format!(r#"name="csrf" value="{}""#, secret().csrf_for(&token))));
    assert!(page.body.contains(&format!(r#"name="token" value="{token}""#)));
    assert!(page.body.contains(&format!(r#"name="digest" value="{}""#, run.status.lock().unwrap().candidates_digest)));
    let form = PageForm::parse(&page.body);
    let boxes = |name: &str| form.named(name).iter().map(|i| (i.value.clone(), i.checked)).collect::<Vec<_>>();
    assert_eq!(boxes("function"), [("0".to_string(), true)], "one ticked box per function");
    assert_eq!(boxes("keep"), [("0".to_string(), false), ("1".to_string(), false)], "one unticked keep box per version, by index");
    assert!(page.body.contains(r#"name="approver""#));
    assert!(!page.body.contains("<script"));
    assert!(run.decides().is_empty());
}

#[tokio::test]
async fn functions_are_listed_largest_saving_first_each_opening_to_its_versions() {
    let mut rows = vec![row("small", "1"), row("big", "1"), row("big", "2"), row("big", "3"), row("mid", "7"), row("mid", "8")];
    rows[0].estimated_monthly_cost_usd = 1.0;
    let run = FakeRun::waiting(rows);

    let page = get(&run, &link(Decision::Approve, &token(Decision::Approve))).await;

    let at = |name: &str| page.body.find(&format!("<code>{name}</code>")).unwrap_or_else(|| panic!("no {name}"));
    assert!(at("big") < at("mid") && at("mid") < at("small"), "largest saving first");
    assert_eq!(page.body.matches("<details").count(), 3, "one expandable line per function");
    assert!(page.body.contains("3 versions, $18.75/month"));
    assert!(page.body.contains("1 version, $1.00/month"));
    assert!(page.body.contains("3 functions, 6 versions, largest saving first"));
    let big = &page.body[at("big")..at("mid")];
    assert_eq!(big.matches("name=keep").count(), 3, "big's line opens to its three versions: {big}");
    let form = PageForm::parse(&page.body);
    let function_of = |name: &str| form.named("function").iter().map(|i| i.value.clone()).nth(["big", "mid", "small"].iter().position(|n| *n == name).unwrap()).unwrap();
    assert_eq!((function_of("big"), function_of("mid"), function_of("small")), ("1".into(), "2".into(), "0".into()), "boxes carry the run's function numbers");
}

#[tokio::test]
async fn versions_that_differ_in_runtime_memory_or_cost_show_them_on_their_own_line() {
    let mut rows = vec![row("f", "1"), row("f", "2"), row("g", "1")];
    (rows[1].runtime, rows[1].memory_size_mb, rows[1].estimated_monthly_cost_usd) = ("python3.11".into(), 1024, 3.9);
    rows[0].version_last_invoked_utc = None;
    let run = FakeRun::waiting(rows);

    let page = get(&run, &link(Decision::Approve, &token(Decision::Approve))).await;

    assert!(page.body.contains("keep 1</label> 40.2 d, last —, python3.12, 2048 MB, $6.25"), "{}", page.body);
    assert!(page.body.contains("keep 2</label> 40.2 d, last 2023-09-01, python3.11, 1024 MB, $3.90"), "{}", page.body);
    assert_eq!(page.body.matches("(each ").count(), 1, "only g's versions are alike");
}

#[tokio::test]
async fn dry_run_is_announced_on_the_approve_page() {
    let run = FakeRun::waiting(vec![row("f", "1")]);
    run.status.lock().unwrap().dry_run = true;

    let page = get(&run, &link(Decision::Approve, &token(Decision::Approve))).await;

    assert!(page.body.contains("DRY RUN"));
}

#[tokio::test]
async fn the_approve_page_says_whether_a_live_run_s_deletions_can_be_undone() {
    let run = FakeRun::waiting(vec![row("f", "1")]);
    run.status.lock().unwrap().dry_run = false;

    let page = get(&run, &link(Decision::Approve, &token(Decision::Approve))).await;
    assert!(page.body.contains("deletions CANNOT be undone"), "{}", page.body);

    run.status.lock().unwrap().archive_uri = "s3://archive-bucket/versions/".into();
    let page = get(&run, &link(Decision::Approve, &token(Decision::Approve))).await;
    assert!(page.body.contains("archived to s3://archive-bucket/versions/ before it is deleted"), "{}", page.body);
}

#[tokio::test]
async fn a_run_over_every_version_leads_with_the_code_storage_deleting_frees() {
    let run = FakeRun::waiting(vec![row("f", "1")]);
    {
        let mut status = run.status.lock().unwrap();
        let summary = status.summary.as_mut().unwrap();
        summary.reclaimable_code_bytes = 3 << 30;
        summary.settings = Some(snapstart_proto::v1::ScanSettings { versions: "all".into(), ..Default::default() });
    }

    let page = get(&run, &link(Decision::Approve, &token(Decision::Approve))).await;

    assert!(page.body.contains("Approve deleting unused versions?"), "{}", page.body);
    assert!(page.body.contains("Deleting all <strong>frees 3.0 GB of code storage</strong>; the estimated SnapStart cache saving is $12.50 per month."), "{}", page.body);
}

#[tokio::test]
async fn reject_link_says_nothing_will_be_deleted_and_has_no_checkboxes() {
    let run = FakeRun::waiting(vec![row("f", "1")]);

    let page = get(&run, &link(Decision::Reject, &token(Decision::Reject))).await;

    assert_eq!(page.status, 200);
    assert!(page.body.contains("nothing will be deleted"));
    assert!(page.body.contains(r#"action="reject""#));
    assert!(!page.body.contains("checkbox"));
}

#[tokio::test]
async fn twenty_gets_and_heads_never_call_decide() {
    let run = FakeRun::waiting(vec![row("f", "1")]);
    for decision in [Decision::Approve, Decision::Reject] {
        let uri = link(decision, &token(decision));
        for _ in 0..10 {
            assert_eq!(get(&run, &uri).await.status, 200);
            assert_eq!(send(&run, Request::head(&uri).body(Body::empty()).unwrap()).await.status, 200);
        }
    }
    assert!(run.decides().is_empty());
    assert_eq!(*run.status_calls.lock().unwrap(), 40);
}

#[tokio::test]
async fn tampered_wrong_decision_and_missing_tokens_are_refused_without_reaching_the_run() {
    let run = FakeRun::waiting(vec![row("f", "1")]);
    let good = token(Decision::Approve);
    let (body, tag) = good.split_once('.').unwrap();
    let flipped = format!("{body}.{}", if tag.starts_with('A') { tag.replacen('A', "B", 1) } else { format!("A{}", &tag[1..]) });
    let foreign = LinkSecret::new(vec![1u8; 32]).unwrap().sign(&live_claims(Decision::Approve));
    let cases = [
        (link(Decision::Approve, &flipped), 403, "This link is not valid"),
        (link(Decision::Approve, &foreign), 403, "This link is not valid"),
        (link(Decision::Reject, &good), 403, "This link is for the other decision"),
        (link(Decision::Approve, "not-a-token"), 400, "This link is damaged"),
        ("/approve".to_string(), 400, "This link is incomplete"),
        ("/approve?token=".to_string(), 400, "This link is incomplete"),
        ("/reject?other=1".to_string(), 400, "This link is incomplete"),
    ];
    for (uri, want_status, want_title) in cases {
        let page = get(&run, &uri).await;
        assert_eq!((page.status.as_u16(), title(&page)), (want_status, want_title), "{uri}");
    }
    assert!(run.decides().is_empty());
    assert_eq!(*run.status_calls.lock().unwrap(), 0, "refused links never reach the run");
}

#[tokio::test]
async fn expired_link_page_explains_that_the_deadline_passed() {
    let run = FakeRun::waiting(vec![row("f", "1")]);
    let uri = link(Decision::Approve, &expired_token(Decision::Approve));

    let page = get(&run, &uri).await;
    let before_expiry = send_at(&run, EXPIRED_AT - 1, Request::get(&uri).body(Body::empty()).unwrap()).await;

    assert_eq!(page.status, 410);
    assert_eq!(title(&page), "This link has expired");
    assert!(page.body.contains("The approval deadline has passed"), "{}", page.body);
    assert!(!page.body.contains("<form"));
    assert_eq!(before_expiry.status, 200, "the same link before it expired is valid in every other way: {}", before_expiry.body);
    assert!(before_expiry.body.contains("<form"));
    assert!(run.decides().is_empty());
}

#[tokio::test]
async fn already_decided_run_shows_who_decided_when_and_which_way() {
    let run = FakeRun::waiting(vec![row("f", "1")]);
    run.status.lock().unwrap().decision =
        Some(DecisionRecord { approved: false, approver: Some("bo".into()), decided_at: "2023-11-14T20:00:00Z".into(), ..Default::default() });

    let page = get(&run, &link(Decision::Approve, &token(Decision::Approve))).await;

    assert_eq!(page.status, 409);
    assert_eq!(title(&page), "This run was already decided");
    assert!(page.body.contains("rejected by bo at 2023-11-14T20:00:00Z"), "{}", page.body);
    assert!(!page.body.contains("<form"));
}

#[tokio::test]
async fn run_no_longer_waiting_shows_409_without_a_form() {
    let run = FakeRun::waiting(vec![row("f", "1")]);
    run.status.lock().unwrap().phase = "timed_out".into();

    let page = get(&run, &link(Decision::Reject, &token(Decision::Reject))).await;

    assert_eq!(page.status, 409);
    assert_eq!(title(&page), "This run is no longer waiting for a decision");
    assert!(page.body.contains("the approval deadline passed; nothing was deleted"));
    assert!(!page.body.contains("<form"));
}

#[tokio::test]
async fn unknown_run_shows_404() {
    let run = FakeRun::waiting(vec![]);
    *run.status_error.lock().unwrap() = Some(|| MessengerError::NotFound);

    let page = get(&run, &link(Decision::Approve, &token(Decision::Approve))).await;

    assert_eq!(page.status, 404);
    assert_eq!(title(&page), "Run not found");
}

#[tokio::test]
async fn a_link_to_another_run_of_the_same_workflow_shows_404() {
    let run = FakeRun::waiting(vec![row("f", "1")]);
    let other_run = secret().sign(&Claims { run_id: "run-2".into(), ..live_claims(Decision::Approve) });

    let page = get(&run, &link(Decision::Approve, &other_run)).await;

    assert_eq!(page.status, 404);
    assert_eq!(title(&page), "Run not found");
}

#[tokio::test]
async fn unexpected_errors_are_a_generic_500_that_leaks_nothing() {
    let run = FakeRun::waiting(vec![]);
    *run.status_error.lock().unwrap() = Some(|| MessengerError::Other(anyhow::anyhow!("grpc secret-host:7233 exploded")));

    let page = get(&run, &link(Decision::Approve, &token(Decision::Approve))).await;

    assert_eq!(page.status, 500);
    assert_eq!(title(&page), "Something went wrong");
    assert!(!page.body.contains("secret-host"));
}

#[tokio::test]
async fn function_names_and_versions_are_html_escaped() {
    let run = FakeRun::waiting(vec![row("<script>alert(1)</script>", "1\"><b>")]);

    let page = get(&run, &link(Decision::Approve, &token(Decision::Approve))).await;

    assert_eq!(page.status, 200);
    assert!(!page.body.contains("<script>alert"));
    assert!(!page.body.contains("\"><b>"));
    assert!(page.body.contains("<code>&lt;script&gt;alert(1)&lt;/script&gt;</code>"));
    assert!(page.body.contains("keep 1&quot;&gt;&lt;b&gt;</label>"));
}

#[tokio::test]
async fn healthz_answers_ok() {
    let page = get(&FakeRun::waiting(vec![]), "/healthz").await;
    assert_eq!((page.status.as_u16(), page.body.as_str()), (200, "ok"));
}

#[tokio::test]
async fn unknown_paths_are_a_404_page() {
    let page = get(&FakeRun::waiting(vec![]), "/nope").await;
    assert_eq!(page.status, 404);
    assert_eq!(title(&page), "Page not found");
}

/// The policy, written out: no `script-src`, so `default-src 'none'` forbids every script; inline
/// styles only; forms post only to this origin; no framing; no `<base>`.
const EXPECTED_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Fails unless `csp` forbids every script (no `script-src*`, `default-src 'none'`, no wildcard,
/// `unsafe-inline` for styles only), posts forms only to this origin, and forbids framing and `<base>`.
fn assert_policy_allows_no_script(csp: &str, what: &str) {
    let directives: Vec<(&str, &str)> = csp.split(';').map(|d| d.trim().split_once(' ').unwrap_or((d.trim(), ""))).collect();
    let value = |name: &str| directives.iter().find(|(n, _)| *n == name).map(|(_, v)| *v);
    assert_eq!(value("default-src"), Some("'none'"), "{what}: {csp}");
    assert_eq!(value("form-action"), Some("'self'"), "{what}: {csp}");
    assert_eq!(value("frame-ancestors"), Some("'none'"), "{what}: {csp}");
    assert_eq!(value("base-uri"), Some("'none'"), "{what}: {csp}");
    for (name, value) in &directives {
        assert!(!name.starts_with("script-src"), "{what}: scripts allowed by {name} {value}");
        assert!(!value.contains('*') && !value.contains("unsafe-eval"), "{what}: {name} {value}");
        assert!(*name == "style-src" || !value.contains("unsafe-inline"), "{what}: only styles may be inline: {name} {value}");
    }
}

#[tokio::test]
async fn security_headers_are_on_every_response() {
    let run = FakeRun::waiting(vec![row("f", "1")]);
    let requests = [
        Request::get("/healthz").body(Body::empty()).unwrap(),
        Request::get("/nope").body(Body::empty()).unwrap(),
        Request::get("/approve").body(Body::empty()).unwrap(),
        Request::get(link(Decision::Approve, &token(Decision::Approve))).body(Body::empty()).unwrap(),
        Request::head(link(Decision::Reject, &token(Decision::Reject))).body(Body::empty()).unwrap(),
        Request::post("/approve").header("origin", "https://evil.example").body(Body::empty()).unwrap(),
        Request::put("/approve").body(Body::empty()).unwrap(),
    ];
    for request in requests {
        let what = format!("{} {}", request.method(), request.uri());
        let answer = send(&run, request).await;
        let header = |name: &str| answer.headers.get(name).map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
        assert_eq!(header("cache-control"), "no-store", "{what}");
        assert_eq!(header("x-robots-tag"), "noindex", "{what}");
        assert_eq!(header("x-frame-options"), "DENY", "{what}");
        assert_eq!(header("referrer-policy"), "same-origin", "{what}");
        assert_eq!(header("x-content-type-options"), "nosniff", "{what}");
        assert_eq!(header("content-security-policy"), EXPECTED_CSP, "{what}");
        assert_policy_allows_no_script(&header("content-security-policy"), &what);
    }
}
