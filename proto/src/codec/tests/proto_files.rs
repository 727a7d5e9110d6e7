//! Reads the `.proto` files this crate is built from (message names and `PackedScan` fields), so
//! the codec's tables are checked against the contract itself rather than against a copy.

use std::{collections::BTreeSet, path::Path};

/// What the `.proto` files declare.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Declared {
    /// Full names (`snapstart.v1.PhaseOutput`), nested messages as `Outer.Inner`.
    pub(crate) messages: BTreeSet<String>,
    /// (full message name, field name) of every field of type `PackedScan`.
    pub(crate) packed_fields: BTreeSet<(String, String)>,
}

/// Every `.proto` file under `proto/snapstart/v1`.
pub(crate) fn parse() -> Declared {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("proto/snapstart/v1");
    let mut declared = Declared::default();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "proto") {
            parse_into(&std::fs::read_to_string(&path).unwrap(), &mut declared);
        }
    }
    assert!(declared.messages.len() > 10, "read the .proto files in {dir:?}");
    declared
}

enum Scope {
    Message(String),
    /// A `oneof`: its fields belong to the message around it.
    Oneof,
    /// `enum`, `service`, an option value: no fields of ours.
    Other,
}

pub(crate) fn parse_into(text: &str, out: &mut Declared) {
    let mut package = String::new();
    let mut scopes: Vec<Scope> = Vec::new();
    let mut statement: Vec<String> = Vec::new();
    for token in tokens(&strip_comments(text)) {
        match token.as_str() {
            "{" => {
                let scope = match (statement.first().map(String::as_str), statement.get(1)) {
                    (Some("message"), Some(name)) => {
                        let full = match enclosing_message(&scopes) {
                            Some(outer) => format!("{outer}.{name}"),
                            None => format!("{package}.{name}"),
                        };
                        out.messages.insert(full.clone());
                        Scope::Message(full)
                    }
                    (Some("oneof"), _) => Scope::Oneof,
                    _ => Scope::Other,
                };
                scopes.push(scope);
                statement.clear();
            }
            "}" => {
                scopes.pop();
                statement.clear();
            }
            ";" => {
                if statement.first().map(String::as_str) == Some("package") {
                    package = statement[1].clone();
                } else if let (Some(message), Some(eq)) = (field_owner(&scopes), statement.iter().position(|t| t == "=")) {
                    let is_packed = eq >= 2 && statement[eq - 2].trim_start_matches('.').trim_start_matches("snapstart.v1.") == "PackedScan";
                    if is_packed {
                        out.packed_fields.insert((message.to_string(), statement[eq - 1].clone()));
                    }
                }
                statement.clear();
            }
            _ => statement.push(token),
        }
    }
}

fn enclosing_message(scopes: &[Scope]) -> Option<&str> {
    scopes.iter().rev().find_map(|s| match s {
        Scope::Message(name) => Some(name.as_str()),
        _ => None,
    })
}

/// The message a field statement here belongs to: inside a message or a oneof of one.
fn field_owner(scopes: &[Scope]) -> Option<&str> {
    match scopes.last()? {
        Scope::Message(_) | Scope::Oneof => enclosing_message(scopes),
        Scope::Other => None,
    }
}

fn strip_comments(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find('/') {
        out.push_str(&rest[..start]);
        let after = &rest[start..];
        rest = if after.starts_with("//") {
            after.find('\n').map_or("", |end| &after[end..])
        } else if after.starts_with("/*") {
            after.find("*/").map_or("", |end| &after[end + 2..])
        } else {
            out.push('/');
            &after[1..]
        };
    }
    out.push_str(rest);
    out
}

/// Words, with `{`, `}`, `;` and `=` as tokens of their own; other punctuation separates.
fn tokens(text: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    let mut word = String::new();
    for c in text.chars() {
        if c.is_alphanumeric() || c == '_' || c == '.' {
            word.push(c);
            continue;
        }
        if !word.is_empty() {
            tokens.push(std::mem::take(&mut word));
        }
        if matches!(c, '{' | '}' | ';' | '=') {
            tokens.push(c.to_string());
        }
    }
    if !word.is_empty() {
        tokens.push(word);
    }
    tokens
}

#[test]
fn the_reader_finds_nested_messages_and_packed_fields_in_oneofs_but_not_in_comments_or_enums() {
    let text = r#"
        syntax = "proto3";
        package snapstart.v1;
        // message Commented { PackedScan no = 1; }
        /* PackedScan no = 2; */
        message Outer {
          map<string, uint32> counts = 1;
          snapstart.v1.PackedScan first = 2 [deprecated = true];
          message Inner { repeated PackedScan second = 1; }
          oneof choice { PackedScan third = 3; string other = 4; }
          enum Kind { KIND_UNSPECIFIED = 0; }
        }
        message Plain { string packed_scan = 1; }
    "#;
    let mut declared = Declared::default();

    parse_into(text, &mut declared);

    let messages: Vec<&str> = declared.messages.iter().map(String::as_str).collect();
    assert_eq!(messages, ["snapstart.v1.Outer", "snapstart.v1.Outer.Inner", "snapstart.v1.Plain"]);
    let fields: Vec<(&str, &str)> = declared.packed_fields.iter().map(|(m, f)| (m.as_str(), f.as_str())).collect();
    assert_eq!(fields, [("snapstart.v1.Outer", "first"), ("snapstart.v1.Outer", "third"), ("snapstart.v1.Outer.Inner", "second")]);
}
