//! Prometheus metrics on `METRICS_LISTEN` (`/metrics`): the Temporal SDK's worker metrics
//! (prefixed `snapstart_`) and ours, counted where the work happens. Without `METRICS_LISTEN`
//! nothing is exported and counting costs nothing.

use std::{
    collections::HashMap,
    net::SocketAddr,
    sync::{Arc, Mutex, OnceLock},
};

use temporalio_common::telemetry::{
    metrics::{CoreMeter, Counter, MetricKeyValue, MetricParameters, NewAttributes},
    start_prometheus_metric_exporter, PrometheusExporterOptions,
};

struct Registry {
    meter: Arc<dyn CoreMeter>,
    counters: Mutex<HashMap<&'static str, Counter>>,
}

static REGISTRY: OnceLock<Registry> = OnceLock::new();

/// Serves `/metrics` on `addr`; returns the meter the Temporal runtime reports through.
pub fn serve(addr: SocketAddr) -> anyhow::Result<Arc<dyn CoreMeter>> {
    let started = start_prometheus_metric_exporter(PrometheusExporterOptions::builder().socket_addr(addr).build())?;
    let meter: Arc<dyn CoreMeter> = started.meter;
    let _ = REGISTRY.set(Registry { meter: meter.clone(), counters: Mutex::new(HashMap::new()) });
    tracing::info!(%addr, "Prometheus metrics at /metrics");
    Ok(meter)
}

/// Adds `value` to the counter `name` with `labels` (a no-op without `METRICS_LISTEN`).
pub fn add(name: &'static str, help: &'static str, value: u64, labels: &[(&'static str, &str)]) {
    let Some(registry) = REGISTRY.get() else { return };
    let counter = {
        let mut counters = registry.counters.lock().expect("metrics poisoned");
        counters.entry(name).or_insert_with(|| registry.meter.counter(MetricParameters::builder().name(name).description(help).build())).clone()
    };
    let labels: Vec<MetricKeyValue> = labels.iter().map(|(k, v)| MetricKeyValue::new(*k, v.to_string())).collect();
    counter.add(value, &registry.meter.new_attributes(NewAttributes::from(labels)));
}

/// A run ended (counted when its completion email went out).
pub fn run_finished(outcome: &str) {
    add("snapstart_runs_total", "Runs by outcome: done, rejected, timed_out, no_candidates", 1, &[("outcome", outcome)]);
}

/// A scan's report was built.
pub fn scanned(versions: usize, candidates: usize) {
    add("snapstart_versions_scanned_total", "SnapStart versions classified", versions as u64, &[]);
    add("snapstart_candidates_total", "Versions found to be deletion candidates", candidates as u64, &[]);
}

/// Deletion outcomes of approved versions.
pub fn deletions(outcome: &str, n: usize) {
    add("snapstart_deletions_total", "Approved versions by deletion outcome", n as u64, &[("outcome", outcome)]);
}

/// One AWS call attempt (retries included).
pub fn aws_call(operation: &str) {
    add("snapstart_aws_calls_total", "AWS call attempts by operation", 1, &[("operation", operation)]);
}

/// One throttled AWS call attempt.
pub fn aws_throttle(operation: &str) {
    add("snapstart_aws_throttles_total", "Throttled AWS call attempts by operation", 1, &[("operation", operation)]);
}

/// A notification sent (or not) through a channel.
pub fn notification(channel: &str, result: &str) {
    add("snapstart_notifications_total", "Notifications by channel and result (delivered, failed)", 1, &[("channel", channel), ("result", result)]);
}
