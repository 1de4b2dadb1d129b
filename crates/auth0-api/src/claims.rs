//! Verified access-token claims.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::error::{Error, ErrorKind, Scheme};
use crate::payload::{Date, Payload, Registered, Strings, Text};

/// The verified claims of an access token: cheap to clone (shared behind an `Arc`), with
/// typed access to the registered claims and `get::<T>()` for custom ones.
///
/// The registered claims are read while the token is verified; custom claims stay JSON
/// text until first asked for, then are parsed once and kept (a cached token shares them).
///
/// Only produced by the verifier, after the signature and every claim check passed.
#[derive(Clone)]
pub struct Claims {
    inner: Arc<Inner>,
    /// The scheme the token was presented with; `None` from the token-only entry.
    scheme: Option<Scheme>,
    /// Which verifier produced these claims.
    verifier: VerifierId,
}

/// Identifies one [`Auth0`](crate::Auth0) verifier (and its clones), so that claims a
/// verifier stored in a request are trusted only by that same verifier.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct VerifierId(u64);

impl VerifierId {
    /// A fresh identity, never handed out before in this process.
    pub(crate) fn next() -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        Self(NEXT.fetch_add(1, Ordering::Relaxed))
    }

    /// Claims made outside any verifier (unit tests).
    #[cfg(test)]
    pub(crate) const NONE: Self = Self(0);
}

/// The RFC 7638 JWK SHA-256 thumbprint a DPoP-bound token is bound to (`cnf.jkt`,
/// RFC 9449 §6.1), base64url without padding.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Jkt(Box<str>);

impl Jkt {
    pub(crate) fn new(s: &str) -> Self {
        Self(s.into())
    }

    /// The thumbprint as written in the token.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Jkt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Jkt({:?})", &*self.0)
    }
}

impl fmt::Display for Jkt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl PartialEq<str> for Jkt {
    fn eq(&self, other: &str) -> bool {
        *self.0 == *other
    }
}

impl PartialEq<&str> for Jkt {
    fn eq(&self, other: &&str) -> bool {
        *self.0 == **other
    }
}

/// The payload text with its registered claims read; custom claims are parsed into a map
/// only when asked for.
struct Inner {
    text: String,
    registered: Box<Registered>,
    exp: u64,
    nbf: Option<u64>,
    iat: Option<u64>,
    jkt: Option<Jkt>,
    map: OnceLock<Map<String, Value>>,
}

/// Why claims could not be read into a type.
#[derive(Debug)]
pub struct ClaimsError {
    inner: serde_json::Error,
}

impl fmt::Display for ClaimsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The serde message is the source; it may quote claim values.
        f.write_str("claims do not match the requested type")
    }
}

impl std::error::Error for ClaimsError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.inner)
    }
}

/// Reads a JWT `NumericDate`: a non-negative JSON number, fractions truncated.
#[cfg(test)]
pub(crate) fn numeric_date(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n.as_u64().or_else(|| n.as_f64().and_then(date_from_f64)),
        _ => None,
    }
}

/// A `NumericDate` written as a fraction (or too large for an integer): non-negative and
/// below 10^15 seconds, truncated.
pub(crate) fn date_from_f64(f: f64) -> Option<u64> {
    (0.0..1.0e15).contains(&f).then_some(f as u64)
}

fn date_claim(date: Date, name: &'static str) -> Result<Option<u64>, Error> {
    match date {
        Date::Absent => Ok(None),
        Date::At(d) => Ok(Some(d)),
        Date::Invalid => Err(Error::new(ErrorKind::InvalidClaim).with_detail(name)),
    }
}

impl Claims {
    /// Wraps a checked payload, reading the time claims. Fails on a time claim that is not
    /// a NumericDate, or a missing `exp`.
    pub(crate) fn from_payload(payload: Payload, verifier: VerifierId) -> Result<Self, Error> {
        let Payload { text, registered } = payload;
        let exp = date_claim(registered.exp, "exp")?
            .ok_or_else(|| Error::new(ErrorKind::MissingClaim).with_detail("exp"))?;
        let nbf = date_claim(registered.nbf, "nbf")?;
        let iat = date_claim(registered.iat, "iat")?;
        let jkt = registered.jkt.as_ref().map(|j| Jkt::new(j.get(&text)));
        Ok(Self {
            inner: Arc::new(Inner {
                text,
                registered,
                exp,
                nbf,
                iat,
                jkt,
                map: OnceLock::new(),
            }),
            scheme: None,
            verifier,
        })
    }

    /// Claims from a JSON object (tests).
    #[cfg(test)]
    pub(crate) fn from_map(map: Map<String, Value>, verifier: VerifierId) -> Result<Self, Error> {
        let text = serde_json::to_vec(&Value::Object(map)).unwrap_or_default();
        let payload = crate::payload::parse(text, &crate::payload::Watched::NONE)
            .ok_or_else(|| Error::new(ErrorKind::MalformedToken))?;
        Self::from_payload(payload, verifier)
    }

    /// The same claims, recorded as presented with `scheme`.
    pub(crate) fn with_scheme(mut self, scheme: Scheme) -> Self {
        self.scheme = Some(scheme);
        self
    }

    /// The scheme the token was verified under: `Bearer` or `DPoP` from a request, `None`
    /// from [`Auth0::verify_access_token`](crate::Auth0::verify_access_token).
    pub fn scheme(&self) -> Option<Scheme> {
        self.scheme
    }

    pub(crate) fn verifier(&self) -> VerifierId {
        self.verifier
    }

    /// The subject (`sub`), when it is a string.
    pub fn sub(&self) -> Option<&str> {
        self.text(self.inner.registered.sub.as_ref())
    }

    /// The issuer (`iss`). Always present on verified claims.
    pub fn iss(&self) -> &str {
        self.text(self.inner.registered.iss.as_ref())
            .unwrap_or_default()
    }

    /// The audiences (`aud`), whether the token carries a string or an array.
    pub fn audiences(&self) -> impl Iterator<Item = &str> {
        self.strings(&self.inner.registered.aud, false)
    }

    /// Expiry (`exp`), seconds since the epoch.
    pub fn exp(&self) -> u64 {
        self.inner.exp
    }

    /// Issued-at (`iat`), seconds since the epoch.
    pub fn iat(&self) -> Option<u64> {
        self.inner.iat
    }

    /// Not-before (`nbf`), seconds since the epoch.
    pub fn nbf(&self) -> Option<u64> {
        self.inner.nbf
    }

    /// The authorized party (`azp`), or `client_id` (RFC 9068) when `azp` is absent.
    pub fn client_id(&self) -> Option<&str> {
        let r = &self.inner.registered;
        self.text(r.azp.as_ref())
            .or_else(|| self.text(r.client_id.as_ref()))
    }

    /// The scopes: the space-delimited `scope` claim (an array of strings is accepted too).
    pub fn scopes(&self) -> impl Iterator<Item = &str> {
        self.strings(&self.inner.registered.scope, true)
    }

    /// Whether `scope` is among [`Claims::scopes`].
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes().any(|s| s == scope)
    }

    /// Auth0 RBAC permissions: the `permissions` array.
    pub fn permissions(&self) -> impl Iterator<Item = &str> {
        self.strings(&self.inner.registered.permissions, false)
    }

    /// Whether `permission` is among [`Claims::permissions`].
    pub fn has_permission(&self, permission: &str) -> bool {
        self.permissions().any(|p| p == permission)
    }

    /// The DPoP binding (`cnf.jkt`, RFC 9449 §6.1), when the token is bound.
    pub fn jkt(&self) -> Option<&Jkt> {
        self.inner.jkt.as_ref()
    }

    /// Whether the token carries a `cnf` confirmation claim at all.
    pub(crate) fn has_cnf(&self) -> bool {
        self.inner.registered.cnf
    }

    /// A claim deserialized into `T`; `None` when absent or of another shape.
    pub fn get<T: DeserializeOwned>(&self, name: &str) -> Option<T> {
        self.as_map().get(name).and_then(|v| T::deserialize(v).ok())
    }

    /// A claim as raw JSON.
    pub fn get_value(&self, name: &str) -> Option<&Value> {
        self.as_map().get(name)
    }

    /// Whether the claim `name` is present (and not `null`).
    pub fn contains(&self, name: &str) -> bool {
        self.as_map().get(name).is_some_and(|v| !v.is_null())
    }

    /// All claims as a JSON object (parsed from the payload on first use, then kept).
    pub fn as_map(&self) -> &Map<String, Value> {
        // The text passed the same strict grammar when the token was verified, so this
        // parse succeeds; an empty map is only a no-panic fallback.
        self.inner.map.get_or_init(|| {
            crate::jose::parse_object(self.inner.text.as_bytes()).unwrap_or_default()
        })
    }

    /// The whole payload deserialized into the caller's own type.
    pub fn deserialize<T: DeserializeOwned>(&self) -> Result<T, ClaimsError> {
        serde_json::from_str(&self.inner.text).map_err(|inner| ClaimsError { inner })
    }

    fn text<'a>(&'a self, t: Option<&'a Text>) -> Option<&'a str> {
        t.map(|t| t.get(&self.inner.text))
    }

    /// Strings from a claim that is a string (space-delimited when `split`) or an array of
    /// strings (each member whole); other shapes yield nothing.
    fn strings<'a>(&'a self, v: &'a Strings, split: bool) -> impl Iterator<Item = &'a str> {
        let text = &*self.inner.text;
        let spaced = match v {
            Strings::One(s) if split => Some(s.get(text)),
            _ => None,
        };
        let whole = spaced.is_none().then(|| v.iter(text));
        spaced
            .into_iter()
            .flat_map(|s| s.split(' ').filter(|p| !p.is_empty()))
            .chain(whole.into_iter().flatten())
    }
}

impl fmt::Debug for Claims {
    /// Shows the registered claims only; custom claims may hold personal data.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Claims")
            .field("iss", &self.iss())
            .field("sub", &self.sub())
            .field("aud", &self.audiences().collect::<Vec<_>>())
            .field("exp", &self.inner.exp)
            .field("scope", &self.scopes().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::json;

    fn claims(v: Value) -> Result<Claims, Error> {
        match v {
            Value::Object(m) => Claims::from_map(m, VerifierId::NONE),
            _ => Err(ErrorKind::MalformedToken.into()),
        }
    }

    #[test]
    fn registered_claims() {
        let c = claims(json!({"iss":"https://i/","sub":"u1","aud":["a","b"],"exp":100,"iat":50.7,
            "scope":"read:data  write:data","permissions":["p1",3,"p2"],"cnf":{"jkt":"abc"},"azp":"c1"}))
        .unwrap();
        assert_eq!(c.sub(), Some("u1"));
        assert_eq!(c.iss(), "https://i/");
        assert_eq!(c.audiences().collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(c.exp(), 100);
        assert_eq!(c.iat(), Some(50));
        assert_eq!(c.scopes().collect::<Vec<_>>(), ["read:data", "write:data"]);
        assert!(c.has_scope("write:data") && !c.has_scope("read"));
        assert_eq!(c.permissions().collect::<Vec<_>>(), ["p1", "p2"]);
        assert!(c.has_permission("p2"));
        assert_eq!(c.jkt().map(Jkt::as_str), Some("abc"));
        assert_eq!(c.client_id(), Some("c1"));
        assert_eq!(c.get::<String>("sub").as_deref(), Some("u1"));
        assert_eq!(c.get::<u64>("sub"), None);
        assert!(c.contains("cnf") && !c.contains("nope"));
    }

    #[test]
    fn custom_claims_are_parsed_only_when_asked_for() {
        let c = claims(json!({"exp":1,"sub":"s","org":{"id":"o","tier":2},"roles":["a"]})).unwrap();
        assert_eq!(c.sub(), Some("s"));
        assert!(c.inner.map.get().is_none(), "registered claims need no map");
        assert_eq!(c.get_value("org"), Some(&json!({"id":"o","tier":2})));
        assert_eq!(
            c.as_map(),
            json!({"exp":1,"sub":"s","org":{"id":"o","tier":2},"roles":["a"]})
                .as_object()
                .unwrap()
        );
        assert_eq!(c.get::<Vec<String>>("roles"), Some(vec!["a".to_owned()]));
    }

    #[test]
    fn scope_as_array_and_single_audience() {
        let c = claims(json!({"exp":1,"aud":"x","scope":["a","b"]})).unwrap();
        assert_eq!(c.scopes().collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(c.audiences().collect::<Vec<_>>(), ["x"]);
        assert_eq!(c.permissions().count(), 0);
        assert_eq!(c.jkt(), None);
    }

    #[test]
    fn bad_time_claims() {
        let kind = |v| claims(v).map(|_| ()).map_err(|e| e.kind());
        assert_eq!(kind(json!({"iat":1})), Err(ErrorKind::MissingClaim));
        assert_eq!(kind(json!({"exp":"1"})), Err(ErrorKind::InvalidClaim));
        assert_eq!(kind(json!({"exp":-1})), Err(ErrorKind::InvalidClaim));
        assert_eq!(
            kind(json!({"exp":1,"nbf":null})),
            Err(ErrorKind::InvalidClaim)
        );
        assert_eq!(
            kind(json!({"exp":1,"iat":true})),
            Err(ErrorKind::InvalidClaim)
        );
        assert_eq!(kind(json!({"exp":1e300})), Err(ErrorKind::InvalidClaim));
    }

    #[test]
    fn deserialize_into_user_type() {
        #[derive(Deserialize)]
        struct Mine {
            sub: String,
            org_id: Option<String>,
        }
        let c = claims(json!({"exp":1,"sub":"s","org_id":"o"})).unwrap();
        let m: Mine = c.deserialize().expect("deserialize");
        assert_eq!((m.sub.as_str(), m.org_id.as_deref()), ("s", Some("o")));
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct Needs {
            tenant: String,
        }
        assert!(c.deserialize::<Needs>().is_err());
    }

    #[test]
    fn debug_omits_custom_claims() {
        let c = claims(json!({"exp":1,"sub":"s","email":"secret@example.com"})).unwrap();
        assert!(!format!("{c:?}").contains("secret@example.com"));
    }
}
