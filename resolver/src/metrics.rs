//! The resolver's counters: requests by route, method and status, and decisions recorded. They
//! are served on `METRICS_LISTEN` (`/metrics`, a listener of its own; see `snapstart-telemetry`).
//! Without `METRICS_LISTEN` counting costs nothing.

use axum::{extract::Request, middleware::Next, response::Response};

fn add(name: &'static str, help: &'static str, labels: &[(&'static str, &str)]) {
    snapstart_telemetry::metrics::add(name, help, 1, labels);
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
