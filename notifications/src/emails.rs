//! The approval and completion emails, built by pure functions (text and HTML).

use std::{collections::BTreeMap, fmt::Write as _};

use snapstart_proto::{
    status::{code_storage_phrase, target_lines, undo_phrase, DecisionRecord},
    v1::{DeletionResult, ReportRow, ReportSummary},
};

use crate::Message;

/// Candidate rows shown in the approval email; the confirm page shows them all.
pub const MAX_ROWS: usize = 40;
/// Errors listed in the completion email.
pub const MAX_ERRORS: usize = 30;

/// Everything the approval email says.
pub struct ApprovalEmail<'a> {
    pub workflow_id: &'a str,
    pub run_id: &'a str,
    pub summary: &'a ReportSummary,
    pub candidates: &'a [ReportRow],
    pub approve_url: &'a str,
    pub reject_url: &'a str,
    pub deadline: &'a str,
    pub dry_run: bool,
    pub ui_url: &'a str,
    /// Where the full report is (s3://… or a file on the worker), empty when nowhere.
    pub report_location: &'a str,
    /// Where versions are archived before deletion, empty when nowhere.
    pub archive_uri: &'a str,
}

/// Escapes text for HTML.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

fn settings_line(s: &ReportSummary) -> String {
    let st = s.settings.clone().unwrap_or_default();
    format!(
        "min_age_days={} keep_last_n={} lookback_days={} period_seconds={} function_level_fallback={}{}",
        st.min_age_days, st.keep_last_n, st.lookback_days, st.period_seconds, st.function_level_fallback,
        if st.function_name_prefix.is_empty() { String::new() } else { format!(" prefix={}", st.function_name_prefix) }
    )
}

fn states_line(s: &ReportSummary) -> String {
    s.state_counts.iter().map(|(k, v)| format!("{k} {v}")).collect::<Vec<_>>().join(", ")
}

/// "111111111111 eu-west-1 " before a row of a run that knows where its rows live.
fn place(account_id: &str, region: &str) -> String {
    match (account_id, region) {
        ("", "") => String::new(),
        (a, r) => format!("{a} {r} ").trim_start().to_string(),
    }
}

fn row_line(r: &ReportRow) -> String {
    format!(
        "{}{}:{}  age {} d  last invoked {}  ${:.2}/month",
        place(&r.account_id, &r.region),
        r.function_name,
        r.version,
        r.age_days.map(|a| format!("{a:.0}")).unwrap_or_else(|| "?".into()),
        r.version_last_invoked_utc.as_deref().unwrap_or("none seen"),
        r.estimated_monthly_cost_usd
    )
}

/// "Candidates: N; …": what deleting them is worth, code storage first in a run over every
/// version (that is what it is for), the cache saving first otherwise.
fn candidates_line(s: &ReportSummary) -> String {
    match s.settings.as_ref().is_some_and(|st| st.covers_every_version()) {
        true => format!("Candidates: {}; {}; estimated SnapStart cache saving ${:.2}/month{}", s.candidates, code_storage_phrase(s), s.estimated_monthly_saving_usd, approximate(s)),
        false => format!("Candidates: {}; estimated saving ${:.2}/month{}; {}", s.candidates, s.estimated_monthly_saving_usd, approximate(s), code_storage_phrase(s)),
    }
}

/// Said after the saving when some region's cache price is not in the price table.
fn approximate(s: &ReportSummary) -> &'static str {
    if s.price_approximate {
        " (approximate: a region missing from the price table is priced as us-east-1)"
    } else {
        ""
    }
}

/// The approval request.
pub fn approval_email(e: &ApprovalEmail) -> Message {
    let s = e.summary;
    let mode = if e.dry_run { "DRY RUN: nothing will actually be deleted" } else { "LIVE: approved versions will be deleted" };
    let every = s.settings.as_ref().is_some_and(|st| st.covers_every_version());
    let subject = match every {
        true => format!("[snapstart-cleaner] Approve deleting {} versions in {} ({}; saves ${:.2}/month)", s.candidates, s.region, code_storage_phrase(s), s.estimated_monthly_saving_usd),
        false => format!("[snapstart-cleaner] Approve deleting {} SnapStart versions in {} (saves ${:.2}/month)", s.candidates, s.region, s.estimated_monthly_saving_usd),
    };
    let mut text = String::new();
    let undo = undo_phrase(e.dry_run, e.archive_uri);
    let found = match every {
        true => format!("{} unused published versions in {}: deleting them {}", s.candidates, s.region, code_storage_phrase(s)),
        false => format!("{} unused SnapStart versions in {}", s.candidates, s.region),
    };
    let _ = writeln!(text, "snapstart-cleaner found {found}.\n{mode}.\n{undo}\n");
    let _ = writeln!(text, "Settings: {}", settings_line(s));
    let scanned = match every {
        true => format!("{} versions ({} with SnapStart)", s.versions_in_scope, s.snapstart_versions),
        false => format!("{} SnapStart versions", s.snapstart_versions),
    };
    let _ = writeln!(text, "Scanned {scanned} in {} functions; states: {}", s.functions_scanned, states_line(s));
    let _ = writeln!(text, "Stage A pass {}, stage B pass {}, alias-protected {}, check failed {}", s.stage_a_pass, s.stage_b_pass, s.alias_protected, s.check_failed);
    let _ = writeln!(text, "{}\n", candidates_line(s));
    let targets = target_lines(s);
    for line in &targets {
        let _ = writeln!(text, "  {line}");
    }
    if !targets.is_empty() {
        let _ = writeln!(text);
    }
    for r in e.candidates.iter().take(MAX_ROWS) {
        let _ = writeln!(text, "  {}", row_line(r));
    }
    if e.candidates.len() > MAX_ROWS {
        let _ = writeln!(text, "  … and {} more (all listed on the confirm page)", e.candidates.len() - MAX_ROWS);
    }
    let _ = writeln!(text, "\nApprove: {}\nReject:  {}\n", e.approve_url, e.reject_url);
    let _ = writeln!(text, "Each link opens a confirmation page; nothing happens until you confirm there.");
    let _ = writeln!(text, "Decide before {} or the run ends without deleting anything.", e.deadline);
    let _ = writeln!(text, "Workflow {} (run {}): {}", e.workflow_id, e.run_id, e.ui_url);
    if !e.report_location.is_empty() {
        let _ = writeln!(text, "Full report: {}", e.report_location);
    }
    let rows: String = e
        .candidates
        .iter()
        .take(MAX_ROWS)
        .map(|r| format!("<li><code>{}</code></li>", escape(&row_line(r))))
        .collect();
    let html = format!(
        "<html><body style=\"font-family:sans-serif\"><h2>{}</h2><p><b>{}</b></p><p>{}</p><p>Settings: {}<br>States: {}<br>Stage A pass {}, stage B pass {}, alias-protected {}, check failed {}</p>\
         <p>Candidates: <b>{}</b>; estimated saving <b>${:.2}/month</b>; {}</p>{}<ul>{}</ul>{}\
         <p><a href=\"{}\">Approve…</a> &nbsp; <a href=\"{}\">Reject…</a></p><p>Each link opens a confirmation page; nothing happens until you confirm there. Deadline: {}.</p>\
         <p>Workflow <a href=\"{}\">{}</a></p>{}</body></html>",
        escape(&subject), mode, escape(&undo), escape(&settings_line(s)), escape(&states_line(s)), s.stage_a_pass, s.stage_b_pass, s.alias_protected, s.check_failed,
        s.candidates, s.estimated_monthly_saving_usd, escape(&code_storage_phrase(s)), targets_html(&targets), rows,
        if e.candidates.len() > MAX_ROWS { format!("<p>… and {} more</p>", e.candidates.len() - MAX_ROWS) } else { String::new() },
        escape(e.approve_url), escape(e.reject_url), escape(e.deadline), escape(e.ui_url), escape(e.workflow_id),
        if e.report_location.is_empty() { String::new() } else { format!("<p>Full report: <code>{}</code></p>", escape(e.report_location)) }
    );
    Message { subject, text, html, idempotency_key: format!("approval/{}", e.run_id) }
}

fn targets_html(lines: &[String]) -> String {
    match lines.is_empty() {
        true => String::new(),
        false => format!("<p>By account and region:</p><ul>{}</ul>", lines.iter().map(|l| format!("<li>{}</li>", escape(l))).collect::<String>()),
    }
}

/// Everything the completion email says.
pub struct CompletionEmail<'a> {
    pub status: &'a str,
    pub workflow_id: &'a str,
    pub run_id: &'a str,
    pub summary: &'a ReportSummary,
    pub results: &'a [DeletionResult],
    pub dry_run: bool,
    pub decision: Option<&'a DecisionRecord>,
    pub ui_url: &'a str,
    /// Where the deletion results were written (s3://…), empty when nowhere.
    pub report_location: &'a str,
    /// Where versions were archived before deletion, empty when nowhere.
    pub archive_uri: &'a str,
}

/// The summary sent for every outcome.
pub fn completion_email(e: &CompletionEmail) -> Message {
    let mut outcomes: BTreeMap<&str, usize> = BTreeMap::new();
    for r in e.results {
        *outcomes.entry(r.outcome.as_str()).or_default() += 1;
    }
    let headline = match e.status {
        "done" if e.dry_run => "approved; dry run, nothing deleted".to_string(),
        "done" => "approved and deleted".to_string(),
        "rejected" => "rejected; nothing deleted".to_string(),
        "timed_out" => "no decision before the deadline; nothing deleted".to_string(),
        "no_candidates" => "nothing to delete".to_string(),
        other => other.to_string(),
    };
    let subject = format!("[snapstart-cleaner] {} in {}: {}", e.status, e.summary.region, headline);
    let mut text = String::new();
    let _ = writeln!(text, "Run {} ({}): {headline}.", e.workflow_id, e.status);
    let _ = writeln!(text, "Mode: {}", if e.dry_run { "dry run" } else { "live" });
    let _ = writeln!(text, "{}", candidates_line(e.summary));
    if let Some(d) = e.decision {
        let _ = writeln!(
            text,
            "Decision: {} by {} at {} via {}",
            if d.approved { "approved" } else { "rejected" },
            d.approver.as_deref().unwrap_or("(anonymous)"),
            d.decided_at,
            d.decision_source.as_deref().unwrap_or("unspecified")
        );
    }
    for line in target_lines(e.summary) {
        let _ = writeln!(text, "  {line}");
    }
    for (outcome, n) in &outcomes {
        let _ = writeln!(text, "  {outcome}: {n}");
    }
    if e.status == "done" {
        let _ = writeln!(text, "{}", undo_phrase(e.dry_run, e.archive_uri));
    }
    let errors: Vec<&DeletionResult> = e.results.iter().filter(|r| matches!(r.outcome.as_str(), "error" | "skipped_archive_failed")).collect();
    for r in errors.iter().take(MAX_ERRORS) {
        let _ = writeln!(text, "  {} {}{}:{}: {}", r.outcome, place(&r.account_id, &r.region), r.function_name, r.version, r.message);
    }
    if errors.len() > MAX_ERRORS {
        let _ = writeln!(text, "  … and {} more errors", errors.len() - MAX_ERRORS);
    }
    let archived: Vec<&DeletionResult> = e.results.iter().filter(|r| r.outcome == "deleted" && !r.archive_uri.is_empty()).collect();
    if !archived.is_empty() {
        let _ = writeln!(text, "Archives of the deleted versions (restore one with `snapstart-cleaner restore <archive> --apply`):");
    }
    for r in archived.iter().take(MAX_ROWS) {
        let _ = writeln!(text, "  {}{}:{}  {}", place(&r.account_id, &r.region), r.function_name, r.version, r.archive_uri);
    }
    if archived.len() > MAX_ROWS {
        let _ = writeln!(text, "  … and {} more (the deletion results name each archive)", archived.len() - MAX_ROWS);
    }
    if !e.report_location.is_empty() {
        let _ = writeln!(text, "Deletion results: {}", e.report_location);
    }
    let _ = writeln!(text, "Workflow: {}", e.ui_url);
    let html = format!("<html><body style=\"font-family:sans-serif\"><pre>{}</pre></body></html>", escape(&text));
    Message { subject, text, html, idempotency_key: format!("completion/{}", e.run_id) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(n: usize) -> ReportRow {
        ReportRow { function_name: format!("fn<{n}>"), version: n.to_string(), age_days: Some(40.0), estimated_monthly_cost_usd: 3.9, ..Default::default() }
    }

    #[test]
    fn a_run_over_several_accounts_and_regions_says_where_each_row_is_and_which_failed() {
        use snapstart_proto::v1::TargetSummary;
        let scanned = |account: &str, region: &str, candidates: u32| TargetSummary {
            account_id: account.into(), region: region.into(), status: "scanned".into(), candidates,
            reclaimable_code_bytes: 1 << 30, code_storage_limit_bytes: 75 << 30, code_storage_used_bytes: 10 << 30, ..Default::default()
        };
        let failed = TargetSummary { account_id: "222222222222".into(), region: "ap-east-1".into(), status: "failed".into(), error: "could not list functions: UnrecognizedClientException".into(), ..Default::default() };
        let summary = ReportSummary {
            region: "us-west-2, ap-east-1".into(), candidates: 2, targets_failed: 1,
            targets: vec![scanned("111111111111", "us-west-2", 2), failed], ..Default::default()
        };
        let rows = vec![ReportRow { account_id: "111111111111".into(), region: "us-west-2".into(), ..row(1) }];
        let m = approval_email(&ApprovalEmail {
            workflow_id: "wf", run_id: "run", summary: &summary, candidates: &rows, approve_url: "a", reject_url: "b", deadline: "d", dry_run: true, ui_url: "u", report_location: "s3://audit-bucket/r/wf.json", archive_uri: "",
        });

        assert!(m.text.contains("111111111111 us-west-2: 2 candidates, frees 1.0 GB of 75.0 GB (10.0 GB used)"), "{}", m.text);
        assert!(m.text.contains("222222222222 ap-east-1: FAILED, not scanned: could not list functions: UnrecognizedClientException"));
        assert!(m.text.contains("111111111111 us-west-2 fn<1>:1"));
        assert!(m.html.contains("By account and region:"));
        assert!(m.text.contains("Full report: s3://audit-bucket/r/wf.json"));
    }

    #[test]
    fn the_approval_email_lists_forty_rows_links_and_the_deadline() {
        let summary = ReportSummary { region: "us-west-2".into(), candidates: 45, estimated_monthly_saving_usd: 175.5, ..Default::default() };
        let rows: Vec<ReportRow> = (0..45).map(row).collect();
        let m = approval_email(&ApprovalEmail {
            workflow_id: "wf", run_id: "run", summary: &summary, candidates: &rows, approve_url: "http://r/approve?token=a",
            reject_url: "http://r/reject?token=b", deadline: "2026-12-03T00:00:00Z", dry_run: true, ui_url: "http://ui", report_location: "", archive_uri: "",
        });
        assert!(m.subject.len() < 200 && m.subject.contains("45"));
        assert_eq!(m.text.matches("$3.90/month").count(), 40);
        assert!(m.text.contains("and 5 more"));
        for needle in ["http://r/approve?token=a", "http://r/reject?token=b", "2026-12-03T00:00:00Z", "DRY RUN", "$175.50", "wf"] {
            assert!(m.text.contains(needle), "{needle}");
        }
        assert!(m.html.contains("fn&lt;1&gt;") && !m.html.contains("fn<1>"));
    }

    #[test]
    fn the_completion_email_counts_outcomes_and_lists_errors() {
        let summary = ReportSummary { region: "us-west-2".into(), ..Default::default() };
        let results: Vec<DeletionResult> = (0..35)
            .map(|i| DeletionResult { function_name: "f".into(), version: i.to_string(), outcome: "error".into(), message: "boom".into(), ..Default::default() })
            .chain([DeletionResult { outcome: "deleted".into(), ..Default::default() }])
            .collect();
        let decision = DecisionRecord { approved: true, approver: Some("ana".into()), decision_source: Some("email-link".into()), ..Default::default() };
        let m = completion_email(&CompletionEmail {
            status: "done", workflow_id: "wf", run_id: "run", summary: &summary, results: &results, dry_run: false, decision: Some(&decision), ui_url: "u", report_location: "s3://audit-bucket/r/wf.deletions.json", archive_uri: "",
        });
        assert!(m.text.contains("error: 35") && m.text.contains("deleted: 1"));
        assert_eq!(m.text.matches(": boom").count(), 30);
        assert!(m.text.contains("deletions CANNOT be undone"), "a live run without an archive says so plainly");
        assert!(m.text.contains("by ana") && m.text.contains("email-link") && m.text.contains("live"));
        assert!(m.text.contains("Deletion results: s3://audit-bucket/r/wf.deletions.json"));
    }

    #[test]
    fn every_email_says_whether_deletions_can_be_undone_and_the_summary_names_each_archive() {
        let summary = ReportSummary { region: "us-west-2".into(), candidates: 1, ..Default::default() };
        let ask = |dry_run: bool, archive_uri: &str| {
            approval_email(&ApprovalEmail {
                workflow_id: "wf", run_id: "run", summary: &summary, candidates: &[], approve_url: "a", reject_url: "b", deadline: "d", dry_run, ui_url: "u", report_location: "", archive_uri,
            })
        };
        assert!(ask(false, "").text.contains("deletions CANNOT be undone"));
        assert!(ask(false, "").html.contains("deletions CANNOT be undone"));
        assert!(ask(false, "s3://archive/v/").text.contains("archived to s3://archive/v/ before it is deleted"));
        assert!(ask(true, "s3://archive/v/").text.contains("nothing is archived; a live run would archive each version to s3://archive/v/"));
        assert!(ask(true, "").text.contains("could not be undone"));

        let deleted = |v: &str, archive: &str, outcome: &str| DeletionResult { function_name: "f".into(), version: v.into(), outcome: outcome.into(), archive_uri: archive.into(), message: "m".into(), ..Default::default() };
        let results = [deleted("1", "s3://archive/v/1/f/1/", "deleted"), deleted("2", "", "skipped_archive_failed"), deleted("3", "s3://archive/v/1/f/3/", "dry_run_would_delete")];
        let m = completion_email(&CompletionEmail {
            status: "done", workflow_id: "wf", run_id: "run", summary: &summary, results: &results, dry_run: false, decision: None, ui_url: "u", report_location: "", archive_uri: "s3://archive/v/",
        });
        assert!(m.text.contains("f:1  s3://archive/v/1/f/1/"), "{}", m.text);
        assert!(m.text.contains("skipped_archive_failed f:2: m"), "an archive failure is listed with its reason: {}", m.text);
        assert!(!m.text.contains("s3://archive/v/1/f/3/"), "only deleted versions have archives");
        assert!(m.text.contains("archived to s3://archive/v/"));
    }

    #[test]
    fn a_saving_priced_without_the_region_s_own_price_says_it_is_approximate() {
        let ask = |price_approximate: bool| {
            let summary = ReportSummary { region: "eu-south-2".into(), candidates: 1, estimated_monthly_saving_usd: 3.9, price_approximate, ..Default::default() };
            approval_email(&ApprovalEmail {
                workflow_id: "wf", run_id: "run", summary: &summary, candidates: &[], approve_url: "a", reject_url: "b", deadline: "d", dry_run: true, ui_url: "u", report_location: "", archive_uri: "",
            })
            .text
        };
        assert!(ask(true).contains("$3.90/month (approximate: a region missing from the price table is priced as us-east-1)"));
        assert!(!ask(false).contains("approximate"));
    }

    #[test]
    fn a_run_over_every_version_leads_with_the_code_storage_it_frees() {
        use snapstart_proto::v1::ScanSettings;
        let settings = |versions: &str| Some(ScanSettings { versions: versions.into(), ..Default::default() });
        let summary = |versions: &str| ReportSummary {
            region: "us-west-2".into(), candidates: 12, versions_in_scope: 40, snapstart_versions: 10, estimated_monthly_saving_usd: 7.8,
            reclaimable_code_bytes: 3 << 30, settings: settings(versions), ..Default::default()
        };
        let ask = |s: &ReportSummary| approval_email(&ApprovalEmail {
            workflow_id: "wf", run_id: "run", summary: s, candidates: &[], approve_url: "a", reject_url: "b", deadline: "d", dry_run: true, ui_url: "u", report_location: "", archive_uri: "",
        });
        let every = ask(&summary("all"));
        assert_eq!(every.subject, "[snapstart-cleaner] Approve deleting 12 versions in us-west-2 (frees 3.0 GB of code storage; saves $7.80/month)");
        assert!(every.text.starts_with("snapstart-cleaner found 12 unused published versions in us-west-2: deleting them frees 3.0 GB of code storage."), "{}", every.text);
        assert!(every.text.contains("Scanned 40 versions (10 with SnapStart)"));
        let snapstart = ask(&summary("snapstart"));
        assert!(snapstart.subject.contains("12 SnapStart versions") && snapstart.subject.contains("(saves $7.80/month)"));
    }
}
