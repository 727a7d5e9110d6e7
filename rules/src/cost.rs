//! What a version's snapshot cache costs per month.

/// Python/.NET SnapStart cache price per GB-second of configured memory.
pub const SNAPSHOT_CACHE_USD_PER_GB_SECOND: f64 = 0.0000015046;
/// 30 days.
pub const SECONDS_PER_MONTH: f64 = 2_592_000.0;

/// Memory (GB) × 2,592,000 s × $0.0000015046 for Python and .NET runtimes whose snapshot is live
/// (OptimizationStatus On and State Active); 0 otherwise (Java has no cache charge; an unknown
/// state is not assumed live).
pub fn estimated_monthly_cost_usd(runtime: &str, memory_size_mb: u32, optimization_status: &str, state: Option<&str>) -> f64 {
    let billed_runtime = runtime.starts_with("python") || runtime.starts_with("dotnet");
    if !billed_runtime || optimization_status != "On" || state != Some("Active") {
        return 0.0;
    }
    f64::from(memory_size_mb) / 1024.0 * SECONDS_PER_MONTH * SNAPSHOT_CACHE_USD_PER_GB_SECOND
}

/// Rounds to whole cents.
pub fn round_cents(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_live_python_and_dotnet_snapshots_cost_money() {
        let gb = 2_592_000.0 * 0.0000015046;
        let cases = [
            ("python3.12", 1024, "On", Some("Active"), gb),
            ("dotnet8", 512, "On", Some("Active"), gb / 2.0),
            ("java21", 1024, "On", Some("Active"), 0.0),
            ("python3.12", 1024, "Off", Some("Active"), 0.0),
            ("python3.12", 1024, "On", Some("Inactive"), 0.0),
            ("python3.12", 1024, "On", Some("Failed"), 0.0),
            ("python3.12", 1024, "On", None, 0.0),
        ];
        for (runtime, mb, status, state, want) in cases {
            let got = estimated_monthly_cost_usd(runtime, mb, status, state);
            assert!((got - want).abs() < 1e-9, "{runtime} {mb} {status} {state:?}: {got}");
        }
    }

    #[test]
    fn a_gigabyte_costs_about_three_ninety_a_month() {
        assert_eq!(round_cents(estimated_monthly_cost_usd("python3.13", 1024, "On", Some("Active"))), 3.9);
    }
}
