//! Security headers on every response: nothing cached, indexed, framed or leaked via Referer, and
//! a CSP that allows no script at all and form posts only to this origin.

use axum::{
    http::{header, HeaderName, HeaderValue},
    response::Response,
};

/// The Content-Security-Policy every page carries.
pub const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Adds the security headers to `response` (a `map_response` middleware).
pub async fn add_security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    let set = [
        (header::CACHE_CONTROL, "no-store"),
        (HeaderName::from_static("x-robots-tag"), "noindex"),
        (header::X_FRAME_OPTIONS, "DENY"),
        // Not no-referrer: with it, browsers send `Origin: null` on the form POST, which the
        // origin check must refuse. same-origin still keeps link tokens from leaking off-site.
        (header::REFERRER_POLICY, "same-origin"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::CONTENT_SECURITY_POLICY, CSP),
    ];
    for (name, value) in set {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}
