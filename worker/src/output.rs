//! Printing a report as a table, JSON or CSV. JSON is exactly the report (`{"summary", "rows"}`).

use std::fmt::Write as _;

use snapstart_proto::v1::{ReportRow, ReportSummary};

/// Output format of `scan` and `start --wait`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Json,
    Csv,
}

/// Renders rows and summary in `format`.
pub fn render(format: Format, summary: &ReportSummary, rows: &[ReportRow]) -> String {
    match format {
        Format::Json => {
            let report = serde_json::json!({ "summary": summary, "rows": rows });
            serde_json::to_string_pretty(&report).expect("a report always serialises") + "\n"
        }
        Format::Csv => csv(rows),
        Format::Table => table(summary, rows),
    }
}

const CSV_HEADER: &[&str] = &[
    "function_name", "version", "runtime", "memory_size_mb", "state", "state_reason_code",
    "snapstart_optimization_status", "last_modified", "age_days", "is_among_keep_last_n",
    "version_last_invoked_utc", "function_level_last_invoked_utc", "aliases", "event_source_mappings",
    "protected_by_alias", "stage_a_pass", "stage_b_pass", "candidate_for_deletion", "reason_flags",
    "estimated_monthly_cost_usd", "failed_checks", "account_id", "region",
];

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn csv(rows: &[ReportRow]) -> String {
    let mut out = CSV_HEADER.join(",") + "\n";
    for r in rows {
        let failed: Vec<String> = r.failed_checks.iter().map(|c| format!("{}: {}", c.check, c.error)).collect();
        let fields = [
            r.function_name.clone(), r.version.clone(), r.runtime.clone(), r.memory_size_mb.to_string(),
            r.state.clone(), r.state_reason_code.clone(), r.snapstart_optimization_status.clone(),
            r.last_modified.clone(), r.age_days.map(|a| a.to_string()).unwrap_or_default(),
            r.is_among_keep_last_n.to_string(), r.version_last_invoked_utc.clone().unwrap_or_default(),
            r.function_level_last_invoked_utc.clone().unwrap_or_default(), r.aliases.join(";"),
            r.event_source_mappings.join(";"), r.protected_by_alias.to_string(), r.stage_a_pass.to_string(),
            r.stage_b_pass.to_string(), r.candidate_for_deletion.to_string(), r.reason_flags.join(";"),
            format!("{:.2}", r.estimated_monthly_cost_usd), failed.join("; "), r.account_id.clone(), r.region.clone(),
        ];
        let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        out += &(line.join(",") + "\n");
    }
    out
}

fn table(summary: &ReportSummary, rows: &[ReportRow]) -> String {
    let mut out = String::new();
    // Several accounts or regions: each row says where it is.
    let placed = summary.targets.len() > 1;
    let place = |account: &str, region: &str| if placed { format!("{account:<12} {region:<14} ") } else { String::new() };
    let _ = writeln!(
        out,
        "{}{:<32} {:>4} {:<10} {:>7} {:<9} {:<20} {:>8}  FLAGS",
        place("ACCOUNT", "REGION"),
        "FUNCTION",
        "VER",
        "STATE",
        "AGE(d)",
        "CANDIDATE",
        "LAST INVOKED",
        "$/MONTH"
    );
    for r in rows {
        let age = r.age_days.map(|a| format!("{a:.1}")).unwrap_or_else(|| "?".into());
        let _ = writeln!(
            out,
            "{}{:<32} {:>4} {:<10} {:>7} {:<9} {:<20} {:>8.2}  {}",
            place(&r.account_id, &r.region),
            r.function_name,
            r.version,
            r.state,
            age,
            if r.candidate_for_deletion { "yes" } else { "no" },
            r.version_last_invoked_utc.as_deref().unwrap_or("-"),
            r.estimated_monthly_cost_usd,
            r.reason_flags.join(","),
        );
        for c in &r.failed_checks {
            let _ = writeln!(out, "{:<32}      check {} failed: {}", "", c.check, c.error);
        }
    }
    let _ = writeln!(
        out,
        "\n{} SnapStart versions in {} functions ({}): stage A pass {}, stage B pass {}, alias-protected {}, check failed {}",
        summary.snapstart_versions, summary.functions_scanned, summary.region, summary.stage_a_pass, summary.stage_b_pass,
        summary.alias_protected, summary.check_failed
    );
    let states: Vec<String> = summary.state_counts.iter().map(|(k, v)| format!("{k} {v}")).collect();
    let _ = writeln!(out, "states: {}", states.join(", "));
    let _ = writeln!(
        out,
        "candidates for deletion: {}; estimated saving ${:.2}/month",
        summary.candidates, summary.estimated_monthly_saving_usd
    );
    for line in snapstart_proto::status::target_lines(summary) {
        let _ = writeln!(out, "  {line}");
    }
    out
}
