//! A minimal WebDriver client for headless Debian Chromium through chromedriver: enough to open
//! a page, type, click and read it, as a person would.
#![allow(dead_code)]

use std::{
    process::{Child, Command, Stdio},
    time::Duration,
};

use serde_json::{json, Value};

use super::{eventually, free_port};

/// A Chromium session, closed (and chromedriver killed) on drop.
pub struct Browser {
    http: reqwest::Client,
    base: String,
    session: String,
    driver: Child,
    _profile: tempfile::TempDir,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Browser {
    /// Starts chromedriver and a headless Chromium session.
    pub async fn start() -> Self {
        let port = free_port();
        let driver = Command::new("/usr/bin/chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver (scripts/test.sh installs Debian chromium-driver)");
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
        Self { http, base, session, driver, _profile: profile }
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        let resp: Value = self.http.request(method, url).json(&body).send().await.unwrap().json().await.unwrap();
        resp["value"].clone()
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

    /// An element's attribute or property.
    pub async fn attribute(&self, element: &str, name: &str) -> String {
        self.call(reqwest::Method::GET, &format!("/element/{element}/property/{name}"), json!({})).await.as_str().unwrap_or_default().to_string()
    }
}
