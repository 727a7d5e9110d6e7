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
