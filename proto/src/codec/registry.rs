//! The two tables the codec reads payloads with: every message a `messageType` may name, and
//! the message each `PackedScan` field packs. Both are checked against the `.proto` files, so a
//! new message or packed field without an entry fails a test.

use std::any::Any;

use prost::{Message, Name};
use serde::Serialize;

use super::{bound::Budget, json};
use crate::v1::{self, PackedScan};

/// What a message type must be for the codec to show it.
pub(super) trait Readable: Message + Default + Serialize + Name + Any {}
impl<M: Message + Default + Serialize + Name + Any> Readable for M {}

/// One message type and how its bytes become JSON.
pub(super) struct Entry {
    package: &'static str,
    name: &'static str,
    view: fn(&[u8], &mut Budget) -> Option<Vec<u8>>,
}

impl Entry {
    const fn of<M: Readable>() -> Self {
        Self { package: M::PACKAGE, name: M::NAME, view: view::<M> }
    }

    fn is(&self, package: &str, name: &str) -> bool {
        (self.package, self.name) == (package, name)
    }

    #[cfg(test)]
    fn full_name(&self) -> String {
        format!("{}.{}", self.package, self.name)
    }

    /// The message encoded in `bytes`, as JSON with its packed fields unpacked, within `budget`.
    pub(super) fn view(&self, bytes: &[u8], budget: &mut Budget) -> Option<Vec<u8>> {
        (self.view)(bytes, budget)
    }

    /// The message deflated inside `packed`, as JSON, within `budget`.
    pub(super) fn view_packed(&self, packed: &PackedScan, budget: &mut Budget) -> Option<Vec<u8>> {
        let bytes = budget.inflate(&packed.deflated)?;
        self.view(&bytes, budget)
    }
}

/// Every message of `proto/snapstart/v1` but `PackedScan` (read through its `packedType`).
/// Activity inputs, results and heartbeats use a few of them; listing all means a payload of any
/// of them is readable, and the completeness test stays a plain comparison with the `.proto` files.
static MESSAGES: &[Entry] = &[
    // contract.proto
    Entry::of::<v1::ScanRequest>(),
    Entry::of::<v1::ScanSettings>(),
    Entry::of::<v1::CheckFailure>(),
    Entry::of::<v1::ReportRow>(),
    Entry::of::<v1::ReportSummary>(),
    Entry::of::<v1::TargetSummary>(),
    Entry::of::<v1::Report>(),
    Entry::of::<v1::ReportPreview>(),
    Entry::of::<v1::VersionRef>(),
    Entry::of::<v1::ApprovalDecision>(),
    Entry::of::<v1::DeletionResult>(),
    Entry::of::<v1::CleanupResult>(),
    // scan_state.proto
    Entry::of::<v1::Alias>(),
    Entry::of::<v1::VersionScan>(),
    Entry::of::<v1::FunctionActivity>(),
    Entry::of::<v1::FunctionScan>(),
    Entry::of::<v1::ScanState>(),
    Entry::of::<v1::CodeStorage>(),
    Entry::of::<v1::PhaseCounts>(),
    Entry::of::<v1::PhaseOutput>(),
    Entry::of::<v1::BuildReportOutput>(),
    Entry::of::<v1::CandidateList>(),
    Entry::of::<v1::DeleteRequest>(),
    Entry::of::<v1::DeletionResultList>(),
    Entry::of::<v1::ScanHeartbeat>(),
    Entry::of::<v1::DeleteProgress>(),
    Entry::of::<v1::DeleteResponse>(),
    Entry::of::<v1::ApprovalEmailRequest>(),
    Entry::of::<v1::NotifyResponse>(),
    Entry::of::<v1::CompletionEmailRequest>(),
];

/// A `PackedScan` field and the message packed in it (fixed by the field, never by the bytes).
pub(super) struct PackedField {
    outer: Entry,
    field: &'static str,
    inner: Entry,
    take: fn(&mut dyn Any) -> Option<PackedScan>,
}

/// `packed!(Outer, field => Inner)`: `Outer.field` holds a deflated `Inner`.
macro_rules! packed {
    ($outer:ty, $field:ident => $inner:ty) => {
        PackedField {
            outer: Entry::of::<$outer>(),
            field: stringify!($field),
            inner: Entry::of::<$inner>(),
            take: |m| m.downcast_mut::<$outer>().and_then(|m| m.$field.take()),
        }
    };
}

/// Every `PackedScan` field of the `.proto` files.
static PACKED_FIELDS: &[PackedField] = &[
    packed!(v1::PhaseOutput, scan => v1::ScanState),
    packed!(v1::BuildReportOutput, candidates => v1::CandidateList),
    packed!(v1::ApprovalEmailRequest, candidates => v1::CandidateList),
    packed!(v1::DeleteRequest, approved => v1::CandidateList),
    packed!(v1::DeleteResponse, results => v1::DeletionResultList),
    packed!(v1::CompletionEmailRequest, results => v1::DeletionResultList),
    packed!(v1::DeleteProgress, results => v1::DeletionResultList),
    packed!(v1::ScanHeartbeat, checkpoint => v1::ScanState),
];

/// The message a `messageType` (or `packedType`) names, if it is one of ours.
pub(super) fn lookup(full_name: &str) -> Option<&'static Entry> {
    let (package, name) = full_name.rsplit_once('.')?;
    MESSAGES.iter().find(|e| e.is(package, name))
}

/// `M` from `bytes`, as JSON, each packed field replaced by the JSON of the message inside it
/// (taken out before serializing, so the deflated bytes are never rendered).
fn view<M: Readable>(bytes: &[u8], budget: &mut Budget) -> Option<Vec<u8>> {
    budget.admit(bytes)?;
    let mut message = M::decode(bytes).ok()?;
    let mut unpacked = Vec::new();
    for packed in PACKED_FIELDS.iter().filter(|p| p.outer.is(M::PACKAGE, M::NAME)) {
        if let Some(inner) = (packed.take)(&mut message) {
            unpacked.push((packed.field, packed.inner.view_packed(&inner, budget)?));
        }
    }
    json::to_json(&message, &unpacked, budget.json)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::codec::tests::proto_files;

    fn names<'a>(entries: impl Iterator<Item = &'a Entry>) -> BTreeSet<String> {
        entries.map(Entry::full_name).collect()
    }

    #[test]
    fn every_message_of_the_proto_files_is_registered_except_packed_scan() {
        let declared = proto_files::parse().messages;
        let mut want: BTreeSet<String> = declared.into_iter().collect();
        assert!(want.remove("snapstart.v1.PackedScan"), "PackedScan is read through packedType");

        assert_eq!(names(MESSAGES.iter()), want);
    }

    #[test]
    fn the_packed_field_table_names_exactly_the_packed_scan_fields_of_the_proto_files() {
        let declared = proto_files::parse().packed_fields;

        let table: BTreeSet<(String, String)> = PACKED_FIELDS.iter().map(|p| (p.outer.full_name(), p.field.to_string())).collect();

        assert_eq!(table, declared, "a PackedScan field needs an entry saying which message it packs");
    }

    #[test]
    fn every_message_a_field_packs_is_registered() {
        for packed in PACKED_FIELDS {
            assert!(lookup(&packed.inner.full_name()).is_some(), "{}", packed.inner.full_name());
        }
    }

    #[test]
    fn every_type_the_worker_writes_as_an_activity_payload_or_heartbeat_is_registered() {
        let written = [
            "PhaseOutput", "ScanSettings", "BuildReportOutput", "ApprovalEmailRequest", "NotifyResponse", "DeleteRequest",
            "DeleteResponse", "CompletionEmailRequest", "DeleteProgress", "ScanHeartbeat",
            // inside a bare PackedScan, named by packedType
            "ScanState", "CandidateList", "DeletionResultList",
        ];
        for name in written {
            assert!(lookup(&format!("snapstart.v1.{name}")).is_some(), "{name}");
        }
    }

    #[test]
    fn names_of_other_packages_or_without_a_package_are_not_ours() {
        for name in ["PhaseOutput", "other.v1.PhaseOutput", "snapstart.v2.PhaseOutput", "snapstart.v1.", "snapstart.v1.PackedScan", ""] {
            assert!(lookup(name).is_none(), "{name:?}");
        }
    }
}
