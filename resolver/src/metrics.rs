//! Prometheus metrics on `METRICS_LISTEN` (`/metrics`, a listener of its own): requests by route,
//! method and status, and decisions recorded. Without `METRICS_LISTEN` counting costs nothing.

use std::{
    collections::HashMap,
    net::SocketAddr,
    sync::{Arc, Mutex, OnceLock},
};

use axum::{extract::Request, middleware::Next, response::Response};
use temporalio_common::telemetry::{
    metrics::{CoreMeter, Counter, MetricKeyValue, MetricParameters, NewAttributes},
    start_prometheus_metric_exporter, PrometheusExporterOptions,
};

struct Registry {
    meter: Arc<dyn CoreMeter>,
    counters: Mutex<HashMap<&'static str, Counter>>,
}

static REGISTRY: OnceLock<Registry> = OnceLock::new();

/// Serves `/metrics` on `addr`.
pub fn serve(addr: SocketAddr) -> anyhow::Result<()> {
    let started = start_prometheus_metric_exporter(PrometheusExporterOptions::builder().socket_addr(addr).build())?;
    let _ = REGISTRY.set(Registry { meter: started.meter, counters: Mutex::new(HashMap::new()) });
    tracing::info!(%addr, "Prometheus metrics at /metrics");
    Ok(())
}

fn add(name: &'static str, help: &'static str, labels: &[(&'static str, &str)]) {
    let Some(registry) = REGISTRY.get() else { return };
    let counter = {
        let mut counters = registry.counters.lock().expect("metrics poisoned");
        counters.entry(name).or_insert_with(|| registry.meter.counter(MetricParameters::builder().name(name).description(help).build())).clone()
    };
    let labels: Vec<MetricKeyValue> = labels.iter().map(|(k, v)| MetricKeyValue::new(*k, v.to_string())).collect();
    counter.add(1, &registry.meter.new_attributes(NewAttributes::from(labels)));
}

/// The routes we name; anything else (scanners, typos) is `other`, so labels stay few.
fn route(path: &str) -> &'static str {
    match path {
        "/approve" => "/approve",
        "/reject" => "/reject",
        "/healthz" => "/healthz",
        p if p.starts_with("/codec") => "/codec",
        _ => "other",
    }
}

/// The methods we name; any other (a scanner's made-up one) is `other`, so a request cannot
/// create a series of its own.
fn method(method: &axum::http::Method) -> &'static str {
    use axum::http::Method;
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        _ => "other",
    }
}

/// Counts every response by route, method and status.
pub async fn track(request: Request, next: Next) -> Response {
    let (path, method) = (route(request.uri().path()), method(request.method()));
    let response = next.run(request).await;
    add(
        "snapstart_resolver_requests_total",
        "Requests by route, method and status",
        &[("route", path), ("method", method), ("status", response.status().as_str())],
    );
    response
}

/// A decision the run recorded through this resolver.
pub fn decision(decision: &str) {
    add("snapstart_decisions_total", "Decisions recorded through the confirm page, by decision", &[("decision", decision)]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_take_a_fixed_set_of_values() {
        let made_up = axum::http::Method::from_bytes(b"FOO123").unwrap();
        assert_eq!(method(&made_up), "other");
        assert_eq!(method(&axum::http::Method::POST), "POST");
        assert_eq!(route("/approve"), "/approve");
        assert_eq!(route("/wp-login.php"), "other");
    }
}
