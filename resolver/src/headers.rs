//! Security headers on every response: nothing cached, indexed, framed or leaked via Referer, a
//! CSP that allows no script at all and form posts only to this origin, and, when the public URL
//! is https, HSTS (never over plain http, where browsers ignore it and it would only mislead).

use axum::{
    extract::State,
    http::{header, HeaderName, HeaderValue},
    response::Response,
};

/// The Content-Security-Policy every page carries.
pub const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The Strict-Transport-Security value sent when the public URL is https: one year.
pub const HSTS: &str = "max-age=31536000";

/// Whether responses carry HSTS: only when the resolver's public URL is https.
#[derive(Debug, Clone, Copy)]
pub struct Hsts(pub bool);

impl Hsts {
    /// HSTS for a resolver reached at `public_url`.
    pub fn for_url(public_url: &url::Url) -> Self {
        Self(public_url.scheme() == "https")
    }
}

/// Adds the security headers to `response` (a `map_response_with_state` middleware).
pub async fn add_security_headers(State(hsts): State<Hsts>, mut response: Response) -> Response {
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
    if hsts.0 {
        headers.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static(HSTS));
    }
    response
}
