//! Counters, added to where the work happens. Nothing is recorded until a binary installs a
//! sink; with feature `prometheus`, [`serve`] installs one that exports `/metrics` through the
//! Temporal SDK's Prometheus exporter (whose meter the worker's runtime reports through too).

use std::sync::OnceLock;

/// Where counted values go.
pub trait Sink: Send + Sync {
    /// Adds `value` to the counter `name` with `labels`.
    fn add(&self, name: &'static str, help: &'static str, value: u64, labels: &[(&'static str, &str)]);
}

static SINK: OnceLock<Box<dyn Sink>> = OnceLock::new();

/// Sends every later count to `sink`; only the first call of a process takes effect.
pub fn install(sink: Box<dyn Sink>) {
    let _ = SINK.set(sink);
}

/// Adds `value` to the counter `name` with `labels` (a no-op until a sink is installed).
pub fn add(name: &'static str, help: &'static str, value: u64, labels: &[(&'static str, &str)]) {
    if let Some(sink) = SINK.get() {
        sink.add(name, help, value, labels);
    }
}

#[cfg(feature = "prometheus")]
pub use prometheus::serve;

#[cfg(feature = "prometheus")]
mod prometheus {
    use std::{
        collections::HashMap,
        net::SocketAddr,
        sync::{Arc, Mutex},
    };

    use temporalio_common::telemetry::{
        metrics::{CoreMeter, Counter, MetricKeyValue, MetricParameters, NewAttributes},
        start_prometheus_metric_exporter, PrometheusExporterOptions,
    };

    struct Prometheus {
        meter: Arc<dyn CoreMeter>,
        counters: Mutex<HashMap<&'static str, Counter>>,
    }

    impl super::Sink for Prometheus {
        fn add(&self, name: &'static str, help: &'static str, value: u64, labels: &[(&'static str, &str)]) {
            let counter = {
                let mut counters = self.counters.lock().expect("metrics poisoned");
                counters.entry(name).or_insert_with(|| self.meter.counter(MetricParameters::builder().name(name).description(help).build())).clone()
            };
            let labels: Vec<MetricKeyValue> = labels.iter().map(|(k, v)| MetricKeyValue::new(*k, v.to_string())).collect();
            counter.add(value, &self.meter.new_attributes(NewAttributes::from(labels)));
        }
    }

    /// Serves `/metrics` on `addr` and counts there from now on; returns the meter, for a
    /// Temporal runtime to report its own metrics through.
    pub fn serve(addr: SocketAddr) -> anyhow::Result<Arc<dyn CoreMeter>> {
        let started = start_prometheus_metric_exporter(PrometheusExporterOptions::builder().socket_addr(addr).build())?;
        let meter: Arc<dyn CoreMeter> = started.meter;
        super::install(Box::new(Prometheus { meter: meter.clone(), counters: Mutex::new(HashMap::new()) }));
        tracing::info!(%addr, "Prometheus metrics at /metrics");
        Ok(meter)
    }
}
