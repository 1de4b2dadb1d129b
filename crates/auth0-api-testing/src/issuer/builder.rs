//! Configuration of a [`TestIssuer`] before it starts.

use std::sync::{Arc, Mutex};

use tokio::net::TcpListener;

use super::server;
use super::state::{State, lock};
use super::test_issuer::TestIssuer;
use crate::alg::Algorithm;
use crate::clock::TestClock;

/// Builds a [`TestIssuer`]; see [`TestIssuer::builder`].
#[derive(Debug, Clone)]
#[must_use = "call .start().await to run the issuer"]
pub struct TestIssuerBuilder {
    keys: Vec<Algorithm>,
    clock: Option<TestClock>,
    audience: String,
    path: String,
}

impl Default for TestIssuerBuilder {
    fn default() -> Self {
        Self {
            keys: Vec::new(),
            clock: None,
            audience: TestIssuer::DEFAULT_AUDIENCE.to_owned(),
            path: String::new(),
        }
    }
}

impl TestIssuerBuilder {
    /// Adds a published signing key for `alg`. Repeatable; the first key added is the default
    /// signing key. With no key added, the issuer gets one RS256 key.
    pub fn key(mut self, alg: Algorithm) -> Self {
        self.keys.push(alg);
        self
    }

    /// The clock minted tokens read `iat`/`exp` from. Default: [`TestClock::system`].
    pub fn clock(mut self, clock: TestClock) -> Self {
        self.clock = Some(clock);
        self
    }

    /// The default `aud` of minted tokens. Default: `https://api.example.com`.
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = audience.into();
        self
    }

    /// Serves the issuer under a path, e.g. `/tenant-a` gives the issuer
    /// `http://127.0.0.1:PORT/tenant-a/`. Leading and trailing slashes are normalized.
    pub fn path(mut self, path: impl AsRef<str>) -> Self {
        let trimmed = path.as_ref().trim_matches('/');
        self.path = if trimmed.is_empty() {
            String::new()
        } else {
            format!("/{trimmed}")
        };
        self
    }

    /// Binds `127.0.0.1:0`, generates the keys and starts serving on the current Tokio runtime.
    ///
    /// # Panics
    /// If no loopback port can be bound or the current thread is not in a Tokio runtime.
    #[allow(
        clippy::expect_used,
        reason = "a test fixture that cannot bind a loopback port leaves the test nothing to do"
    )]
    pub async fn start(self) -> TestIssuer {
        let listener = TcpListener::bind(("127.0.0.1", 0))
            .await
            .expect("auth0-api-testing: bind 127.0.0.1:0");
        let port = listener
            .local_addr()
            .expect("auth0-api-testing: local address of the listener")
            .port();
        let state = Arc::new(State::new(
            format!("http://127.0.0.1:{port}"),
            self.path,
            self.audience,
            self.clock.unwrap_or_else(TestClock::system),
        ));
        let algs = if self.keys.is_empty() {
            vec![Algorithm::RS256]
        } else {
            self.keys
        };
        for (i, alg) in algs.into_iter().enumerate() {
            let kid = state.add_key(alg, true);
            if i == 0 {
                lock(&state.keys).default_kid = kid;
            }
        }
        let task = tokio::spawn(server::serve(listener, Arc::clone(&state)));
        TestIssuer::from_parts(state, Mutex::new(Some(task)))
    }
}
