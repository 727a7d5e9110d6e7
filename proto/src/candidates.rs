//! The run's candidate list as the approver pages through it: the `status` preview, the
//! `candidates` and `functions` queries. Plain functions over the list the workflow keeps, here
//! in the contract so the workflow and anything that stands in for it page the same way.

use std::collections::BTreeMap;

use crate::{
    selection,
    status::{CandidateItem, CandidatePage, CandidatesQuery, FunctionGroup, FunctionPage, FunctionsQuery, MAX_PAGE, STATUS_CANDIDATES},
    v1::ReportRow,
};

/// The digest a compact selection must name (see `selection::digest`).
/// A row's account and region take part once it has them, so lists of runs that predate them
/// keep their digest (and their approval links keep working across an upgrade).
pub fn digest(candidates: &[ReportRow]) -> String {
    let keys: Vec<(String, &str)> = candidates.iter().map(|c| (place(c), c.version.as_str())).collect();
    selection::digest(keys.iter().map(|(f, v)| (f.as_str(), *v)))
}

/// `account:region:function`, or the function's name alone for a row without an account.
fn place(c: &ReportRow) -> String {
    match c.account_id.is_empty() && c.region.is_empty() {
        true => c.function_name.clone(),
        false => format!("{}:{}:{}", c.account_id, c.region, c.function_name),
    }
}

/// Whether the row is in the account and region a query names (an empty filter matches all).
fn placed(c: &ReportRow, account_id: &Option<String>, region: &Option<String>) -> bool {
    account_id.as_ref().is_none_or(|a| &c.account_id == a) && region.as_ref().is_none_or(|r| &c.region == r)
}

/// The rows the `status` answer carries.
pub fn preview(candidates: &[ReportRow]) -> Vec<ReportRow> {
    candidates.iter().take(STATUS_CANDIDATES).cloned().collect()
}

fn page_bounds(offset: u32, limit: u32, total: usize) -> std::ops::Range<usize> {
    let limit = if limit == 0 { MAX_PAGE } else { limit.min(MAX_PAGE) };
    let start = (offset as usize).min(total);
    start..(start + limit as usize).min(total)
}

fn item(index: usize, row: &ReportRow) -> CandidateItem {
    CandidateItem {
        index: index as u32,
        function_name: row.function_name.clone(),
        version: row.version.clone(),
        account_id: row.account_id.clone(),
        region: row.region.clone(),
        runtime: row.runtime.clone(),
        memory_size_mb: row.memory_size_mb,
        age_days: row.age_days,
        version_last_invoked_utc: row.version_last_invoked_utc.clone(),
        estimated_monthly_cost_usd: row.estimated_monthly_cost_usd,
    }
}

/// One page of candidates, optionally of one function (and account and region).
pub fn page(candidates: &[ReportRow], query: &CandidatesQuery) -> CandidatePage {
    let matching: Vec<(usize, &ReportRow)> = candidates
        .iter()
        .enumerate()
        .filter(|(_, c)| query.function.as_ref().is_none_or(|f| &c.function_name == f) && placed(c, &query.account_id, &query.region))
        .collect();
    let bounds = page_bounds(query.offset, query.limit, matching.len());
    CandidatePage {
        total: matching.len() as u32,
        offset: bounds.start as u32,
        items: matching[bounds].iter().map(|(i, row)| item(*i, row)).collect(),
    }
}

/// Every function (per account and region) with candidates, in order of first appearance.
pub fn groups(candidates: &[ReportRow]) -> Vec<FunctionGroup> {
    let mut order: Vec<String> = Vec::new();
    let mut by_name: BTreeMap<String, FunctionGroup> = BTreeMap::new();
    for (i, c) in candidates.iter().enumerate() {
        let key = place(c);
        let group = by_name.entry(key.clone()).or_insert_with(|| {
            order.push(key);
            FunctionGroup { function_name: c.function_name.clone(), account_id: c.account_id.clone(), region: c.region.clone(), ..Default::default() }
        });
        group.candidates += 1;
        group.estimated_monthly_saving_usd += c.estimated_monthly_cost_usd;
        group.indexes.push(i as u32);
    }
    order.iter().filter_map(|name| by_name.remove(name.as_str())).collect()
}

/// One page of the functions that have candidates.
pub fn function_page(candidates: &[ReportRow], query: &FunctionsQuery) -> FunctionPage {
    let all = groups(candidates);
    let bounds = page_bounds(query.offset, query.limit, all.len());
    FunctionPage { total: all.len() as u32, offset: bounds.start as u32, functions: all[bounds].to_vec() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(spec: &[(&str, &str)]) -> Vec<ReportRow> {
        spec.iter().map(|(f, v)| ReportRow { function_name: f.to_string(), version: v.to_string(), estimated_monthly_cost_usd: 1.5, ..Default::default() }).collect()
    }

    #[test]
    fn pages_cover_the_list_once_and_carry_each_rows_index() {
        let list = rows(&[("a", "1"), ("a", "2"), ("b", "1"), ("c", "4"), ("c", "5")]);

        let first = page(&list, &CandidatesQuery { offset: 0, limit: 2, function: None, ..Default::default() });
        let last = page(&list, &CandidatesQuery { offset: 4, limit: 2, function: None, ..Default::default() });
        let past = page(&list, &CandidatesQuery { offset: 9, limit: 2, function: None, ..Default::default() });

        assert_eq!((first.total, first.items.iter().map(|i| i.index).collect::<Vec<_>>()), (5, vec![0, 1]));
        assert_eq!(last.items.iter().map(|i| (i.function_name.as_str(), i.version.as_str())).collect::<Vec<_>>(), vec![("c", "5")]);
        assert_eq!((past.offset, past.items.len()), (5, 0));
    }

    #[test]
    fn a_function_filter_keeps_indexes_into_the_whole_list() {
        let list = rows(&[("a", "1"), ("b", "1"), ("a", "2")]);

        let only_a = page(&list, &CandidatesQuery { function: Some("a".into()), ..Default::default() });

        assert_eq!((only_a.total, only_a.items.iter().map(|i| i.index).collect::<Vec<_>>()), (2, vec![0, 2]));
    }

    #[test]
    fn a_page_is_never_larger_than_the_maximum() {
        let list = rows(&vec![("f", "1"); 2500]);

        assert_eq!(page(&list, &CandidatesQuery { limit: 5000, ..Default::default() }).items.len(), MAX_PAGE as usize);
        assert_eq!(page(&list, &CandidatesQuery::default()).items.len(), MAX_PAGE as usize);
    }

    #[test]
    fn functions_are_grouped_in_order_of_first_appearance_with_counts_savings_and_indexes() {
        let list = rows(&[("b", "1"), ("a", "1"), ("b", "2")]);

        let all = function_page(&list, &FunctionsQuery::default());

        assert_eq!(all.total, 2);
        assert_eq!(all.functions[0].function_name, "b");
        assert_eq!((all.functions[0].candidates, all.functions[0].indexes.clone()), (2, vec![0, 2]));
        assert!((all.functions[0].estimated_monthly_saving_usd - 3.0).abs() < 1e-9);
        assert_eq!(function_page(&list, &FunctionsQuery { offset: 1, limit: 1 }).functions[0].function_name, "a");
    }

    #[test]
    fn the_preview_is_bounded() {
        assert_eq!(preview(&rows(&vec![("f", "1"); 500])).len(), STATUS_CANDIDATES);
    }

    fn at(account: &str, region: &str, function: &str, version: &str) -> ReportRow {
        ReportRow { account_id: account.into(), region: region.into(), function_name: function.into(), version: version.into(), ..Default::default() }
    }

    #[test]
    fn the_digest_changes_with_any_row_and_ignores_no_place() {
        let rows = vec![at("1", "r", "f", "1"), at("1", "r", "f", "2")];
        let d = digest(&rows);

        assert_eq!(d.len(), crate::selection::digest(std::iter::empty()).len(), "a digest, not an empty string");
        assert_ne!(d, digest(&rows[..1]));
        assert_ne!(d, digest(&[at("2", "r", "f", "1"), at("1", "r", "f", "2")]), "the account takes part");
        assert_ne!(d, digest(&[at("1", "r2", "f", "1"), at("1", "r", "f", "2")]), "the region takes part");
        assert_eq!(digest(&[at("", "", "f", "1")]), crate::selection::digest([("f", "1")].into_iter()), "a row without a place keeps its old digest");
        assert_ne!(digest(&[at("1", "", "f", "1")]), digest(&[at("", "", "f", "1")]), "an account alone is a place");
    }

    #[test]
    fn queries_filter_by_account_and_region_each() {
        let rows = vec![at("1", "r1", "f", "1"), at("1", "r2", "f", "2"), at("2", "r1", "f", "3")];
        let versions = |account: Option<&str>, region: Option<&str>| -> Vec<String> {
            let q = CandidatesQuery { account_id: account.map(str::to_string), region: region.map(str::to_string), ..Default::default() };
            page(&rows, &q).items.into_iter().map(|i| i.version).collect()
        };

        assert_eq!(versions(None, None), ["1", "2", "3"]);
        assert_eq!(versions(Some("1"), None), ["1", "2"]);
        assert_eq!(versions(None, Some("r1")), ["1", "3"]);
        assert_eq!(versions(Some("1"), Some("r1")), ["1"]);
        assert_eq!(versions(Some("3"), None), Vec::<String>::new());
    }

    #[test]
    fn a_function_group_names_its_account_and_region() {
        let groups = groups(&[at("1", "r1", "f", "1"), at("2", "r1", "f", "2")]);

        let places: Vec<(String, String)> = groups.iter().map(|g| (g.account_id.clone(), g.region.clone())).collect();
        assert_eq!(places, [("1".to_string(), "r1".to_string()), ("2".to_string(), "r1".to_string())]);
    }
}
