//! What decoding one payload may cost. The codec endpoint takes payloads from anyone who can
//! reach it, and protobuf packs a lot into few bytes: an empty nested message is 2 bytes but a
//! 300-byte struct and a 400-byte JSON object, and deflate multiplies that by up to 1,000. So
//! before prost allocates anything, the bytes are walked to count the messages they could hold;
//! past any bound below the payload is returned unchanged, as if it were not ours.
//!
//! A 10,000-version scan is about 13,000 messages, 0.8 MB of protobuf and 4 MB of JSON; its
//! candidate list 10,000 messages, 1.8 MB and 6 MB.

use std::io::Read;

use flate2::read::DeflateDecoder;

/// Messages one payload (with everything packed in it) may hold.
pub(super) const MAX_MESSAGES: u64 = 100_000;
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
    inflated: u64,
    /// The largest JSON this payload may decode to.
    pub(super) json: usize,
}

impl Budget {
    /// The budget of one payload whose JSON may be at most `json` bytes.
    pub(super) fn new(json: usize) -> Self {
        Self { messages: MAX_MESSAGES, inflated: MAX_INFLATED, json: json.min(MAX_JSON) }
    }

    /// Spends on the messages `bytes` could hold; `None` when they are too many or nested too
    /// deep, or `bytes` is not protobuf at all.
    pub(super) fn admit(&mut self, bytes: &[u8]) -> Option<()> {
        let messages = match potential_messages(bytes, 0) {
            Scan::Messages(n) => n,
            Scan::NotProtobuf | Scan::TooDeep => return None,
        };
        self.messages = self.messages.checked_sub(messages)?;
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

enum Scan {
    Messages(u64),
    NotProtobuf,
    TooDeep,
}

/// An upper bound of the messages prost allocates decoding `bytes` as any message: every
/// length-delimited field whose contents read as protobuf may be a message, so it counts, with
/// what it holds (a string that happens to read as protobuf is counted too: a bound, not a guess).
fn potential_messages(bytes: &[u8], depth: u32) -> Scan {
    if depth > MAX_DEPTH {
        return Scan::TooDeep;
    }
    let mut rest = bytes;
    let mut count = 0u64;
    while !rest.is_empty() {
        let Some(key) = varint(&mut rest).filter(|k| k >> 3 != 0) else { return Scan::NotProtobuf };
        let skipped = match key & 7 {
            0 => varint(&mut rest).map(|_| 0),
            1 => skip(&mut rest, 8),
            5 => skip(&mut rest, 4),
            2 => match varint(&mut rest).and_then(|len| usize::try_from(len).ok()).filter(|&len| len <= rest.len()) {
                Some(len) => {
                    let (field, after) = rest.split_at(len);
                    rest = after;
                    match potential_messages(field, depth + 1) {
                        Scan::Messages(n) => Some(n + 1),
                        Scan::NotProtobuf => Some(0),
                        Scan::TooDeep => return Scan::TooDeep,
                    }
                }
                None => None,
            },
            _ => None,
        };
        match skipped {
            Some(n) => count += n,
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

fn skip(bytes: &mut &[u8], n: usize) -> Option<u64> {
    *bytes = bytes.get(n..)?;
    Some(0)
}

#[cfg(test)]
mod tests {
    use prost::Message;

    use super::*;
    use crate::{pack::pack, v1};

    fn count(bytes: &[u8]) -> Option<u64> {
        match potential_messages(bytes, 0) {
            Scan::Messages(n) => Some(n),
            _ => None,
        }
    }

    #[test]
    fn nested_messages_are_counted_and_strings_are_not() {
        let version = v1::VersionScan { version: "1".into(), runtime: "python3.12".into(), ..Default::default() };
        let function = v1::FunctionScan { function_name: "orders".into(), versions: vec![version.clone(), version], ..Default::default() };
        let state = v1::ScanState { settings: Some(Default::default()), functions: vec![function], ..Default::default() };

        // settings (empty but present), functions[0] and its two versions; no string counts.
        assert_eq!(count(&state.encode_to_vec()), Some(4));
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
        let mut budget = Budget { messages: MAX_MESSAGES, inflated: 2 * inflated - 1, json: MAX_JSON };

        assert!(budget.inflate(&packed.deflated).is_some());
        assert!(budget.inflate(&packed.deflated).is_none(), "the second one does not fit");
    }
}
