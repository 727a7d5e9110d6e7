//! The approver's decision as it arrives in the `approval` signal (or the resolver's `decide`
//! update): the original system's callback payload,
//! `{"approved": bool, "approver"?: string, "approved_versions"?: [{"function_name", "version"}], "decision_source"?: string}`.
//! Parsed from a raw JSON value so a malformed payload is an error value, never a wedged run.

use serde_json::Value;

use crate::v1::VersionRef;

/// Longest approver name or decision source kept (longer ones are refused, not cut).
pub const MAX_TEXT: usize = 200;

/// A well-formed decision. `approved_versions: None` means every candidate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecisionInput {
    pub approved: bool,
    pub approver: Option<String>,
    pub approved_versions: Option<Vec<VersionRef>>,
    pub decision_source: Option<String>,
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
    match (function_name, version) {
        (Some(f), Some(v)) => Ok(VersionRef { function_name: f.to_string(), version: v }),
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
    Ok(DecisionInput {
        approved,
        approver: text(value, "approver")?,
        approved_versions,
        decision_source: text(value, "decision_source")?,
    })
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
        assert_eq!(d.approved_versions.unwrap().len(), 2);
        let d = parse_decision(&json!({"approved": false})).unwrap();
        assert_eq!((d.approved, d.approved_versions), (false, None));
        assert_eq!(parse_decision(&json!({"approved": true, "approved_versions": []})).unwrap().approved_versions, Some(vec![]));
    }

    #[test]
    fn malformed_decisions_are_errors() {
        for bad in [
            json!(null), json!([]), json!("yes"), json!({}), json!({"approved": "true"}), json!({"approved": 1}),
            json!({"approved": true, "approver": 5}), json!({"approved": true, "approved_versions": "all"}),
            json!({"approved": true, "approved_versions": [{"function_name": "f"}]}),
            json!({"approved": true, "approved_versions": [{"function_name": "f", "version": -1}]}),
            json!({"approved": true, "approver": "x".repeat(201)}),
        ] {
            assert!(parse_decision(&bad).is_err(), "{bad}");
        }
        assert!(parse_decision_bytes(b"").is_err());
        assert!(parse_decision_bytes(b"not json").is_err());
    }
}
