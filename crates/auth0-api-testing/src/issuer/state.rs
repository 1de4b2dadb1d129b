//! The issuer's mutable state, shared by the handle and the server task.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use http::HeaderValue;
use serde_json::{Map, Value};

use super::behavior::{Behavior, Endpoint};
use super::token_endpoint::{RecordedRequest, TokenResponse};
use crate::alg::Algorithm;
use crate::clock::TestClock;
use crate::key::SigningKey;

/// Locks `m`, recovering the data when another thread panicked while holding it.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

pub(crate) struct KeyEntry {
    pub(crate) kid: String,
    pub(crate) key: Arc<SigningKey>,
    pub(crate) published: bool,
}

impl KeyEntry {
    /// The JWK as the issuer publishes it: `kty`, `kid`, `use`, `alg` and the public members.
    pub(crate) fn public_jwk(&self) -> Value {
        let mut jwk: Map<String, Value> = self.key.public_members();
        jwk.insert("kid".into(), self.kid.clone().into());
        jwk.insert("use".into(), "sig".into());
        jwk.insert("alg".into(), self.key.alg().name().into());
        Value::Object(jwk)
    }
}

#[derive(Default)]
pub(crate) struct Keys {
    pub(crate) entries: Vec<KeyEntry>,
    pub(crate) default_kid: String,
    next_id: u32,
    pub(crate) raw: Vec<Value>,
    pub(crate) jwks_override: Option<String>,
}

impl Keys {
    fn next_kid(&mut self, alg: Algorithm) -> String {
        self.next_id = self.next_id.saturating_add(1);
        format!("{}-{}", alg.name().to_ascii_lowercase(), self.next_id)
    }

    /// Inserts a freshly generated key and returns its kid.
    pub(crate) fn insert(&mut self, key: SigningKey, published: bool) -> (String, Arc<SigningKey>) {
        let kid = self.next_kid(key.alg());
        let key = Arc::new(key);
        self.entries.push(KeyEntry {
            kid: kid.clone(),
            key: Arc::clone(&key),
            published,
        });
        (kid, key)
    }

    pub(crate) fn get(&self, kid: &str) -> Option<&KeyEntry> {
        self.entries.iter().find(|e| e.kid == kid)
    }
}

pub(crate) struct State {
    pub(crate) base_url: String,
    /// `""` or a path such as `/tenant-a`, without a trailing slash.
    pub(crate) path: String,
    pub(crate) audience: String,
    pub(crate) clock: TestClock,
    pub(crate) keys: Mutex<Keys>,
    pub(crate) behaviors: Mutex<[Behavior; Endpoint::COUNT]>,
    pub(crate) cache_control: Mutex<[Option<HeaderValue>; Endpoint::COUNT]>,
    pub(crate) discovery_issuer: Mutex<Option<String>>,
    pub(crate) oidc_disabled: AtomicBool,
    counts: [AtomicUsize; Endpoint::COUNT],
    pub(crate) token_response: Mutex<TokenResponse>,
    pub(crate) token_requests: Mutex<Vec<RecordedRequest>>,
}

impl State {
    pub(crate) fn new(base_url: String, path: String, audience: String, clock: TestClock) -> Self {
        Self {
            base_url,
            path,
            audience,
            clock,
            keys: Mutex::new(Keys::default()),
            behaviors: Mutex::new([Behavior::Normal; Endpoint::COUNT]),
            cache_control: Mutex::new(Default::default()),
            discovery_issuer: Mutex::new(None),
            oidc_disabled: AtomicBool::new(false),
            counts: Default::default(),
            token_response: Mutex::new(TokenResponse::default()),
            token_requests: Mutex::new(Vec::new()),
        }
    }

    pub(crate) fn issuer(&self) -> String {
        format!("{}{}/", self.base_url, self.path)
    }

    pub(crate) fn jwks_uri(&self) -> String {
        format!("{}{}/.well-known/jwks.json", self.base_url, self.path)
    }

    pub(crate) fn token_endpoint(&self) -> String {
        format!("{}{}/oauth/token", self.base_url, self.path)
    }

    pub(crate) fn count(&self, endpoint: Endpoint) {
        self.counts[endpoint.index()].fetch_add(1, Ordering::SeqCst);
    }

    pub(crate) fn requests(&self, endpoint: Endpoint) -> usize {
        self.counts[endpoint.index()].load(Ordering::SeqCst)
    }

    pub(crate) fn reset_counts(&self) {
        for c in &self.counts {
            c.store(0, Ordering::SeqCst);
        }
    }

    pub(crate) fn behavior(&self, endpoint: Endpoint) -> Behavior {
        lock(&self.behaviors)[endpoint.index()]
    }

    pub(crate) fn cache_control(&self, endpoint: Endpoint) -> Option<HeaderValue> {
        lock(&self.cache_control)[endpoint.index()].clone()
    }

    /// Generates a key for `alg` (outside the lock) and adds it.
    pub(crate) fn add_key(&self, alg: Algorithm, published: bool) -> String {
        let key = SigningKey::generate(alg);
        lock(&self.keys).insert(key, published).0
    }

    /// The default signing key.
    pub(crate) fn default_key(&self) -> Option<(String, Arc<SigningKey>)> {
        let keys = lock(&self.keys);
        let entry = keys.get(&keys.default_kid)?;
        Some((entry.kid.clone(), Arc::clone(&entry.key)))
    }

    pub(crate) fn key(&self, kid: &str) -> Option<Arc<SigningKey>> {
        lock(&self.keys).get(kid).map(|e| Arc::clone(&e.key))
    }

    /// The first key generated for `alg`, generating an unpublished one when there is none.
    pub(crate) fn key_for_alg(&self, alg: Algorithm) -> (String, Arc<SigningKey>) {
        let find = |keys: &Keys| {
            keys.entries
                .iter()
                .find(|e| e.key.alg() == alg)
                .map(|e| (e.kid.clone(), Arc::clone(&e.key)))
        };
        if let Some(found) = find(&lock(&self.keys)) {
            return found;
        }
        let key = SigningKey::generate(alg);
        let mut keys = lock(&self.keys);
        if let Some(found) = find(&keys) {
            return found;
        }
        keys.insert(key, false)
    }

    /// The JWKS document body.
    pub(crate) fn jwks_body(&self) -> String {
        let keys = lock(&self.keys);
        if let Some(body) = &keys.jwks_override {
            return body.clone();
        }
        let mut list: Vec<Value> = keys
            .entries
            .iter()
            .filter(|e| e.published)
            .map(KeyEntry::public_jwk)
            .collect();
        list.extend(keys.raw.iter().cloned());
        serde_json::json!({ "keys": list }).to_string()
    }

    /// The discovery / RFC 8414 metadata body.
    pub(crate) fn metadata_body(&self) -> String {
        let issuer = lock(&self.discovery_issuer)
            .clone()
            .unwrap_or_else(|| self.issuer());
        let algs: Vec<&str> = Algorithm::ALL.iter().map(|a| a.name()).collect();
        serde_json::json!({
            "issuer": issuer,
            "jwks_uri": self.jwks_uri(),
            "token_endpoint": self.token_endpoint(),
            "authorization_endpoint": format!("{}{}/authorize", self.base_url, self.path),
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": algs,
            "grant_types_supported": [
                "authorization_code",
                "client_credentials",
                "urn:ietf:params:oauth:grant-type:token-exchange",
            ],
            "token_endpoint_auth_methods_supported": [
                "client_secret_basic",
                "client_secret_post",
                "private_key_jwt",
            ],
            "dpop_signing_alg_values_supported": algs,
        })
        .to_string()
    }
}
