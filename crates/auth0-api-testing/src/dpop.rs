//! DPoP (RFC 9449) client keys and proofs.

use std::fmt;
use std::sync::Arc;

use auth0_api::UnixTime;
use serde_json::{Map, Value};

use crate::alg::Algorithm;
use crate::clock::TestClock;
use crate::jws::{self, Edit};
use crate::key::SigningKey;
use crate::{b64, thumbprint};

/// `ath` for `access_token`: base64url(SHA-256(ASCII(access_token))) (RFC 9449 §4.2).
pub fn ath(access_token: &str) -> String {
    b64::sha256(access_token)
}

/// A DPoP client key pair.
///
/// Cheap to clone (the key is shared). `Debug` shows the algorithm and thumbprint only.
#[derive(Clone)]
pub struct DpopKey {
    key: Arc<SigningKey>,
}

impl fmt::Debug for DpopKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DpopKey")
            .field("alg", &self.key.alg())
            .field("jkt", &self.thumbprint())
            .finish_non_exhaustive()
    }
}

impl DpopKey {
    /// Generates a key for `alg`: RSA 2048 bits, P-256/P-384/P-521, or Ed25519.
    ///
    /// # Panics
    /// If the system cannot generate a key.
    pub fn generate(alg: Algorithm) -> DpopKey {
        DpopKey {
            key: Arc::new(SigningKey::generate(alg)),
        }
    }

    /// The algorithm proofs are signed with.
    pub fn alg(&self) -> Algorithm {
        self.key.alg()
    }

    /// The public JWK: `kty` and the public members only (no `kid`, `use` or `alg`), as it goes
    /// in a proof's `jwk` header.
    pub fn public_jwk(&self) -> Value {
        Value::Object(self.key.public_members())
    }

    /// The public JWK plus the private members (`d`; RSA also `p`, `q`, `dp`, `dq`, `qi`), for
    /// "private key in the proof header" negative tests.
    pub fn private_jwk_members(&self) -> Value {
        Value::Object(self.key.private_members())
    }

    /// The RFC 7638 thumbprint of the public key, the value of `cnf.jkt`.
    pub fn thumbprint(&self) -> String {
        thumbprint::jwk_thumbprint(&self.public_jwk()).unwrap_or_default()
    }

    /// A proof for a request with `method` to `url`.
    pub fn proof(&self, method: &str, url: &str) -> ProofBuilder {
        ProofBuilder {
            key: Arc::clone(&self.key),
            htm: method.to_owned(),
            htu: url.to_owned(),
            jti: b64::random(16),
            iat: None,
            clock: None,
            ath: None,
            nonce: None,
            include_private: false,
            claims: Vec::new(),
            header: Vec::new(),
        }
    }
}

/// Builds one DPoP proof JWT; get one from [`DpopKey::proof`].
///
/// Defaults: header `{"typ": "dpop+jwt", "alg": <key alg>, "jwk": <public jwk>}`, claims
/// `jti` (16 random bytes, base64url), `htm` = the method, `htu` = the URL exactly as given,
/// `iat` = now (the [`clock`](Self::clock) if one is given, else the system time).
/// `ath` and `nonce` only when set. [`claim`](Self::claim), [`remove_claim`](Self::remove_claim),
/// [`header`](Self::header) and [`remove_header`](Self::remove_header) apply last, in call
/// order.
#[must_use = "call .sign() to get the proof"]
#[derive(Clone)]
pub struct ProofBuilder {
    key: Arc<SigningKey>,
    htm: String,
    htu: String,
    jti: String,
    iat: Option<UnixTime>,
    clock: Option<TestClock>,
    ath: Option<String>,
    nonce: Option<String>,
    include_private: bool,
    claims: Vec<Edit>,
    header: Vec<Edit>,
}

impl fmt::Debug for ProofBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProofBuilder")
            .field("alg", &self.key.alg())
            .field("htm", &self.htm)
            .field("htu", &self.htu)
            .finish_non_exhaustive()
    }
}

impl ProofBuilder {
    /// Sets `ath` to [`ath`]`(access_token)`.
    pub fn access_token(mut self, access_token: &str) -> Self {
        self.ath = Some(ath(access_token));
        self
    }

    /// Sets `ath` to exactly `value`.
    pub fn ath(mut self, value: impl Into<String>) -> Self {
        self.ath = Some(value.into());
        self
    }

    /// Sets `jti`.
    pub fn jti(mut self, value: impl Into<String>) -> Self {
        self.jti = value.into();
        self
    }

    /// Sets `htm`.
    pub fn htm(mut self, value: impl Into<String>) -> Self {
        self.htm = value.into();
        self
    }

    /// Sets `htu`.
    pub fn htu(mut self, value: impl Into<String>) -> Self {
        self.htu = value.into();
        self
    }

    /// Sets `iat` (wins over [`clock`](Self::clock)).
    pub fn iat(mut self, at: UnixTime) -> Self {
        self.iat = Some(at);
        self
    }

    /// Takes `iat` from `clock` when the proof is signed.
    pub fn clock(mut self, clock: &TestClock) -> Self {
        self.clock = Some(clock.clone());
        self
    }

    /// Sets `nonce`.
    pub fn nonce(mut self, value: impl Into<String>) -> Self {
        self.nonce = Some(value.into());
        self
    }

    /// Sets any claim.
    pub fn claim(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.claims.push(Edit::Set(name.into(), value.into()));
        self
    }

    /// Removes a claim, including a default one (`jti`, `htm`, `htu`, `iat`, `ath`).
    pub fn remove_claim(mut self, name: impl Into<String>) -> Self {
        self.claims.push(Edit::Remove(name.into()));
        self
    }

    /// Sets any JOSE header member.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.header.push(Edit::Set(name.into(), value.into()));
        self
    }

    /// Removes a JOSE header member, including a default one (`typ`, `alg`, `jwk`).
    pub fn remove_header(mut self, name: impl Into<String>) -> Self {
        self.header.push(Edit::Remove(name.into()));
        self
    }

    /// Puts the private key members in the `jwk` header (a proof servers must reject).
    pub fn include_private_key(mut self) -> Self {
        self.include_private = true;
        self
    }

    fn signing_input(&self) -> String {
        let mut header = Map::new();
        header.insert("typ".into(), "dpop+jwt".into());
        header.insert("alg".into(), self.key.alg().name().into());
        let jwk = if self.include_private {
            self.key.private_members()
        } else {
            self.key.public_members()
        };
        header.insert("jwk".into(), Value::Object(jwk));
        jws::apply(&mut header, &self.header);

        let iat = self.iat.unwrap_or_else(|| match &self.clock {
            Some(clock) => clock.now(),
            None => TestClock::system().now(),
        });
        let mut claims = Map::new();
        claims.insert("jti".into(), self.jti.clone().into());
        claims.insert("htm".into(), self.htm.clone().into());
        claims.insert("htu".into(), self.htu.clone().into());
        claims.insert("iat".into(), iat.as_secs().into());
        if let Some(ath) = &self.ath {
            claims.insert("ath".into(), ath.clone().into());
        }
        if let Some(nonce) = &self.nonce {
            claims.insert("nonce".into(), nonce.clone().into());
        }
        jws::apply(&mut claims, &self.claims);
        jws::signing_input(&header, &jws::payload(claims))
    }

    /// Signs the proof with its own key.
    pub fn sign(self) -> String {
        let key = Arc::clone(&self.key);
        self.sign_by(&key)
    }

    /// Signs the proof with `other` (using `other`'s algorithm) while the header still carries
    /// this key's `jwk` and `alg`: a proof whose signature does not match its `jwk`.
    pub fn sign_with(self, other: &DpopKey) -> String {
        self.sign_by(&other.key)
    }

    fn sign_by(&self, key: &SigningKey) -> String {
        let input = self.signing_input();
        let signature = key.sign(key.alg(), input.as_bytes()).unwrap_or_default();
        jws::finish(input, &signature)
    }
}
