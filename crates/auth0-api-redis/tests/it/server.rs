//! A throwaway `redis-server` process for one test.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A `redis-server` on 127.0.0.1, killed on drop.
pub(crate) struct RedisServer {
    binary: PathBuf,
    port: u16,
    child: Option<Child>,
}

/// Starts a server, or returns from the calling test when none can be started outside CI.
macro_rules! redis_or_skip {
    () => {
        match $crate::server::RedisServer::start() {
            Some(server) => server,
            None => return,
        }
    };
}
pub(crate) use redis_or_skip;

impl RedisServer {
    /// Starts a server on a free port. `None` when no binary is found (outside CI).
    pub(crate) fn start() -> Option<Self> {
        let Some(binary) = find_binary() else {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!(
                    "redis-server not found on PATH; CI=true requires it (apt-get install redis-server)"
                );
            }
            eprintln!(
                "skipping: redis-server not found on PATH (install redis-server to run this test)"
            );
            return None;
        };
        let port = free_port();
        let mut server = Self {
            binary,
            port,
            child: None,
        };
        server.restart();
        Some(server)
    }

    /// `redis://127.0.0.1:{port}/`.
    pub(crate) fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// Kills the server (SIGKILL) and waits for it to exit.
    pub(crate) fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server (again) on the same port and waits until it answers.
    pub(crate) fn restart(&mut self) {
        self.kill();
        let child = Command::new(&self.binary)
            .args(["--port", &self.port.to_string()])
            .args(["--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", self.binary.display()));
        self.child = Some(child);
        self.wait_ready();
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if ping(self.port) {
                return;
            }
            if let Some(Ok(Some(status))) = self.child.as_mut().map(Child::try_wait) {
                panic!("redis-server exited early: {status}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("redis-server on port {} did not become ready", self.port);
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}

fn ping(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
    let mut reply = [0u8; 7];
    stream.write_all(b"PING\r\n").is_ok()
        && stream.read_exact(&mut reply).is_ok()
        && &reply == b"+PONG\r\n"
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("no free port")
}

fn find_binary() -> Option<PathBuf> {
    if let Some(explicit) = std::env::var_os("REDIS_SERVER") {
        return Some(PathBuf::from(explicit));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join("redis-server"))
        .find(|candidate| candidate.is_file())
}
