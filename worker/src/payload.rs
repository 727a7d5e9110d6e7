//! How our activity payloads are written: protobuf (`binary/protobuf`) whose metadata names the
//! message type (`messageType`) and, for a deflated `PackedScan`, the type packed inside
//! (`packedType`), so the codec endpoint turns every payload into readable JSON without
//! guessing. Reading accepts any `binary/protobuf` payload, metadata or not, so histories
//! written before these keys existed still replay. An activity's result must also fit Temporal's
//! payload limit ([`fit`]).

use std::{collections::HashMap, marker::PhantomData};

use prost::{Message, Name};
use snapstart_proto::{
    codec::{MESSAGE_TYPE_KEY, PACKED_TYPE_KEY},
    v1::PackedScan,
};
use temporalio_common::{
    data_converters::{PayloadConversionError, SerializationContext, TemporalDeserializable, TemporalSerializable},
    protos::temporal::api::common::v1::Payload,
};

const ENCODING: &str = "encoding";
const PROTOBUF: &[u8] = b"binary/protobuf";

fn payload(data: Vec<u8>, message_type: String, packed_type: Option<String>) -> Payload {
    let mut metadata = HashMap::from([(ENCODING.to_string(), PROTOBUF.to_vec()), (MESSAGE_TYPE_KEY.to_string(), message_type.into_bytes())]);
    if let Some(inner) = packed_type {
        metadata.insert(PACKED_TYPE_KEY.to_string(), inner.into_bytes());
    }
    Payload { metadata, data, ..Default::default() }
}

fn decode<T: Message + Default>(p: &Payload) -> Result<T, PayloadConversionError> {
    if p.metadata.get(ENCODING).map(Vec::as_slice) != Some(PROTOBUF) {
        return Err(PayloadConversionError::WrongEncoding);
    }
    T::decode(p.data.as_slice()).map_err(|e| PayloadConversionError::EncodingError(Box::new(e)))
}

/// A protobuf message whose payload names its type.
pub struct Typed<T>(pub T);

impl<T: Message + Name + Default + 'static> TemporalSerializable for Typed<T> {
    fn to_payload(&self, _: &SerializationContext<'_>) -> Result<Payload, PayloadConversionError> {
        Ok(payload(self.0.encode_to_vec(), T::full_name(), None))
    }
}

impl<T: Message + Name + Default + 'static> TemporalDeserializable for Typed<T> {
    fn from_payload(_: &SerializationContext<'_>, p: Payload) -> Result<Self, PayloadConversionError> {
        decode(&p).map(Typed)
    }
}

/// A `PackedScan` holding a deflated `T`; the payload names both.
pub struct Packed<T> {
    pub packed: PackedScan,
    inner: PhantomData<fn() -> T>,
}

impl<T> Packed<T> {
    pub fn new(packed: PackedScan) -> Self {
        Self { packed, inner: PhantomData }
    }
}

impl<T> From<PackedScan> for Packed<T> {
    fn from(packed: PackedScan) -> Self {
        Self::new(packed)
    }
}

impl<T: Name + 'static> TemporalSerializable for Packed<T> {
    fn to_payload(&self, _: &SerializationContext<'_>) -> Result<Payload, PayloadConversionError> {
        Ok(payload(self.packed.encode_to_vec(), PackedScan::full_name(), Some(T::full_name())))
    }
}

impl<T: Name + 'static> TemporalDeserializable for Packed<T> {
    fn from_payload(_: &SerializationContext<'_>, p: Payload) -> Result<Self, PayloadConversionError> {
        decode(&p).map(Packed::new)
    }
}

/// Temporal refuses a payload over 2 MB (and retries the activity into the same wall); the
/// worker's default limit stays just under it.
pub const DEFAULT_PAYLOAD_LIMIT: usize = 2_000_000;

/// Returns `message` if it encodes within `limit` bytes, else a non-retryable
/// `PayloadsTooLarge` failure naming the phase and the size: the same data would fail again.
pub fn fit<M: prost::Message + prost::Name>(phase: &str, message: M, limit: usize) -> Result<Typed<M>, temporalio_sdk::activities::ActivityError> {
    let size = message.encoded_len();
    if size <= limit {
        return Ok(Typed(message));
    }
    let text = format!("{phase}: result of {size} bytes exceeds the payload limit of {limit} bytes (MAX_PAYLOAD_BYTES)");
    let failure = temporalio_common::error::ApplicationFailure::builder(text).type_name(snapstart_proto::names::ERROR_PAYLOADS_TOO_LARGE.to_string()).non_retryable(true);
    Err(temporalio_sdk::activities::ActivityError::application(failure.build()))
}
