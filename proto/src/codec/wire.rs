//! The body of the remote codec protocol, as the Temporal UI and CLI send it and read the answer:
//! the proto3 JSON form of `temporal.api.common.v1.Payloads`,
//! `{"payloads": [{"metadata": {"<key>": "<base64>"}, "data": "<base64>"}]}`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{decode_within, Payload};

/// Bytes of JSON one request may decode to, all payloads together; the payloads past it are
/// answered unchanged.
const MAX_JSON_PER_REQUEST: usize = 32 << 20;

/// A request or answer body of `/decode` and `/encode`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Payloads {
    /// The payloads, answered in the same order.
    #[serde(default)]
    pub payloads: Vec<JsonPayload>,
}

impl Payloads {
    /// Every payload through [`decode_payload`](super::decode_payload): ours as JSON, the rest
    /// unchanged, and all of them unchanged once the answer holds 32 MiB.
    pub fn decoded(self) -> Self {
        self.decoded_within(MAX_JSON_PER_REQUEST)
    }

    fn decoded_within(self, max_json: usize) -> Self {
        self.decoding_within(max_json).0
    }

    /// [`Self::decoded_within`], and how many payloads it tried to decode: once the answer's
    /// budget is spent, the rest come back unchanged without being decoded at all.
    fn decoding_within(self, max_json: usize) -> (Self, usize) {
        let mut left = max_json;
        let mut tried = 0;
        let payloads = self.payloads.into_iter().map(|p| {
            if left == 0 {
                return p;
            }
            tried += 1;
            let decoded = p.decoded(left);
            left = left.saturating_sub(decoded.data.len());
            decoded
        });
        let payloads = payloads.collect();
        (Self { payloads }, tried)
    }
}

/// One payload in proto3 JSON: metadata values and data are base64 (standard alphabet written;
/// standard or URL-safe, padded or not, read, as proto3 JSON requires).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct JsonPayload {
    /// Metadata, decoded from base64.
    #[serde(default, with = "base64_map")]
    pub metadata: BTreeMap<String, Vec<u8>>,
    /// Data, decoded from base64.
    #[serde(default, with = "base64_bytes")]
    pub data: Vec<u8>,
    /// Payload fields this codec does not read (newer Temporal versions add some), kept as sent.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

impl JsonPayload {
    fn decoded(self, max_json: usize) -> Self {
        let Payload { metadata, data } = decode_within(Payload { metadata: self.metadata, data: self.data }, max_json);
        Self { metadata, data, other: self.other }
    }
}

mod base64_text {
    use base64::{
        alphabet,
        engine::{general_purpose, DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig},
        DecodeError, Engine,
    };

    const LENIENT: GeneralPurposeConfig = GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
    const STANDARD: GeneralPurpose = GeneralPurpose::new(&alphabet::STANDARD, LENIENT);
    const URL_SAFE: GeneralPurpose = GeneralPurpose::new(&alphabet::URL_SAFE, LENIENT);

    pub(super) fn encode(bytes: &[u8]) -> String {
        general_purpose::STANDARD.encode(bytes)
    }

    pub(super) fn decode(text: &str) -> Result<Vec<u8>, DecodeError> {
        if text.contains(['-', '_']) {
            URL_SAFE.decode(text)
        } else {
            STANDARD.decode(text)
        }
    }
}

mod base64_bytes {
    use serde::{de::Error, Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::base64_text::encode(bytes))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = Option::<String>::deserialize(d)?.unwrap_or_default();
        super::base64_text::decode(&text).map_err(|e| D::Error::custom(format!("data is not base64: {e}")))
    }
}

mod base64_map {
    use std::collections::BTreeMap;

    use serde::{de::Error, ser::SerializeMap, Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(map: &BTreeMap<String, Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
        let mut out = s.serialize_map(Some(map.len()))?;
        for (key, value) in map {
            out.serialize_entry(key, &super::base64_text::encode(value))?;
        }
        out.end()
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<String, Vec<u8>>, D::Error> {
        let texts = Option::<BTreeMap<String, String>>::deserialize(d)?.unwrap_or_default();
        texts
            .into_iter()
            .map(|(key, text)| match super::base64_text::decode(&text) {
                Ok(value) => Ok((key, value)),
                Err(e) => Err(D::Error::custom(format!("metadata {key:?} is not base64: {e}"))),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn payload(metadata: &[(&str, &str)], data: &str) -> JsonPayload {
        let metadata = metadata.iter().map(|(k, v)| (k.to_string(), v.as_bytes().to_vec())).collect();
        JsonPayload { metadata, data: data.as_bytes().to_vec(), other: Map::new() }
    }

    #[test]
    fn a_body_as_the_ui_sends_it_reads_and_writes_back_the_same() {
        let body = json!({"payloads": [{"metadata": {"encoding": "anNvbi9wbGFpbg=="}, "data": "eyJhIjogMX0="}]});

        let read: Payloads = serde_json::from_value(body.clone()).unwrap();

        assert_eq!(read.payloads, vec![payload(&[("encoding", "json/plain")], r#"{"a": 1}"#)]);
        assert_eq!(serde_json::to_value(&read).unwrap(), body);
    }

    #[test]
    fn unpadded_and_url_safe_base64_are_read_and_standard_padded_is_written() {
        // ">>>?" in URL-safe is "Pj4-Pw", standard "Pj4+Pw==".
        let body = json!({"payloads": [{"metadata": {"k": "Pj4-Pw"}, "data": "Pj4+Pw"}]});

        let read: Payloads = serde_json::from_value(body).unwrap();

        assert_eq!(read.payloads, vec![payload(&[("k", ">>>?")], ">>>?")]);
        assert_eq!(serde_json::to_value(&read).unwrap(), json!({"payloads": [{"metadata": {"k": "Pj4+Pw=="}, "data": "Pj4+Pw=="}]}));
    }

    #[test]
    fn absent_or_null_fields_are_empty_as_in_proto3_json() {
        let body = json!({"payloads": [{}, {"metadata": null, "data": null}]});

        let read: Payloads = serde_json::from_value(body).unwrap();

        assert_eq!(read.payloads, vec![JsonPayload::default(), JsonPayload::default()]);
        assert_eq!(serde_json::from_value::<Payloads>(json!({})).unwrap(), Payloads::default());
    }

    #[test]
    fn fields_the_codec_does_not_read_are_written_back_as_sent() {
        let body = json!({"payloads": [{"metadata": {}, "data": "", "externalPayloads": [{"sizeBytes": "12"}]}]});

        let read: Payloads = serde_json::from_value(body.clone()).unwrap();

        assert_eq!(serde_json::to_value(read.decoded()).unwrap(), body);
    }

    #[test]
    fn payloads_past_the_answer_budget_come_back_unchanged() {
        // NotifyResponse { delivered: ["smtp"], dry_run: true }
        let notify = payload(&[("encoding", "binary/protobuf"), ("messageType", "snapstart.v1.NotifyResponse")], "\n\x04smtp\x10\x01");
        let first = Payloads { payloads: vec![notify.clone()] }.decoded().payloads.remove(0);
        assert_eq!(first.metadata["encoding"], b"json/plain");

        let answer = Payloads { payloads: vec![notify.clone(), notify.clone()] }.decoded_within(first.data.len());

        assert_eq!(answer.payloads, vec![first, notify]);
    }

    #[test]
    fn decoding_stops_once_the_answer_budget_is_spent() {
        let notify = payload(&[("encoding", "binary/protobuf"), ("messageType", "snapstart.v1.NotifyResponse")], "\n\x04smtp\x10\x01");
        let first = Payloads { payloads: vec![notify.clone()] }.decoded().payloads.remove(0);

        let (answer, tried) = Payloads { payloads: vec![notify.clone(); 1000] }.decoding_within(first.data.len());

        assert_eq!(tried, 1, "the 999 payloads after the budget is spent are not decoded");
        assert_eq!(answer.payloads[0], first);
        assert!(answer.payloads[1..].iter().all(|p| *p == notify));
    }

    #[test]
    fn text_that_is_not_base64_is_an_error_naming_the_field() {
        let cases = [
            (json!({"payloads": [{"data": "not base64!"}]}), "data is not base64"),
            (json!({"payloads": [{"metadata": {"encoding": "%%"}}]}), r#"metadata "encoding" is not base64"#),
            (json!({"payloads": [{"data": 12}]}), "invalid type"),
            (json!({"payloads": {}}), "invalid type"),
        ];
        for (body, want) in cases {
            let err = serde_json::from_value::<Payloads>(body.clone()).unwrap_err().to_string();
            assert!(err.contains(want), "{body}: {err}");
        }
    }
}
