//! A hand-written HTTP/1.1 server on 127.0.0.1 for what the test issuer cannot do: redirects,
//! resets, trickled and huge bodies. It reads one request head per connection, answers with
//! what the test chose, and counts connections.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// How the server answers every request.
#[derive(Clone, Debug)]
pub enum Reply {
    /// Writes these bytes (a whole response), then closes.
    Raw(Vec<u8>),
    /// `200 OK`, `application/json`, this body.
    Json(String),
    /// `200 OK` with a body of this many bytes (`{"keys":[` followed by spaces), written in
    /// 64 KiB chunks until the client stops reading.
    Huge(usize),
    /// Closes the connection with a TCP reset, without answering.
    Reset,
    /// Sends a valid response one byte per `interval`.
    Trickle(Duration),
}

impl Reply {
    /// A `307` to `location`.
    pub fn redirect(location: &str) -> Self {
        Reply::Raw(
            format!(
                "HTTP/1.1 307 Temporary Redirect\r\nLocation: {location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            )
            .into_bytes(),
        )
    }
}

/// The server; stops when dropped.
pub struct RawServer {
    base: String,
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

/// What the accept loop and the connections share with the test.
struct Shared {
    reply: Mutex<Reply>,
    hits: AtomicUsize,
    /// The most body bytes one connection could write before the client stopped reading.
    sent: AtomicUsize,
}

impl RawServer {
    pub async fn start(reply: Reply) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}/", listener.local_addr().unwrap());
        let shared = Arc::new(Shared {
            reply: Mutex::new(reply),
            hits: AtomicUsize::new(0),
            sent: AtomicUsize::new(0),
        });
        let accepting = Arc::clone(&shared);
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                accepting.hits.fetch_add(1, Ordering::SeqCst);
                let reply = accepting.reply.lock().unwrap().clone();
                tokio::spawn(answer(stream, reply, Arc::clone(&accepting)));
            }
        });
        Self { base, shared, task }
    }

    /// Answers the next connections with `reply`.
    pub fn set_reply(&self, reply: Reply) {
        *self.shared.reply.lock().unwrap() = reply;
    }

    /// The most body bytes of [`Reply::Huge`] one connection wrote.
    pub fn sent(&self) -> usize {
        self.shared.sent.load(Ordering::SeqCst)
    }

    /// `{base}{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path.trim_start_matches('/'))
    }

    /// Connections accepted so far.
    pub fn hits(&self) -> usize {
        self.shared.hits.load(Ordering::SeqCst)
    }
}

impl Drop for RawServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Reads the request head (up to the blank line), then answers.
async fn answer(mut stream: TcpStream, reply: Reply, shared: Arc<Shared>) {
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 64 * 1024 {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    match reply {
        Reply::Raw(bytes) => {
            let _ = stream.write_all(&bytes).await;
            let _ = stream.shutdown().await;
        }
        Reply::Json(body) => {
            let response = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(response.as_bytes()).await;
            let _ = stream.shutdown().await;
        }
        Reply::Huge(len) => {
            // No Content-Length: the client finds out only by reading.
            let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n{\"keys\":[";
            if stream.write_all(head.as_bytes()).await.is_err() {
                return;
            }
            let chunk = vec![b' '; 64 * 1024];
            let mut sent = 0;
            while sent < len {
                if stream.write_all(&chunk).await.is_err() {
                    return;
                }
                sent += chunk.len();
                shared.sent.fetch_max(sent, Ordering::SeqCst);
            }
        }
        Reply::Reset => {
            // A zero linger makes the close a reset (RST) instead of an orderly FIN, and does
            // not block.
            #[allow(deprecated)]
            let _ = stream.set_linger(Some(Duration::ZERO));
            drop(stream);
        }
        Reply::Trickle(interval) => {
            let body = r#"{"keys":[]}"#;
            let response = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            );
            for byte in response.bytes() {
                if stream.write_all(&[byte]).await.is_err() {
                    return;
                }
                tokio::time::sleep(interval).await;
            }
        }
    }
}
