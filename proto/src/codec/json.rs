//! A message as JSON, written straight to bytes (never through a `serde_json::Value` tree, which
//! costs ten times the text) and never past the payload's JSON budget, with each packed field's
//! `null` replaced by the JSON of the message inside it.

use std::io::{self, Write};

use serde::Serialize;
use serde_json::ser::{CompactFormatter, Formatter};

/// `message` as JSON of at most `max` bytes, the top-level fields named in `unpacked` holding
/// the given JSON instead of the `null` they serialize to (their `PackedScan` taken out).
pub(super) fn to_json(message: &impl Serialize, unpacked: &[(&str, Vec<u8>)], max: usize) -> Option<Vec<u8>> {
    let mut out = Capped { bytes: Vec::new(), max };
    let formatter = Splice { unpacked, depth: 0, key: String::new(), in_key: false };
    message.serialize(&mut serde_json::Serializer::with_formatter(&mut out, formatter)).ok()?;
    Some(out.bytes)
}

/// A `Vec` that refuses to grow past `max`.
struct Capped {
    bytes: Vec<u8>,
    max: usize,
}

impl Write for Capped {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.bytes.len() + buf.len() > self.max {
            return Err(io::Error::other("over the payload's JSON budget"));
        }
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Compact JSON that knows which top-level key it is writing the value of.
struct Splice<'a> {
    unpacked: &'a [(&'a str, Vec<u8>)],
    /// Objects and arrays open around the value being written; the message itself is 1.
    depth: usize,
    key: String,
    in_key: bool,
}

impl Formatter for Splice<'_> {
    fn write_null<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        match self.unpacked.iter().find(|(field, _)| self.depth == 1 && *field == self.key) {
            Some((_, json)) => w.write_all(json),
            None => w.write_all(b"null"),
        }
    }

    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.depth += 1;
        CompactFormatter.begin_object(w)
    }

    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.depth -= 1;
        CompactFormatter.end_object(w)
    }

    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.depth += 1;
        CompactFormatter.begin_array(w)
    }

    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.depth -= 1;
        CompactFormatter.end_array(w)
    }

    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.in_key = true;
        self.key.clear();
        CompactFormatter.begin_object_key(w, first)
    }

    fn end_object_key<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.in_key = false;
        CompactFormatter.end_object_key(w)
    }

    fn write_string_fragment<W: ?Sized + Write>(&mut self, w: &mut W, fragment: &str) -> io::Result<()> {
        if self.in_key {
            self.key.push_str(fragment);
        }
        CompactFormatter.write_string_fragment(w, fragment)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::*;

    #[derive(Serialize)]
    struct Outer {
        scan: Option<u8>,
        other: Option<u8>,
        nested: Nested,
        list: Vec<Option<u8>>,
    }

    #[derive(Serialize)]
    struct Nested {
        scan: Option<u8>,
    }

    fn outer() -> Outer {
        Outer { scan: None, other: None, nested: Nested { scan: None }, list: vec![None] }
    }

    #[test]
    fn only_the_named_top_level_null_is_replaced() {
        let json = to_json(&outer(), &[("scan", br#"{"a":[1]}"#.to_vec())], 1000).unwrap();

        let value: Value = serde_json::from_slice(&json).unwrap();
        assert_eq!(value, json!({"scan": {"a": [1]}, "other": null, "nested": {"scan": null}, "list": [null]}));
    }

    #[test]
    fn json_past_the_budget_is_not_written() {
        let full = to_json(&outer(), &[], 1000).unwrap();

        assert!(to_json(&outer(), &[], full.len()).is_some());
        assert!(to_json(&outer(), &[], full.len() - 1).is_none());
    }
}
