//! The run's custom search attributes (`SnapStartRegions`, `SnapStartCandidates`,
//! `SnapStartOutcome`, `SnapStartDryRun`). Setting one the namespace has not registered fails the
//! workflow task, so the worker checks once at start; without them runs go on untagged, and the
//! worker says once how to register them.
//!
//! Whether a run sets them is recorded in its history (patch marker `search-attributes`), so a
//! replay does what the original did whatever the replaying worker found.

use std::sync::atomic::{AtomicBool, Ordering};

use snapstart_proto::names;
use temporalio_common::{
    protos::temporal::api::{enums::v1::IndexedValueType, operatorservice::v1::ListSearchAttributesRequest},
    search_attributes::SearchAttributeKey,
};

pub const REGIONS: SearchAttributeKey<Vec<String>> = SearchAttributeKey::keyword_list(names::SEARCH_ATTRIBUTE_REGIONS);
pub const CANDIDATES: SearchAttributeKey<i64> = SearchAttributeKey::int(names::SEARCH_ATTRIBUTE_CANDIDATES);
pub const OUTCOME: SearchAttributeKey<String> = SearchAttributeKey::keyword(names::SEARCH_ATTRIBUTE_OUTCOME);
pub const DRY_RUN: SearchAttributeKey<bool> = SearchAttributeKey::bool(names::SEARCH_ATTRIBUTE_DRY_RUN);

/// Every attribute and the type it must be registered with.
pub const ALL: [(&str, IndexedValueType); 4] = [
    (names::SEARCH_ATTRIBUTE_REGIONS, IndexedValueType::KeywordList),
    (names::SEARCH_ATTRIBUTE_CANDIDATES, IndexedValueType::Int),
    (names::SEARCH_ATTRIBUTE_OUTCOME, IndexedValueType::Keyword),
    (names::SEARCH_ATTRIBUTE_DRY_RUN, IndexedValueType::Bool),
];

static REGISTERED: AtomicBool = AtomicBool::new(false);

/// Whether this worker found every attribute registered in its namespace.
pub fn registered() -> bool {
    REGISTERED.load(Ordering::Relaxed)
}

/// Which of [`ALL`] `custom` (name → indexed value type) lacks or has with another type.
pub fn missing(custom: &std::collections::HashMap<String, i32>) -> Vec<&'static str> {
    ALL.iter().filter(|(name, kind)| custom.get(*name) != Some(&(*kind as i32))).map(|(name, _)| *name).collect()
}

/// Looks the attributes up in `namespace` (once, at worker start) and warns once if any is missing.
pub async fn detect(client: &temporalio_client::Client, namespace: &str) {
    let request = ListSearchAttributesRequest { namespace: namespace.to_string() };
    let custom = match client.connection().operator_service().list_search_attributes(temporalio_client::tonic::Request::new(request)).await {
        Ok(answer) => answer.into_inner().custom_attributes,
        Err(e) => {
            tracing::warn!(error = %e, "could not list the namespace's search attributes; runs are not tagged");
            return;
        }
    };
    let missing = missing(&custom);
    if missing.is_empty() {
        REGISTERED.store(true, Ordering::Relaxed);
        return;
    }
    let create: Vec<String> = ALL
        .iter()
        .filter(|(name, _)| missing.contains(name))
        .map(|(name, kind)| format!("--name {name} --type {}", kind.as_str_name().trim_start_matches("INDEXED_VALUE_TYPE_").to_lowercase()))
        .collect();
    tracing::warn!(
        namespace,
        ?missing,
        "runs are not tagged with search attributes until they are registered: temporal operator search-attribute create --namespace {namespace} {}",
        create.join(" ")
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_attribute_registered_with_another_type_counts_as_missing() {
        let mut custom: std::collections::HashMap<String, i32> = ALL.iter().map(|(n, k)| (n.to_string(), *k as i32)).collect();
        assert!(missing(&custom).is_empty());
        custom.insert(names::SEARCH_ATTRIBUTE_CANDIDATES.into(), IndexedValueType::Keyword as i32);
        custom.remove(names::SEARCH_ATTRIBUTE_OUTCOME);
        assert_eq!(missing(&custom), vec![names::SEARCH_ATTRIBUTE_CANDIDATES, names::SEARCH_ATTRIBUTE_OUTCOME]);
    }
}
