//! Payload metadata that names our message types, so the codec endpoint can show every payload
//! as JSON without guessing.

/// Metadata key naming the protobuf message of a `binary/protobuf` payload, e.g.
/// `snapstart.v1.PhaseOutput`.
pub const MESSAGE_TYPE_KEY: &str = "messageType";
/// Metadata key naming the message deflated inside a `snapstart.v1.PackedScan` payload.
pub const PACKED_TYPE_KEY: &str = "packedType";
