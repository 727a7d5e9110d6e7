//! What an approval form selects, sent to the run in the fewest bytes. The confirm page ticks
//! functions (by their number in the run's function list, all ticked by default) and marks
//! versions to keep (by candidate index, none by default); the approved set is the ticked
//! functions' versions minus the kept ones. Everything approved → plain `{"approved": true}`; a
//! subset → the compact bitmap bound to the list's digest; nothing → refused before the run is
//! asked. A form naming `function:version` rows (scripts, the earlier page) still works: the run
//! ignores rows that are not candidates.

use serde_json::{json, Value};
use snapstart_proto::{
    selection,
    status::{FunctionGroup, RunStatus},
};

use crate::{
    error::AppError,
    pages::fields,
    form::Fields,
    listing::{self, RunRef},
    messenger::RunMessenger,
};

/// What the form asks for, before the run's list is read.
#[derive(Debug, Clone, PartialEq)]
pub enum Asked {
    /// The grouped page: ticked functions minus kept versions, for the list with `digest`.
    Grouped { digest: String, functions: Vec<u32>, keep: Vec<u32> },
    /// Named rows, `[{"function_name", "version"}]`, deduplicated.
    Named(Vec<Value>),
}

impl Asked {
    /// Reads the selection fields; a grouped form is recognised by its digest field.
    pub fn from_fields(form: &Fields) -> Result<Self, AppError> {
        if !form.has(fields::DIGEST) {
            return named(form).map(Asked::Named);
        }
        if form.has(fields::VERSIONS) {
            return Err(AppError::BadForm("The form both ticks functions and names versions".into()));
        }
        let digest = form.first(fields::DIGEST).unwrap_or_default().to_string();
        Ok(Asked::Grouped { digest, functions: numbers(form, fields::FUNCTION)?, keep: numbers(form, fields::KEEP)? })
    }
}

fn numbers(form: &Fields, key: &str) -> Result<Vec<u32>, AppError> {
    form.all(key).map(|v| v.parse::<u32>().map_err(|_| AppError::BadForm("A ticked box could not be read".into()))).collect()
}

fn named(form: &Fields) -> Result<Vec<Value>, AppError> {
    let mut out: Vec<Value> = Vec::new();
    for value in form.all(fields::VERSIONS) {
        // `function:version`, or `account:region:function:version` (function names hold no colon).
        let parts: Vec<&str> = value.split(':').collect();
        let unreadable = || AppError::BadForm("A checked row could not be read".into());
        if parts.iter().any(|p| p.is_empty()) {
            return Err(unreadable());
        }
        let item = match parts.as_slice() {
            [function_name, version] => json!({"function_name": function_name, "version": version}),
            [account_id, region, function_name, version] => json!({"account_id": account_id, "region": region, "function_name": function_name, "version": version}),
            _ => return Err(unreadable()),
        };
        if !out.contains(&item) {
            out.push(item);
        }
    }
    if out.is_empty() {
        return Err(AppError::EmptySelection);
    }
    Ok(out)
}

/// One flag per candidate of a run with `total`: the ticked functions' versions minus the kept
/// ones. A function number or index outside the run's lists is a bad form.
pub fn approved_bits(groups: &[FunctionGroup], total: u32, functions: &[u32], keep: &[u32]) -> Result<Vec<bool>, AppError> {
    let mut bits = vec![false; total as usize];
    for number in functions {
        let group = groups.get(*number as usize).ok_or_else(|| AppError::BadForm("The form ticks a function this run does not have".into()))?;
        for i in &group.indexes {
            *bits.get_mut(*i as usize).ok_or_else(|| AppError::BadForm("The run's function list names a version past its list".into()))? = true;
        }
    }
    for i in keep {
        *bits.get_mut(*i as usize).ok_or_else(|| AppError::BadForm("The form keeps a version this run does not have".into()))? = false;
    }
    Ok(bits)
}

/// The `selection` field for `bits`: none when every candidate is approved (the run's default),
/// the bitmap bound to `digest` for a subset; approving nothing is refused.
pub fn selection_field(bits: &[bool], digest: &str) -> Result<Option<Value>, AppError> {
    match bits.iter().filter(|b| **b).count() {
        0 => Err(AppError::EmptySelection),
        n if n == bits.len() => Ok(None),
        _ => Ok(Some(json!({"approved_indexes": selection::encode(bits), "candidates_digest": digest}))),
    }
}

/// The `decide` payload of an approval: reads the run's functions when the form ticked some.
pub async fn approval(messenger: &dyn RunMessenger, run: RunRef<'_>, status: &RunStatus, approver: Option<String>, asked: Asked) -> Result<Value, AppError> {
    let mut payload = json!({"approved": true, "approver": approver, "decision_source": "email-link"});
    match asked {
        Asked::Named(versions) => payload["approved_versions"] = Value::Array(versions),
        Asked::Grouped { digest, functions, keep } => {
            if digest != status.candidates_digest {
                return Err(AppError::BadForm("This page was made for another candidate list".into()));
            }
            let groups = listing::functions(messenger, run, status.candidates_total).await?;
            if let Some(selection) = selection_field(&approved_bits(&groups, status.candidates_total, &functions, &keep)?, &digest)? {
                payload["selection"] = selection;
            }
        }
    }
    Ok(payload)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(indexes: &[u32]) -> FunctionGroup {
        FunctionGroup { indexes: indexes.to_vec(), candidates: indexes.len() as u32, ..Default::default() }
    }

    fn asked(body: &str) -> Result<Asked, AppError> {
        Asked::from_fields(&Fields::parse(body.as_bytes()))
    }

    #[test]
    fn approved_versions_are_the_ticked_functions_minus_the_kept_versions() {
        let groups = [group(&[0, 2]), group(&[1]), group(&[3, 4])];

        let bits = approved_bits(&groups, 5, &[0, 2], &[4, 1]).unwrap();

        assert_eq!(bits, [true, false, true, true, false]);
    }

    #[test]
    fn everything_approved_sends_no_selection_and_a_subset_sends_the_bitmap_with_the_digest() {
        assert_eq!(selection_field(&[true, true], "d").unwrap(), None);
        let subset = selection_field(&[true, false, true], "d").unwrap().unwrap();
        assert_eq!(subset["candidates_digest"], "d");
        assert_eq!(selection::decode(subset["approved_indexes"].as_str().unwrap(), 3).unwrap(), [true, false, true]);
    }

    #[test]
    fn approving_nothing_is_refused() {
        assert!(matches!(selection_field(&[false, false], "d"), Err(AppError::EmptySelection)));
        assert!(matches!(selection_field(&[], "d"), Err(AppError::EmptySelection)));
        assert!(matches!(asked("approver=ana"), Err(AppError::EmptySelection)));
    }

    #[test]
    fn numbers_outside_the_runs_lists_are_a_bad_form() {
        let groups = [group(&[0, 1])];
        for (functions, keep) in [(&[1][..], &[][..]), (&[0][..], &[2][..])] {
            assert!(matches!(approved_bits(&groups, 2, functions, keep), Err(AppError::BadForm(_))), "{functions:?} {keep:?}");
        }
    }

    #[test]
    fn the_grouped_form_is_told_apart_from_named_rows_by_its_digest() {
        assert_eq!(asked("digest=d&function=0&function=3&keep=7").unwrap(), Asked::Grouped { digest: "d".into(), functions: vec![0, 3], keep: vec![7] });
        assert_eq!(asked("digest=d").unwrap(), Asked::Grouped { digest: "d".into(), functions: vec![], keep: vec![] });
        assert_eq!(asked("versions=f%3A1&versions=f%3A1").unwrap(), Asked::Named(vec![json!({"function_name": "f", "version": "1"})]));
        assert_eq!(
            asked("versions=111111111111%3Aeu-west-1%3Af%3A1").unwrap(),
            Asked::Named(vec![json!({"account_id": "111111111111", "region": "eu-west-1", "function_name": "f", "version": "1"})])
        );
        for bad in ["versions=a%3Ab%3Ac", "versions=%3A1", "versions=f%3A", "versions=a%3Ab%3Ac%3Ad%3Ae"] {
            assert!(asked(bad).is_err(), "{bad}");
        }
        assert!(matches!(asked("digest=d&versions=f%3A1"), Err(AppError::BadForm(_))));
        assert!(matches!(asked("digest=d&function=x"), Err(AppError::BadForm(_))));
        assert!(matches!(asked("versions=nocolon"), Err(AppError::BadForm(_))));
    }
}
