//! What decoding one payload may cost. The codec endpoint takes payloads from anyone who can
//! reach it, and protobuf packs a lot into few bytes: an empty nested message is 2 bytes but a
//! 300-byte struct and a 400-byte JSON object, a one-byte string 3 bytes but a 24-byte `String`
//! and its allocation, and deflate multiplies that by up to 1,000. So before prost allocates
//! anything, the bytes are walked to count the messages and the other length-delimited fields
//! (strings, bytes, packed arrays) they could hold; past any bound below the payload is returned
//! unchanged, as if it were not ours.
//!
//! A 10,000-version scan is about 13,000 messages, 0.8 MB of protobuf and 4 MB of JSON; its
//! candidate list 10,000 messages, 1.8 MB and 6 MB. Each holds well under 200,000 strings.

use std::io::Read;

use flate2::read::DeflateDecoder;

/// Messages one payload (with everything packed in it) may hold.
pub(super) const MAX_MESSAGES: u64 = 100_000;
/// Other length-delimited fields (strings, bytes, packed arrays) one payload may hold, each an
/// allocation of its own: about 30 MB at one byte each.
pub(super) const MAX_FIELDS: u64 = 500_000;
/// Bytes one payload's packed fields may inflate to, together.
const MAX_INFLATED: u64 = 16 << 20;
/// Bytes of JSON one payload may decode to.
pub(super) const MAX_JSON: usize = 16 << 20;
/// Our messages nest 3 deep at most (build-report's output → preview → summary → settings);
/// anything much deeper is not ours.
const MAX_DEPTH: u32 = 16;

/// What is left to spend on one payload.
#[derive(Debug)]
pub(super) struct Budget {
    messages: u64,
    fields: u64,
    inflated: u64,
    /// The largest JSON this payload may decode to.
    pub(super) json: usize,
}

impl Budget {
    /// The budget of one payload whose JSON may be at most `json` bytes.
    pub(super) fn new(json: usize) -> Self {
        Self { messages: MAX_MESSAGES, fields: MAX_FIELDS, inflated: MAX_INFLATED, json: json.min(MAX_JSON) }
    }

    /// Spends on the messages and fields `bytes` could hold; `None` when they are too many or
    /// nested too deep, or `bytes` is not protobuf at all.
    pub(super) fn admit(&mut self, bytes: &[u8]) -> Option<()> {
        let counts = match potential_messages(bytes, 0) {
            Scan::Messages(counts) => counts,
            Scan::NotProtobuf | Scan::TooDeep => return None,
        };
        self.messages = self.messages.checked_sub(counts.messages)?;
        self.fields = self.fields.checked_sub(counts.fields)?;
        Some(())
    }

    /// `deflated`, inflated within what is left; `None` past it or when it does not inflate.
    pub(super) fn inflate(&mut self, deflated: &[u8]) -> Option<Vec<u8>> {
        let mut bytes = Vec::new();
        DeflateDecoder::new(deflated).take(self.inflated + 1).read_to_end(&mut bytes).ok()?;
        self.inflated = self.inflated.checked_sub(bytes.len() as u64)?;
        Some(bytes)
    }
}

/// What prost may allocate decoding some bytes.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
struct Counts {
    /// Length-delimited fields whose contents read as protobuf: each may be a message.
    messages: u64,
    /// The other length-delimited fields: a string, bytes or a packed array each.
    fields: u64,
}

enum Scan {
    Messages(Counts),
    NotProtobuf,
    TooDeep,
}

/// An upper bound of what prost allocates decoding `bytes` as any message: every
/// length-delimited field whose contents read as protobuf may be a message, so it counts as one,
/// with what it holds (a string that happens to read as protobuf is counted too: a bound, not a
/// guess); every other one is a string, bytes or a packed array, and counts as a field.
fn potential_messages(bytes: &[u8], depth: u32) -> Scan {
    if depth > MAX_DEPTH {
        return Scan::TooDeep;
    }
    let mut rest = bytes;
    let mut count = Counts::default();
    while !rest.is_empty() {
        let Some(key) = varint(&mut rest).filter(|k| k >> 3 != 0) else { return Scan::NotProtobuf };
        let none = Counts::default();
        let skipped = match key & 7 {
            0 => varint(&mut rest).map(|_| none),
            1 => skip(&mut rest, 8).map(|_| none),
            5 => skip(&mut rest, 4).map(|_| none),
            2 => match varint(&mut rest).and_then(|len| usize::try_from(len).ok()).filter(|&len| len <= rest.len()) {
                Some(len) => {
                    let (field, after) = rest.split_at(len);
                    rest = after;
                    match potential_messages(field, depth + 1) {
                        Scan::Messages(inner) => Some(Counts { messages: inner.messages + 1, fields: inner.fields }),
                        Scan::NotProtobuf => Some(Counts { messages: 0, fields: 1 }),
                        Scan::TooDeep => return Scan::TooDeep,
                    }
                }
                None => None,
            },
            _ => None,
        };
        match skipped {
            Some(n) => {
                count.messages += n.messages;
                count.fields += n.fields;
            }
            None => return Scan::NotProtobuf,
        }
    }
    Scan::Messages(count)
}

fn varint(bytes: &mut &[u8]) -> Option<u64> {
    let mut value = 0u64;
    for shift in (0..70).step_by(7) {
        let (&byte, rest) = bytes.split_first()?;
        *bytes = rest;
        value |= u64::from(byte & 0x7f) << shift;
        if byte < 0x80 {
            return Some(value);
        }
    }
    None
}

fn skip(bytes: &mut &[u8], n: usize) -> Option<()> {
    *bytes = bytes.get(n..)?;
    Some(())
}

#[cfg(test)]
mod tests {
    use prost::Message;

    use super::*;
    use crate::{pack::pack, v1};

    fn count(bytes: &[u8]) -> Option<u64> {
        counts(bytes).map(|c| c.messages)
    }

    fn counts(bytes: &[u8]) -> Option<Counts> {
        match potential_messages(bytes, 0) {
            Scan::Messages(c) => Some(c),
            _ => None,
        }
    }

    #[test]
    fn nested_messages_are_counted_and_strings_are_not() {
        let version = v1::VersionScan { version: "1".into(), runtime: "python3.12".into(), ..Default::default() };
        let function = v1::FunctionScan { function_name: "orders".into(), versions: vec![version.clone(), version], ..Default::default() };
        let state = v1::ScanState { settings: Some(Default::default()), functions: vec![function], ..Default::default() };

        // settings (empty but present), functions[0] and its two versions are messages; the
        // function's name and each version's "1" and "python3.12" are fields.
        assert_eq!(counts(&state.encode_to_vec()), Some(Counts { messages: 4, fields: 5 }));
    }

    #[test]
    fn a_10000_version_scan_fits_with_room_to_spare() {
        let version = |n: usize| v1::VersionScan {
            version: n.to_string(),
            runtime: "python3.12".into(),
            last_modified: "2026-10-01T03:04:05.000+0000".into(),
            snapstart_optimization_status: "On".into(),
            state: "Active".into(),
            state_reason_code: "Idle".into(),
            event_source_mappings: vec!["arn:aws:lambda:us-west-2:111111111111:event-source-mapping:x".into()],
            policy_principals: vec!["apigateway.amazonaws.com".into(), "s3.amazonaws.com".into()],
            ..Default::default()
        };
        let function = |f: usize| v1::FunctionScan {
            function_name: format!("function-{f}"),
            published_versions: (1..=10).map(|n| n.to_string()).collect(),
            versions: (1..=10).map(version).collect(),
            ..Default::default()
        };
        let state = v1::ScanState { functions: (0..1000).map(function).collect(), ..Default::default() };

        let c = counts(&state.encode_to_vec()).unwrap();

        assert!(c.messages <= MAX_MESSAGES / 5 && c.fields <= MAX_FIELDS / 4, "{c:?}");
    }

    #[test]
    fn one_byte_strings_cost_a_field_each_and_are_bounded() {
        // Field 1 (a string) holding one byte that is not protobuf: "a".
        let strings = [0x0a, 0x01, b'a'].repeat(MAX_FIELDS as usize + 1);

        assert_eq!(counts(&strings), Some(Counts { messages: 0, fields: MAX_FIELDS + 1 }));
        assert!(Budget::new(MAX_JSON).admit(&strings[3..]).is_some(), "exactly the bound");
        assert!(Budget::new(MAX_JSON).admit(&strings).is_none(), "one past it");
    }

    #[test]
    fn empty_messages_cost_what_they_hold_not_the_two_bytes_they_take() {
        let mut budget = Budget::new(MAX_JSON);
        let empties = [0x1a, 0x00].repeat(MAX_MESSAGES as usize + 1);

        assert_eq!(count(&empties), Some(MAX_MESSAGES + 1));
        assert!(budget.admit(&empties[2..]).is_some(), "exactly the bound");
        assert!(Budget::new(MAX_JSON).admit(&empties).is_none(), "one past it");
    }

    #[test]
    fn nesting_deeper_than_ours_is_refused() {
        let mut nested = Vec::new();
        for _ in 0..=MAX_DEPTH {
            nested = [vec![0x1a, nested.len() as u8], nested].concat();
        }

        assert!(matches!(potential_messages(&nested, 0), Scan::TooDeep));
        assert!(matches!(potential_messages(&nested[2..], 0), Scan::Messages(_)));
    }

    #[test]
    fn bytes_that_are_not_protobuf_are_not_admitted() {
        for bad in [&[0xff, 0xff][..], &[0x0a, 0x05, 0x01], &[0x08], &[0x00, 0x00], &[0x0b]] {
            assert!(Budget::new(MAX_JSON).admit(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn inflating_stops_at_what_is_left_for_the_payload() {
        let packed = pack(&v1::PackedScan { deflated: vec![0; 1000] });
        let inflated = Budget::new(MAX_JSON).inflate(&packed.deflated).unwrap().len() as u64;
        let mut budget = Budget { messages: MAX_MESSAGES, fields: MAX_FIELDS, inflated: 2 * inflated - 1, json: MAX_JSON };

        assert!(budget.inflate(&packed.deflated).is_some());
        assert!(budget.inflate(&packed.deflated).is_none(), "the second one does not fit");
    }
}
