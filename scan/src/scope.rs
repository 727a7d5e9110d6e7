//! A run's scope: every region of every account it covers. Each account and region is a
//! *target* with its own working set (a `ScanState` in the top-level state's `targets`), its own
//! credentials and its own rate budgets. The phases run on every target at once; a target that
//! fails (a region that is not enabled, a role that cannot be assumed) records why and takes no
//! further part, and never stops or changes the others.
//!
//! Runs started before several targets existed kept one region's working set at the top level;
//! [`targets_form`] turns it into one target so every phase handles both. `fanout.rs` runs the
//! phases on every target.

use std::collections::{BTreeMap, HashMap, HashSet};

use futures::StreamExt;
use snapstart_aws::{
    factory::{AwsFactory, Place},
    CallCounter,
};
use snapstart_proto::v1::{PhaseCounts, ScanSettings, ScanState};


/// Targets worked on at once. Each has its own budgets, so more at once is faster; this bounds
/// the worker's connections and memory (20 accounts × 17 regions run in waves of this size).
pub const TARGETS_AT_ONCE: usize = 16;

/// The places a run covers, in report order: the worker's own account (when it is in scope)
/// in every region, then each role in every region.
pub fn places(settings: &ScanSettings) -> Vec<Place> {
    let regions = settings.scan_regions();
    let mut out = Vec::new();
    if settings.scans_own_account() {
        out.extend(regions.iter().map(|r| Place::own(r)));
    }
    for role in &settings.assume_role_arns {
        out.extend(regions.iter().map(|r| Place::role(r, role, &settings.external_id)));
    }
    out
}

/// The place a target's calls act at.
pub fn place_of(target: &ScanState, settings: &ScanSettings) -> Place {
    let region = if target.region.is_empty() { settings.region.clone() } else { target.region.clone() };
    match target.role_arn.is_empty() {
        true => Place::own(&region),
        false => Place::role(&region, &target.role_arn, &settings.external_id),
    }
}

/// The working set with one entry in `targets` per account and region (a one-region working
/// set of an older run becomes its single target, account unknown).
pub fn targets_form(state: ScanState) -> ScanState {
    if !state.targets.is_empty() {
        return state;
    }
    let settings = state.settings.clone();
    let region = settings.as_ref().map(|s| s.region.clone()).unwrap_or_default();
    ScanState { settings, targets: vec![ScanState { region, ..state }], ..Default::default() }
}

/// Every target's working set (an older run's whole set is its one target).
pub fn targets_of(state: &ScanState) -> Vec<&ScanState> {
    match state.targets.is_empty() {
        true => vec![state],
        false => state.targets.iter().collect(),
    }
}

/// A place, the account it acts on (or why that is not known), and the calls that took.
type Identity = (Place, Result<String, String>, BTreeMap<String, u32>);

/// Learns which account each place acts on (STS GetCallerIdentity, which is also where a role
/// is assumed) and returns the top-level working set with one target per account and region.
/// A place whose identity cannot be learnt is a failed target; a second place in an account
/// and region already covered (the worker's own account also listed as a role) is dropped.
pub async fn resolve(aws: &AwsFactory, settings: &ScanSettings) -> ScanState {
    let identities: Vec<Identity> = futures::stream::iter(places(settings))
        .map(|place| async move {
            let counter = CallCounter::default();
            let account = aws.account_id(&place, &counter).await.map_err(|e| e.to_string());
            (place, account, counter.snapshot())
        })
        .buffered(TARGETS_AT_ONCE)
        .collect()
        .await;
    // The same credentials act on the same account in every region: where STS refuses one
    // region (one that is not enabled), another region's answer still says whose it is.
    let known: HashMap<String, String> = identities.iter().filter_map(|(p, a, _)| a.as_ref().ok().map(|a| (p.role_arn.clone(), a.clone()))).collect();
    let mut seen = HashSet::new();
    let mut targets = Vec::new();
    for (place, account, calls) in identities {
        let (account_id, error) = match account {
            Ok(a) => (a, String::new()),
            // Unknown identity: as learnt elsewhere, else the role's own account if it names one,
            // so the summary says where.
            Err(e) => {
                let account = known.get(&place.role_arn).cloned().or_else(|| snapstart_proto::request::role_account(&place.role_arn).map(str::to_string));
                (account.unwrap_or_default(), format!("could not learn the account (STS): {e}"))
            }
        };
        if error.is_empty() && !seen.insert((account_id.clone(), place.region.clone())) {
            tracing::warn!(account_id, region = place.region, role = place.role_arn, "account and region already in scope through other credentials; scanned once");
            continue;
        }
        let target_settings = ScanSettings { region: place.region.clone(), ..settings.clone() };
        targets.push(ScanState {
            settings: Some(target_settings),
            account_id,
            region: place.region,
            role_arn: place.role_arn,
            error,
            aws_calls: calls,
            ..Default::default()
        });
    }
    ScanState { settings: Some(settings.clone()), targets, ..Default::default() }
}

/// Counts for the `status` query over every target.
pub fn counts(state: &ScanState) -> PhaseCounts {
    targets_of(state).into_iter().map(super::counts_of).fold(PhaseCounts::default(), |a, b| PhaseCounts {
        functions: a.functions + b.functions,
        snapstart_versions: a.snapstart_versions + b.snapstart_versions,
        stage_a_pass: a.stage_a_pass + b.stage_a_pass,
        state_confirmed: a.state_confirmed + b.state_confirmed,
        usage_checked: a.usage_checked + b.usage_checked,
        candidates: a.candidates + b.candidates,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use snapstart_proto::v1::FunctionScan;

    #[test]
    fn own_account_regions_come_first_then_each_role_in_every_region() {
        let role = "arn:aws:iam::111111111111:role/cleaner";
        let settings = ScanSettings {
            region: "us-west-2".into(),
            regions: vec!["us-west-2".into(), "eu-west-1".into()],
            assume_role_arns: vec![role.into()],
            external_id: "x-1".into(),
            include_own_account: true,
            ..Default::default()
        };

        let got: Vec<(String, String)> = places(&settings).into_iter().map(|p| (p.region, p.role_arn)).collect();

        assert_eq!(got, vec![
            ("us-west-2".into(), String::new()),
            ("eu-west-1".into(), String::new()),
            ("us-west-2".into(), role.into()),
            ("eu-west-1".into(), role.into()),
        ]);
        let without_own = ScanSettings { include_own_account: false, ..settings };
        assert!(places(&without_own).iter().all(|p| p.role_arn == role && p.external_id == "x-1"));
    }

    #[test]
    fn an_older_one_region_working_set_becomes_its_single_target() {
        let settings = ScanSettings { region: "eu-west-1".into(), ..Default::default() };
        let old = ScanState { settings: Some(settings.clone()), functions: vec![FunctionScan { function_name: "f".into(), ..Default::default() }], ..Default::default() };

        let new = targets_form(old.clone());

        assert!(new.functions.is_empty());
        assert_eq!(new.targets.len(), 1);
        assert_eq!((new.targets[0].region.as_str(), new.targets[0].account_id.as_str()), ("eu-west-1", ""));
        assert_eq!(new.targets[0].functions, old.functions);
        assert_eq!(targets_form(new.clone()), new, "already in targets form");
        assert_eq!(place_of(&new.targets[0], &settings), Place::own("eu-west-1"));
    }
}
