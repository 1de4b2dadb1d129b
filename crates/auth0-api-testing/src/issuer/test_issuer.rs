//! The handle tests hold on to.

use std::fmt;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use http::HeaderValue;
use serde_json::Value;
use tokio::task::JoinHandle;

use super::behavior::{Behavior, Endpoint};
use super::builder::TestIssuerBuilder;
use super::state::{State, lock};
use super::token_endpoint::{RecordedRequest, TokenResponse};
use crate::alg::Algorithm;
use crate::clock::TestClock;
use crate::token::TokenBuilder;

/// An OAuth 2.0 / OpenID Connect issuer serving real HTTP on `127.0.0.1` with an ephemeral port.
///
/// It serves OIDC discovery at `{issuer}.well-known/openid-configuration`, RFC 8414 metadata at
/// `/.well-known/oauth-authorization-server{path}`, the JWKS at `{issuer}.well-known/jwks.json`
/// and a scriptable token endpoint at `POST {issuer}oauth/token`. Every endpoint's behavior can
/// be changed at run time ([`set_behavior`](Self::set_behavior)) and every request is counted
/// ([`requests`](Self::requests)).
///
/// The handle is a cheap [`Clone`]. The server runs on the Tokio runtime that called
/// [`start`](TestIssuerBuilder::start) until [`shutdown`](Self::shutdown) or until the last
/// handle is dropped.
///
/// Keys get kids made of the lowercase algorithm name and a sequence number, so
/// [`TestIssuer::start`] publishes one RS256 key with kid `rs256-1`; a key added next for ES256
/// is `es256-2`.
#[derive(Clone)]
pub struct TestIssuer {
    inner: Arc<Inner>,
}

struct Inner {
    state: Arc<State>,
    server: Mutex<Option<JoinHandle<()>>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Some(task) = lock(&self.server).take() {
            task.abort();
        }
    }
}

impl fmt::Debug for TestIssuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestIssuer")
            .field("issuer", &self.issuer())
            .finish_non_exhaustive()
    }
}

impl TestIssuer {
    /// The default `aud` of minted tokens.
    pub const DEFAULT_AUDIENCE: &'static str = "https://api.example.com";

    /// Starts an issuer with one RS256 key (kid `rs256-1`), audience
    /// `https://api.example.com` and a [`TestClock::system`] clock.
    ///
    /// # Panics
    /// As [`TestIssuerBuilder::start`].
    pub async fn start() -> TestIssuer {
        Self::builder().start().await
    }

    /// A builder for an issuer with other keys, clock, audience or path.
    pub fn builder() -> TestIssuerBuilder {
        TestIssuerBuilder::default()
    }

    pub(crate) fn from_parts(state: Arc<State>, server: Mutex<Option<JoinHandle<()>>>) -> Self {
        Self {
            inner: Arc::new(Inner { state, server }),
        }
    }

    fn state(&self) -> &Arc<State> {
        &self.inner.state
    }

    /// The issuer identifier, with a trailing slash as Auth0 writes it:
    /// `http://127.0.0.1:PORT/` (or `http://127.0.0.1:PORT/tenant-a/` with a path).
    pub fn issuer(&self) -> String {
        self.state().issuer()
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        self.state().base_url.clone()
    }

    /// The host and port, `127.0.0.1:PORT`.
    pub fn authority(&self) -> String {
        self.state()
            .base_url
            .trim_start_matches("http://")
            .to_owned()
    }

    /// The URL of the JWKS.
    pub fn jwks_uri(&self) -> String {
        self.state().jwks_uri()
    }

    /// The URL of the token endpoint.
    pub fn token_endpoint(&self) -> String {
        self.state().token_endpoint()
    }

    /// The OpenID Connect discovery URL.
    pub fn discovery_url(&self) -> String {
        format!("{}.well-known/openid-configuration", self.issuer())
    }

    /// The RFC 8414 metadata URL.
    pub fn oauth_metadata_url(&self) -> String {
        format!(
            "{}/.well-known/oauth-authorization-server{}",
            self.state().base_url,
            self.state().path
        )
    }

    /// The clock minted tokens read.
    pub fn clock(&self) -> TestClock {
        self.state().clock.clone()
    }

    /// The default `aud` of minted tokens.
    pub fn audience(&self) -> String {
        self.state().audience.clone()
    }

    /// A token builder with this issuer's defaults, signed by the current default key.
    pub fn token(&self) -> TokenBuilder {
        TokenBuilder::new(Arc::clone(self.state()))
    }

    /// The kid of the current default signing key.
    pub fn default_kid(&self) -> String {
        lock(&self.state().keys).default_kid.clone()
    }

    /// The kids of every key this issuer holds, published or not, in creation order.
    pub fn kids(&self) -> Vec<String> {
        lock(&self.state().keys)
            .entries
            .iter()
            .map(|e| e.kid.clone())
            .collect()
    }

    /// Generates a key for `alg`, publishes it and returns its kid. The default key stays.
    pub fn add_key(&self, alg: Algorithm) -> String {
        self.state().add_key(alg, true)
    }

    /// Generates a key for `alg` that is not published (tokens signed with it have an unknown
    /// kid) and returns its kid.
    pub fn add_unpublished_key(&self, alg: Algorithm) -> String {
        self.state().add_key(alg, false)
    }

    /// Adds and publishes a new key for `alg` and makes it the default signer. The previous
    /// keys stay published until [`unpublish`](Self::unpublish)ed. Returns the new kid.
    pub fn rotate(&self, alg: Algorithm) -> String {
        let kid = self.add_key(alg);
        lock(&self.state().keys).default_kid = kid.clone();
        kid
    }

    /// Makes `kid` the default signing key. Returns `false` (and changes nothing) when the
    /// issuer holds no such key.
    pub fn set_default_key(&self, kid: &str) -> bool {
        let mut keys = lock(&self.state().keys);
        if keys.get(kid).is_none() {
            return false;
        }
        keys.default_kid = kid.to_owned();
        true
    }

    /// Stops publishing `kid`; tokens can still be signed with it via
    /// [`TokenBuilder::key`]. Unknown kids are ignored.
    pub fn unpublish(&self, kid: &str) {
        let mut keys = lock(&self.state().keys);
        for entry in keys.entries.iter_mut().filter(|e| e.kid == kid) {
            entry.published = false;
        }
    }

    /// Publishes `kid` again after [`unpublish`](Self::unpublish). Unknown kids are ignored.
    pub fn publish(&self, kid: &str) {
        let mut keys = lock(&self.state().keys);
        for entry in keys.entries.iter_mut().filter(|e| e.kid == kid) {
            entry.published = true;
        }
    }

    /// Publishes an arbitrary JWK (any JSON value) after the issuer's own keys.
    pub fn publish_raw_jwk(&self, jwk: Value) {
        lock(&self.state().keys).raw.push(jwk);
    }

    /// Removes every JWK added with [`publish_raw_jwk`](Self::publish_raw_jwk).
    pub fn clear_raw_jwks(&self) {
        lock(&self.state().keys).raw.clear();
    }

    /// Serves exactly `body` as the JWKS (`Some`), or the real key set again (`None`).
    pub fn set_jwks_override(&self, body: Option<String>) {
        lock(&self.state().keys).jwks_override = body;
    }

    /// The JWKS body as it would be served now.
    pub fn jwks(&self) -> String {
        self.state().jwks_body()
    }

    /// The JWK of `kid` as it is (or would be) published: `kty`, `kid`, `use`, `alg` and the
    /// public members. `None` for a kid this issuer does not hold.
    pub fn public_jwk(&self, kid: &str) -> Option<Value> {
        lock(&self.state().keys).get(kid).map(|e| e.public_jwk())
    }

    /// The DER `SubjectPublicKeyInfo` of RSA key `kid` (the bytes an "HS256 with the public
    /// key as the secret" attack uses). `None` when `kid` is unknown or not an RSA key.
    pub fn rsa_public_key_der(&self, kid: &str) -> Option<Vec<u8>> {
        let key = self.state().key(kid)?;
        if !key.is_rsa() {
            return None;
        }
        key.spki_der()
    }

    /// The PEM (`-----BEGIN PUBLIC KEY-----`) form of
    /// [`rsa_public_key_der`](Self::rsa_public_key_der).
    pub fn rsa_public_key_pem(&self, kid: &str) -> Option<String> {
        use base64::Engine as _;
        let der = self.rsa_public_key_der(kid)?;
        let b64 = base64::engine::general_purpose::STANDARD.encode(der);
        let mut pem = String::from("-----BEGIN PUBLIC KEY-----\n");
        for chunk in b64.as_bytes().chunks(64) {
            pem.push_str(&String::from_utf8_lossy(chunk));
            pem.push('\n');
        }
        pem.push_str("-----END PUBLIC KEY-----\n");
        Some(pem)
    }

    /// Changes how `endpoint` answers from the next request on.
    pub fn set_behavior(&self, endpoint: Endpoint, behavior: Behavior) {
        lock(&self.state().behaviors)[endpoint.index()] = behavior;
    }

    /// Sends `Cache-Control: value` with `endpoint`'s responses (`None` sends none).
    ///
    /// # Panics
    /// If `value` is not a valid header value (contains control characters).
    pub fn set_cache_control(&self, endpoint: Endpoint, value: Option<&str>) {
        let value = value.map(|v| match HeaderValue::from_str(v) {
            Ok(v) => v,
            Err(_) => panic!("auth0-api-testing: invalid Cache-Control value {v:?}"),
        });
        lock(&self.state().cache_control)[endpoint.index()] = value;
    }

    /// Serves `iss` as the `issuer` member of both metadata documents (`None`: the real one).
    pub fn set_discovery_issuer(&self, iss: Option<String>) {
        *lock(&self.state().discovery_issuer) = iss;
    }

    /// Makes `/.well-known/openid-configuration` answer 404 so clients fall back to RFC 8414.
    pub fn disable_oidc_discovery(&self, yes: bool) {
        self.state().oidc_disabled.store(yes, Ordering::SeqCst);
    }

    /// How many requests `endpoint` has received since the start or the last
    /// [`reset_counts`](Self::reset_counts), whatever it answered.
    pub fn requests(&self, endpoint: Endpoint) -> usize {
        self.state().requests(endpoint)
    }

    /// Sets every request count to zero.
    pub fn reset_counts(&self) {
        self.state().reset_counts();
    }

    /// What the token endpoint answers from now on.
    pub fn set_token_response(&self, response: TokenResponse) {
        *lock(&self.state().token_response) = response;
    }

    /// Every request the token endpoint received, oldest first.
    pub fn token_requests(&self) -> Vec<RecordedRequest> {
        lock(&self.state().token_requests).clone()
    }

    /// Forgets the recorded token requests.
    pub fn clear_token_requests(&self) {
        lock(&self.state().token_requests).clear();
    }

    /// Stops serving: when this returns the port is closed and new connections are refused;
    /// open connections are dropped. Calling it again does nothing. Other clones of the handle
    /// still mint tokens.
    pub async fn shutdown(&self) {
        let task = lock(&self.inner.server).take();
        if let Some(task) = task {
            task.abort();
            // The abort error is the expected outcome.
            let _ = task.await;
        }
    }

    /// Whether the server is still running.
    pub fn is_running(&self) -> bool {
        lock(&self.inner.server)
            .as_ref()
            .is_some_and(|t| !t.is_finished())
    }
}
