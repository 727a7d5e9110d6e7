//! What a version's SnapStart snapshot cache costs per month, for the savings estimate.
//! Errs low: a cost we cannot establish is reported as zero, never guessed.
//!
//! AWS bills the cache for every SnapStart version except those on a Java managed runtime:
//! Python, .NET, other runtimes and container images (which have no `Runtime`). The price per
//! GB-second of configured memory differs by region (AWS price list, September 2026; see
//! [`CACHE_PRICES`]).

/// The us-east-1 SnapStart cache price per GB-second of configured memory.
pub const SNAPSHOT_CACHE_USD_PER_GB_SECOND: f64 = 0.0000015046;
/// 30 days.
pub const SECONDS_PER_MONTH: f64 = 2_592_000.0;

/// SnapStart cache prices per GB-second by region, from AWS's published price list (September
/// 2026). A region not listed is priced as us-east-1 and marked approximate.
pub const CACHE_PRICES: &[(&str, f64)] = &[
    ("us-east-1", 0.0000015046),
    ("us-west-2", 0.0000015046),
    ("ap-northeast-1", 0.0000018383),
];

/// A region's cache price, and whether it is only approximate (the region is not in the table).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CachePrice {
    pub usd_per_gb_second: f64,
    pub approximate: bool,
}

/// The cache price in `region`: `given` (`--cache-price-per-gb-second`) when set, else the
/// table's, else us-east-1's, marked approximate.
pub fn cache_price(region: &str, given: Option<f64>) -> CachePrice {
    if let Some(price) = given {
        return CachePrice { usd_per_gb_second: price, approximate: false };
    }
    match CACHE_PRICES.iter().find(|(r, _)| *r == region) {
        Some((_, price)) => CachePrice { usd_per_gb_second: *price, approximate: false },
        None => CachePrice { usd_per_gb_second: SNAPSHOT_CACHE_USD_PER_GB_SECOND, approximate: true },
    }
}

/// Whether a version's snapshot cache is billed: SnapStart on, the snapshot live (State
/// `Active`), and not a Java managed runtime (`java*`). A container image has no runtime and is
/// billed.
pub fn cache_billed(runtime: &str, optimization_status: &str, state: Option<&str>) -> bool {
    !runtime.starts_with("java") && optimization_status == "On" && state == Some("Active")
}

/// Memory in GB (MB / 1024) × 2,592,000 s × the price, for a version whose cache is billed
/// ([`cache_billed`]); 0.0 otherwise (an unknown state is not assumed live). The full value is
/// returned; use [`round_cents`] for display.
pub fn estimated_monthly_cost_usd(runtime: &str, memory_size_mb: u32, optimization_status: &str, state: Option<&str>, usd_per_gb_second: f64) -> f64 {
    if !cache_billed(runtime, optimization_status, state) {
        return 0.0;
    }
    f64::from(memory_size_mb) / 1024.0 * SECONDS_PER_MONTH * usd_per_gb_second
}

/// Rounds to whole cents (half away from zero).
pub fn round_cents(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    const ONE_GB_MONTH: f64 = 3.899_923_2;
    const PRICE: f64 = SNAPSHOT_CACHE_USD_PER_GB_SECOND;

    #[test]
    fn every_live_snapstart_cache_costs_money_but_java_managed_runtimes() {
        let cases = [
            ("python at 1 GB", "python3.12", 1024, "On", Some("Active"), ONE_GB_MONTH),
            ("dotnet at 1 GB", "dotnet8", 1024, "On", Some("Active"), ONE_GB_MONTH),
            ("dotnet at half a GB", "dotnet8", 512, "On", Some("Active"), ONE_GB_MONTH / 2.0),
            ("python at 10 GB", "python3.13", 10_240, "On", Some("Active"), ONE_GB_MONTH * 10.0),
            ("a container image has no runtime and is billed", "", 1024, "On", Some("Active"), ONE_GB_MONTH),
            ("another runtime is billed", "nodejs22.x", 1024, "On", Some("Active"), ONE_GB_MONTH),
            ("java has no cache charge", "java21", 1024, "On", Some("Active"), 0.0),
            ("java 11 neither", "java11", 1024, "On", Some("Active"), 0.0),
            ("optimization off", "python3.12", 1024, "Off", Some("Active"), 0.0),
            ("no SnapStart on an image", "", 1024, "Off", Some("Active"), 0.0),
            ("dotnet optimization off", "dotnet8", 1024, "Off", Some("Active"), 0.0),
            ("inactive snapshot was dropped", "python3.12", 1024, "On", Some("Inactive"), 0.0),
            ("failed state", "python3.12", 1024, "On", Some("Failed"), 0.0),
            ("unknown state", "python3.12", 1024, "On", None, 0.0),
            ("zero memory", "python3.12", 0, "On", Some("Active"), 0.0),
        ];
        for (name, runtime, mb, status, state, want) in cases {
            let got = estimated_monthly_cost_usd(runtime, mb, status, state, PRICE);
            assert!((got - want).abs() < 1e-9, "{name}: got {got}, want {want}");
        }
    }

    #[test]
    fn a_gigabyte_costs_three_ninety_a_month_unrounded_until_asked() {
        let cost = estimated_monthly_cost_usd("python3.13", 1024, "On", Some("Active"), PRICE);
        assert!((cost - 3.899_923_2).abs() < 1e-12, "{cost}");
        assert_eq!(round_cents(cost), 3.9);
    }

    #[test]
    fn the_price_is_the_region_s_the_given_one_or_us_east_1_s_marked_approximate() {
        assert_eq!(cache_price("us-west-2", None), CachePrice { usd_per_gb_second: 0.0000015046, approximate: false });
        assert_eq!(cache_price("ap-northeast-1", None), CachePrice { usd_per_gb_second: 0.0000018383, approximate: false });
        assert_eq!(cache_price("eu-west-1", None), CachePrice { usd_per_gb_second: 0.0000015046, approximate: true });
        assert_eq!(cache_price("eu-west-1", Some(0.000002)), CachePrice { usd_per_gb_second: 0.000002, approximate: false }, "given wins");
        assert_eq!(cache_price("ap-northeast-1", Some(0.000001)).usd_per_gb_second, 0.000001);
        let tokyo = estimated_monthly_cost_usd("python3.12", 1024, "On", Some("Active"), cache_price("ap-northeast-1", None).usd_per_gb_second);
        assert_eq!(round_cents(tokyo), 4.76);
    }

    #[test]
    fn round_cents_rounds_to_two_decimals() {
        let cases = [(0.0, 0.0), (1.994, 1.99), (1.996, 2.0), (0.125, 0.13)];
        for (x, want) in cases {
            assert_eq!(round_cents(x), want, "{x}");
        }
    }
}
