//! The approver's decision as it arrives in the `approval` signal (or the resolver's `decide`
//! update): the original system's callback payload,
//! `{"approved": bool, "approver"?: string, "approved_versions"?: [{"function_name", "version", "account_id"?, "region"?}], "decision_source"?: string}`.
//! Parsed from a raw JSON value so a malformed payload is an error value, never a wedged run.

use serde_json::Value;

use crate::v1::VersionRef;

/// Longest approver name or decision source kept (longer ones are refused, not cut).
pub const MAX_TEXT: usize = 200;

/// A well-formed decision. With neither `approved_versions` nor `selection`, it covers every
/// candidate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecisionInput {
    pub approved: bool,
    pub approver: Option<String>,
    pub approved_versions: Option<Vec<VersionRef>>,
    /// The compact form the confirm page sends: stays small for any subset of 10,000 candidates.
    pub selection: Option<Selection>,
    pub decision_source: Option<String>,
}

/// `{"approved_indexes": <base64url bitmap over the candidate list>, "candidates_digest": <the
/// status query's candidates_digest>}` (see [`crate::selection`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    pub approved_indexes: String,
    pub candidates_digest: String,
}

fn selection(value: &Value) -> Result<Option<Selection>, String> {
    let Some(sel) = value.get("selection").filter(|v| !v.is_null()) else { return Ok(None) };
    let field = |key: &str| sel.get(key).and_then(Value::as_str).map(str::to_string).ok_or_else(|| format!("`selection.{key}` must be a string"));
    Ok(Some(Selection { approved_indexes: field("approved_indexes")?, candidates_digest: field("candidates_digest")? }))
}

/// Characters an approver's name may not contain: control characters, and the zero-width and
/// bidirectional-override characters that can make a name read as someone else's.
pub fn is_forbidden_in_name(c: char) -> bool {
    c.is_control() || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}')
}

fn text(v: &Value, key: &str) -> Result<Option<String>, String> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.chars().count() <= MAX_TEXT => Ok(Some(s.trim().to_string()).filter(|s| !s.is_empty())),
        Some(Value::String(_)) => Err(format!("`{key}` is longer than {MAX_TEXT} characters")),
        Some(_) => Err(format!("`{key}` must be a string")),
    }
}

fn version_ref(item: &Value) -> Result<VersionRef, String> {
    let function_name = item.get("function_name").and_then(Value::as_str).filter(|s| !s.is_empty());
    let version = match item.get("version") {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) if n.is_u64() => Some(n.to_string()),
        _ => None,
    };
    // Optional: needed only where the same name exists in several accounts or regions.
    let place = |key: &str| match item.get(key) {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::String(s)) if !s.is_empty() && s.len() <= 64 => Ok(s.clone()),
        Some(_) => Err(format!("`{key}` of an approved_versions item must be a non-empty string; got {item}")),
    };
    match (function_name, version) {
        (Some(f), Some(v)) => Ok(VersionRef { function_name: f.to_string(), version: v, account_id: place("account_id")?, region: place("region")? }),
        _ => Err(format!("each approved_versions item needs a function_name and a version; got {item}")),
    }
}

/// Parses a decision; every problem is described, nothing panics.
pub fn parse_decision(value: &Value) -> Result<DecisionInput, String> {
    if !value.is_object() {
        return Err(format!("expected a JSON object like {{\"approved\": true}}; got {value}"));
    }
    let approved = match value.get("approved") {
        Some(Value::Bool(b)) => *b,
        Some(other) => return Err(format!("`approved` must be true or false; got {other}")),
        None => return Err("`approved` is required".into()),
    };
    let approved_versions = match value.get("approved_versions") {
        None | Some(Value::Null) => None,
        Some(Value::Array(items)) => Some(items.iter().map(version_ref).collect::<Result<Vec<_>, _>>()?),
        Some(other) => return Err(format!("`approved_versions` must be a list; got {other}")),
    };
    let approver = text(value, "approver")?;
    if let Some(c) = approver.as_deref().and_then(|a| a.chars().find(|c| is_forbidden_in_name(*c))) {
        return Err(format!("`approver` may not contain control or bidirectional characters (found U+{:04X})", c as u32));
    }
    Ok(DecisionInput { approved, approver, approved_versions, selection: selection(value)?, decision_source: text(value, "decision_source")? })
}

/// Parses raw signal bytes (JSON text); empty or non-JSON is an error.
pub fn parse_decision_bytes(bytes: &[u8]) -> Result<DecisionInput, String> {
    let value: Value = serde_json::from_slice(bytes).map_err(|e| format!("not JSON: {e}"))?;
    parse_decision(&value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn well_formed_decisions_parse() {
        let d = parse_decision(&json!({"approved": true, "approver": "ana", "decision_source": "email",
            "approved_versions": [{"function_name": "f", "version": 3}, {"function_name": "g", "version": "4"}]}))
        .unwrap();
        assert!(d.approved);
        assert_eq!(d.approver.as_deref(), Some("ana"));
        assert_eq!(d.decision_source.as_deref(), Some("email"));
        assert_eq!(d.approved_versions.unwrap().len(), 2);
        let d = parse_decision(&json!({"approved": false})).unwrap();
        assert_eq!((d.approved, d.approved_versions), (false, None));
        assert_eq!(parse_decision(&json!({"approved": true, "approved_versions": []})).unwrap().approved_versions, Some(vec![]));
    }

    #[test]
    fn each_malformed_decision_is_an_error_that_names_what_is_wrong() {
        let cases = [
            (json!(null), "expected a JSON object"),
            (json!([]), "expected a JSON object"),
            (json!("yes"), "expected a JSON object"),
            (json!({}), "`approved` is required"),
            (json!({"approved": "true"}), "`approved` must be true or false"),
            (json!({"approved": 1}), "`approved` must be true or false"),
            (json!({"approved": true, "approver": 5}), "`approver` must be a string"),
            (json!({"approved": true, "decision_source": 5}), "`decision_source` must be a string"),
            (json!({"approved": true, "approved_versions": "all"}), "`approved_versions` must be a list"),
            (json!({"approved": true, "approved_versions": [{"function_name": "f"}]}), "each approved_versions item needs a function_name and a version"),
            (json!({"approved": true, "approved_versions": [{"function_name": "f", "version": -1}]}), "each approved_versions item needs a function_name and a version"),
            (json!({"approved": true, "approver": "x".repeat(201)}), "`approver` is longer than 200 characters"),
            (json!({"approved": true, "decision_source": "x".repeat(201)}), "`decision_source` is longer than 200 characters"),
        ];
        for (bad, want) in cases {
            let err = parse_decision(&bad).expect_err(&bad.to_string());
            assert!(err.starts_with(want), "{bad}: got {err:?}, want it to start with {want:?}");
        }
    }

    #[test]
    fn empty_or_non_json_signal_bytes_are_a_not_json_error() {
        for bad in [&b""[..], b"not json"] {
            let err = parse_decision_bytes(bad).expect_err("not JSON");
            assert!(err.starts_with("not JSON: "), "{err:?}");
        }
    }

    #[test]
    fn a_selection_is_read_and_a_null_one_is_none() {
        let with = parse_decision(&json!({"approved": true, "selection": {"approved_indexes": "AQ", "candidates_digest": "d1"}})).unwrap();
        let null = parse_decision(&json!({"approved": true, "selection": null})).unwrap();

        assert_eq!(with.selection, Some(Selection { approved_indexes: "AQ".into(), candidates_digest: "d1".into() }));
        assert_eq!(null.selection, None);
        assert!(parse_decision(&json!({"approved": true, "selection": {"approved_indexes": 1}})).unwrap_err().contains("selection.approved_indexes"));
    }

    #[test]
    fn names_with_control_zero_width_or_direction_characters_are_forbidden() {
        for c in ['\u{0}', '\u{7}', '\n', '\u{200B}', '\u{200F}', '\u{202A}', '\u{202E}', '\u{2060}', '\u{2069}', '\u{FEFF}'] {
            assert!(is_forbidden_in_name(c), "U+{:04X}", c as u32);
        }
        for c in ['a', 'Ä', '李', ' ', '-', '\u{2070}', '\u{2029}'] {
            assert!(!is_forbidden_in_name(c), "U+{:04X}", c as u32);
        }
    }

    #[test]
    fn an_approved_version_may_name_its_account_and_region_within_64_characters() {
        let item = |place: Value| json!({"approved": true, "approved_versions": [{"function_name": "f", "version": "1", "account_id": place.clone(), "region": place}]});
        let named = parse_decision(&item(json!("111111111111"))).unwrap();
        let longest = parse_decision(&item(json!("x".repeat(64)))).unwrap();

        assert_eq!(named.approved_versions.unwrap()[0].account_id, "111111111111");
        assert_eq!(longest.approved_versions.unwrap()[0].region, "x".repeat(64));
        for bad in [json!(""), json!("x".repeat(65)), json!(7)] {
            assert!(parse_decision(&item(bad.clone())).unwrap_err().contains("must be a non-empty string"), "{bad}");
        }
        let bare = parse_decision(&json!({"approved": true, "approved_versions": [{"function_name": "f", "version": 2}]})).unwrap();
        let first = &bare.approved_versions.as_ref().unwrap()[0];
        assert_eq!((first.account_id.as_str(), first.version.as_str()), ("", "2"));
    }
}
