//! A minimal WebDriver client for headless Debian Chromium through chromedriver: enough to open
//! a page, type, click and read it, as a person would.
#![allow(dead_code)]

use std::{
    process::{Command, Stdio},
    time::Duration,
};

use serde_json::{json, Value};

use super::{eventually, free_port, group::Group};

/// A Chromium session; on drop chromedriver's whole process group (Chromium and every helper
/// it started) is killed, so no browser outlives its test.
pub struct Browser {
    http: reqwest::Client,
    base: String,
    session: String,
    _driver: Group,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Starts chromedriver and a headless Chromium session.
    pub async fn start() -> Self {
        let port = free_port();
        let driver = Group::spawn(
            Command::new("/usr/bin/chromedriver").arg(format!("--port={port}")).stdout(Stdio::null()).stderr(Stdio::null()),
            "chromedriver (scripts/test.sh installs Debian chromium-driver)",
        );
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        eventually(Duration::from_secs(30), "chromedriver", || {
            let (http, url) = (http.clone(), format!("{base}/status"));
            async move { http.get(url).send().await.ok().filter(|r| r.status().is_success()).map(|_| ()) }
        })
        .await;
        let profile = tempfile::tempdir().unwrap();
        let args = [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
        ];
        let mut args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        args.push(format!("--user-data-dir={}", profile.path().display()));
        let caps = json!({"capabilities": {"alwaysMatch": {"browserName": "chrome",
            "goog:chromeOptions": {"binary": "/usr/bin/chromium", "args": args}}}});
        let resp: Value = http.post(format!("{base}/session")).json(&caps).send().await.unwrap().json().await.unwrap();
        let session = resp["value"]["sessionId"].as_str().unwrap_or_else(|| panic!("no WebDriver session: {resp}")).to_string();
        Self { http, base, session, _driver: driver, _profile: profile }
    }

    /// One WebDriver command; a WebDriver error fails the test at once, naming the step, instead
    /// of surfacing later as a timeout.
    async fn call(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        let what = format!("WebDriver {method} {path} {body}");
        let resp = self.http.request(method, url).json(&body).send().await.unwrap_or_else(|e| panic!("{what}: {e}"));
        let status = resp.status();
        let answer: Value = resp.json().await.unwrap_or_else(|e| panic!("{what}: HTTP {status}, unreadable answer: {e}"));
        if let Some(error) = webdriver_error(status, &answer) {
            panic!("{what} failed: {error}");
        }
        answer["value"].clone()
    }

    /// Opens a URL.
    pub async fn goto(&self, url: &str) {
        self.call(reqwest::Method::POST, "/url", json!({"url": url})).await;
    }

    /// The page's visible text.
    pub async fn text(&self) -> String {
        let body = self.find("body").await;
        self.call(reqwest::Method::GET, &format!("/element/{body}/text"), json!({})).await.as_str().unwrap_or_default().to_string()
    }

    /// Every element matching a CSS selector.
    pub async fn find_all(&self, css: &str) -> Vec<String> {
        let v = self.call(reqwest::Method::POST, "/elements", json!({"using": "css selector", "value": css})).await;
        v.as_array().unwrap_or(&vec![]).iter().filter_map(|e| e.as_object()?.values().next()?.as_str().map(str::to_string)).collect()
    }

    /// The first element matching a CSS selector (panics if none).
    pub async fn find(&self, css: &str) -> String {
        self.find_all(css).await.into_iter().next().unwrap_or_else(|| panic!("no element {css}"))
    }

    /// Clicks an element.
    pub async fn click(&self, element: &str) {
        self.call(reqwest::Method::POST, &format!("/element/{element}/click"), json!({})).await;
    }

    /// Types into an element.
    pub async fn type_into(&self, element: &str, text: &str) {
        self.call(reqwest::Method::POST, &format!("/element/{element}/value"), json!({"text": text})).await;
    }

    /// Runs an asynchronous script in the page (the last argument is its callback) and returns
    /// what it passed back.
    pub async fn execute_async(&self, script: &str, args: Vec<Value>) -> Value {
        self.call(reqwest::Method::POST, "/execute/async", json!({"script": script, "args": args})).await
    }

    /// An element's attribute or property.
    pub async fn attribute(&self, element: &str, name: &str) -> String {
        self.call(reqwest::Method::GET, &format!("/element/{element}/property/{name}"), json!({})).await.as_str().unwrap_or_default().to_string()
    }
}

/// The error a WebDriver answer reports, if any (W3C: a non-2xx status with `value.error`).
pub fn webdriver_error(status: reqwest::StatusCode, answer: &Value) -> Option<String> {
    let error = answer["value"]["error"].as_str();
    if status.is_success() && error.is_none() {
        return None;
    }
    let message = answer["value"]["message"].as_str().unwrap_or_default();
    Some(format!("HTTP {status}: {} {}", error.unwrap_or("(no error code)"), message.lines().next().unwrap_or_default()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_webdriver_error_answer_is_reported_with_its_code_and_message() {
        let answer = json!({"value": {"error": "no such element", "message": "Unable to locate element\nstack..."}});

        let error = webdriver_error(reqwest::StatusCode::NOT_FOUND, &answer);

        assert_eq!(error.as_deref(), Some("HTTP 404 Not Found: no such element Unable to locate element"));
        assert_eq!(webdriver_error(reqwest::StatusCode::OK, &json!({"value": null})), None);
    }
}
