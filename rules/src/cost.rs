//! What a version's SnapStart snapshot cache costs per month, for the savings estimate.
//! Errs low: a cost we cannot establish is reported as zero, never guessed.

/// Python/.NET SnapStart cache price per GB-second of configured memory.
pub const SNAPSHOT_CACHE_USD_PER_GB_SECOND: f64 = 0.0000015046;
/// 30 days.
pub const SECONDS_PER_MONTH: f64 = 2_592_000.0;

/// Memory in GB (MB / 1024) × 2,592,000 s × $0.0000015046, for runtimes whose name starts with
/// `python` or `dotnet` and whose snapshot is live (OptimizationStatus `On` and State
/// `Some("Active")`); 0.0 otherwise: Java has no cache charge, and an unknown state is not
/// assumed live. The full value is returned; use [`round_cents`] for display.
pub fn estimated_monthly_cost_usd(runtime: &str, memory_size_mb: u32, optimization_status: &str, state: Option<&str>) -> f64 {
    let billed_runtime = runtime.starts_with("python") || runtime.starts_with("dotnet");
    if !billed_runtime || optimization_status != "On" || state != Some("Active") {
        return 0.0;
    }
    f64::from(memory_size_mb) / 1024.0 * SECONDS_PER_MONTH * SNAPSHOT_CACHE_USD_PER_GB_SECOND
}

/// Rounds to whole cents (half away from zero).
pub fn round_cents(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    const ONE_GB_MONTH: f64 = 3.899_923_2;

    #[test]
    fn only_live_python_and_dotnet_snapshots_cost_money() {
        let cases = [
            ("python at 1 GB", "python3.12", 1024, "On", Some("Active"), ONE_GB_MONTH),
            ("dotnet at 1 GB", "dotnet8", 1024, "On", Some("Active"), ONE_GB_MONTH),
            ("dotnet at half a GB", "dotnet8", 512, "On", Some("Active"), ONE_GB_MONTH / 2.0),
            ("python at 10 GB", "python3.13", 10_240, "On", Some("Active"), ONE_GB_MONTH * 10.0),
            ("java has no cache charge", "java21", 1024, "On", Some("Active"), 0.0),
            ("optimization off", "python3.12", 1024, "Off", Some("Active"), 0.0),
            ("dotnet optimization off", "dotnet8", 1024, "Off", Some("Active"), 0.0),
            ("inactive snapshot was dropped", "python3.12", 1024, "On", Some("Inactive"), 0.0),
            ("failed state", "python3.12", 1024, "On", Some("Failed"), 0.0),
            ("unknown state", "python3.12", 1024, "On", None, 0.0),
            ("unknown runtime", "nodejs22.x", 1024, "On", Some("Active"), 0.0),
            ("zero memory", "python3.12", 0, "On", Some("Active"), 0.0),
        ];
        for (name, runtime, mb, status, state, want) in cases {
            let got = estimated_monthly_cost_usd(runtime, mb, status, state);
            assert!((got - want).abs() < 1e-9, "{name}: got {got}, want {want}");
        }
    }

    #[test]
    fn a_gigabyte_costs_three_ninety_a_month_unrounded_until_asked() {
        let cost = estimated_monthly_cost_usd("python3.13", 1024, "On", Some("Active"));
        assert!((cost - 3.899_923_2).abs() < 1e-12, "{cost}");
        assert_eq!(round_cents(cost), 3.9);
    }

    #[test]
    fn round_cents_rounds_to_two_decimals() {
        let cases = [(0.0, 0.0), (1.994, 1.99), (1.996, 2.0), (0.125, 0.13)];
        for (x, want) in cases {
            assert_eq!(round_cents(x), want, "{x}");
        }
    }
}
