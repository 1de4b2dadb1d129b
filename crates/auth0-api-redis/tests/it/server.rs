//! A throwaway `redis-server` process for one test.
//!
//! It listens on a Unix socket in a directory of its own, not on a TCP port: a path no
//! other process can take between a check and the server's bind, and the same path again
//! after a restart.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// A `redis-server` on a Unix socket, killed (and its directory removed) on drop.
pub(crate) struct RedisServer {
    binary: PathBuf,
    dir: PathBuf,
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
        let mut server = Self {
            binary,
            dir: private_dir(),
            child: None,
        };
        server.restart();
        Some(server)
    }

    fn socket(&self) -> PathBuf {
        self.dir.join("redis.sock")
    }

    /// `redis+unix://{socket}`.
    pub(crate) fn url(&self) -> String {
        format!("redis+unix://{}", self.socket().display())
    }

    /// Kills the server (SIGKILL) and waits for it to exit.
    pub(crate) fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server (again) on the same socket and waits until it answers.
    pub(crate) fn restart(&mut self) {
        self.kill();
        let _ = std::fs::remove_file(self.socket());
        let child = Command::new(&self.binary)
            .args(["--port", "0"])
            .arg("--unixsocket")
            .arg(self.socket())
            .args(["--unixsocketperm", "700"])
            .args(["--save", "", "--appendonly", "no"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", self.binary.display()));
        self.child = Some(child);
        self.wait_ready();
    }

    /// Polls until the server answers `PING`: the process gives no other readiness signal.
    /// The deadline only turns a server that never starts into a failure.
    fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if ping(&self.socket()) {
                return;
            }
            if let Some(Ok(Some(status))) = self.child.as_mut().map(Child::try_wait) {
                panic!("redis-server exited early: {status}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!(
            "redis-server on {} did not become ready",
            self.socket().display()
        );
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A new, empty directory only this server uses.
fn private_dir() -> PathBuf {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    loop {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("auth0-redis-{}-{n}", std::process::id()));
        match std::fs::create_dir(&dir) {
            Ok(()) => return dir,
            // Left over by an earlier process with the same id: take the next name.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => panic!("cannot create {}: {e}", dir.display()),
        }
    }
}

fn ping(socket: &std::path::Path) -> bool {
    let Ok(mut stream) = UnixStream::connect(socket) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
    let mut reply = [0u8; 7];
    stream.write_all(b"PING\r\n").is_ok()
        && stream.read_exact(&mut reply).is_ok()
        && &reply == b"+PONG\r\n"
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
