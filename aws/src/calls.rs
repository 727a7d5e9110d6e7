//! Counts AWS calls per operation (every attempt), for the report summary and the benchmark,
//! and as the `snapstart_aws_calls_total` and `snapstart_aws_throttles_total` metrics.

use std::{collections::BTreeMap, sync::Mutex};

/// A per-scan tally of AWS calls by operation name.
#[derive(Debug, Default)]
pub struct CallCounter {
    counts: Mutex<BTreeMap<String, u32>>,
    throttled: Mutex<BTreeMap<String, u32>>,
}

impl CallCounter {
    /// Records one attempt of `operation`.
    pub fn record(&self, operation: &str) {
        snapstart_telemetry::metrics::add("snapstart_aws_calls_total", "AWS call attempts by operation", 1, &[("operation", operation)]);
        let mut counts = self.counts.lock().expect("call counter poisoned");
        *counts.entry(operation.to_string()).or_default() += 1;
    }

    /// Records that an attempt of `operation` was throttled.
    pub fn record_throttle(&self, operation: &str) {
        snapstart_telemetry::metrics::add("snapstart_aws_throttles_total", "Throttled AWS call attempts by operation", 1, &[("operation", operation)]);
        let mut throttled = self.throttled.lock().expect("call counter poisoned");
        *throttled.entry(operation.to_string()).or_default() += 1;
    }

    /// The tally so far.
    pub fn snapshot(&self) -> BTreeMap<String, u32> {
        self.counts.lock().expect("call counter poisoned").clone()
    }

    /// Calls and throttled attempts so far, over every operation.
    pub fn totals(&self) -> (u32, u32) {
        let sum = |m: &Mutex<BTreeMap<String, u32>>| m.lock().expect("call counter poisoned").values().sum();
        (sum(&self.counts), sum(&self.throttled))
    }
}
