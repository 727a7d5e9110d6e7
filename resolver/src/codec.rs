//! The Temporal remote codec endpoint, so the Temporal UI and CLI show every activity payload as
//! JSON: `POST /codec/decode` turns our protobuf payloads into JSON (see
//! [`snapstart_proto::codec`]); `POST /codec/encode` is the identity, since the worker reads
//! JSON input as it is. Decoding needs no secret and no Temporal connection: it only reads the
//! payloads it is sent. Browsers may call it from the origins in `CODEC_CORS_ORIGINS` only.

use std::{sync::Arc, time::Duration};

use axum::{
    body::Bytes,
    extract::{Request, State},
    http::{header, HeaderMap, HeaderValue, StatusCode},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::post,
    Router,
};
use snapstart_proto::codec::wire::Payloads;
use tokio::sync::Semaphore;

/// The largest request body read: Temporal refuses payloads over 2 MB, which is under 2.7 MiB
/// once base64-encoded.
pub const BODY_LIMIT: usize = 4 << 20;
/// Where the Temporal dev server's UI runs, under both names a user may type.
pub const DEFAULT_CORS_ORIGINS: &str = "http://localhost:8233,http://127.0.0.1:8233";
/// Requests decoded at once (a decode is CPU work of up to ~100 MB, off the async threads); the
/// others wait their turn, their body already read, for at most [`TURN_WAIT`].
const TURNS: usize = 2;
/// How long a request waits for its turn before it is answered 503.
const TURN_WAIT: Duration = Duration::from_secs(30);
/// How long a client may take to send its body. It is read before a turn is taken, so a slow
/// sender holds no turn while it trickles.
pub const BODY_DEADLINE: Duration = Duration::from_secs(10);

/// The browser origins allowed to call the codec (`CODEC_CORS_ORIGINS`, comma-separated).
#[derive(Clone, Debug, PartialEq)]
pub struct CorsOrigins(Vec<String>);

impl CorsOrigins {
    /// Reads a comma-separated list of `scheme://host[:port]` origins; empty allows none.
    pub fn parse(list: &str) -> Result<Self, String> {
        let origins = list.split(',').map(str::trim).filter(|o| !o.is_empty()).map(origin).collect::<Result<_, _>>()?;
        Ok(Self(origins))
    }

    fn allowed<'a>(&self, headers: &'a HeaderMap) -> Option<&'a HeaderValue> {
        headers.get(header::ORIGIN).filter(|o| self.0.iter().any(|allowed| o.as_bytes() == allowed.as_bytes()))
    }
}

impl Default for CorsOrigins {
    fn default() -> Self {
        Self::parse(DEFAULT_CORS_ORIGINS).expect("the default origins are origins")
    }
}

/// `raw` as a browser sends it in `Origin` (lower-case host, no default port, no slash).
fn origin(raw: &str) -> Result<String, String> {
    let url = url::Url::parse(raw).map_err(|e| format!("{raw:?} is not an origin: {e}"))?;
    let origin = url.origin().ascii_serialization();
    let bare = matches!(url.path(), "" | "/") && url.query().is_none() && url.fragment().is_none() && url.username().is_empty();
    if !matches!(url.scheme(), "http" | "https") || !bare {
        return Err(format!("{raw:?} is not an origin: write scheme://host[:port], e.g. http://localhost:8233"));
    }
    Ok(origin)
}

#[derive(Clone)]
struct Codec {
    origins: CorsOrigins,
    turns: Arc<Semaphore>,
    turn_wait: Duration,
    body_deadline: Duration,
}

/// `/codec/decode` and `/codec/encode`, with their CORS answers.
pub fn router(origins: CorsOrigins) -> Router {
    router_with(Codec { origins, turns: Arc::new(Semaphore::new(TURNS)), turn_wait: TURN_WAIT, body_deadline: BODY_DEADLINE })
}

fn router_with(codec: Codec) -> Router {
    Router::new()
        .route("/codec/decode", post(decode).options(preflight))
        .route("/codec/encode", post(encode).options(preflight))
        .layer(middleware::from_fn_with_state(codec.clone(), allow_origin))
        .with_state(codec)
}

async fn decode(State(codec): State<Codec>, request: Request) -> Response {
    let namespace = request.headers().get("x-namespace").and_then(|n| n.to_str().ok()).unwrap_or_default().to_string();
    let body = match codec.read_body(request).await {
        Ok(body) => body,
        Err(refused) => return refused,
    };
    tracing::debug!(namespace, bytes = body.len(), "codec decode");
    codec.answer(body, Payloads::decoded).await
}

/// The identity: the worker reads JSON input as it is, so nothing needs encoding.
async fn encode(State(codec): State<Codec>, request: Request) -> Response {
    match codec.read_body(request).await {
        Ok(body) => codec.answer(body, |payloads| payloads).await,
        Err(refused) => refused,
    }
}

impl Codec {
    /// The whole body, within [`BODY_LIMIT`] (413) and the body deadline (408), before any turn
    /// is taken.
    async fn read_body(&self, request: Request) -> Result<Bytes, Response> {
        match tokio::time::timeout(self.body_deadline, axum::body::to_bytes(request.into_body(), BODY_LIMIT)).await {
            Ok(Ok(body)) => Ok(body),
            Ok(Err(_)) => Err((StatusCode::PAYLOAD_TOO_LARGE, "the codec reads at most 4 MiB").into_response()),
            Err(_) => Err((StatusCode::REQUEST_TIMEOUT, "the body did not arrive in time").into_response()),
        }
    }

    /// Waits up to the turn wait for one of [`TURNS`], then reads the payloads, applies `convert`
    /// and writes the answer, off the async threads; 503 when no turn comes.
    async fn answer(&self, body: Bytes, convert: fn(Payloads) -> Payloads) -> Response {
        let Ok(Ok(_turn)) = tokio::time::timeout(self.turn_wait, self.turns.acquire()).await else {
            return (StatusCode::SERVICE_UNAVAILABLE, [(header::RETRY_AFTER, "5")], "the codec is busy; try again in a few seconds").into_response();
        };
        let work = move || serde_json::from_slice::<Payloads>(&body).map(|payloads| serde_json::to_vec(&convert(payloads)));
        match tokio::task::spawn_blocking(work).await {
            Ok(Ok(Ok(json))) => ([(header::CONTENT_TYPE, "application/json")], json).into_response(),
            Ok(Err(malformed)) => {
                // Where, never what: the request's text is neither answered nor logged.
                let at = format!("{:?} error at line {} column {}", malformed.classify(), malformed.line(), malformed.column());
                tracing::info!(error = %at, "malformed codec request");
                let why = format!("malformed codec request: {at}; expected {{\"payloads\": [{{\"metadata\": {{…}}, \"data\": \"<base64>\"}}]}}");
                (StatusCode::BAD_REQUEST, why).into_response()
            }
            Ok(Ok(Err(e))) => failed(&e),
            Err(e) => failed(&e),
        }
    }
}

fn failed(e: &dyn std::error::Error) -> Response {
    tracing::error!(error = %e, "codec request failed");
    (StatusCode::INTERNAL_SERVER_ERROR, "the codec failed; see the resolver's log").into_response()
}

/// Answers a browser's preflight: allowed origins may POST JSON with the headers the UI sends.
async fn preflight(State(codec): State<Codec>, headers: HeaderMap) -> Response {
    if codec.origins.allowed(&headers).is_none() {
        return (StatusCode::FORBIDDEN, "this origin may not call the codec; see CODEC_CORS_ORIGINS").into_response();
    }
    let allow = [
        (header::ACCESS_CONTROL_ALLOW_METHODS, "POST, OPTIONS"),
        (header::ACCESS_CONTROL_ALLOW_HEADERS, "content-type, x-namespace, authorization"),
        (header::ACCESS_CONTROL_MAX_AGE, "600"),
    ];
    (StatusCode::NO_CONTENT, allow).into_response()
}

/// Names an allowed request origin in `Access-Control-Allow-Origin` (never `*`); other origins
/// get no CORS header, so their pages cannot read the answer.
async fn allow_origin(State(codec): State<Codec>, request: Request, next: Next) -> Response {
    let allowed = codec.origins.allowed(request.headers()).cloned();
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.append(header::VARY, HeaderValue::from_static("origin"));
    if let Some(origin) = allowed {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_read_as_browsers_send_them() {
        let origins = CorsOrigins::parse(" http://LOCALHOST:8233/ , https://ui.example.com:443,http://127.0.0.1:8233").unwrap();

        assert_eq!(origins.0, ["http://localhost:8233", "https://ui.example.com", "http://127.0.0.1:8233"]);
        assert_eq!(CorsOrigins::parse("").unwrap().0, Vec::<String>::new());
    }

    fn codec(turns: usize) -> Codec {
        Codec { origins: CorsOrigins::default(), turns: Arc::new(Semaphore::new(turns)), turn_wait: Duration::from_millis(20), body_deadline: Duration::from_millis(200) }
    }

    async fn post_with_turns(turns: usize) -> StatusCode {
        let request = axum::http::Request::post("/codec/decode").body(axum::body::Body::from(r#"{"payloads": []}"#)).unwrap();
        tower::ServiceExt::oneshot(router_with(codec(turns)), request).await.unwrap().status()
    }

    #[tokio::test]
    async fn a_request_that_gets_no_turn_in_time_is_answered_503() {
        assert_eq!(post_with_turns(0).await, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(post_with_turns(1).await, StatusCode::OK);
    }

    #[tokio::test]
    async fn a_slow_body_is_answered_408_and_holds_no_turn_meanwhile() {
        let codec = codec(1);
        let (_sender, never) = tokio::sync::mpsc::channel::<Result<axum::body::Bytes, std::io::Error>>(1);
        let trickle = axum::body::Body::from_stream(tokio_stream_from(never));
        let slow = tower::ServiceExt::oneshot(router_with(codec.clone()), axum::http::Request::post("/codec/decode").body(trickle).unwrap());

        let (slow, _) = tokio::join!(slow, async {
            // While the slow body is pending, its one turn is free for another request.
            let quick = axum::http::Request::post("/codec/decode").body(axum::body::Body::from(r#"{"payloads": []}"#)).unwrap();
            assert_eq!(tower::ServiceExt::oneshot(router_with(codec.clone()), quick).await.unwrap().status(), StatusCode::OK);
        });

        assert_eq!(slow.unwrap().status(), StatusCode::REQUEST_TIMEOUT);
    }

    fn tokio_stream_from<T: Send + 'static>(mut rx: tokio::sync::mpsc::Receiver<T>) -> impl futures::Stream<Item = T> + Send + 'static {
        futures::stream::poll_fn(move |cx| rx.poll_recv(cx))
    }

    #[tokio::test]
    async fn a_malformed_body_is_never_echoed() {
        let secretish = "Z".repeat(64);
        let body = format!(r#"{{"payloads": "{secretish}"}}"#);
        let request = axum::http::Request::post("/codec/decode").body(axum::body::Body::from(body)).unwrap();

        let answer = tower::ServiceExt::oneshot(router_with(codec(1)), request).await.unwrap();

        assert_eq!(answer.status(), StatusCode::BAD_REQUEST);
        let text = String::from_utf8(axum::body::to_bytes(answer.into_body(), 1 << 20).await.unwrap().to_vec()).unwrap();
        assert!(text.starts_with("malformed codec request: Data error at line 1 column"), "{text}");
        assert!(!text.contains("ZZZZ"), "{text}");
    }

    #[test]
    fn anything_but_an_origin_is_refused_naming_it() {
        for bad in ["*", "localhost:8233", "http://localhost:8233/ui", "ftp://host", "http://u@host", "http://host/?q"] {
            let err = CorsOrigins::parse(bad).unwrap_err();
            assert!(err.contains(&format!("{bad:?}")), "{bad}: {err}");
        }
    }
}
