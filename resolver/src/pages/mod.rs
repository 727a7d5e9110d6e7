//! The resolver's HTML: small, plain pages with inline CSS and no script. Everything that comes
//! from a run, a link or a form is escaped here, in one place.

use snapstart_proto::{
    links::Decision,
    status::{DecisionRecord, RunStatus},
    v1::ReportRow,
};

/// Title of the generic 500 page.
pub const GENERIC_TITLE: &str = "Something went wrong";
/// Body of the generic 500 page (the cause is logged, never shown).
pub const GENERIC_BODY: &str = "The resolver hit an unexpected error. If you had confirmed a decision, open the link again to see whether it was recorded before trying anything else.";

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222;line-height:1.45}\
table{border-collapse:collapse;width:100%;margin:1rem 0}th,td{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;font-size:.9rem}\
th{background:#f3f3f3}.warn{background:#fff3cd;border:1px solid #e0c36b;padding:.6rem}.note{background:#eef5ff;border:1px solid #9bbbe6;padding:.6rem}\
button{font-size:1rem;padding:.5rem 1.2rem;margin-top:1rem}input[type=text]{font-size:1rem;padding:.3rem;width:20rem}code{word-break:break-all}";

/// Escapes text for HTML element content and double-quoted attributes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A whole page around already-escaped `body` HTML.
pub fn layout(title: &str, body: &str) -> String {
    let title = escape(title);
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
<meta name=\"robots\" content=\"noindex\"><title>{title} · snapstart-cleaner</title><style>{STYLE}</style></head>\
<body><h1>{title}</h1>\n{body}\n<p><small>snapstart-cleaner resolver</small></p></body></html>\n"
    )
}

/// A page with a title and one paragraph of plain text.
pub fn message(title: &str, text: &str) -> String {
    layout(title, &format!("<p>{}</p>", escape(text)))
}

/// The 404 page for unknown paths.
pub fn not_found_path() -> String {
    message("Page not found", "This address is not part of the resolver. Use the approve or reject link from the approval email.")
}

/// "approved by ana at 2026-…" — the same words the workflow uses in its rejection message.
pub fn decision_sentence(record: &DecisionRecord) -> String {
    format!(
        "{} by {} at {}",
        if record.approved { "approved" } else { "rejected" },
        record.approver.as_deref().unwrap_or("(anonymous)"),
        record.decided_at
    )
}

fn money(usd: f64) -> String {
    format!("${usd:.2}")
}

fn mode_sentence(dry_run: bool) -> &'static str {
    if dry_run {
        "This run is a DRY RUN: nothing will actually be deleted; the completion email will list what would have been."
    } else {
        "This run is LIVE: the checked versions will be deleted. A deleted version cannot be recovered."
    }
}

fn row_html(row: &ReportRow, checkbox: bool) -> String {
    let id = escape(&format!("{}:{}", row.function_name, row.version));
    let check = if checkbox { format!("<td><input type=\"checkbox\" name=\"versions\" value=\"{id}\" checked aria-label=\"delete {id}\"></td>") } else { String::new() };
    format!(
        "<tr>{check}<td><code>{id}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        row.age_days.map_or("—".into(), |d| format!("{d:.1}")),
        escape(row.version_last_invoked_utc.as_deref().unwrap_or("none recorded")),
        money(row.estimated_monthly_cost_usd),
        escape(&row.reason_flags.join(", ")),
    )
}

fn table(rows: &[ReportRow], checkboxes: bool) -> String {
    let head = if checkboxes { "<th>Delete</th>" } else { "" };
    let body: String = rows.iter().map(|r| row_html(r, checkboxes)).collect();
    format!("<table><thead><tr>{head}<th>Function:version</th><th>Age (days)</th><th>Version last invoked (UTC)</th><th>Est. monthly cost</th><th>Reason flags</th></tr></thead><tbody>{body}</tbody></table>")
}

/// The confirmation page: what confirming will do, the candidates, and the one POST form.
pub fn confirm(decision: Decision, status: &RunStatus, token: &str, csrf: &str) -> String {
    let n = status.candidates.len();
    let saving = status.summary.as_ref().map_or(0.0, |s| s.estimated_monthly_saving_usd);
    let deadline = escape(status.deadline.as_deref().unwrap_or("the approval deadline"));
    let (title, what, button) = match decision {
        Decision::Approve => (
            "Approve deleting unused SnapStart versions?",
            format!("<p class=\"warn\">{}</p><p>Confirming approves deleting the <strong>checked</strong> versions below (all {n} are checked; uncheck any to keep). Estimated saving if all are deleted: <strong>{}</strong> per month.</p>", mode_sentence(status.dry_run), money(saving)),
            "Confirm approval",
        ),
        Decision::Reject => (
            "Reject this cleanup?",
            format!("<p class=\"note\">Confirming rejects the run: <strong>nothing will be deleted</strong>. The {n} candidate versions below stay as they are (estimated cost {} per month).</p>", money(saving)),
            "Confirm rejection",
        ),
    };
    let body = format!(
        "{what}<p>{n} candidate version(s). Decide before <strong>{deadline}</strong>. Nothing happens until you press the button.</p>\
<form method=\"post\" action=\"{action}\">\
<input type=\"hidden\" name=\"token\" value=\"{token}\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
{table}<p><label>Your name (optional, recorded with the decision): <input type=\"text\" name=\"approver\" maxlength=\"200\" autocomplete=\"name\"></label></p>\
<button type=\"submit\">{button}</button></form>",
        action = decision.as_str(),
        token = escape(token),
        csrf = escape(csrf),
        table = table(&status.candidates, decision == Decision::Approve),
    );
    layout(title, &body)
}

fn version_list(versions: &[snapstart_proto::v1::VersionRef]) -> String {
    let items: String = versions.iter().map(|v| format!("<li><code>{}</code></li>", escape(&format!("{}:{}", v.function_name, v.version)))).collect();
    format!("<ul>{items}</ul>")
}

/// The page after the run took the decision: exactly what was recorded.
pub fn accepted(record: &DecisionRecord, dry_run: Option<bool>) -> String {
    let who = escape(&decision_sentence(record));
    let mut body = format!("<p>The run recorded your decision: <strong>{who}</strong>.</p>");
    if record.approved {
        let mode = match dry_run {
            Some(true) => "This is a DRY RUN: nothing will actually be deleted; the completion email lists what would have been.",
            Some(false) => "This run is LIVE: these versions are being deleted now. The completion email reports each outcome.",
            None => "The completion email reports what was deleted (or, for a dry run, what would have been).",
        };
        body += &format!("<p class=\"warn\">{mode}</p><p>{} version(s) approved for deletion:</p>{}", record.approved_versions.len(), version_list(&record.approved_versions));
    } else {
        body += "<p class=\"note\">Nothing will be deleted.</p>";
    }
    if !record.ignored_versions.is_empty() {
        body += &format!("<p>Ignored (not candidates of this run):</p>{}", version_list(&record.ignored_versions));
    }
    layout(if record.approved { "Approval recorded" } else { "Rejection recorded" }, &body)
}
