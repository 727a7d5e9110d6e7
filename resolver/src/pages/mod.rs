//! The resolver's HTML: small, plain pages with inline CSS and no script. Everything that comes
//! from a run, a link or a form is escaped in these files (`escape`), nowhere else. The confirm
//! pages are in `confirm.rs`; what a decision or an expired link shows is in `outcome.rs`.

mod confirm;
mod outcome;

pub use confirm::{approve, reject};
pub use outcome::{accepted, expired_text};

/// Title of the generic 500 page.
pub const GENERIC_TITLE: &str = "Something went wrong";
/// Body of the generic 500 page (the cause is logged, never shown).
pub const GENERIC_BODY: &str = "The resolver hit an unexpected error. If you had confirmed a decision, open the link again to see whether it was recorded before trying anything else.";

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222;line-height:1.45}\
table{border-collapse:collapse;width:100%;margin:1rem 0}th,td{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;font-size:.9rem}\
th{background:#f3f3f3}.warn{background:#fff3cd;border:1px solid #e0c36b;padding:.6rem}.note{background:#eef5ff;border:1px solid #9bbbe6;padding:.6rem}\
button{font-size:1rem;padding:.5rem 1.2rem;margin:.5rem 0}input[type=text]{font-size:1rem;padding:.3rem;width:20rem}code{word-break:break-all}\
details{margin:.15rem 0}summary{cursor:pointer}details ul{margin:.2rem 0 .6rem 2.5rem;padding:0;font-size:.9rem}details li{list-style:none}.dim{color:#666}";

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

/// Dollars with cents and thousands separators: `$1,234.50`.
pub fn money(usd: f64) -> String {
    let cents = format!("{usd:.2}");
    let (whole, frac) = cents.split_once('.').unwrap_or((&cents, "00"));
    format!("${}.{frac}", thousands(whole))
}

/// An integer with thousands separators: `10,000`.
pub fn count(n: impl Into<u64>) -> String {
    thousands(&n.into().to_string())
}

fn thousands(digits: &str) -> String {
    let (sign, digits) = digits.strip_prefix('-').map_or(("", digits), |d| ("-", d));
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    format!("{sign}{out}")
}

/// What deleting means in this run, in one sentence.
pub fn mode_sentence(dry_run: bool) -> &'static str {
    if dry_run {
        "This run is a DRY RUN: nothing will actually be deleted; the completion email will list what would have been."
    } else {
        "This run is LIVE: the approved versions will be deleted. A deleted version cannot be recovered."
    }
}

/// The confirm form's field names: the page renders them, `selection.rs` reads them.
pub mod fields {
    /// Hidden: the `candidates_digest` of the list the page showed.
    pub const DIGEST: &str = "digest";
    /// A ticked function: its number in the run's function list.
    pub const FUNCTION: &str = "function";
    /// A version to keep: its candidate index.
    pub const KEEP: &str = "keep";
    /// A version to approve by name, `function:version` or `account:region:function:version`
    /// (scripts, the earlier page).
    pub const VERSIONS: &str = "versions";
    /// The name the approver typed.
    pub const APPROVER: &str = "approver";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_and_counts_get_thousands_separators() {
        assert_eq!(money(0.0), "$0.00");
        assert_eq!(money(12.5), "$12.50");
        assert_eq!(money(39_000.0), "$39,000.00");
        assert_eq!(money(1_234_567.891), "$1,234,567.89");
        assert_eq!(count(999u32), "999");
        assert_eq!(count(10_000u32), "10,000");
    }

    #[test]
    fn escape_covers_every_character_that_can_break_out_of_text_or_an_attribute() {
        assert_eq!(escape(r#"<a href="x" onclick='y'>&</a>"#), "&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;");
    }
}
