//! The confirmation pages a link opens. Approve lists the candidates grouped by function, largest
//! saving first: one ticked box per function (untick to keep all its versions) that opens to its
//! versions, each with an unticked "keep" box. Unticked boxes submit nothing, so approving
//! everything sends only the function numbers, never the versions. Reject needs no list.

use std::fmt::Write;

use snapstart_proto::status::{code_storage_phrase, target_lines, undo_phrase, CandidateItem, FunctionGroup, RunStatus};

use super::{count, escape, fields, layout, mode_sentence, money};
use crate::listing::Listing;

/// Runs with at most this many candidates show every function opened.
const OPEN_UP_TO: u32 = 50;

/// The approve page: summary, counts, the grouped list and the one POST form.
pub fn approve(status: &RunStatus, listing: &Listing, token: &str, csrf: &str) -> String {
    let (n, m) = (status.candidates_total, listing.functions.len());
    let lead = format!(
        "<p class=\"warn\">{}</p><p class=\"{}\">{}</p><p>Confirming approves deleting the versions of every ticked function except those marked <em>keep</em>. All <strong>{}</strong> candidate versions in \
<strong>{}</strong> functions are ticked: untick a function to keep all its versions, or open it and tick <em>keep</em> on single versions. {}</p>",
        mode_sentence(status.dry_run),
        if status.archive_uri.is_empty() && !status.dry_run { "warn" } else { "note" },
        escape(&undo_phrase(status.dry_run, &status.archive_uri)),
        count(n),
        count(m as u32),
        worth(status),
    );
    let list = format!(
        "<p class=\"dim\">{} functions, {} versions, largest saving first. Open a function to see its versions, each with its age in days and the date of its last invocation (UTC; — when none was recorded).</p>{}",
        count(m as u32),
        count(n),
        groups_html(listing, n <= OPEN_UP_TO)
    );
    let hidden = format!("<input type=\"hidden\" name=\"{}\" value=\"{}\">", fields::DIGEST, escape(&status.candidates_digest));
    let body = format!("{lead}{}{}", summary_html(status), form("approve", token, csrf, &hidden, &list, "Confirm approval"));
    let title = if every_version(status) { "Approve deleting unused versions?" } else { "Approve deleting unused SnapStart versions?" };
    layout(title, &body)
}

fn every_version(status: &RunStatus) -> bool {
    status.summary.as_ref().and_then(|s| s.settings.as_ref()).is_some_and(|s| s.covers_every_version())
}

/// What deleting everything is worth: code storage first for a run over every version (that is
/// why it runs), the cache saving first otherwise.
fn worth(status: &RunStatus) -> String {
    let storage = escape(&status.summary.as_ref().map(code_storage_phrase).unwrap_or_default());
    match every_version(status) {
        true => format!("Deleting all <strong>{storage}</strong>; the estimated SnapStart cache saving is {} per month.", money(saving(status))),
        false => format!("Estimated saving if all are deleted: <strong>{}</strong> per month; deleting all {storage}.", money(saving(status))),
    }
}

/// The reject page: what rejecting means, the summary and the one POST form.
pub fn reject(status: &RunStatus, token: &str, csrf: &str) -> String {
    let lead = format!(
        "<p class=\"note\">Confirming rejects the run: <strong>nothing will be deleted</strong>. The {} candidate versions stay as they are (estimated cost {} per month).</p>",
        count(status.candidates_total),
        money(saving(status))
    );
    let body = format!("{lead}{}{}", summary_html(status), form("reject", token, csrf, "", "", "Confirm rejection"));
    layout("Reject this cleanup?", &body)
}

fn saving(status: &RunStatus) -> f64 {
    status.summary.as_ref().map_or(0.0, |s| s.estimated_monthly_saving_usd)
}

/// Region, scan time and the stage counts, from the status query.
fn summary_html(status: &RunStatus) -> String {
    let deadline = escape(status.deadline.as_deref().unwrap_or("the approval deadline"));
    let mut out = String::from("<p>");
    if let Some(s) = &status.summary {
        let _ = write!(
            out,
            "Region <code>{}</code>{}: {} functions, {} SnapStart versions, {} past the age and keep-last-N checks, {} unused (candidates); {} kept for an alias, {} not fully checked (kept). ",
            escape(&s.region),
            if s.scanned_at.is_empty() { String::new() } else { format!(", scanned {}", escape(&s.scanned_at)) },
            count(s.functions_scanned),
            count(s.snapstart_versions),
            count(s.stage_a_pass),
            count(s.candidates),
            count(s.alias_protected),
            count(s.check_failed)
        );
    }
    let _ = write!(out, "Decide before <strong>{deadline}</strong>. Nothing happens until you press the button.</p>");
    let targets = status.summary.as_ref().map(target_lines).unwrap_or_default();
    if !targets.is_empty() {
        let items: String = targets.iter().map(|l| format!("<li>{}</li>", escape(l))).collect();
        let _ = write!(out, "<p>By account and region (one approval covers them all):</p><ul>{items}</ul>");
    }
    out
}

/// The POST form: link and CSRF tokens, `extra` hidden fields, the name, `list`, the button
/// (before and after a long list).
fn form(action: &str, token: &str, csrf: &str, extra: &str, list: &str, button: &str) -> String {
    let button = format!("<button type=\"submit\">{button}</button>");
    let after = if list.is_empty() { String::new() } else { format!("{list}{button}") };
    format!(
        "<form method=\"post\" action=\"{action}\"><input type=\"hidden\" name=\"token\" value=\"{}\"><input type=\"hidden\" name=\"csrf\" value=\"{}\">{extra}\
<p><label>Name to record with the decision (optional; recorded as you type it, not verified): <input type=\"text\" name=\"{}\" maxlength=\"200\" autocomplete=\"name\"></label></p>{button}{after}</form>",
        escape(token),
        escape(csrf),
        fields::APPROVER,
    )
}

/// Every function, largest saving first (then by name); its box carries its number in the
/// run's function list.
fn groups_html(listing: &Listing, open: bool) -> String {
    let mut order: Vec<(usize, &FunctionGroup)> = listing.functions.iter().enumerate().collect();
    order.sort_by(|(_, a), (_, b)| b.estimated_monthly_saving_usd.total_cmp(&a.estimated_monthly_saving_usd).then_with(|| a.function_name.cmp(&b.function_name)));
    let mut out = String::with_capacity(listing.items.len() * 120 + listing.functions.len() * 200);
    for (number, group) in order {
        group_html(&mut out, number, group, &listing.items, open);
    }
    out
}

fn group_html(out: &mut String, number: usize, group: &FunctionGroup, items: &[CandidateItem], open: bool) {
    let versions: Vec<&CandidateItem> = group.indexes.iter().filter_map(|i| items.get(*i as usize)).collect();
    let shared = shared_traits(&versions);
    let _ = write!(
        out,
        "<details{}><summary><label><input type=\"checkbox\" name=\"{}\" value=\"{number}\" checked> {}<code>{}</code></label> {} version{}, {}/month{}</summary><ul>",
        if open { " open" } else { "" },
        fields::FUNCTION,
        place_html(group),
        escape(&group.function_name),
        count(group.candidates),
        if group.candidates == 1 { "" } else { "s" },
        money(group.estimated_monthly_saving_usd),
        shared.as_deref().map(|s| format!(" <span class=\"dim\">(each {s})</span>")).unwrap_or_default(),
    );
    for item in versions {
        version_html(out, item, shared.is_none());
    }
    out.push_str("</ul></details>");
}

/// "account region" before a function's name, in runs that know where their rows live.
fn place_html(group: &FunctionGroup) -> String {
    match group.account_id.is_empty() && group.region.is_empty() {
        true => String::new(),
        false => format!("<span class=\"dim\">{} {}</span> ", escape(&group.account_id), escape(&group.region)),
    }
}

/// Runtime, memory and cost, when every version of a function has the same (the usual case):
/// said once on the function's line instead of on each version's.
fn shared_traits(versions: &[&CandidateItem]) -> Option<String> {
    let first = versions.first()?;
    let same = versions.iter().all(|v| v.runtime == first.runtime && v.memory_size_mb == first.memory_size_mb && v.estimated_monthly_cost_usd == first.estimated_monthly_cost_usd);
    same.then(|| traits(first))
}

fn traits(item: &CandidateItem) -> String {
    format!("{}, {} MB, {}", escape(&item.runtime), item.memory_size_mb, money(item.estimated_monthly_cost_usd))
}

/// One version, tersely (the legend above the list names the columns; `</li>` may be omitted):
/// at 10,000 versions every byte here is 10 kB of page.
fn version_html(out: &mut String, item: &CandidateItem, with_traits: bool) {
    let last = item.version_last_invoked_utc.as_deref().map_or("—", |t| t.get(..10).filter(|_| t.len() >= 10).unwrap_or(t));
    let _ = write!(
        out,
        "<li><label><input type=checkbox name={} value={}> keep {}</label> {} d, last {}",
        fields::KEEP,
        item.index,
        escape(&item.version),
        item.age_days.map_or("—".into(), |d| format!("{d:.1}")),
        escape(last),
    );
    if with_traits {
        let _ = write!(out, ", {}", traits(item));
    }
}
