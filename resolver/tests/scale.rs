//! Ten thousand candidates in a thousand functions, through the page and back: read in pages of
//! a thousand, rendered grouped, confirmed with a submission that names no version. Prints the
//! time and the page weight (no timed assertion: machines differ).

mod common;

use std::time::Instant;

use common::*;
use snapstart_proto::links::Decision;

#[tokio::test]
async fn ten_thousand_candidates_render_grouped_and_approve_all_without_naming_a_version() {
    let run = FakeRun::large(1000, 10);

    let started = Instant::now();
    let (page, form) = open_page(&run, Decision::Approve).await;
    let rendered = started.elapsed();
    let body = form.body();
    let started = Instant::now();
    let accepted = submit(&run, Decision::Approve, &form).await;
    let confirmed = started.elapsed();

    eprintln!(
        "10,000 candidates in 1,000 functions: GET /approve {rendered:?}, {} bytes of HTML ({} KiB); approve-all POST {} bytes, {confirmed:?}",
        page.body.len(),
        page.body.len() / 1024,
        body.len()
    );
    assert_eq!(page.body.matches("<details>").count(), 1000, "one collapsed line per function");
    assert_eq!(form.named("function").len(), 1000);
    assert_eq!(form.named("keep").len(), 10_000);
    assert!(page.body.contains("1,000 functions, 10,000 versions, largest saving first"));
    let candidate_pages: Vec<_> = run.pages().into_iter().filter(|(q, ..)| *q == "candidates").collect();
    assert_eq!(candidate_pages, (0..10).map(|i| ("candidates", i * 1000, 1000)).collect::<Vec<_>>());
    assert_eq!(accepted.status, 200, "{}", accepted.body);
    assert!(body.len() < 16 * 1024, "the approve-all submission lists functions, never versions: {} bytes", body.len());
    assert_eq!(approved_indexes(&run).len(), 10_000);
    assert!(run.decides()[0].2.get("selection").is_none());
}

#[tokio::test]
async fn ten_thousand_candidates_minus_one_function_send_a_bitmap_of_under_two_kilobytes() {
    let run = FakeRun::large(1000, 10);
    let (_, mut form) = open_page(&run, Decision::Approve).await;
    form.tick("function", "7", false).tick("keep", "9999", true);

    let started = Instant::now();
    let accepted = submit(&run, Decision::Approve, &form).await;
    eprintln!("subset POST at 10,000 candidates: {:?}", started.elapsed());

    assert_eq!(accepted.status, 200, "{}", accepted.body);
    let payload = &run.decides()[0].2;
    assert!(payload["selection"]["approved_indexes"].as_str().unwrap().len() < 2048);
    let approved = approved_indexes(&run);
    assert_eq!(approved.len(), 10_000 - 10 - 1);
    assert!(!approved.contains(&7) && !approved.contains(&9007) && !approved.contains(&9999));
}
