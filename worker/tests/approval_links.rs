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
    for checkbox in browser.find_all("input[name=versions]").await {
        if browser.attribute(&checkbox, "value").await == "billing:2" {
            browser.click(&checkbox).await; // keep billing:2
        }
    }
    browser.click(&browser.find("button[type=submit]").await).await;
    let confirmation = browser.text().await;
    let result = h.result(&id).await;

    assert!(page.contains("orders:1") && page.contains("billing:2"), "{page}");
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
        ("token for another run", vec![("token", other_run.clone()), ("csrf", secret.csrf_for(&other_run))], None),
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
