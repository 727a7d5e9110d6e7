//! The compact encoding used between activities: protobuf, deflate-compressed, wrapped in a
//! `PackedScan` message. At 10,000 versions a packed scan is a small fraction of 256 KiB.

use std::io::{Read, Write};

use flate2::{read::DeflateDecoder, write::DeflateEncoder, Compression};
use prost::Message;

use crate::v1::PackedScan;

/// Encodes and compresses a message.
pub fn pack<M: Message>(message: &M) -> PackedScan {
    let mut encoder = DeflateEncoder::new(Vec::new(), Compression::default());
    encoder
        .write_all(&message.encode_to_vec())
        .and_then(|_| encoder.finish())
        .map(|deflated| PackedScan { deflated })
        .expect("writing to a Vec cannot fail")
}

/// The key protobuf writes before each element of the repeated message field that `wrap` fills
/// (one element with no fields encodes as this key and a length of 0).
pub fn repeated_key<W: Message, M: Default>(wrap: impl FnOnce(Vec<M>) -> W) -> Vec<u8> {
    let mut probe = wrap(vec![M::default()]).encode_to_vec();
    let length = probe.pop();
    debug_assert_eq!(length, Some(0), "wrap must set nothing but the repeated field");
    probe
}

/// Packs the message encoded as `head`, with `parts` (each an encoded element) appended as
/// elements of the repeated field whose key is `key`, as [`pack`] would pack the whole message:
/// protobuf writes a repeated field as its elements one after another, so the parts are never
/// decoded or copied into one message first.
pub fn pack_joined(head: &[u8], key: &[u8], parts: impl IntoIterator<Item = impl AsRef<[u8]>>) -> PackedScan {
    let mut encoder = DeflateEncoder::new(Vec::new(), Compression::default());
    let write = || -> std::io::Result<Vec<u8>> {
        encoder.write_all(head)?;
        let mut length = Vec::with_capacity(10);
        for part in parts {
            let part = part.as_ref();
            length.clear();
            prost::encoding::encode_varint(part.len() as u64, &mut length);
            encoder.write_all(key)?;
            encoder.write_all(&length)?;
            encoder.write_all(part)?;
        }
        encoder.try_finish()?;
        Ok(std::mem::take(encoder.get_mut()))
    };
    PackedScan { deflated: write().expect("writing to a Vec cannot fail") }
}

/// Packs the list message that `wrap` makes of `items`, without copying the items into it (each
/// is encoded as it is written).
pub fn pack_list<W: Message, M: Message + Default>(wrap: impl FnOnce(Vec<M>) -> W, items: &[M]) -> PackedScan {
    pack_joined(&[], &repeated_key(wrap), items.iter().map(Message::encode_to_vec))
}

/// Decompresses and decodes a message packed by [`pack`].
pub fn unpack<M: Message + Default>(packed: &PackedScan) -> Result<M, UnpackError> {
    let mut bytes = Vec::new();
    DeflateDecoder::new(packed.deflated.as_slice())
        .read_to_end(&mut bytes)
        .map_err(|e| UnpackError(e.to_string()))?;
    M::decode(bytes.as_slice()).map_err(|e| UnpackError(e.to_string()))
}

/// A packed payload that does not decompress or decode.
#[derive(Debug)]
pub struct UnpackError(String);

impl std::fmt::Display for UnpackError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "corrupt packed payload: {}", self.0)
    }
}

impl std::error::Error for UnpackError {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::v1::{ScanSettings, ScanState};

    #[test]
    fn a_packed_message_unpacks_to_the_same_message() {
        let state = ScanState {
            settings: Some(ScanSettings { region: "us-west-2".into(), ..Default::default() }),
            ..Default::default()
        };
        let back: ScanState = unpack(&pack(&state)).unwrap();
        assert_eq!(back, state);
    }

    #[test]
    fn a_message_packed_from_its_parts_unpacks_as_if_packed_whole() {
        use crate::v1::{DeletionResult, DeletionResultList};
        let settings = ScanSettings { region: "us-west-2".into(), ..Default::default() };
        let targets = vec![
            ScanState { region: "us-west-2".into(), account_id: "111111111111".into(), ..Default::default() },
            ScanState::default(),
            ScanState { region: "eu-west-1".into(), error: "not enabled".into(), ..Default::default() },
        ];
        let whole = ScanState { settings: Some(settings.clone()), targets: targets.clone(), ..Default::default() };
        let head = ScanState { settings: Some(settings), ..Default::default() }.encode_to_vec();
        let parts: Vec<Vec<u8>> = targets.iter().map(Message::encode_to_vec).collect();

        let joined = pack_joined(&head, &repeated_key(|targets| ScanState { targets, ..Default::default() }), parts.iter().map(Vec::as_slice));

        assert_eq!(unpack::<ScanState>(&joined).unwrap(), whole);
        let results = vec![DeletionResult { function_name: "f".into(), version: "3".into(), ..Default::default() }, DeletionResult::default()];
        let listed: DeletionResultList = unpack(&pack_list(|results| DeletionResultList { results }, &results)).unwrap();
        assert_eq!(listed.results, results);
        assert_eq!(unpack::<DeletionResultList>(&pack_list(|results| DeletionResultList { results }, &[])).unwrap(), DeletionResultList::default());
    }

    #[test]
    fn bytes_that_do_not_inflate_or_do_not_decode_are_an_error_saying_which() {
        let not_deflate = PackedScan { deflated: vec![1, 2, 3] };
        let mut encoder = DeflateEncoder::new(Vec::new(), Compression::default());
        encoder.write_all(&[0xff, 0xff, 0xff]).unwrap();
        let not_protobuf = PackedScan { deflated: encoder.finish().unwrap() };
        let cases = [
            ("truncated deflate stream", not_deflate, "corrupt packed payload: incomplete deflate stream"),
            ("inflates to bytes that are not a ScanState", not_protobuf, "corrupt packed payload: failed to decode Protobuf message"),
        ];
        for (name, packed, want) in cases {
            let err = unpack::<ScanState>(&packed).unwrap_err().to_string();
            assert!(err.starts_with(want), "{name}: {err}");
        }
    }
}
