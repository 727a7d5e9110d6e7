//! Payload metadata that names our message types, and the codec that turns such a payload into
//! readable JSON for the Temporal UI and CLI (served by the resolver's `/codec/decode`).
//!
//! Decoding never guesses: only a `binary/protobuf` payload whose `messageType` names a message
//! of ours becomes JSON. Anything else (other encodings, payloads written before these keys
//! existed, unknown types, bytes that do not decode) is returned exactly as it came.

mod bound;
mod json;
mod registry;
pub mod wire;

use std::collections::BTreeMap;

use prost::{Message, Name};

use crate::v1::PackedScan;

/// Metadata key naming the protobuf message of a `binary/protobuf` payload, e.g.
/// `snapstart.v1.PhaseOutput`.
pub const MESSAGE_TYPE_KEY: &str = "messageType";
/// Metadata key naming the message deflated inside a `snapstart.v1.PackedScan` payload.
pub const PACKED_TYPE_KEY: &str = "packedType";
/// Metadata key of a payload's encoding.
pub const ENCODING_KEY: &str = "encoding";
/// The encoding of our activity payloads.
pub const PROTOBUF_ENCODING: &str = "binary/protobuf";
/// The encoding of a decoded payload (and of every JSON payload Temporal writes).
pub const JSON_ENCODING: &str = "json/plain";

/// A Temporal payload: metadata (values are bytes) and data.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Payload {
    /// `encoding`, `messageType`, `packedType`, …
    pub metadata: BTreeMap<String, Vec<u8>>,
    /// The encoded value.
    pub data: Vec<u8>,
}

/// `payload` as readable JSON (`json/plain`, metadata otherwise kept) when it is a protobuf
/// message of ours, with every packed field shown unpacked; otherwise `payload` unchanged. So is
/// a payload whose JSON would be over 16 MiB or that holds more messages than any run writes.
pub fn decode_payload(payload: Payload) -> Payload {
    decode_within(payload, bound::MAX_JSON)
}

/// [`decode_payload`], the JSON at most `max_json` bytes.
fn decode_within(payload: Payload, max_json: usize) -> Payload {
    match readable(&payload, &mut bound::Budget::new(max_json)) {
        Some(data) => {
            let mut metadata = payload.metadata;
            metadata.insert(ENCODING_KEY.into(), JSON_ENCODING.into());
            Payload { metadata, data }
        }
        None => payload,
    }
}

fn readable(payload: &Payload, budget: &mut bound::Budget) -> Option<Vec<u8>> {
    if metadata_text(payload, ENCODING_KEY)? != PROTOBUF_ENCODING {
        return None;
    }
    let message_type = metadata_text(payload, MESSAGE_TYPE_KEY)?;
    if message_type == PackedScan::full_name() {
        let inner = registry::lookup(metadata_text(payload, PACKED_TYPE_KEY)?)?;
        return inner.view_packed(&PackedScan::decode(payload.data.as_slice()).ok()?, budget);
    }
    registry::lookup(message_type)?.view(&payload.data, budget)
}

fn metadata_text<'a>(payload: &'a Payload, key: &str) -> Option<&'a str> {
    payload.metadata.get(key).and_then(|v| std::str::from_utf8(v).ok())
}

#[cfg(test)]
mod tests;
