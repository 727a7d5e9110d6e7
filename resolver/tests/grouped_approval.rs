//! The approve page's own form, submitted as a browser would: functions ticked by default,
//! versions kept by ticking, and what the resolver then sends to `decide`.

mod common;

use common::*;
use serde_json::json;
use snapstart_proto::{links::Decision, selection};
use snapstart_resolver::MessengerError;

/// Three functions of three versions each, listed interleaved (f0:1, f1:1, f2:1, f0:2, …).
fn three_by_three() -> std::sync::Arc<FakeRun> {
    FakeRun::large(3, 3)
}

#[tokio::test]
async fn confirming_the_page_unchanged_approves_everything_without_naming_a_version() {
    let run = three_by_three();
    let (_, mut form) = open_page(&run, Decision::Approve).await;
    form.type_into("approver", "Ana");

    let page = submit(&run, Decision::Approve, &form).await;

    assert_eq!(page.status, 200, "{}", page.body);
    assert!(!form.body().contains("keep=") && !form.body().contains("versions="), "the submission names no version: {}", form.body());
    assert_eq!(run.decides()[0].2, json!({"approved": true, "approver": "Ana", "decision_source": "email-link"}));
    assert_eq!(approved_indexes(&run), (0..9).collect::<Vec<u32>>());
    assert!(page.body.contains("9 version(s) approved for deletion"), "{}", page.body);
}

#[tokio::test]
async fn unticking_a_function_keeps_all_its_versions_and_sends_the_bitmap_with_the_digest() {
    let run = three_by_three();
    let (_, mut form) = open_page(&run, Decision::Approve).await;
    form.tick("function", "1", false);

    let page = submit(&run, Decision::Approve, &form).await;

    assert_eq!(page.status, 200, "{}", page.body);
    let payload = &run.decides()[0].2;
    assert_eq!(payload["selection"]["candidates_digest"], json!(run.status.lock().unwrap().candidates_digest));
    assert!(payload.get("approved_versions").is_none());
    assert_eq!(approved_indexes(&run), [0, 2, 3, 5, 6, 8], "fn-0001 is candidates 1, 4 and 7");
    assert!(page.body.contains("6 version(s) approved for deletion"));
}

#[tokio::test]
async fn ticking_keep_on_single_versions_leaves_them_out() {
    let run = three_by_three();
    let (_, mut form) = open_page(&run, Decision::Approve).await;
    form.tick("keep", "4", true).tick("keep", "6", true);

    let page = submit(&run, Decision::Approve, &form).await;

    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(approved_indexes(&run), [0, 1, 2, 3, 5, 7, 8]);
}

#[tokio::test]
async fn keeping_a_version_of_an_unticked_function_changes_nothing() {
    let run = three_by_three();
    let (_, mut form) = open_page(&run, Decision::Approve).await;
    form.tick("function", "0", false).tick("keep", "3", true).tick("keep", "4", true);

    submit(&run, Decision::Approve, &form).await;

    assert_eq!(approved_indexes(&run), [1, 2, 5, 7, 8]);
}

#[tokio::test]
async fn unticking_every_function_or_keeping_every_version_is_refused_before_deciding() {
    let run = three_by_three();
    let (_, page_form) = open_page(&run, Decision::Approve).await;
    let mut none_ticked = page_form.clone();
    let mut all_kept = page_form.clone();
    for n in ["0", "1", "2"] {
        none_ticked.tick("function", n, false);
    }
    for i in 0..9 {
        all_kept.tick("keep", &i.to_string(), true);
    }

    for form in [none_ticked, all_kept] {
        let page = submit(&run, Decision::Approve, &form).await;
        assert_eq!((page.status.as_u16(), title(&page)), (400, "No version is selected"), "{}", form.body());
        assert!(page.body.contains("use the reject link"), "{}", page.body);
    }
    assert!(run.decides().is_empty());
}

#[tokio::test]
async fn a_run_that_answers_empty_selection_gets_the_same_page() {
    let run = three_by_three();
    *run.decide_error.lock().unwrap() = Some(|| MessengerError::EmptySelection("this approval selects no candidate".into()));
    let (_, form) = open_page(&run, Decision::Approve).await;

    let page = submit(&run, Decision::Approve, &form).await;

    assert_eq!((page.status.as_u16(), title(&page)), (400, "No version is selected"));
}

#[tokio::test]
async fn a_form_made_for_another_candidate_list_or_naming_boxes_the_run_lacks_is_refused() {
    let run = three_by_three();
    let (_, page_form) = open_page(&run, Decision::Approve).await;
    let edit = |name: &str, from: &str, to: &str| {
        let mut form = page_form.clone();
        form.0.iter_mut().find(|i| i.name == name && i.value == from).unwrap().value = to.into();
        form
    };
    let other_digest = page_form.named("digest")[0].value.replace(|c: char| c.is_ascii_hexdigit(), "0");
    let cases = [edit("digest", &page_form.named("digest")[0].value, &other_digest), edit("function", "2", "3"), edit("function", "2", "x")];
    let mut with_keep = page_form.clone();
    with_keep.tick("keep", "8", true).0.iter_mut().find(|i| i.value == "8").unwrap().value = "9".into();

    for form in cases.iter().chain([&with_keep]) {
        let page = submit(&run, Decision::Approve, form).await;
        assert_eq!((page.status.as_u16(), title(&page)), (400, "The form could not be read"), "{}", form.body());
    }
    assert!(run.decides().is_empty());
}

#[tokio::test]
async fn the_post_reads_the_functions_list_only_in_pages_of_at_most_a_thousand() {
    let run = FakeRun::large(2500, 1);
    let (_, mut form) = open_page(&run, Decision::Approve).await;
    run.page_calls.lock().unwrap().clear();
    form.tick("function", "2499", false);

    let page = submit(&run, Decision::Approve, &form).await;

    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(run.pages(), [("functions", 0, 1000), ("functions", 1000, 1000), ("functions", 2000, 1000)]);
    let payload = &run.decides()[0].2;
    let bits = selection::decode(payload["selection"]["approved_indexes"].as_str().unwrap(), 2500).unwrap();
    assert_eq!(bits.iter().filter(|b| !**b).count(), 1);
    assert!(!bits[2499]);
}

#[tokio::test]
async fn names_with_direction_or_control_characters_are_refused_with_400_before_deciding() {
    let run = three_by_three();
    for decision in [Decision::Approve, Decision::Reject] {
        for name in ["Ana\u{202E}nimdA", "Ana\u{200B}", "Ana\u{0008}Bo"] {
            let (_, mut form) = open_page(&run, decision).await;
            form.type_into("approver", name);

            let page = submit(&run, decision, &form).await;

            assert_eq!((page.status.as_u16(), title(&page)), (400, "This name cannot be recorded"), "{name:?}");
        }
    }
    assert!(run.decides().is_empty());
}

#[tokio::test]
async fn the_name_field_says_the_name_is_recorded_as_typed_not_verified() {
    let run = three_by_three();

    let (page, _) = open_page(&run, Decision::Approve).await;

    assert!(page.body.contains("Name to record with the decision (optional; recorded as you type it, not verified)"));
}

#[tokio::test]
async fn the_same_function_name_in_two_accounts_gets_two_boxes_and_unticking_one_keeps_only_that_account() {
    let place = |account: &str, version: &str| snapstart_proto::v1::ReportRow { account_id: account.into(), region: "us-west-2".into(), ..row("orders", version) };
    // orders in 111… (versions 1, 2) and in 222… (versions 1, 3), listed interleaved.
    let run = FakeRun::waiting(vec![place("111111111111", "1"), place("222222222222", "1"), place("111111111111", "2"), place("222222222222", "3")]);
    let (_, mut form) = open_page(&run, Decision::Approve).await;
    let boxes: Vec<String> = form.named("function").iter().map(|i| i.value.clone()).collect();
    assert_eq!(boxes.len(), 2, "one box per function per account and region: {boxes:?}");

    let unticked = boxes[1].clone();
    form.tick("function", &unticked, false);
    let page = submit(&run, Decision::Approve, &form).await;

    assert_eq!(page.status, 200, "{}", page.body);
    let approved: Vec<(String, String)> = approved_indexes(&run)
        .iter()
        .map(|i| { let r = &run.status.lock().unwrap().candidates[*i as usize]; (r.account_id.clone(), r.version.clone()) })
        .collect();
    let first = vec![("111111111111".to_string(), "1".to_string()), ("111111111111".to_string(), "2".to_string())];
    let second = vec![("222222222222".to_string(), "1".to_string()), ("222222222222".to_string(), "3".to_string())];
    assert!(approved == first || approved == second, "exactly one account's versions are approved, the other's all kept: {approved:?}");
}
