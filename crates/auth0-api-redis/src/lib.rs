//! A Redis-backed DPoP replay store for [`auth0_api`], shared by every instance of a fleet.
//!
//! A DPoP proof may be used once. With one server process, the in-memory store of
//! `auth0-api` enforces that; with several instances behind a load balancer, a proof replayed
//! to a *different* instance would be accepted there unless all instances share one store.
//! [`RedisReplayStore`] is that shared store: each proof's `jti` is recorded with
//! `SET key 1 NX PX ttl`, which Redis executes atomically, so exactly one instance accepts it.
//!
//! ```no_run
//! use std::time::Duration;
//! use auth0_api_redis::RedisReplayStore;
//!
//! # async fn run() -> Result<(), auth0_api_redis::ConnectError> {
//! let store = RedisReplayStore::connect("redis://:password@redis.internal:6379/0")
//!     .await?
//!     .prefix("orders-api:dpop:")
//!     .timeout(Duration::from_millis(250));
//! // Give `store` to the verifier builder as its replay store.
//! # drop(store);
//! # Ok(())
//! # }
//! ```
//!
//! # Behaviour
//!
//! - **Fails closed.** When Redis cannot answer within the timeout (default 500 ms), is
//!   unreachable, or answers with an error, `check_and_store` returns an error and the
//!   verifier refuses the request with 503. A proof is never accepted unchecked.
//! - **Recovers by itself.** The connection is re-established in the background once Redis
//!   is reachable again; no restart of the application is needed.
//! - **Keys** are `{prefix}{issuer}:{jkt}:{jti}` (default prefix `auth0:dpop:`), with `%`,
//!   `:` and `#` percent-encoded in each part, and any part longer than 128 bytes replaced by
//!   `#` and its SHA-256 in hex. Each key expires when the proof's `iat` window ends.
//!
//! # Features
//!
//! None.
//!
//! # Security considerations
//!
//! - Configure Redis with `maxmemory-policy noeviction`. An evicted key is a forgotten `jti`,
//!   and a forgotten `jti` can be replayed; with `noeviction`, a full Redis refuses writes and
//!   requests fail closed instead.
//! - A Redis without persistence forgets every `jti` when it restarts; proofs captured before
//!   the restart can then be replayed until their `iat` window (minutes) closes.
//! - A Redis that stops answering without closing the connection (a network partition) makes
//!   every check time out, and so fail closed, until the operating system gives up on the
//!   connection.
//! - The store needs only `SET` on keys under its prefix; a Redis ACL user limited to that
//!   keeps a leaked application credential from reading or deleting other data.
//! - `Debug` output redacts the password in the connection URL.

use std::error::Error as StdError;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use auth0_api::{ReplayKey, ReplayStore, ReplayStoreError, UnixTime};
use aws_lc_rs::digest;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};

/// Default key prefix.
const DEFAULT_PREFIX: &str = "auth0:dpop:";
/// Default time a command may take before the check fails.
const DEFAULT_TIMEOUT: Duration = Duration::from_millis(500);
/// Bounds of the configurable command timeout.
const MIN_TIMEOUT: Duration = Duration::from_millis(1);
const MAX_TIMEOUT: Duration = Duration::from_secs(30);
/// Time [`RedisReplayStore::connect`] waits for the first connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Time one connection attempt may take.
const CONNECTION_ATTEMPT_TIMEOUT: Duration = Duration::from_secs(2);
/// Key parts longer than this are replaced by their hash.
const MAX_PART_LEN: usize = 128;

/// A [`ReplayStore`] in Redis, for fleets of instances that must reject a proof replayed to
/// any of them.
///
/// Cheap to clone: clones share one multiplexed connection, which is re-established
/// automatically after a failure.
#[derive(Clone)]
pub struct RedisReplayStore {
    connection: ConnectionManager,
    prefix: String,
    timeout: Duration,
    redacted_url: String,
}

impl RedisReplayStore {
    /// Connects to the Redis server at `url` (`redis://[user][:password@]host[:port][/db]`,
    /// `rediss://` is not supported by this build) and waits, at most 5 seconds, until the
    /// connection is established.
    ///
    /// Fails when the URL is invalid or the server cannot be reached, so that a
    /// misconfiguration shows at startup. Use [`connect_lazy`](Self::connect_lazy) to start
    /// without Redis being reachable yet.
    pub async fn connect(url: &str) -> Result<Self, ConnectError> {
        let client = redis::Client::open(url).map_err(ConnectError::invalid_url)?;
        let connection = tokio::time::timeout(
            CONNECT_TIMEOUT,
            ConnectionManager::new_with_config(client, manager_config()),
        )
        .await
        .map_err(ConnectError::unreachable)?
        .map_err(ConnectError::unreachable)?;
        Ok(Self::with_connection(connection, url))
    }

    /// Like [`connect`](Self::connect), but returns at once: the connection is established
    /// on first use, and checks fail (closed) until Redis is reachable.
    ///
    /// Must be called within a Tokio runtime.
    pub fn connect_lazy(url: &str) -> Result<Self, ConnectError> {
        let client = redis::Client::open(url).map_err(ConnectError::invalid_url)?;
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(ConnectError {
                kind: ConnectErrorKind::NoRuntime,
                source: None,
            });
        }
        let connection = ConnectionManager::new_lazy_with_config(client, manager_config())
            .map_err(ConnectError::unreachable)?;
        Ok(Self::with_connection(connection, url))
    }

    fn with_connection(connection: ConnectionManager, url: &str) -> Self {
        Self {
            connection,
            prefix: DEFAULT_PREFIX.to_owned(),
            timeout: DEFAULT_TIMEOUT,
            redacted_url: redact_url(url),
        }
    }

    /// Prefix of every key this store writes; default `auth0:dpop:`. Give each API its own
    /// prefix when several share one Redis and must not see each other's proofs.
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// How long one check may take before it fails (closed); default 500 ms, clamped to
    /// 1 ms..30 s.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout.clamp(MIN_TIMEOUT, MAX_TIMEOUT);
        self
    }

    /// The Redis key for `key`.
    fn redis_key(&self, key: &ReplayKey<'_>) -> String {
        let mut out = String::with_capacity(self.prefix.len() + 3 * MAX_PART_LEN);
        out.push_str(&self.prefix);
        push_key_part(&mut out, key.issuer());
        out.push(':');
        push_key_part(&mut out, key.jkt());
        out.push(':');
        push_key_part(&mut out, key.jti());
        out
    }

    async fn set_nx(&self, key: &ReplayKey<'_>, ttl_ms: u64) -> Result<bool, StoreError> {
        let mut cmd = redis::cmd("SET");
        cmd.arg(self.redis_key(key))
            .arg(1)
            .arg("NX")
            .arg("PX")
            .arg(ttl_ms);
        let mut connection = self.connection.clone();
        let reply = tokio::time::timeout(self.timeout, cmd.query_async(&mut connection))
            .await
            .map_err(|_| StoreError::Timeout(self.timeout))?
            .map_err(StoreError::Redis)?;
        match reply {
            redis::Value::Okay => Ok(true),
            redis::Value::SimpleString(s) if s == "OK" => Ok(true),
            redis::Value::Nil => Ok(false),
            _ => Err(StoreError::UnexpectedReply),
        }
    }
}

impl ReplayStore for RedisReplayStore {
    fn check_and_store<'a>(
        &'a self,
        key: &'a ReplayKey<'a>,
        now: UnixTime,
        expires_at: UnixTime,
    ) -> Pin<Box<dyn Future<Output = Result<bool, ReplayStoreError>> + Send + 'a>> {
        // Redis refuses a zero TTL; an entry whose window already closed is kept 1 ms.
        let ttl_ms = expires_at
            .as_millis()
            .saturating_sub(now.as_millis())
            .max(1);
        Box::pin(async move {
            self.set_nx(key, ttl_ms)
                .await
                .map_err(ReplayStoreError::new)
        })
    }
}

impl fmt::Debug for RedisReplayStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisReplayStore")
            .field("url", &self.redacted_url)
            .field("prefix", &self.prefix)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

fn manager_config() -> ConnectionManagerConfig {
    ConnectionManagerConfig::new()
        .set_connection_timeout(Some(CONNECTION_ATTEMPT_TIMEOUT))
        // Bounds how long an abandoned request occupies the connection; callers see the
        // (shorter) per-check timeout.
        .set_response_timeout(Some(MAX_TIMEOUT))
        .set_number_of_retries(3)
        .set_min_delay(Duration::from_millis(50))
        .set_max_delay(Duration::from_secs(1))
}

/// Appends one key part: `%`, `:` and `#` percent-encoded, so that parts never run into
/// each other; parts over [`MAX_PART_LEN`] bytes as `#` + hex SHA-256 (a `#` never starts an
/// encoded short part).
fn push_key_part(out: &mut String, part: &str) {
    if part.len() > MAX_PART_LEN {
        out.push('#');
        let hash = digest::digest(&digest::SHA256, part.as_bytes());
        for b in hash.as_ref() {
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0x0f)]));
        }
        return;
    }
    for c in part.chars() {
        match c {
            '%' => out.push_str("%25"),
            ':' => out.push_str("%3A"),
            '#' => out.push_str("%23"),
            c => out.push(c),
        }
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// The URL with its password (and any `pass`/`password` query parameter) replaced.
fn redact_url(raw: &str) -> String {
    let Ok(mut url) = url::Url::parse(raw) else {
        return "<unparsable url>".to_owned();
    };
    if url.password().is_some() && url.set_password(Some("redacted")).is_err() {
        return "<redacted url>".to_owned();
    }
    if url.query().is_some() {
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(k, v)| {
                let v = if k.eq_ignore_ascii_case("pass") || k.eq_ignore_ascii_case("password") {
                    "redacted".to_owned()
                } else {
                    v.into_owned()
                };
                (k.into_owned(), v)
            })
            .collect();
        url.query_pairs_mut().clear().extend_pairs(pairs);
    }
    url.to_string()
}

/// Why a check could not be answered; the source of the [`ReplayStoreError`].
#[derive(Debug, thiserror::Error)]
enum StoreError {
    #[error("redis did not answer within {0:?}")]
    Timeout(Duration),
    #[error("redis: {0}")]
    Redis(#[source] redis::RedisError),
    #[error("unexpected reply from redis")]
    UnexpectedReply,
}

/// [`RedisReplayStore::connect`] or [`RedisReplayStore::connect_lazy`] failed.
#[derive(Debug, thiserror::Error)]
#[error("{kind}")]
pub struct ConnectError {
    kind: ConnectErrorKind,
    #[source]
    source: Option<Box<dyn StdError + Send + Sync + 'static>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
enum ConnectErrorKind {
    #[error("invalid redis url")]
    InvalidUrl,
    #[error("cannot connect to redis")]
    Unreachable,
    #[error("redis replay store needs a tokio runtime")]
    NoRuntime,
}

impl ConnectError {
    fn invalid_url(source: redis::RedisError) -> Self {
        Self {
            kind: ConnectErrorKind::InvalidUrl,
            source: Some(Box::new(source)),
        }
    }

    fn unreachable(source: impl StdError + Send + Sync + 'static) -> Self {
        Self {
            kind: ConnectErrorKind::Unreachable,
            source: Some(Box::new(source)),
        }
    }

    /// The URL could not be parsed or names an unsupported scheme.
    pub fn is_invalid_url(&self) -> bool {
        self.kind == ConnectErrorKind::InvalidUrl
    }

    /// The server could not be reached (or did not answer) in time.
    pub fn is_unreachable(&self) -> bool {
        self.kind == ConnectErrorKind::Unreachable
    }

    /// [`RedisReplayStore::connect_lazy`] was called outside a Tokio runtime.
    pub fn is_no_runtime(&self) -> bool {
        self.kind == ConnectErrorKind::NoRuntime
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn lazy(url: &str) -> RedisReplayStore {
        RedisReplayStore::connect_lazy(url).unwrap()
    }

    #[tokio::test]
    async fn debug_redacts_password() {
        let store = lazy("redis://alice:s3cr3t-pw@127.0.0.1:1/2").await;
        let debug = format!("{store:?}");
        assert!(!debug.contains("s3cr3t"), "{debug}");
        assert!(
            debug.contains("redis://alice:redacted@127.0.0.1:1/2"),
            "{debug}"
        );
        assert!(debug.contains("auth0:dpop:"), "{debug}");

        let store = lazy("redis://:only-pw@127.0.0.1:1").await;
        assert!(!format!("{store:?}").contains("only-pw"));

        let no_password = lazy("redis://127.0.0.1:1/").await;
        assert!(format!("{no_password:?}").contains("redis://127.0.0.1:1/"));
    }

    #[test]
    fn redacts_query_passwords() {
        let redacted = redact_url("redis+unix:///run/redis.sock?db=1&pass=hunter2&user=u");
        assert!(!redacted.contains("hunter2"), "{redacted}");
        assert!(redacted.contains("db=1"), "{redacted}");
        assert!(redacted.contains("user=u"), "{redacted}");
        assert_eq!(redact_url("::not a url::"), "<unparsable url>");
    }

    #[tokio::test]
    async fn invalid_urls_are_refused() {
        for url in ["", "not a url", "http://127.0.0.1:6379", "redis://"] {
            let err = RedisReplayStore::connect_lazy(url)
                .err()
                .unwrap_or_else(|| panic!("{url:?} accepted"));
            assert!(err.is_invalid_url(), "{url:?}: {err}");
            assert_eq!(err.to_string(), "invalid redis url");
            assert!(err.source().is_some());
        }
    }

    #[test]
    fn lazy_connect_needs_a_runtime() {
        let err = RedisReplayStore::connect_lazy("redis://127.0.0.1:1")
            .expect_err("accepted without a runtime");
        assert!(err.is_no_runtime(), "{err}");
    }

    #[tokio::test]
    async fn keys_are_prefixed_and_parts_cannot_run_together() {
        let store = lazy("redis://127.0.0.1:1").await;
        let k = |i: &str, j: &str, t: &str| store.redis_key(&ReplayKey::new(i, j, t));
        assert_eq!(
            k("https://tenant.auth0.com/", "NzbLsXh8", "e1j3V_bKic8-LAEB"),
            "auth0:dpop:https%3A//tenant.auth0.com/:NzbLsXh8:e1j3V_bKic8-LAEB"
        );
        let store = store.prefix("api:");
        assert_eq!(store.redis_key(&ReplayKey::new("i", "k", "j")), "api:i:k:j");

        let store = store.prefix("");
        let k = |i: &str, j: &str, t: &str| store.redis_key(&ReplayKey::new(i, j, t));
        let keys = [
            k("a:b", "c", "d"),
            k("a", "b:c", "d"),
            k("a", "b", "c:d"),
            k("a%3Ab", "c", "d"),
            k("a", "b", "c%3Ad"),
            k("#x", "b", "c"),
            k("%23x", "b", "c"),
        ];
        for (i, a) in keys.iter().enumerate() {
            for b in &keys[i + 1..] {
                assert_ne!(a, b);
            }
        }
    }

    #[tokio::test]
    async fn long_parts_are_hashed() {
        let store = lazy("redis://127.0.0.1:1").await;
        let long = "j".repeat(MAX_PART_LEN + 1);
        let at_cap = "j".repeat(MAX_PART_LEN);
        let key = store.redis_key(&ReplayKey::new("i", "k", &long));
        let hashed = key
            .strip_prefix("auth0:dpop:i:k:#")
            .unwrap_or_else(|| panic!("{key}"));
        assert_eq!(hashed.len(), 64);
        assert!(hashed.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(
            store.redis_key(&ReplayKey::new("i", "k", &format!("{long}x"))),
            key
        );
        assert_eq!(
            store.redis_key(&ReplayKey::new("i", "k", &at_cap)),
            format!("auth0:dpop:i:k:{at_cap}")
        );
        // Every key is bounded whatever the input size.
        let huge = "x".repeat(1 << 20);
        let key = store.redis_key(&ReplayKey::new(&huge, &huge, &huge));
        assert_eq!(key.len(), "auth0:dpop:".len() + 3 * 65 + 2);
    }

    #[tokio::test]
    async fn timeout_is_clamped() {
        let store = lazy("redis://127.0.0.1:1").await;
        assert_eq!(store.clone().timeout(Duration::ZERO).timeout, MIN_TIMEOUT);
        assert_eq!(
            store.clone().timeout(Duration::from_secs(3_600)).timeout,
            MAX_TIMEOUT
        );
        assert_eq!(store.timeout, DEFAULT_TIMEOUT);
    }

    #[tokio::test]
    async fn unreachable_lazy_store_fails_closed() {
        // Nothing listens on port 1.
        let store = lazy("redis://127.0.0.1:1")
            .await
            .timeout(Duration::from_millis(300));
        let key = ReplayKey::new("i", "k", "j");
        let err = store
            .check_and_store(&key, UnixTime::from_secs(1), UnixTime::from_secs(60))
            .await
            .expect_err("accepted without redis");
        assert!(
            err.to_string() == "replay store unavailable"
                && std::error::Error::source(&err).is_some(),
            "{err}"
        );
    }
}
