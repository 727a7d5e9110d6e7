//! The approval round trip as a person meets it: the email the SMTP sink received, its link
//! opened in headless Chromium, the confirm page, the resolver, the run. Plus the resolver's
//! refusals, against the real resolver and Temporal.

mod common;

use std::time::Duration;

use common::{
    browser::Browser,
    run::{Harness, SECRET},
};
use snapstart_proto::links::{Claims, Decision, LinkSecret};

fn link(mail: &str, decision: &str) -> String {
    let start = mail.find(&format!("/{decision}?token=")).unwrap_or_else(|| panic!("no {decision} link in: {mail}"));
    let begin = mail[..start].rfind("http").unwrap();
    mail[begin..].split_whitespace().next().unwrap().to_string()
}

fn token_of(link: &str) -> String {
    link.split("token=").nth(1).unwrap().to_string()
}

/// A live deployment with SMTP mail and the resolver, its run waiting for a decision.
async fn waiting_run(live: bool) -> (Harness, String, String) {
    let mut h = Harness::start(live).await;
    h.start_smtp_sink().await;
    h.start_resolver().await;
    // Two throttled ListAliases (retried) and one failed SNS publish (three 500s: the SDK's own
    // three attempts; the activity then retries that channel alone) must show in the metrics.
    h.sns_too = true;
    h.emulator.fault(serde_json::json!({"service": "lambda", "operation": "ListAliases", "status": 429, "code": "TooManyRequestsException", "message": "Rate exceeded", "count": 2})).await;
    h.emulator.fault(serde_json::json!({"service": "sns", "operation": "Publish", "status": 500, "code": "InternalError", "message": "boom", "count": 3})).await;
    h.start_worker(0);
    let id = h.cli_start(r#"{"region": "us-west-2"}"#);
    h.wait_for_phase(&id, "awaiting_approval").await;
    let mail = h.mail_containing("/approve?token=").await;
    (h, id, mail)
}

#[tokio::test]
#[ignore = "needs the services scripts/test.sh starts (Temporal dev server, AWS emulator, SMTP sink, Chromium): run scripts/test.sh"]
async fn approving_in_a_browser_deletes_exactly_the_checked_candidates() {
    let (h, id, mail) = waiting_run(true).await;
    let browser = Browser::start().await;

    browser.goto(&link(&mail, "approve")).await;
    let page = browser.text().await;
    let name = browser.find("input[name=approver]").await;
    browser.type_into(&name, "Ana Approver").await;
    let status = h.status(&id).await.unwrap();
    let keep = status.candidates.iter().position(|c| c.function_name == "billing" && c.version == "2").expect("billing:2 is a candidate");
    browser.click(&browser.find(&format!("input[name=keep][value=\"{keep}\"]")).await).await; // keep billing:2
    browser.click(&browser.find("button[type=submit]").await).await;
    let confirmation = browser.text().await;
    let result = h.result(&id).await;

    assert!(page.contains("orders") && page.contains("billing") && page.contains("keep 2"), "{page}");
    assert!(confirmation.contains("recorded your decision"), "{confirmation}");
    assert_eq!(result.status, "done");
    assert_eq!(result.approval.unwrap().approver.as_deref(), Some("Ana Approver"));
    assert_eq!(h.emulator.versions_of("orders").await, vec!["2", "4", "5", "6"]);
    assert_eq!(h.emulator.versions_of("billing").await, vec!["2", "3", "4", "5"]);
    let completion = h.mail_containing("deleted: 3").await;
    assert!(completion.contains("Ana Approver") && completion.contains("live"), "{completion}");
}

#[tokio::test]
#[ignore = "needs the services scripts/test.sh starts (Temporal dev server, AWS emulator, SMTP sink, Chromium): run scripts/test.sh"]
async fn approving_in_a_browser_on_a_dry_run_worker_deletes_nothing() {
    let (h, id, mail) = waiting_run(false).await;
    let browser = Browser::start().await;

    browser.goto(&link(&mail, "approve")).await;
    browser.click(&browser.find("button[type=submit]").await).await;
    let result = h.result(&id).await;

    assert!(mail.contains("DRY RUN"));
    assert_eq!((result.status.as_str(), result.dry_run), ("done", true));
    assert_eq!(h.emulator.versions_of("orders").await.len(), 6);
    assert_eq!(h.emulator.versions_of("billing").await.len(), 5);
}

#[tokio::test]
#[ignore = "needs the services scripts/test.sh starts (Temporal dev server, AWS emulator, SMTP sink, Chromium): run scripts/test.sh"]
async fn rejecting_in_a_browser_deletes_nothing_and_mails_the_summary() {
    let (h, id, mail) = waiting_run(true).await;
    let browser = Browser::start().await;

    browser.goto(&link(&mail, "reject")).await;
    browser.click(&browser.find("button[type=submit]").await).await;
    let result = h.result(&id).await;

    assert_eq!(result.status, "rejected");
    assert_eq!(h.emulator.versions_of("orders").await.len(), 6);
    h.mail_containing("rejected; nothing deleted").await;
}

#[tokio::test]
#[ignore = "needs the services scripts/test.sh starts (Temporal dev server, AWS emulator, SMTP sink, Chromium): run scripts/test.sh"]
async fn prefetching_and_bad_posts_change_nothing() {
    let (h, id, mail) = waiting_run(true).await;
    let http = reqwest::Client::new();
    let (approve, reject) = (link(&mail, "approve"), link(&mail, "reject"));
    let secret = LinkSecret::new(SECRET).unwrap();
    let token = token_of(&approve);
    let post = |path: String, form: Vec<(&'static str, String)>, origin: Option<&'static str>| {
        let mut req = http.post(path).form(&form);
        if let Some(o) = origin {
            req = req.header("Origin", o);
        }
        req.send()
    };
    let approve_url = format!("{}/approve", h.resolver_url);

    for _ in 0..20 {
        for url in [&approve, &reject] {
            assert_eq!(http.get(url.as_str()).send().await.unwrap().status(), 200);
            assert_eq!(http.head(url.as_str()).send().await.unwrap().status(), 200);
        }
    }
    let tampered = format!("{}x", &token[..token.len() - 1]);
    let other_run = secret.sign(&Claims { workflow_id: id.clone(), run_id: "00000000-0000-0000-0000-000000000000".into(), decision: Decision::Approve, expires_unix: i64::MAX / 2 });
    let run_id = h.run_id(&id).await;
    let expired = secret.sign(&Claims { workflow_id: id.clone(), run_id: run_id.clone(), decision: Decision::Approve, expires_unix: 1 });
    let cases: Vec<(&str, Vec<(&'static str, String)>, Option<&'static str>)> = vec![
        ("tampered token", vec![("token", tampered.clone()), ("csrf", secret.csrf_for(&tampered))], None),
        ("token for another run", vec![("token", other_run.clone()), ("csrf", secret.csrf_for(&other_run)), ("versions", "orders:1".to_string())], None),
        ("expired token", vec![("token", expired.clone()), ("csrf", secret.csrf_for(&expired))], None),
        ("missing CSRF", vec![("token", token.clone())], None),
        ("CSRF of another link", vec![("token", token.clone()), ("csrf", secret.csrf_for("other"))], None),
        ("cross-origin POST", vec![("token", token.clone()), ("csrf", secret.csrf_for(&token))], Some("https://evil.example")),
    ];
    let expected = [("tampered token", 400), ("token for another run", 404), ("expired token", 410), ("missing CSRF", 403), ("CSRF of another link", 403), ("cross-origin POST", 403)];
    for ((what, form, origin), (_, want)) in cases.into_iter().zip(expected) {
        let status = post(approve_url.clone(), form, origin).await.unwrap().status();
        assert_eq!(status.as_u16(), want, "{what}");
    }
    let still = h.status(&id).await.unwrap();
    assert_eq!((still.phase.as_str(), still.decision.is_none()), ("awaiting_approval", true));

    let valid = vec![("token", token.clone()), ("csrf", secret.csrf_for(&token)), ("versions", "orders:1".to_string())];
    let first = http.post(&approve_url).header("Origin", &h.resolver_url).form(&valid).send().await.unwrap().status();
    let second = http.post(&approve_url).form(&valid).send().await.unwrap();
    let (second_status, second_page) = (second.status(), second.text().await.unwrap());
    let result = tokio::time::timeout(Duration::from_secs(120), h.result(&id)).await.unwrap();

    assert_eq!(first, 200);
    assert_eq!(second_status, 409, "{second_page}");
    assert!(second_page.contains("already decided"), "{second_page}");
    assert_eq!(result.deletion_counts.get("deleted"), Some(&1));
    h.assert_replays(&id, "approved_by_update_after_refused_posts").await;
}

#[tokio::test]
#[ignore = "needs the services scripts/test.sh starts (Temporal dev server, AWS emulator, SMTP sink, Chromium): run scripts/test.sh"]
async fn a_link_used_while_the_email_is_still_retrying_says_not_yet_and_the_wait_ends_at_the_links_deadline() {
    let mut h = Harness::start(false).await;
    h.sns_too = true;
    h.reserve_smtp_sink(); // SNS delivers the links at once; SMTP fails until the sink starts
    h.start_resolver().await;
    h.start_worker(0);
    let id = h.cli_start(r#"{"region": "us-west-2", "approval_timeout_seconds": 20}"#);
    let sns = common::eventually(Duration::from_secs(60), "the SNS approval message", || async {
        h.emulator.sns_messages().await.first().and_then(|m| m["message"].as_str().map(str::to_string))
    })
    .await;

    let early = reqwest::get(link(&sns, "approve")).await.unwrap();
    let (early_status, early_page) = (early.status(), early.text().await.unwrap());
    tokio::time::sleep(Duration::from_secs(6)).await; // the email activity retries meanwhile
    h.start_smtp_sink().await;
    let status = h.wait_for_phase(&id, "awaiting_approval").await;
    let result = h.result(&id).await;

    assert_eq!(early_status, 503, "{early_page}");
    assert!(early_page.contains("not waiting yet"), "{early_page}");
    assert_eq!(result.status, "timed_out");
    let deadline = status.deadline_unix.unwrap();
    let events = h.history_json(&id)["events"].as_array().cloned().unwrap();
    let closed = events.last().unwrap()["eventTime"].as_str().unwrap().to_string();
    let closed = chrono::DateTime::parse_from_rfc3339(&closed).unwrap().timestamp();
    assert!(closed - deadline <= 4, "the run closed {}s after the links' deadline", closed - deadline);
}

/// A static page server (Python's http.server) standing in for the Temporal UI's origin.
/// A static file server standing in for the Temporal UI's origin (killed with its group on drop).
struct UiOrigin(#[allow(dead_code)] common::group::Group, u16);

async fn ui_origin() -> UiOrigin {
    let port = common::free_port();
    let dir = std::env::temp_dir();
    let child = common::group::Group::spawn(
        std::process::Command::new(common::service_env("SNAPSTART_TEST_PYTHON"))
            .args(["-m", "http.server", &port.to_string(), "--bind", "127.0.0.1", "--directory"])
            .arg(dir)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null()),
        "the UI origin",
    );
    common::eventually(Duration::from_secs(30), "the UI origin", || async { std::net::TcpStream::connect(("127.0.0.1", port)).ok() }).await;
    UiOrigin(child, port)
}

const FETCH_DECODE: &str = "const done = arguments[arguments.length - 1];
fetch(arguments[0], {method: 'POST', headers: {'Content-Type': 'application/json', 'X-Namespace': 'default'}, body: JSON.stringify(arguments[1])})
  .then(r => r.json()).then(j => done(JSON.stringify(j))).catch(e => done('ERROR ' + e));";

#[tokio::test]
#[ignore = "needs the services scripts/test.sh starts (Temporal dev server, AWS emulator, Chromium): run scripts/test.sh"]
async fn a_page_on_the_ui_origin_decodes_a_real_payload_through_the_codec_and_another_origin_cannot() {
    let mut h = Harness::start(false).await;
    let ui = ui_origin().await;
    h.resolver_env.push(("CODEC_CORS_ORIGINS".into(), format!("http://127.0.0.1:{}", ui.1)));
    h.start_resolver().await;
    h.start_worker(0);
    let id = h.cli_start(r#"{"region": "us-west-2"}"#);
    h.wait_for_phase(&id, "awaiting_approval").await;
    let history = h.history_json(&id);
    let result = history["events"].as_array().unwrap().iter().find_map(|e| e["activityTaskCompletedEventAttributes"]["result"]["payloads"][0].as_object().cloned()).unwrap();
    let body = serde_json::json!({"payloads": [result]});
    let codec = format!("{}/codec/decode", h.resolver_url);
    let browser = Browser::start().await;

    browser.goto(&format!("http://127.0.0.1:{}/", ui.1)).await;
    let allowed = browser.execute_async(FETCH_DECODE, vec![codec.clone().into(), body.clone()]).await;
    browser.goto(&format!("http://localhost:{}/", ui.1)).await;
    let refused = browser.execute_async(FETCH_DECODE, vec![codec.into(), body]).await;
    h.temporal(&["workflow", "terminate", "--workflow-id", &id, "--reason", "test done"]);

    let decoded: serde_json::Value = serde_json::from_str(allowed.as_str().unwrap()).unwrap_or_else(|_| panic!("{allowed}"));
    let encoding = decoded["payloads"][0]["metadata"]["encoding"].as_str().unwrap_or_default();
    assert_eq!(encoding, "anNvbi9wbGFpbg==", "json/plain, base64: {decoded}");
    assert!(refused.as_str().unwrap_or_default().starts_with("ERROR"), "an origin not listed is refused by CORS: {refused}");
}

const OTHER: &str = "111111111111";
const ROLE: &str = "arn:aws:iam::111111111111:role/snapstart-cleaner";

/// Versions of `function` that exist in `region` of the worker's own account or, with `role`,
/// of account 111111111111.
async fn versions_at(h: &Harness, role: bool, region: &str, function: &str) -> Vec<String> {
    let client = h.emulator.lambda_client_as(role.then_some((ROLE, "ext-1")), region).await;
    let out = client.list_versions_by_function().function_name(function).send().await.unwrap();
    out.versions().iter().filter_map(|v| v.version()).filter(|v| *v != "$LATEST").map(str::to_string).collect()
}

#[tokio::test]
#[ignore = "needs the services scripts/test.sh starts (Temporal dev server, AWS emulator, SMTP sink, Chromium): run scripts/test.sh"]
async fn a_two_region_two_account_run_approved_in_a_browser_deletes_exactly_the_approved_versions_where_they_live() {
    let mut h = Harness::start(true).await;
    let five = |name: &str| serde_json::json!({"name": name, "runtime": "python3.12", "memory_size": 512, "snapstart": true, "versions": common::versions(5, 40.0)});
    // The demo account (orders, billing) is the worker's own in us-west-2; `audit` is its own in
    // eu-west-1; account 111111111111 has `payments` in us-west-2 and its own `orders` in eu-west-1.
    h.emulator.seed(serde_json::json!({"region": "eu-west-1", "functions": [five("audit")], "roles": [{"arn": ROLE, "external_id": "ext-1"}]})).await;
    h.emulator.seed(serde_json::json!({"region": "us-west-2", "account_id": OTHER, "functions": [five("payments")]})).await;
    h.emulator.seed(serde_json::json!({"region": "eu-west-1", "account_id": OTHER, "functions": [five("orders")]})).await;
    h.start_smtp_sink().await;
    h.start_resolver().await;
    h.start_worker(0);
    let id = h.cli_start(&format!(
        r#"{{"regions": ["us-west-2", "eu-west-1"], "assume_role_arns": ["{ROLE}"], "external_id": "ext-1", "include_own_account": true}}"#
    ));
    let status = h.wait_for_phase(&id, "awaiting_approval").await;
    let mail = h.mail_containing("/approve?token=").await;
    let browser = Browser::start().await;

    browser.goto(&link(&mail, "approve")).await;
    let page = browser.text().await;
    // Keep the other account's orders:1 in eu-west-1; the own account's orders:1 goes.
    let keep = status
        .candidates
        .iter()
        .position(|c| c.account_id == OTHER && c.region == "eu-west-1" && c.function_name == "orders" && c.version == "1")
        .expect("111111111111 eu-west-1 orders:1 is a candidate");
    browser.click(&browser.find(&format!("input[name=keep][value=\"{keep}\"]")).await).await;
    browser.click(&browser.find("button[type=submit]").await).await;
    let result = h.result(&id).await;

    assert_eq!(status.candidates_total, 10, "2 + 2 + 2 in the own account, 2 + 2 in the other");
    assert!(page.contains("111111111111 eu-west-1") && page.contains("123456789012 us-west-2"), "{page}");
    assert!(mail.contains("111111111111 us-west-2: 2 candidates"), "{mail}");
    assert_eq!(result.status, "done");
    assert_eq!(result.deletion_counts.get("deleted"), Some(&9));
    assert_eq!(versions_at(&h, false, "us-west-2", "orders").await, ["2", "4", "5", "6"]);
    assert_eq!(versions_at(&h, false, "us-west-2", "billing").await, ["3", "4", "5"]);
    assert_eq!(versions_at(&h, false, "eu-west-1", "audit").await, ["3", "4", "5"]);
    assert_eq!(versions_at(&h, true, "us-west-2", "payments").await, ["3", "4", "5"]);
    assert_eq!(versions_at(&h, true, "eu-west-1", "orders").await, ["1", "3", "4", "5"]);
    let deletes: Vec<(String, String, String)> = h
        .emulator
        .requests()
        .await
        .iter()
        .filter(|r| r["operation"] == "DeleteFunction")
        .map(|r| (r["account_id"].as_str().unwrap().into(), r["region"].as_str().unwrap().into(), r["function_name"].as_str().unwrap().into()))
        .collect();
    assert_eq!(deletes.len(), 9);
    assert_eq!(deletes.iter().filter(|d| d.0 == OTHER).count(), 3, "{deletes:?}");
    assert!(result.deletion_results.iter().all(|r| !r.account_id.is_empty() && !r.region.is_empty()));
    h.mail_containing("deleted: 9").await;
    h.assert_replays(&id, "two_regions_two_accounts").await;
}

/// The `/metrics` text at `addr`.
async fn scrape(addr: &str) -> String {
    reqwest::get(format!("http://{addr}/metrics")).await.unwrap().text().await.unwrap()
}

/// The value of the first sample of `name` whose labels include every one of `labels`.
fn sample(text: &str, name: &str, labels: &[&str]) -> Option<f64> {
    text.lines()
        .filter(|l| l.starts_with(&format!("{name}{{")) || l.starts_with(&format!("{name} ")))
        .find(|l| labels.iter().all(|want| l.contains(want)))
        .and_then(|l| l.rsplit(' ').next()?.parse().ok())
}

#[tokio::test]
#[ignore = "needs the services scripts/test.sh starts (Temporal dev server, AWS emulator, SMTP sink, Chromium): run scripts/test.sh"]
async fn worker_and_resolver_metrics_count_the_run_its_calls_mails_requests_and_decision() {
    let mut h = Harness::start(true).await;
    let (worker_metrics, resolver_metrics) = (format!("127.0.0.1:{}", common::free_port()), format!("127.0.0.1:{}", common::free_port()));
    h.worker_env.push(("METRICS_LISTEN".into(), worker_metrics.clone()));
    h.resolver_env.push(("METRICS_LISTEN".into(), resolver_metrics.clone()));
    h.start_smtp_sink().await;
    h.start_resolver().await;
    // Two throttled ListAliases (retried) and one failed SNS publish (three 500s: the SDK's own
    // three attempts; the activity then retries that channel alone) must show in the metrics.
    h.sns_too = true;
    h.emulator.fault(serde_json::json!({"service": "lambda", "operation": "ListAliases", "status": 429, "code": "TooManyRequestsException", "message": "Rate exceeded", "count": 2})).await;
    h.emulator.fault(serde_json::json!({"service": "sns", "operation": "Publish", "status": 500, "code": "InternalError", "message": "boom", "count": 3})).await;
    h.start_worker(0);
    let id = h.cli_start(r#"{"region": "us-west-2"}"#);
    h.wait_for_phase(&id, "awaiting_approval").await;
    let mail = h.mail_containing("/approve?token=").await;
    let browser = Browser::start().await;

    browser.goto(&link(&mail, "approve")).await;
    browser.click(&browser.find("button[type=submit]").await).await;
    h.result(&id).await;
    let http = reqwest::Client::new();
    for i in 0..20 {
        let made_up = reqwest::Method::from_bytes(format!("PROBE{i}").as_bytes()).unwrap();
        http.request(made_up, format!("{}/approve", h.resolver_url)).send().await.unwrap();
    }
    let worker = scrape(&worker_metrics).await;
    let resolver = scrape(&resolver_metrics).await;

    assert_eq!(sample(&worker, "snapstart_runs_total", &[r#"outcome="done""#]), Some(1.0), "{worker}");
    assert_eq!(sample(&worker, "snapstart_versions_scanned_total", &[]), Some(11.0));
    assert_eq!(sample(&worker, "snapstart_candidates_total", &[]), Some(4.0));
    assert_eq!(sample(&worker, "snapstart_deletions_total", &[r#"outcome="deleted""#]), Some(4.0));
    assert!(sample(&worker, "snapstart_aws_calls_total", &[r#"operation="ListFunctions""#]).is_some_and(|n| n >= 1.0));
    assert!(sample(&worker, "snapstart_aws_calls_total", &[r#"operation="DeleteFunction""#]).is_some_and(|n| n >= 4.0));
    assert_eq!(sample(&worker, "snapstart_notifications_total", &[r#"channel="smtp""#, r#"result="delivered""#]), Some(2.0));
    assert_eq!(sample(&worker, "snapstart_notifications_total", &[r#"channel="sns""#, r#"result="failed""#]), Some(1.0), "{worker}");
    assert_eq!(sample(&worker, "snapstart_notifications_total", &[r#"channel="sns""#, r#"result="delivered""#]), Some(2.0));
    assert_eq!(sample(&worker, "snapstart_aws_throttles_total", &[r#"operation="ListAliases""#]), Some(2.0), "{worker}");
    h.emulator.assert_fault_fired("ListAliases").await;
    h.emulator.assert_fault_fired("Publish").await;
    assert!(worker.lines().any(|l| l.starts_with("snapstart_workflow_completed")), "the SDK's worker metrics, prefixed: {worker}");
    assert_eq!(sample(&resolver, "snapstart_decisions_total", &[r#"decision="approve""#]), Some(1.0), "{resolver}");
    assert!(sample(&resolver, "snapstart_resolver_requests_total", &[r#"route="/approve""#, r#"method="GET""#, r#"status="200""#]).is_some());
    assert!(sample(&resolver, "snapstart_resolver_requests_total", &[r#"route="/approve""#, r#"method="POST""#, r#"status="200""#]).is_some());
    assert!(!resolver.contains("PROBE"), "a made-up method made a series of its own: {resolver}");
    let other: f64 = resolver.lines().filter(|l| l.starts_with("snapstart_resolver_requests_total{") && l.contains(r#"method="other""#)).filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok()).sum();
    assert_eq!(other, 20.0, "{resolver}");
}
