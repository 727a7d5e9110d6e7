//! A loopback HTTP server that answers every request with one recorded AWS answer: the wire-level
//! fixtures under `tests/fixtures/aws/` (status line, headers, body, as AWS sends them; lines
//! starting with `#` before the status line cite where the answer comes from). A binary body
//! (CBOR) is written as one line `base64:<bytes>`.

use std::{
    path::PathBuf,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
};

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpListener,
};

/// A server answering with one fixture; stops when dropped.
pub struct Canned {
    pub url: String,
    requests: Arc<AtomicUsize>,
    heads: Arc<std::sync::Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Canned {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The fixture's HTTP answer without its citation lines, with CRLF line ends and a
/// Content-Length that matches the body.
pub fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/aws").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let answer: Vec<&str> = text.lines().skip_while(|l| l.starts_with('#') || l.trim().is_empty()).collect();
    let blank = answer.iter().position(|l| l.is_empty()).unwrap_or(answer.len());
    let (head, body) = answer.split_at(blank);
    let body = body.iter().skip(1).copied().collect::<Vec<_>>().join("\n");
    let body = match body.trim().strip_prefix("base64:") {
        Some(encoded) => base64::Engine::decode(&base64::engine::general_purpose::STANDARD, encoded).expect("base64 body"),
        None => body.into_bytes(),
    };
    let mut out = String::new();
    for line in head.iter().filter(|l| !l.to_ascii_lowercase().starts_with("content-length:")) {
        out.push_str(line);
        out.push_str("\r\n");
    }
    out.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    let mut out = out.into_bytes();
    out.extend(body);
    out
}

impl Canned {
    /// Serves fixture `name` to every request on a free loopback port.
    pub async fn serve(name: &str) -> Self {
        let answer = Arc::new(fixture(name));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(AtomicUsize::new(0));
        let heads = Arc::new(std::sync::Mutex::new(Vec::new()));
        let (counted, seen) = (requests.clone(), heads.clone());
        let task = tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let (answer, counted, seen) = (answer.clone(), counted.clone(), seen.clone());
                tokio::spawn(async move {
                    while let Some(head) = read_request(&mut socket).await {
                        seen.lock().unwrap().push(head);
                        counted.fetch_add(1, Ordering::SeqCst);
                        if socket.write_all(&answer).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        Self { url, requests, heads, task }
    }

    /// The request lines and headers of every request answered so far (lower-cased).
    pub fn heads(&self) -> Vec<String> {
        self.heads.lock().unwrap().clone()
    }

    /// Requests answered so far.
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

/// Reads one request (headers and a Content-Length body) and returns its head, lower-cased;
/// `None` at the end of the connection.
async fn read_request(socket: &mut tokio::net::TcpStream) -> Option<String> {
    let mut seen = Vec::new();
    let mut byte = [0u8; 1];
    while !seen.ends_with(b"\r\n\r\n") {
        match socket.read(&mut byte).await {
            Ok(1) => seen.push(byte[0]),
            _ => return None,
        }
    }
    let head = String::from_utf8_lossy(&seen).to_ascii_lowercase();
    let length = head.lines().find_map(|l| l.strip_prefix("content-length:")).and_then(|v| v.trim().parse::<usize>().ok()).unwrap_or(0);
    let mut body = vec![0u8; length];
    socket.read_exact(&mut body).await.ok().map(|_| head)
}
