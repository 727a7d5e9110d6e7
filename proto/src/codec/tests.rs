//! `decode_payload`: every payload the worker writes becomes readable JSON; anything else comes
//! back unchanged.

pub(crate) mod proto_files;

use prost::{Message, Name};
use serde_json::{json, Value};

use super::*;
use crate::{pack::pack, v1};

fn metadata(pairs: &[(&str, &str)]) -> BTreeMap<String, Vec<u8>> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.as_bytes().to_vec())).collect()
}

/// As the worker writes `Typed(message)`.
fn typed<M: Message + Name>(message: &M) -> Payload {
    let full_name = M::full_name();
    Payload { metadata: metadata(&[("encoding", "binary/protobuf"), ("messageType", &full_name)]), data: message.encode_to_vec() }
}

/// As the worker writes `Packed::<M>`: a bare PackedScan naming the message inside.
fn bare_packed<M: Message + Name>(message: &M) -> Payload {
    let inner = M::full_name();
    let metadata = metadata(&[("encoding", "binary/protobuf"), ("messageType", "snapstart.v1.PackedScan"), ("packedType", &inner)]);
    Payload { metadata, data: pack(message).encode_to_vec() }
}

fn json_of(payload: &Payload) -> Value {
    assert_eq!(payload.metadata["encoding"], b"json/plain", "decoded to JSON");
    serde_json::from_slice(&payload.data).unwrap()
}

fn to_json(message: &impl serde::Serialize) -> Value {
    serde_json::to_value(message).unwrap()
}

fn settings() -> v1::ScanSettings {
    v1::ScanSettings { region: "us-west-2".into(), lookback_days: 30, keep_last_n: 3, now_unix: 1_700_000_000, ..Default::default() }
}

fn scan_state() -> v1::ScanState {
    let function = v1::FunctionScan { function_name: "orders".into(), published_versions: vec!["1".into(), "2".into()], ..Default::default() };
    v1::ScanState { settings: Some(settings()), functions: vec![function], aws_calls: [("ListFunctions".to_string(), 1)].into(), code_storage: None, ..Default::default() }
}

fn candidates() -> v1::CandidateList {
    let row = v1::ReportRow { function_name: "orders".into(), version: "1".into(), candidate_for_deletion: true, ..Default::default() };
    v1::CandidateList { rows: vec![row] }
}

fn results() -> v1::DeletionResultList {
    let result = v1::DeletionResult { function_name: "orders".into(), version: "1".into(), outcome: "deleted".into(), message: String::new(), ..Default::default() };
    v1::DeletionResultList { results: vec![result] }
}

#[test]
fn a_phase_output_shows_its_scan_unpacked_not_as_bytes() {
    let counts = v1::PhaseCounts { functions: 1, snapstart_versions: 2, ..Default::default() };
    let output = v1::PhaseOutput { scan: Some(pack(&scan_state())), counts: Some(counts) };

    let decoded = decode_payload(typed(&output));

    let settings = json!({
        "region": "us-west-2", "lookback_days": 30, "min_age_days": 0, "keep_last_n": 3, "period_seconds": 0,
        "function_name_prefix": "", "function_level_fallback": "", "dry_run_requested": false,
        "approval_timeout_seconds": 0, "now_unix": 1_700_000_000, "include": [], "exclude": [], "protect_tag_key": "",
        "regions": [], "assume_role_arns": [], "external_id": "", "include_own_account": false, "s3_report_uri": "",
        "archive_uri": "", "archive_kms_key_id": "", "cache_price_per_gb_second": 0.0, "versions": "",
    });
    let function = json!({
        "function_name": "orders", "published_versions": ["1", "2"], "versions": [], "aliases_observation": "OBSERVATION_NOT_CHECKED",
        "aliases": [], "aliases_error": "", "activity": null, "excluded_by_pattern": false, "tag_observation": "OBSERVATION_NOT_CHECKED",
        "protect_tagged": false, "tag_error": "",
    });
    let counts = json!({"functions": 1, "snapstart_versions": 2, "stage_a_pass": 0, "state_confirmed": 0, "usage_checked": 0, "candidates": 0});
    let want = json!({"scan": {
        "settings": settings, "functions": [function], "aws_calls": {"ListFunctions": 1}, "code_storage": null,
        "targets": [], "account_id": "", "region": "", "role_arn": "", "error": "",
    }, "counts": counts});
    assert_eq!(json_of(&decoded), want);
}

#[test]
fn every_packed_field_the_worker_writes_is_shown_as_the_message_inside() {
    let summary = || Some(v1::ReportSummary { region: "us-west-2".into(), candidates: 1, ..Default::default() });
    let cases: Vec<(Payload, &str, Value)> = vec![
        (typed(&v1::BuildReportOutput { candidates: Some(pack(&candidates())), ..Default::default() }), "candidates", to_json(&candidates())),
        (typed(&v1::ApprovalEmailRequest { workflow_id: "wf".into(), summary: summary(), candidates: Some(pack(&candidates())), ..Default::default() }), "candidates", to_json(&candidates())),
        (typed(&v1::DeleteRequest { region: "us-west-2".into(), approved: Some(pack(&candidates())), ..Default::default() }), "approved", to_json(&candidates())),
        (typed(&v1::DeleteResponse { results: Some(pack(&results())), dry_run: true }), "results", to_json(&results())),
        (typed(&v1::CompletionEmailRequest { status: "done".into(), summary: summary(), results: Some(pack(&results())), ..Default::default() }), "results", to_json(&results())),
        (typed(&v1::DeleteProgress { done: 1, total: 2, outcomes: [("deleted".to_string(), 1)].into(), results: Some(pack(&results())) }), "results", to_json(&results())),
        (typed(&v1::ScanHeartbeat { step: "stage-b".into(), done: 1, total: 2, checkpoint: Some(pack(&scan_state())) }), "checkpoint", to_json(&scan_state())),
    ];
    for (payload, field, want) in cases {
        let message_type = String::from_utf8(payload.metadata["messageType"].clone()).unwrap();

        let json = json_of(&decode_payload(payload));

        assert_eq!(json[field], want, "{message_type}.{field}");
    }
}

#[test]
fn a_packed_field_left_empty_is_null() {
    let json = json_of(&decode_payload(typed(&v1::DeleteProgress { done: 0, total: 3, ..Default::default() })));

    assert_eq!(json, json!({"done": 0, "total": 3, "outcomes": {}, "results": null}));
}

#[test]
fn messages_without_packed_fields_are_shown_as_they_are() {
    let notify = v1::NotifyResponse { delivered: vec!["smtp".into()], dry_run: true, ..Default::default() };

    assert_eq!(json_of(&decode_payload(typed(&notify))), json!({"delivered": ["smtp"], "dry_run": true, "archive_uri": "", "archive_kms_key_id": ""}));
    assert_eq!(json_of(&decode_payload(typed(&settings()))), to_json(&settings()));
}

#[test]
fn a_bare_packed_scan_is_shown_as_the_message_its_packed_type_names() {
    for (payload, want) in [
        (bare_packed(&scan_state()), to_json(&scan_state())),
        (bare_packed(&candidates()), to_json(&candidates())),
        (bare_packed(&results()), to_json(&results())),
    ] {
        assert_eq!(json_of(&decode_payload(payload)), want);
    }
}

#[test]
fn a_decoded_payload_keeps_its_metadata_but_the_encoding() {
    let mut payload = bare_packed(&scan_state());
    payload.metadata.insert("traceId".into(), b"abc".to_vec());

    let decoded = decode_payload(payload);

    let want = metadata(&[("encoding", "json/plain"), ("messageType", "snapstart.v1.PackedScan"), ("packedType", "snapstart.v1.ScanState"), ("traceId", "abc")]);
    assert_eq!(decoded.metadata, want);
}

#[test]
fn payloads_that_are_not_surely_ours_come_back_unchanged() {
    let output = typed(&v1::PhaseOutput { scan: Some(pack(&scan_state())), ..Default::default() });
    let with = |pairs: &[(&str, &str)], data: &[u8]| Payload { metadata: metadata(pairs), data: data.to_vec() };
    let corrupt_field = typed(&v1::PhaseOutput { scan: Some(v1::PackedScan { deflated: vec![1, 2, 3] }), ..Default::default() });
    let cases = [
        ("written before messageType existed", with(&[("encoding", "binary/protobuf")], &output.data)),
        ("a type of another package", with(&[("encoding", "binary/protobuf"), ("messageType", "temporal.api.common.v1.Payload")], &output.data)),
        ("a type of ours that does not exist", with(&[("encoding", "binary/protobuf"), ("messageType", "snapstart.v1.Nope")], &output.data)),
        ("JSON", with(&[("encoding", "json/plain")], br#"{"region": "us-west-2"}"#)),
        ("JSON naming a type", with(&[("encoding", "json/plain"), ("messageType", "snapstart.v1.ScanSettings")], br#"{"region": "x"}"#)),
        ("no encoding", with(&[("messageType", "snapstart.v1.PhaseOutput")], &output.data)),
        ("a null payload", with(&[("encoding", "binary/null")], b"")),
        ("bytes that are not protobuf", with(&[("encoding", "binary/protobuf"), ("messageType", "snapstart.v1.PhaseOutput")], &[0xff, 0xff, 0xff])),
        ("protobuf that is not this type", with(&[("encoding", "binary/protobuf"), ("messageType", "snapstart.v1.NotifyResponse")], &[0x0a, 0x01, 0xff])),
        ("a packed field that does not inflate", corrupt_field),
        ("a bare PackedScan without packedType", with(&[("encoding", "binary/protobuf"), ("messageType", "snapstart.v1.PackedScan")], &pack(&scan_state()).encode_to_vec())),
        ("a bare PackedScan of an unknown type", with(&[("encoding", "binary/protobuf"), ("messageType", "snapstart.v1.PackedScan"), ("packedType", "x.Y")], &pack(&scan_state()).encode_to_vec())),
        ("a messageType that is not UTF-8", Payload { metadata: [("encoding".to_string(), b"binary/protobuf".to_vec()), ("messageType".to_string(), vec![0xff])].into(), data: output.data.clone() }),
    ];
    for (name, payload) in cases {
        assert_eq!(decode_payload(payload.clone()), payload, "{name}");
    }
}

#[test]
fn a_payload_holding_more_messages_than_any_run_writes_comes_back_unchanged() {
    // Empty CheckFailures: 2 bytes of protobuf and 24 of JSON each, so only the count can refuse.
    let row = |n: u64| typed(&v1::ReportRow { failed_checks: vec![v1::CheckFailure::default(); n as usize], ..Default::default() });

    let at_bound = decode_payload(row(bound::MAX_MESSAGES));
    let past_bound = decode_payload(row(bound::MAX_MESSAGES + 1));

    assert_eq!(json_of(&at_bound)["failed_checks"].as_array().unwrap().len() as u64, bound::MAX_MESSAGES);
    assert_eq!(past_bound, row(bound::MAX_MESSAGES + 1));
}

#[test]
fn a_payload_whose_json_would_be_over_the_budget_comes_back_unchanged() {
    let output = typed(&v1::PhaseOutput { scan: Some(pack(&scan_state())), ..Default::default() });
    let json_len = decode_payload(output.clone()).data.len();

    assert_eq!(decode_within(output.clone(), json_len).metadata["encoding"], b"json/plain");
    assert_eq!(decode_within(output.clone(), json_len - 1), output);
}
