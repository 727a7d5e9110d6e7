//! The snapstart-cleaner contract: the protobuf messages (with their JSON form), the validation of
//! a start input, the compact encoding used between activities, and the names that land in
//! Temporal history.

pub mod approval;
pub mod archive;
pub mod candidates;
pub mod codec;
pub mod links;
pub mod names;
pub mod observation_json;
pub mod pack;
pub mod request;
pub mod selection;
pub mod status;

/// Messages generated from `proto/snapstart/v1/*.proto`.
#[allow(missing_docs, clippy::all)]
pub mod v1 {
    include!(concat!(env!("OUT_DIR"), "/snapstart.v1.rs"));
}

pub use request::InvalidRequest;
