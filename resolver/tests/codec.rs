//! The remote codec endpoint as the Temporal UI and CLI call it: every activity payload of a
//! real recorded run decodes to readable JSON, anything else comes back unchanged, encode is the
//! identity, and browsers may call it from the allowed origins only.

mod common;

use std::{collections::BTreeSet, path::Path, sync::Arc};

use axum::{
    body::Body,
    http::{HeaderMap, Request, StatusCode},
    Router,
};
use common::FakeRun;
use serde_json::{json, Value};
use snapstart_proto::{
    codec::wire::JsonPayload,
    pack::pack,
    v1::{DeletionResult, DeletionResultList},
};
use snapstart_resolver::{app, codec::CorsOrigins, AppState};
use tower::ServiceExt;

const UI_ORIGINS: [&str; 2] = ["http://localhost:8233", "http://127.0.0.1:8233"];
/// `json/plain`, base64 as on the wire.
const JSON_PLAIN_B64: &str = "anNvbi9wbGFpbg==";

type Keys = &'static [&'static str];
/// A payload type, its top-level keys, and its packed field with the keys of the message inside.
type Expected = (&'static str, Keys, Option<(&'static str, Keys)>);

/// Each activity payload type of the recorded run, its top-level keys, and for a packed field
/// the keys of the message inside (shown unpacked, never as bytes).
const ACTIVITY_PAYLOADS: &[Expected] = &[
    ("snapstart.v1.ScanSettings", &["approval_timeout_seconds", "archive_kms_key_id", "archive_uri", "assume_role_arns", "cache_price_per_gb_second", "dry_run_requested", "exclude", "external_id", "function_level_fallback", "function_name_prefix", "include", "include_own_account", "keep_last_n", "lookback_days", "min_age_days", "now_unix", "period_seconds", "protect_tag_key", "region", "regions", "s3_report_uri", "versions"], None),
    ("snapstart.v1.PhaseOutput", &["counts", "scan"], Some(("scan", &["account_id", "aws_calls", "code_storage", "error", "functions", "region", "role_arn", "settings", "targets"]))),
    ("snapstart.v1.PackedScan", &["account_id", "aws_calls", "code_storage", "error", "functions", "region", "role_arn", "settings", "targets"], None),
    ("snapstart.v1.BuildReportOutput", &["candidates", "counts", "preview"], Some(("candidates", &["rows"]))),
    ("snapstart.v1.ApprovalEmailRequest", &["candidates", "deadline_unix", "dry_run_requested", "report_location", "run_id", "summary", "workflow_id"], Some(("candidates", &["rows"]))),
    ("snapstart.v1.NotifyResponse", &["archive_kms_key_id", "archive_uri", "delivered", "dry_run"], None),
    ("snapstart.v1.DeleteRequest", &["approved", "archive_kms_key_id", "archive_uri", "assume_role_arns", "dry_run", "external_id", "function_level_fallback", "period_seconds", "region", "scan_now_unix"], Some(("approved", &["rows"]))),
    ("snapstart.v1.DeleteResponse", &["dry_run", "results"], Some(("results", &["results"]))),
    ("snapstart.v1.CompletionEmailRequest", &["archive_uri", "decision_json", "dry_run", "results", "run_id", "s3_report_uri", "status", "summary", "workflow_id"], Some(("results", &["results"]))),
];

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&self.body)))
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }
}

fn app_with(run: &Arc<FakeRun>, origins: Option<CorsOrigins>) -> Router {
    let state = AppState::new(run.clone(), common::secret(), url::Url::parse(common::PUBLIC_URL).unwrap());
    app(match origins {
        Some(origins) => state.with_codec_origins(origins),
        None => state,
    })
}

async fn call_with(run: &Arc<FakeRun>, origins: Option<CorsOrigins>, request: Request<Body>) -> Answer {
    let response = app_with(run, origins).oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap().to_vec();
    Answer { status, headers, body }
}

async fn call(request: Request<Body>) -> Answer {
    call_with(&Arc::new(FakeRun::default()), None, request).await
}

/// A POST as the UI sends it (the CLI sends no Origin).
fn post(path: &str, body: impl Into<Body>, origin: Option<&str>) -> Request<Body> {
    let mut request = Request::post(path).header("content-type", "application/json").header("x-namespace", "default");
    if let Some(origin) = origin {
        request = request.header("origin", origin);
    }
    request.body(body.into()).unwrap()
}

fn preflight(path: &str, origin: &str) -> Request<Body> {
    Request::options(path)
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type,x-namespace,authorization")
        .body(Body::empty())
        .unwrap()
}

fn fixture(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name);
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// Every payload in a recorded history, with where it is (`<event id>/<attribute path>`).
fn payloads_in(history: &Value) -> Vec<(String, Value)> {
    fn walk(value: &Value, path: String, out: &mut Vec<(String, Value)>) {
        match value {
            Value::Object(map) if map.contains_key("metadata") && map.contains_key("data") => out.push((path, value.clone())),
            Value::Object(map) => map.iter().for_each(|(k, v)| walk(v, format!("{path}/{k}"), out)),
            Value::Array(items) => items.iter().enumerate().for_each(|(i, v)| walk(v, format!("{path}[{i}]"), out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    for event in history["events"].as_array().unwrap() {
        walk(&event["attributes"], event["event_id"].to_string(), &mut out);
    }
    out
}

/// Activity inputs and results, and heartbeat details wherever a history carries them.
fn is_activity_payload(path: &str) -> bool {
    ["ActivityTaskScheduledEventAttributes/input", "ActivityTaskCompletedEventAttributes/result", "heartbeat_details"].iter().any(|p| path.contains(p))
}

/// Decodes `payloads` in one request and returns the answer's payloads, same order.
async fn decode(payloads: Vec<Value>) -> Vec<Value> {
    let sent = payloads.len();
    let answer = call(post("/codec/decode", json!({ "payloads": payloads }).to_string(), None)).await;
    assert_eq!(answer.status, 200, "{}", String::from_utf8_lossy(&answer.body));
    assert_eq!(answer.header("content-type"), Some("application/json"));
    let answered = answer.json()["payloads"].as_array().unwrap().clone();
    assert_eq!(answered.len(), sent);
    answered
}

fn metadata_text(payload: &JsonPayload, key: &str) -> String {
    String::from_utf8(payload.metadata[key].clone()).unwrap()
}

/// The object's keys, sorted.
fn keys(value: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = value.as_object().unwrap_or_else(|| panic!("not an object: {value}")).keys().map(String::as_str).collect();
    keys.sort_unstable();
    keys
}

fn data_json(payload: &Value) -> (String, Value) {
    let payload: JsonPayload = serde_json::from_value(payload.clone()).unwrap();
    (metadata_text(&payload, "messageType"), serde_json::from_slice(&payload.data).unwrap())
}

#[tokio::test]
async fn every_activity_payload_of_a_recorded_run_decodes_to_json_with_its_fields() {
    let sent = payloads_in(&fixture("history_with_message_types.json"));

    let answered = decode(sent.iter().map(|(_, p)| p.clone()).collect()).await;

    let mut seen = BTreeSet::new();
    for ((path, before), after) in sent.iter().zip(&answered) {
        if !is_activity_payload(path) {
            assert_eq!(after, before, "{path}: not an activity payload, unchanged");
            continue;
        }
        assert_eq!(after["metadata"]["encoding"], JSON_PLAIN_B64, "{path}");
        assert_eq!(after["metadata"]["messageType"], before["metadata"]["messageType"], "{path}: messageType kept");
        let (message_type, json) = data_json(after);
        let (_, want_keys, packed) = ACTIVITY_PAYLOADS.iter().find(|(t, ..)| *t == message_type).unwrap_or_else(|| panic!("{path}: unexpected {message_type}"));
        assert_eq!(keys(&json), *want_keys, "{path}: {message_type}");
        if let Some((field, inner_keys)) = packed {
            assert_eq!(keys(&json[field]), *inner_keys, "{path}: {message_type}.{field} unpacked");
        }
        seen.insert(message_type);
    }
    let every: BTreeSet<String> = ACTIVITY_PAYLOADS.iter().map(|(t, ..)| t.to_string()).collect();
    assert_eq!(seen, every, "the recorded run has every activity payload type");
}

#[tokio::test]
async fn the_decoded_deletion_shows_what_the_run_deleted() {
    let sent = payloads_in(&fixture("history_with_message_types.json"));
    let (_, payload) = sent
        .iter()
        .find(|(_, p)| p["metadata"]["messageType"] == "c25hcHN0YXJ0LnYxLkRlbGV0ZVJlc3BvbnNl")
        .expect("a DeleteResponse (messageType base64 of snapstart.v1.DeleteResponse)");

    let answered = decode(vec![payload.clone()]).await;

    let (_, json) = data_json(&answered[0]);
    let deleted: BTreeSet<(String, String)> = json["results"]["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["outcome"] == "deleted")
        .map(|r| (r["function_name"].as_str().unwrap().to_string(), r["version"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(deleted, BTreeSet::from([("billing".into(), "2".into()), ("orders".into(), "1".into())]));
    assert_eq!(json["dry_run"], false);
}

#[tokio::test]
async fn a_delete_versions_heartbeat_shows_its_results_unpacked() {
    let results = DeletionResultList { results: vec![DeletionResult { function_name: "orders".into(), version: "1".into(), outcome: "deleted".into(), message: String::new(), ..Default::default() }] };
    // DeleteProgress { done: 1, total: 2, results: PackedScan { deflated } }, encoded by hand.
    let data = [vec![0x08, 1, 0x10, 2], field(0x22, &field(0x0a, &pack(&results).deflated))].concat();
    let heartbeat = JsonPayload { metadata: [text("encoding", "binary/protobuf"), text("messageType", "snapstart.v1.DeleteProgress")].into(), data, ..Default::default() };

    let answered = decode(vec![serde_json::to_value(heartbeat).unwrap()]).await;

    let (message_type, json) = data_json(&answered[0]);
    assert_eq!(message_type, "snapstart.v1.DeleteProgress");
    assert_eq!(json, json!({"done": 1, "total": 2, "outcomes": {}, "results": {"results": [{"function_name": "orders", "version": "1", "outcome": "deleted", "message": "", "account_id": "", "region": "", "archive_uri": ""}]}}));
}

fn text(key: &str, value: &str) -> (String, Vec<u8>) {
    (key.to_string(), value.as_bytes().to_vec())
}

/// A length-delimited protobuf field (`tag` already holds field number and wire type 2).
fn field(tag: u8, bytes: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let mut len = bytes.len();
    while len >= 0x80 {
        out.push(len as u8 | 0x80);
        len >>= 7;
    }
    out.push(len as u8);
    out.extend_from_slice(bytes);
    out
}

#[tokio::test]
async fn payloads_written_before_message_types_existed_come_back_unchanged() {
    let sent: Vec<Value> = payloads_in(&fixture("history_before_message_types.json")).into_iter().map(|(_, p)| p).collect();
    assert!(sent.iter().any(|p| p["metadata"]["encoding"] == "YmluYXJ5L3Byb3RvYnVm"), "the old history has binary/protobuf payloads");

    let answered = decode(sent.clone()).await;

    assert_eq!(answered, sent);
}

#[tokio::test]
async fn unknown_types_and_undecodable_bytes_come_back_unchanged_next_to_decoded_ones() {
    let ours = json!({"metadata": {"encoding": "YmluYXJ5L3Byb3RvYnVm", "messageType": "c25hcHN0YXJ0LnYxLk5vdGlmeVJlc3BvbnNl"}, "data": "CgRzbXRwEAE="});
    let unknown = json!({"metadata": {"encoding": "YmluYXJ5L3Byb3RvYnVm", "messageType": "b3RoZXIudjEuVGhpbmc="}, "data": "CgRzbXRwEAE="});
    // Not protobuf at all (ff ff); protobuf, but `delivered` is not UTF-8 (0a 01 ff).
    let broken = json!({"metadata": {"encoding": "YmluYXJ5L3Byb3RvYnVm", "messageType": "c25hcHN0YXJ0LnYxLk5vdGlmeVJlc3BvbnNl"}, "data": "//8="});
    let not_utf8 = json!({"metadata": {"encoding": "YmluYXJ5L3Byb3RvYnVm", "messageType": "c25hcHN0YXJ0LnYxLk5vdGlmeVJlc3BvbnNl"}, "data": "CgH/"});
    let encrypted = json!({"metadata": {"encoding": "YmluYXJ5L2VuY3J5cHRlZA=="}, "data": "AAEC"});

    let answered = decode(vec![unknown.clone(), ours, broken.clone(), not_utf8.clone(), encrypted.clone()]).await;

    assert_eq!(answered[0], unknown);
    assert_eq!(data_json(&answered[1]).1, json!({"delivered": ["smtp"], "dry_run": true, "archive_uri": "", "archive_kms_key_id": ""}));
    assert_eq!(answered[2], broken);
    assert_eq!(answered[3], not_utf8);
    assert_eq!(answered[4], encrypted);
}

#[tokio::test]
async fn encode_returns_the_payloads_unchanged() {
    let payloads: Vec<Value> = payloads_in(&fixture("history_with_message_types.json")).into_iter().map(|(_, p)| p).collect();
    let body = json!({ "payloads": payloads });

    let answer = call(post("/codec/encode", body.to_string(), Some(UI_ORIGINS[0]))).await;

    assert_eq!(answer.status, 200);
    assert_eq!(answer.json(), body);
}

#[tokio::test]
async fn both_dev_server_ui_origins_pass_the_preflight_of_both_endpoints() {
    for path in ["/codec/decode", "/codec/encode"] {
        for origin in UI_ORIGINS {
            let answer = call(preflight(path, origin)).await;

            assert_eq!(answer.status, 204, "{path} from {origin}");
            assert_eq!(answer.header("access-control-allow-origin"), Some(origin));
            assert_eq!(answer.header("access-control-allow-methods"), Some("POST, OPTIONS"));
            assert_eq!(answer.header("access-control-allow-headers"), Some("content-type, x-namespace, authorization"));
            assert_eq!(answer.header("vary"), Some("origin"));
        }
    }
}

#[tokio::test]
async fn another_origin_gets_no_cors_headers_on_preflight_or_post() {
    let body = json!({"payloads": []}).to_string();
    for request in [preflight("/codec/decode", "https://evil.example"), post("/codec/decode", body.clone(), Some("https://evil.example")), post("/codec/decode", body, Some("http://localhost:8080"))] {
        let answer = call(request).await;

        let cors: Vec<&str> = answer.headers.keys().map(|k| k.as_str()).filter(|k| k.starts_with("access-control-")).collect();
        assert!(cors.is_empty(), "{cors:?}");
        assert_ne!(answer.status, 204);
    }
}

#[tokio::test]
async fn a_post_from_an_allowed_origin_may_be_read_by_its_page_and_the_cli_needs_no_origin() {
    let body = json!({"payloads": []}).to_string();

    let from_ui = call(post("/codec/decode", body.clone(), Some(UI_ORIGINS[1]))).await;
    let from_cli = call(post("/codec/decode", body, None)).await;

    assert_eq!((from_ui.status, from_ui.header("access-control-allow-origin")), (StatusCode::OK, Some(UI_ORIGINS[1])));
    assert_eq!((from_cli.status, from_cli.header("access-control-allow-origin")), (StatusCode::OK, None));
    assert_eq!(from_cli.json(), json!({"payloads": []}));
}

#[tokio::test]
async fn configured_origins_replace_the_defaults() {
    let run = Arc::new(FakeRun::default());
    let origins = || Some(CorsOrigins::parse("https://temporal.example.com").unwrap());

    let configured = call_with(&run, origins(), preflight("/codec/decode", "https://temporal.example.com")).await;
    let default = call_with(&run, origins(), preflight("/codec/decode", UI_ORIGINS[0])).await;

    assert_eq!(configured.header("access-control-allow-origin"), Some("https://temporal.example.com"));
    assert_eq!((default.status, default.header("access-control-allow-origin")), (StatusCode::FORBIDDEN, None));
}

#[tokio::test]
async fn codec_answers_carry_the_security_headers_but_no_resource_policy_that_would_block_the_ui() {
    let answer = call(post("/codec/decode", json!({"payloads": []}).to_string(), Some(UI_ORIGINS[0]))).await;

    assert_eq!(answer.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(answer.header("cache-control"), Some("no-store"));
    assert_eq!(answer.header("cross-origin-resource-policy"), None);
}

#[tokio::test]
async fn malformed_bodies_are_answered_400_and_never_reach_the_run() {
    let run = Arc::new(FakeRun::default());
    for (name, body) in [
        ("not JSON", "payloads please"),
        ("truncated JSON", r#"{"payloads": [{"metadata": {}"#),
        ("payloads not a list", r#"{"payloads": {"data": ""}}"#),
        ("data not base64", r#"{"payloads": [{"metadata": {}, "data": "not base64!"}]}"#),
        ("metadata value not base64", r#"{"payloads": [{"metadata": {"encoding": "%%"}, "data": ""}]}"#),
        ("empty body", ""),
    ] {
        for path in ["/codec/decode", "/codec/encode"] {
            let answer = call_with(&run, None, post(path, body, Some(UI_ORIGINS[0]))).await;

            assert_eq!(answer.status, 400, "{name} to {path}");
            assert!(String::from_utf8_lossy(&answer.body).starts_with("malformed codec request"), "{name}");
            assert_eq!(answer.header("access-control-allow-origin"), Some(UI_ORIGINS[0]), "the UI can read why");
        }
    }
    assert_eq!((*run.status_calls.lock().unwrap(), run.decides().len()), (0, 0));
}

#[tokio::test]
async fn a_body_over_four_mebibytes_is_refused_with_413() {
    let data = "A".repeat(4 << 20);
    let body = format!(r#"{{"payloads": [{{"metadata": {{}}, "data": "{data}"}}]}}"#);

    let answer = call(post("/codec/decode", body, None)).await;

    assert_eq!(answer.status, 413);
}

#[tokio::test]
async fn any_namespace_is_decoded_alike() {
    let payload = json!({"metadata": {"encoding": "YmluYXJ5L3Byb3RvYnVm", "messageType": "c25hcHN0YXJ0LnYxLk5vdGlmeVJlc3BvbnNl"}, "data": "CgRzbXRwEAE="});
    let body = json!({ "payloads": [payload] }).to_string();
    let mut answers = Vec::new();
    for namespace in ["default", "snapstart-prod"] {
        let request = Request::post("/codec/decode").header("content-type", "application/json").header("x-namespace", namespace).body(Body::from(body.clone())).unwrap();
        answers.push(call(request).await.json());
    }

    assert_eq!(answers[0], answers[1]);
    assert_eq!(answers[0]["payloads"][0]["metadata"]["encoding"], JSON_PLAIN_B64);
}
