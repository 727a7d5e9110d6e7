//! The real server on 127.0.0.1:0: a client that trickles its headers is cut off, the server
//! starts and answers probes while Temporal is down, and a Temporal outage is a 503 page within
//! seconds — against the real Temporal messenger, not the fake.

mod common;

use std::{
    net::SocketAddr,
    sync::Arc,
    time::{Duration, Instant},
};

use common::*;
use snapstart_proto::links::Decision;
use snapstart_resolver::{
    serve,
    temporal::{TemporalArgs, TemporalMessenger, Timeouts},
    AppState, Limits,
};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
    sync::oneshot,
};

/// Serves `state` on a fresh port; dropping the sender shuts the server down.
async fn start(state: AppState) -> (SocketAddr, oneshot::Sender<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(serve(listener, state, async move {
        let _ = stopped.await;
    }));
    (addr, stop)
}

/// One HTTP/1.1 request on a fresh connection; the whole answer as text.
async fn http_get(addr: SocketAddr, path: &str) -> String {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes()).await.unwrap();
    let mut answer = String::new();
    tokio::time::timeout(Duration::from_secs(20), stream.read_to_string(&mut answer)).await.expect("an answer in time").unwrap();
    answer
}

/// Reads until the server closes the connection; `None` if it is still open after `wait`.
async fn closed_within(stream: &mut TcpStream, wait: Duration) -> Option<Vec<u8>> {
    let mut got = Vec::new();
    match tokio::time::timeout(wait, stream.read_to_end(&mut got)).await {
        Ok(_) => Some(got),
        Err(_) => None,
    }
}

#[tokio::test]
async fn a_client_that_trickles_its_headers_is_cut_off_and_others_are_served() {
    let run = FakeRun::waiting(vec![row("f", "1")]);
    let limits = Limits { header_read_timeout: Duration::from_millis(300), ..Limits::default() };
    let (addr, _stop) = start(state_at(&run, NOW).with_limits(limits)).await;
    let mut slow = TcpStream::connect(addr).await.unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n").await.unwrap();
    let started = Instant::now();

    let served = http_get(addr, "/healthz").await;
    let cut = closed_within(&mut slow, Duration::from_secs(5)).await;

    assert!(served.starts_with("HTTP/1.1 200"), "{served}");
    let cut = cut.expect("the trickling client is still connected after 5 s");
    assert!(!String::from_utf8_lossy(&cut).contains("200 OK"), "the half-sent request was never answered");
    assert!(started.elapsed() < Duration::from_secs(3), "cut off after {:?}", started.elapsed());
}

#[tokio::test]
async fn the_server_shuts_down_gracefully_when_asked() {
    let run = FakeRun::waiting(vec![]);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(serve(listener, state_at(&run, NOW), async move {
        let _ = stopped.await;
    }));
    assert!(http_get(addr, "/healthz").await.starts_with("HTTP/1.1 200"));

    stop.send(()).unwrap();

    tokio::time::timeout(Duration::from_secs(5), server).await.expect("stopped in time").unwrap().unwrap();
    assert!(TcpStream::connect(addr).await.is_err(), "no longer listening");
}

/// A port nothing listens on.
async fn closed_port() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap()
}

/// A port that accepts connections and never says a word (a hung or firewalled Temporal).
async fn silent_port() -> (SocketAddr, tokio::task::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    (addr, task)
}

fn temporal_state(temporal: SocketAddr) -> AppState {
    let args = TemporalArgs { address: Some(temporal.to_string()), namespace: None };
    let timeouts = Timeouts { connect: Duration::from_millis(500), ..Timeouts::default() };
    let messenger = Arc::new(TemporalMessenger::new(args).with_timeouts(timeouts));
    AppState::new(messenger, secret(), url::Url::parse(PUBLIC_URL).unwrap()).with_clock(|| NOW)
}

#[tokio::test]
async fn with_temporal_down_or_silent_probes_pass_and_links_get_a_503_within_seconds() {
    let (silent, _held) = silent_port().await;
    for temporal in [closed_port().await, silent] {
        let (addr, _stop) = start(temporal_state(temporal)).await;
        let started = Instant::now();

        let probe = http_get(addr, "/healthz").await;
        let page = http_get(addr, &link(Decision::Approve, &token(Decision::Approve))).await;

        assert!(probe.starts_with("HTTP/1.1 200"), "{temporal}: {probe}");
        assert!(page.starts_with("HTTP/1.1 503"), "{temporal}: {page}");
        assert!(page.contains("The cleanup service cannot be reached"), "{temporal}: {page}");
        assert!(page.to_ascii_lowercase().contains("retry-after: 60"), "{temporal}: {page}");
        assert!(started.elapsed() < Duration::from_secs(5), "{temporal}: answered after {:?}", started.elapsed());
    }
}
