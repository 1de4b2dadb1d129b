//! Access tokens minted by the test issuer.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use auth0_api::UnixTime;
use aws_lc_rs::hmac;
use serde_json::{Map, Value};

use crate::alg::Algorithm;
use crate::dpop::DpopKey;
use crate::issuer::state::State;
use crate::jws::{self, Edit};
use crate::key::SigningKey;

/// Lifetime of a token when the test says nothing.
const DEFAULT_LIFETIME: Duration = Duration::from_secs(3600);

/// Builds one signed access token; get one from [`TestIssuer::token`](crate::TestIssuer::token).
///
/// Defaults: header `{"alg": <default key's alg>, "typ": "JWT", "kid": <default kid>}`
/// (`typ` is `JWT`, what Auth0 issues; set `at+jwt` with [`header`](Self::header)), claims
/// `iss` = the issuer, `aud` = the issuer's audience, `sub` = `auth0|test-user`,
/// `iat` = the issuer clock's now, `exp` = `iat` + 1 hour.
///
/// [`claim`](Self::claim), [`remove_claim`](Self::remove_claim), [`header`](Self::header)
/// and [`remove_header`](Self::remove_header) apply last, in call order, so they can
/// override or remove anything, including `exp`, `alg` or `kid`. Changing the header `alg`
/// this way does not change how the token is signed: that is the way to mint a token whose
/// header lies about its algorithm.
#[must_use = "call .sign() to get the token"]
#[derive(Clone)]
pub struct TokenBuilder {
    state: Arc<State>,
    kid: Option<String>,
    alg: Option<Algorithm>,
    iat: Option<UnixTime>,
    exp: Exp,
    claims: Vec<Edit>,
    header: Vec<Edit>,
}

#[derive(Clone, Copy, Debug)]
enum Exp {
    After(Duration),
    At(UnixTime),
    Expired,
}

impl fmt::Debug for TokenBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenBuilder")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

/// The key and algorithm a token will be signed with.
struct Signer {
    kid: String,
    alg: Algorithm,
    key: Option<Arc<SigningKey>>,
}

impl TokenBuilder {
    pub(crate) fn new(state: Arc<State>) -> Self {
        Self {
            state,
            kid: None,
            alg: None,
            iat: None,
            exp: Exp::After(DEFAULT_LIFETIME),
            claims: Vec::new(),
            header: Vec::new(),
        }
    }

    fn set(mut self, name: &str, value: Value) -> Self {
        self.claims.push(Edit::Set(name.to_owned(), value));
        self
    }

    /// Sets `sub`.
    #[allow(
        clippy::should_implement_trait,
        reason = "`sub` is the JWT claim name, not subtraction"
    )]
    pub fn sub(self, sub: impl Into<String>) -> Self {
        self.set("sub", Value::String(sub.into()))
    }

    /// Sets `aud` to a single string.
    pub fn audience(self, aud: impl Into<String>) -> Self {
        self.set("aud", Value::String(aud.into()))
    }

    /// Sets `aud` to an array of strings.
    pub fn audiences(self, auds: impl IntoIterator<Item = impl Into<String>>) -> Self {
        let list = auds.into_iter().map(|a| Value::String(a.into())).collect();
        self.set("aud", Value::Array(list))
    }

    /// Sets `iss`.
    pub fn issuer(self, iss: impl Into<String>) -> Self {
        self.set("iss", Value::String(iss.into()))
    }

    /// Sets `scope`, a space-separated string such as `"read:data write:data"`.
    pub fn scope(self, scope: impl Into<String>) -> Self {
        self.set("scope", Value::String(scope.into()))
    }

    /// Sets `permissions` (Auth0 RBAC) to an array of strings.
    pub fn permissions(self, permissions: impl IntoIterator<Item = impl Into<String>>) -> Self {
        let list = permissions
            .into_iter()
            .map(|p| Value::String(p.into()))
            .collect();
        self.set("permissions", Value::Array(list))
    }

    /// Sets any claim to any JSON value.
    pub fn claim(self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        let name = name.into();
        self.set(&name, value.into())
    }

    /// Removes a claim, including a default one (`iss`, `aud`, `sub`, `iat`, `exp`).
    pub fn remove_claim(mut self, name: impl Into<String>) -> Self {
        self.claims.push(Edit::Remove(name.into()));
        self
    }

    /// `exp` = `iat` + `d`.
    pub fn expires_in(mut self, d: Duration) -> Self {
        self.exp = Exp::After(d);
        self
    }

    /// `exp` = `at`.
    pub fn expires_at(mut self, at: UnixTime) -> Self {
        self.exp = Exp::At(at);
        self
    }

    /// An expired token: `exp` one hour before the clock's now and, unless
    /// [`issued_at`](Self::issued_at) says otherwise, `iat` two hours before.
    pub fn expired(mut self) -> Self {
        self.exp = Exp::Expired;
        self
    }

    /// Sets `nbf`.
    pub fn not_before(self, at: UnixTime) -> Self {
        self.set("nbf", Value::from(at.as_secs()))
    }

    /// Sets `iat` (default: the clock's now).
    pub fn issued_at(mut self, at: UnixTime) -> Self {
        self.iat = Some(at);
        self
    }

    /// Signs with the issuer's key `kid` (published or not) instead of the default key.
    /// [`sign`](Self::sign) panics if the issuer holds no such key.
    pub fn key(mut self, kid: impl Into<String>) -> Self {
        self.kid = Some(kid.into());
        self
    }

    /// Signs with `alg`.
    ///
    /// Without [`key`](Self::key): signs with the first key the issuer holds that was
    /// generated for `alg`, generating an **unpublished** one when there is none (publish it
    /// with [`TestIssuer::publish`](crate::TestIssuer::publish) if the test needs it).
    /// With [`key`](Self::key): signs that key with `alg`, which lets an RSA key generated for
    /// RS256 sign PS256 (to test a JWK `alg` that disagrees with the token's). [`sign`](Self::sign)
    /// panics when the key cannot make `alg` signatures (e.g. an EC key and RS256).
    pub fn alg(mut self, alg: Algorithm) -> Self {
        self.alg = Some(alg);
        self
    }

    /// Sets any JOSE header member (`typ`, `crit`, `kid`, `jku`, ...).
    pub fn header(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.header.push(Edit::Set(name.into(), value.into()));
        self
    }

    /// Removes a JOSE header member, including a default one (`typ`, `kid`, `alg`).
    pub fn remove_header(mut self, name: impl Into<String>) -> Self {
        self.header.push(Edit::Remove(name.into()));
        self
    }

    /// Binds the token to a DPoP key: `cnf` = `{"jkt": jkt}`.
    pub fn bound_to_jkt(self, jkt: &str) -> Self {
        self.set("cnf", serde_json::json!({ "jkt": jkt }))
    }

    /// Binds the token to `key`'s RFC 7638 thumbprint.
    pub fn bound_to(self, key: &DpopKey) -> Self {
        let jkt = key.thumbprint();
        self.bound_to_jkt(&jkt)
    }

    fn signer(&self) -> Signer {
        match (&self.kid, self.alg) {
            (Some(kid), alg) => {
                let key = self.state.key(kid);
                let alg = alg
                    .or_else(|| key.as_ref().map(|k| k.alg()))
                    .unwrap_or(Algorithm::RS256);
                Signer {
                    kid: kid.clone(),
                    alg,
                    key,
                }
            }
            (None, Some(alg)) => {
                let (kid, key) = self.state.key_for_alg(alg);
                Signer {
                    kid,
                    alg,
                    key: Some(key),
                }
            }
            (None, None) => match self.state.default_key() {
                Some((kid, key)) => Signer {
                    kid,
                    alg: key.alg(),
                    key: Some(key),
                },
                None => Signer {
                    kid: String::new(),
                    alg: Algorithm::RS256,
                    key: None,
                },
            },
        }
    }

    fn header_map(&self, alg: &str, kid: &str) -> Map<String, Value> {
        let mut header = Map::new();
        header.insert("alg".into(), alg.into());
        header.insert("typ".into(), "JWT".into());
        if !kid.is_empty() {
            header.insert("kid".into(), kid.into());
        }
        jws::apply(&mut header, &self.header);
        header
    }

    fn claims_map(&self) -> Map<String, Value> {
        let now = self.state.clock.now();
        let hour = Duration::from_secs(3600);
        let iat = self.iat.unwrap_or(match self.exp {
            Exp::Expired => now.saturating_sub(2 * hour),
            _ => now,
        });
        let exp = match self.exp {
            Exp::After(d) => iat.saturating_add(d),
            Exp::At(at) => at,
            Exp::Expired => now.saturating_sub(hour),
        };
        let mut claims = Map::new();
        claims.insert("iss".into(), self.state.issuer().into());
        claims.insert("sub".into(), "auth0|test-user".into());
        claims.insert("aud".into(), self.state.audience.clone().into());
        claims.insert("iat".into(), iat.as_secs().into());
        claims.insert("exp".into(), exp.as_secs().into());
        jws::apply(&mut claims, &self.claims);
        claims
    }

    /// The claims the token will carry, as JSON.
    pub fn claims(&self) -> Value {
        Value::Object(self.claims_map())
    }

    /// Signs the token properly.
    ///
    /// # Panics
    /// If [`key`](Self::key) named a kid the issuer does not hold, or the key cannot make
    /// [`alg`](Self::alg) signatures.
    pub fn sign(self) -> String {
        let payload = jws::payload(self.claims_map());
        self.sign_payload(&payload)
    }

    /// Signs exactly `payload` (not necessarily JSON: duplicate keys, trailing bytes, ...)
    /// with the header and key [`sign`](Self::sign) would use. Claim setters are ignored.
    ///
    /// # Panics
    /// As [`sign`](Self::sign).
    pub fn sign_raw_payload(self, payload: &[u8]) -> String {
        self.sign_payload(payload)
    }

    fn sign_payload(&self, payload: &[u8]) -> String {
        let Signer { kid, alg, key } = self.signer();
        let Some(key) = key else {
            panic!("auth0-api-testing: the issuer holds no key with kid {kid:?}");
        };
        let input = jws::signing_input(&self.header_map(alg.name(), &kid), payload);
        let Some(signature) = key.sign(alg, input.as_bytes()) else {
            panic!(
                "auth0-api-testing: key {kid:?} (generated for {}) cannot sign {alg}",
                key.alg()
            );
        };
        jws::finish(input, &signature)
    }

    /// A token with header `alg` `HS256` (and the usual `kid`) and an HMAC-SHA256 signature
    /// keyed with `secret`, e.g. the issuer's RSA public key bytes, for algorithm-confusion
    /// tests. Never signs with a private key.
    pub fn sign_hs256(self, secret: &[u8]) -> String {
        let kid = self.signer_kid();
        let input = jws::signing_input(
            &self.header_map("HS256", &kid),
            &jws::payload(self.claims_map()),
        );
        let key = hmac::Key::new(hmac::HMAC_SHA256, secret);
        let tag = hmac::sign(&key, input.as_bytes());
        jws::finish(input, tag.as_ref())
    }

    /// An unsecured token: header `alg` `none` and an empty signature (`header.payload.`).
    pub fn unsigned(self) -> String {
        let kid = self.signer_kid();
        let input = jws::signing_input(
            &self.header_map("none", &kid),
            &jws::payload(self.claims_map()),
        );
        jws::finish(input, b"")
    }

    /// The kid the header names, without generating keys.
    fn signer_kid(&self) -> String {
        match &self.kid {
            Some(kid) => kid.clone(),
            None => self
                .state
                .default_key()
                .map(|(kid, _)| kid)
                .unwrap_or_default(),
        }
    }
}
