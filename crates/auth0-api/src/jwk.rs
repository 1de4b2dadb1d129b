//! JSON Web Keys (RFC 7517/7518/8037): algorithms, public keys parsed once into
//! ready-to-verify aws-lc-rs keys, and RFC 7638 thumbprints.

use std::fmt;
use std::str::FromStr;

use aws_lc_rs::digest;
use aws_lc_rs::signature::{self, ParsedPublicKey, RsaPublicKeyComponents, VerificationAlgorithm};
use serde_json::{Map, Value};

use crate::jose::{b64_decode, b64_encode};

/// A JWS signature algorithm this library verifies. All are asymmetric: `none` and the
/// `HS*` family do not exist here.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Algorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    RS256,
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    RS384,
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    RS512,
    /// RSASSA-PSS with SHA-256.
    PS256,
    /// RSASSA-PSS with SHA-384.
    PS384,
    /// RSASSA-PSS with SHA-512.
    PS512,
    /// ECDSA on P-256 with SHA-256.
    ES256,
    /// ECDSA on P-384 with SHA-384.
    ES384,
    /// ECDSA on P-521 with SHA-512.
    ES512,
    /// Edwards-curve signatures (RFC 8037), Ed25519 keys.
    EdDSA,
    /// The fully-specified name for EdDSA on Ed25519 (RFC 9864).
    Ed25519,
}

/// The key type an algorithm needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum KeyType {
    Rsa,
    Ec(Curve),
    Ed25519,
}

/// Elliptic curves for ECDSA.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Curve {
    P256,
    P384,
    P521,
}

impl Curve {
    fn coordinate_len(self) -> usize {
        match self {
            Curve::P256 => 32,
            Curve::P384 => 48,
            Curve::P521 => 66,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Curve::P256 => "P-256",
            Curve::P384 => "P-384",
            Curve::P521 => "P-521",
        }
    }
}

impl Algorithm {
    /// Every algorithm, in the order used for the default allowlist and `algs`.
    pub const ALL: [Algorithm; 11] = [
        Algorithm::RS256,
        Algorithm::RS384,
        Algorithm::RS512,
        Algorithm::PS256,
        Algorithm::PS384,
        Algorithm::PS512,
        Algorithm::ES256,
        Algorithm::ES384,
        Algorithm::ES512,
        Algorithm::EdDSA,
        Algorithm::Ed25519,
    ];

    /// The JWS `alg` name.
    pub const fn name(self) -> &'static str {
        match self {
            Algorithm::RS256 => "RS256",
            Algorithm::RS384 => "RS384",
            Algorithm::RS512 => "RS512",
            Algorithm::PS256 => "PS256",
            Algorithm::PS384 => "PS384",
            Algorithm::PS512 => "PS512",
            Algorithm::ES256 => "ES256",
            Algorithm::ES384 => "ES384",
            Algorithm::ES512 => "ES512",
            Algorithm::EdDSA => "EdDSA",
            Algorithm::Ed25519 => "Ed25519",
        }
    }

    /// Parses a JWS `alg` name (exact, case-sensitive, as RFC 7515 requires).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.name() == name)
    }

    pub(crate) const fn key_type(self) -> KeyType {
        match self {
            Algorithm::RS256
            | Algorithm::RS384
            | Algorithm::RS512
            | Algorithm::PS256
            | Algorithm::PS384
            | Algorithm::PS512 => KeyType::Rsa,
            Algorithm::ES256 => KeyType::Ec(Curve::P256),
            Algorithm::ES384 => KeyType::Ec(Curve::P384),
            Algorithm::ES512 => KeyType::Ec(Curve::P521),
            Algorithm::EdDSA | Algorithm::Ed25519 => KeyType::Ed25519,
        }
    }

    /// aws-lc-rs parameters for the RSA algorithms (keys built from `n` and `e`).
    fn rsa_params(self) -> Option<&'static signature::RsaParameters> {
        Some(match self {
            Algorithm::RS256 => &signature::RSA_PKCS1_2048_8192_SHA256,
            Algorithm::RS384 => &signature::RSA_PKCS1_2048_8192_SHA384,
            Algorithm::RS512 => &signature::RSA_PKCS1_2048_8192_SHA512,
            Algorithm::PS256 => &signature::RSA_PSS_2048_8192_SHA256,
            Algorithm::PS384 => &signature::RSA_PSS_2048_8192_SHA384,
            Algorithm::PS512 => &signature::RSA_PSS_2048_8192_SHA512,
            _ => return None,
        })
    }

    /// aws-lc-rs algorithms for keys given as raw bytes (EC points, Ed25519 keys).
    fn raw_verification(self) -> Option<&'static dyn VerificationAlgorithm> {
        Some(match self {
            Algorithm::ES256 => &signature::ECDSA_P256_SHA256_FIXED,
            Algorithm::ES384 => &signature::ECDSA_P384_SHA384_FIXED,
            Algorithm::ES512 => &signature::ECDSA_P521_SHA512_FIXED,
            Algorithm::EdDSA | Algorithm::Ed25519 => &signature::ED25519,
            _ => return None,
        })
    }

    /// `EdDSA` and `Ed25519` name the same thing for an Ed25519 key.
    pub(crate) fn same_as(self, other: Algorithm) -> bool {
        self == other
            || (self.key_type() == KeyType::Ed25519 && other.key_type() == KeyType::Ed25519)
    }

    const fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The error for an unknown algorithm name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownAlgorithm(());

impl fmt::Display for UnknownAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("unknown or unsupported JWS algorithm")
    }
}

impl std::error::Error for UnknownAlgorithm {}

impl FromStr for Algorithm {
    type Err = UnknownAlgorithm;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Algorithm::from_name(s).ok_or(UnknownAlgorithm(()))
    }
}

/// A set of algorithms, as a bit set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub(crate) struct AlgSet(u16);

impl AlgSet {
    pub(crate) fn all() -> Self {
        Algorithm::ALL.into_iter().collect()
    }

    pub(crate) fn contains(self, alg: Algorithm) -> bool {
        self.0 & alg.bit() != 0
    }

    pub(crate) fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub(crate) fn iter(self) -> impl Iterator<Item = Algorithm> {
        Algorithm::ALL
            .into_iter()
            .filter(move |a| self.contains(*a))
    }
}

impl FromIterator<Algorithm> for AlgSet {
    fn from_iter<I: IntoIterator<Item = Algorithm>>(iter: I) -> Self {
        let mut set = AlgSet(0);
        for a in iter {
            set.0 |= a.bit();
        }
        set
    }
}

/// Why a JWK was not usable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum JwkError {
    /// `kty` missing or not one we verify with.
    UnsupportedKeyType,
    /// A required member is missing, not a string, or not strict base64url.
    Malformed,
    /// `use` is present and not `sig`.
    NotForSigning,
    /// The JWK carries private key material.
    PrivateKey,
    /// RSA modulus under 2048 bits (or over 8192).
    WeakKey,
    /// RSA `n` or `e` is not the minimal big-endian encoding (RFC 7518 §6.3.1.1): it
    /// starts with a zero byte, or is empty.
    NonMinimalInteger,
    /// The JWK's own `alg` is unknown or does not fit its key type.
    AlgorithmMismatch,
    /// aws-lc-rs refused the key (e.g. a point not on the curve).
    Rejected,
}

impl JwkError {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            JwkError::UnsupportedKeyType => "unsupported key type",
            JwkError::Malformed => "malformed key",
            JwkError::NotForSigning => "key use is not sig",
            JwkError::PrivateKey => "key contains private material",
            JwkError::WeakKey => "RSA key size outside 2048..=8192 bits",
            JwkError::NonMinimalInteger => "RSA n or e has leading zero bytes",
            JwkError::AlgorithmMismatch => "key alg does not fit its type",
            JwkError::Rejected => "key rejected by the crypto library",
        }
    }
}

impl fmt::Display for JwkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::error::Error for JwkError {}

/// Members that only private or symmetric keys have.
const PRIVATE_MEMBERS: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/// A public key parsed once, ready to verify signatures with each algorithm it may serve.
pub(crate) struct PublicKey {
    kid: Option<Box<str>>,
    key_type: KeyType,
    verifiers: Vec<(Algorithm, ParsedPublicKey)>,
    thumbprint: String,
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PublicKey")
            .field("kid", &self.kid)
            .field("key_type", &self.key_type)
            .field(
                "algs",
                &self
                    .verifiers
                    .iter()
                    .map(|(a, _)| a.name())
                    .collect::<Vec<_>>(),
            )
            .finish()
    }
}

fn b64_member(jwk: &Map<String, Value>, name: &str) -> Result<(Vec<u8>, String), JwkError> {
    let s = jwk
        .get(name)
        .and_then(Value::as_str)
        .ok_or(JwkError::Malformed)?;
    let bytes = b64_decode(s.as_bytes()).ok_or(JwkError::Malformed)?;
    // The thumbprint (RFC 7638 §3) is computed over the base64url encoding of the decoded
    // bytes, not over whatever spelling the JWK used.
    let canonical = b64_encode(&bytes);
    Ok((bytes, canonical))
}

/// Whether `b` is a minimal unsigned big-endian integer as RFC 7518 §6.3.1.1 requires for
/// `n` and `e`: not empty, and no leading zero byte. A non-minimal encoding would give the
/// same key a second RFC 7638 thumbprint, so it is refused rather than normalized.
fn is_minimal_uint(b: &[u8]) -> bool {
    b.first().is_some_and(|first| *first != 0)
}

fn bit_len(b: &[u8]) -> usize {
    match b.first() {
        None => 0,
        Some(first) => (b.len() - 1) * 8 + (8 - first.leading_zeros() as usize),
    }
}

impl PublicKey {
    /// Parses a public JWK. Only algorithms in `allowed` get a verifier; a JWK `alg`, when
    /// present, restricts the key to that algorithm.
    pub(crate) fn from_jwk(jwk: &Map<String, Value>, allowed: AlgSet) -> Result<Self, JwkError> {
        if PRIVATE_MEMBERS.iter().any(|m| jwk.contains_key(*m)) {
            return Err(JwkError::PrivateKey);
        }
        match jwk.get("use") {
            None => {}
            Some(Value::String(u)) if u == "sig" => {}
            Some(_) => return Err(JwkError::NotForSigning),
        }
        let kid = match jwk.get("kid") {
            None => None,
            Some(Value::String(k)) => Some(k.clone().into_boxed_str()),
            Some(_) => return Err(JwkError::Malformed),
        };
        let jwk_alg = match jwk.get("alg") {
            None => None,
            Some(Value::String(a)) => {
                Some(Algorithm::from_name(a).ok_or(JwkError::AlgorithmMismatch)?)
            }
            Some(_) => return Err(JwkError::Malformed),
        };
        let kty = jwk
            .get("kty")
            .and_then(Value::as_str)
            .ok_or(JwkError::UnsupportedKeyType)?;
        let crv = jwk.get("crv").and_then(Value::as_str);

        let (key_type, thumbprint, material) = match kty {
            "RSA" => {
                let (n, n_s) = b64_member(jwk, "n")?;
                let (e, e_s) = b64_member(jwk, "e")?;
                if !is_minimal_uint(&n) || !is_minimal_uint(&e) {
                    return Err(JwkError::NonMinimalInteger);
                }
                if !(2048..=8192).contains(&bit_len(&n)) {
                    return Err(JwkError::WeakKey);
                }
                if e.len() > 8 {
                    return Err(JwkError::Malformed);
                }
                let tp = format!(r#"{{"e":"{e_s}","kty":"RSA","n":"{n_s}"}}"#);
                (KeyType::Rsa, tp, Material::Rsa { n, e })
            }
            "EC" => {
                let curve = match crv {
                    Some("P-256") => Curve::P256,
                    Some("P-384") => Curve::P384,
                    Some("P-521") => Curve::P521,
                    _ => return Err(JwkError::UnsupportedKeyType),
                };
                let (x, x_s) = b64_member(jwk, "x")?;
                let (y, y_s) = b64_member(jwk, "y")?;
                let len = curve.coordinate_len();
                if x.len() != len || y.len() != len {
                    return Err(JwkError::Malformed);
                }
                let mut point = Vec::with_capacity(1 + 2 * len);
                point.push(4);
                point.extend_from_slice(&x);
                point.extend_from_slice(&y);
                let tp = format!(
                    r#"{{"crv":"{}","kty":"EC","x":"{x_s}","y":"{y_s}"}}"#,
                    curve.name()
                );
                (KeyType::Ec(curve), tp, Material::Raw(point))
            }
            "OKP" => {
                if crv != Some("Ed25519") {
                    return Err(JwkError::UnsupportedKeyType);
                }
                let (x, x_s) = b64_member(jwk, "x")?;
                if x.len() != 32 {
                    return Err(JwkError::Malformed);
                }
                let tp = format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{x_s}"}}"#);
                (KeyType::Ed25519, tp, Material::Raw(x))
            }
            _ => return Err(JwkError::UnsupportedKeyType),
        };

        if let Some(a) = jwk_alg {
            if a.key_type() != key_type {
                return Err(JwkError::AlgorithmMismatch);
            }
        }

        let mut verifiers = Vec::new();
        for alg in allowed.iter() {
            if alg.key_type() != key_type || jwk_alg.is_some_and(|j| !j.same_as(alg)) {
                continue;
            }
            let parsed = match (&material, alg.rsa_params(), alg.raw_verification()) {
                (Material::Rsa { n, e }, Some(params), _) => RsaPublicKeyComponents {
                    n: n.as_slice(),
                    e: e.as_slice(),
                }
                .to_parsed_public_key(params),
                (Material::Raw(bytes), _, Some(verification)) => {
                    ParsedPublicKey::new(verification, bytes)
                }
                _ => continue,
            }
            .map_err(|_| JwkError::Rejected)?;
            verifiers.push((alg, parsed));
        }

        let thumbprint =
            b64_encode(digest::digest(&digest::SHA256, thumbprint.as_bytes()).as_ref());
        Ok(Self {
            kid,
            key_type,
            verifiers,
            thumbprint,
        })
    }

    /// The key's `kid`, if it has one.
    pub(crate) fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// Whether this key can verify `alg` (type, curve, JWK `alg` and allowlist all fit).
    pub(crate) fn supports(&self, alg: Algorithm) -> bool {
        self.verifiers.iter().any(|(a, _)| *a == alg)
    }

    /// Whether the key's type is the one `alg` needs (whatever the allowlist says).
    pub(crate) fn fits_type(&self, alg: Algorithm) -> bool {
        self.key_type == alg.key_type()
    }

    /// Verifies `signature` over `message` with `alg`. `false` when the key cannot serve
    /// `alg` or the signature is wrong.
    pub(crate) fn verify(&self, alg: Algorithm, message: &[u8], sig: &[u8]) -> bool {
        self.verifiers
            .iter()
            .find(|(a, _)| *a == alg)
            .is_some_and(|(_, key)| key.verify_sig(message, sig).is_ok())
    }

    /// The RFC 7638 SHA-256 thumbprint, base64url.
    pub(crate) fn thumbprint(&self) -> &str {
        &self.thumbprint
    }

    /// Whether this key has the same key material as `other` (same thumbprint and
    /// algorithms), so a refresh can keep the already-parsed key.
    pub(crate) fn same_key(&self, other: &PublicKey) -> bool {
        self.thumbprint == other.thumbprint
            && self.kid == other.kid
            && self.verifiers.len() == other.verifiers.len()
            && self
                .verifiers
                .iter()
                .zip(&other.verifiers)
                .all(|((a, _), (b, _))| a == b)
    }
}

enum Material {
    Rsa { n: Vec<u8>, e: Vec<u8> },
    Raw(Vec<u8>),
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    /// RFC 7638 §3.1.
    pub(super) const RFC7638_N: &str = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";

    #[test]
    fn rfc7638_thumbprint_rsa() {
        let k = PublicKey::from_jwk(
            &obj(json!({"kty":"RSA","n":RFC7638_N,"e":"AQAB","alg":"RS256","kid":"2011-04-29"})),
            AlgSet::all(),
        );
        let k = k.map_err(|e| e.as_str());
        assert_eq!(
            k.as_ref().map(|k| k.thumbprint()),
            Ok("NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs")
        );
    }

    #[test]
    fn ec_thumbprint_known_answer() {
        let k = PublicKey::from_jwk(
            &obj(json!({"kty":"EC","crv":"P-256",
                "x":"MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4",
                "y":"4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM"})),
            AlgSet::all(),
        );
        assert_eq!(
            k.as_ref().map(|k| k.thumbprint()).map_err(|e| *e),
            Ok("cn-I_WNMClehiVp51i_0VpOENW1upEerA8sEam5hn-s")
        );
    }

    #[test]
    fn rsa_key_serves_only_allowed_and_declared_algs() {
        let only_rs256 = PublicKey::from_jwk(
            &obj(json!({"kty":"RSA","n":RFC7638_N,"e":"AQAB","alg":"RS256"})),
            AlgSet::all(),
        );
        let k = only_rs256.expect("key refused");
        assert!(k.supports(Algorithm::RS256));
        assert!(!k.supports(Algorithm::PS256));
        let any = PublicKey::from_jwk(
            &obj(json!({"kty":"RSA","n":RFC7638_N,"e":"AQAB"})),
            [Algorithm::PS384].into_iter().collect(),
        );
        let k = any.expect("key refused");
        assert!(k.supports(Algorithm::PS384));
        assert!(!k.supports(Algorithm::RS256));
        assert!(k.fits_type(Algorithm::RS256));
        assert!(!k.fits_type(Algorithm::ES256));
    }

    #[test]
    fn rejections() {
        let short_n = b64_encode(&[0xC5; 128]); // 1024 bits
        let cases: Vec<(Value, JwkError)> = vec![
            (
                json!({"kty":"RSA","n":short_n,"e":"AQAB"}),
                JwkError::WeakKey,
            ),
            (json!({"kty":"RSA","n":RFC7638_N}), JwkError::Malformed),
            (
                json!({"kty":"RSA","n":RFC7638_N,"e":"AQAB","d":"AQAB"}),
                JwkError::PrivateKey,
            ),
            (
                json!({"kty":"RSA","n":RFC7638_N,"e":"AQAB","use":"enc"}),
                JwkError::NotForSigning,
            ),
            (
                json!({"kty":"RSA","n":RFC7638_N,"e":"AQAB","alg":"ES256"}),
                JwkError::AlgorithmMismatch,
            ),
            (
                json!({"kty":"RSA","n":RFC7638_N,"e":"AQAB","alg":"HS256"}),
                JwkError::AlgorithmMismatch,
            ),
            (
                json!({"kty":"RSA","n":format!("{RFC7638_N}="),"e":"AQAB"}),
                JwkError::Malformed,
            ),
            (json!({"kty":"oct","k":"AAAA"}), JwkError::PrivateKey),
            (json!({"kty":"oct"}), JwkError::UnsupportedKeyType),
            (json!({"n":"x"}), JwkError::UnsupportedKeyType),
            (
                json!({"kty":"EC","crv":"P-256","x":"AAAA","y":"AAAA"}),
                JwkError::Malformed,
            ),
            (
                json!({"kty":"EC","crv":"secp256k1","x":"AAAA","y":"AAAA"}),
                JwkError::UnsupportedKeyType,
            ),
            (
                json!({"kty":"EC","crv":"P-256","x":b64_encode(&[1;32]),"y":b64_encode(&[2;32])}),
                JwkError::Rejected,
            ),
            (
                json!({"kty":"OKP","crv":"X25519","x":b64_encode(&[1;32])}),
                JwkError::UnsupportedKeyType,
            ),
            (
                json!({"kty":"OKP","crv":"Ed25519","x":b64_encode(&[1;31])}),
                JwkError::Malformed,
            ),
            (
                json!({"kty":"OKP","crv":"Ed25519","x":b64_encode(&[1;32]),"kid":5}),
                JwkError::Malformed,
            ),
        ];
        for (jwk, want) in cases {
            let got = PublicKey::from_jwk(&obj(jwk.clone()), AlgSet::all()).map(|_| ());
            assert_eq!(got, Err(want), "{jwk}");
        }
    }

    /// RFC 7518 §6.3.1.1: `n` and `e` are minimal unsigned integers. A zero-padded copy of
    /// a valid key is refused instead of being normalized to the same key.
    #[test]
    fn rsa_integers_with_leading_zero_bytes_are_refused() {
        let n = b64_decode(RFC7638_N.as_bytes()).expect("test modulus");
        let mut padded_n = vec![0u8];
        padded_n.extend_from_slice(&n);
        let padded_n = b64_encode(&padded_n);
        let cases = [
            json!({"kty":"RSA","n":padded_n,"e":"AQAB"}),
            json!({"kty":"RSA","n":RFC7638_N,"e":"AAEAAQ"}),
            json!({"kty":"RSA","n":RFC7638_N,"e":"AA"}),
            json!({"kty":"RSA","n":RFC7638_N,"e":""}),
            json!({"kty":"RSA","n":"","e":"AQAB"}),
        ];
        for jwk in cases {
            let got = PublicKey::from_jwk(&obj(jwk.clone()), AlgSet::all()).map(|_| ());
            assert_eq!(got, Err(JwkError::NonMinimalInteger), "{jwk}");
        }
        // The minimal form of the same key is fine.
        let ok = PublicKey::from_jwk(
            &obj(json!({"kty":"RSA","n":RFC7638_N,"e":"AQAB"})),
            AlgSet::all(),
        );
        assert!(ok.is_ok());
    }

    #[test]
    fn algorithm_names() {
        for a in Algorithm::ALL {
            assert_eq!(Algorithm::from_name(a.name()), Some(a));
            assert_eq!(a.name().parse::<Algorithm>(), Ok(a));
        }
        for bad in ["none", "HS256", "HS384", "HS512", "rs256", "", "ES256K"] {
            assert_eq!(Algorithm::from_name(bad), None, "{bad}");
        }
        assert!(Algorithm::EdDSA.same_as(Algorithm::Ed25519));
        assert!(!Algorithm::RS256.same_as(Algorithm::PS256));
    }

    #[test]
    fn bit_len_counts() {
        assert_eq!(bit_len(&[]), 0);
        assert_eq!(bit_len(&[1]), 1);
        assert_eq!(bit_len(&[0x80, 0]), 16);
        assert!(is_minimal_uint(&[1, 0]));
        assert!(!is_minimal_uint(&[0, 1]));
        assert!(!is_minimal_uint(&[]));
    }
}

#[cfg(test)]
mod robustness {
    use super::*;
    use aws_lc_rs::rand::{SecureRandom, SystemRandom};
    use serde_json::json;

    /// Random member values of every key type never panic the parser.
    #[test]
    fn hostile_jwks_never_panic() {
        let rng = SystemRandom::new();
        let mut buf = [0u8; 200];
        let ktys = ["RSA", "EC", "OKP", "oct", "", "rsa"];
        let crvs = ["P-256", "P-384", "P-521", "Ed25519", "X25519", "secp256k1"];
        for round in 0..5_000usize {
            rng.fill(&mut buf).unwrap_or_default();
            let len = buf[0] as usize % 140;
            let member = b64_encode(&buf[1..1 + len]);
            let jwk = json!({
                "kty": ktys[round % ktys.len()],
                "crv": crvs[(round / 6) % crvs.len()],
                "n": member, "e": b64_encode(&buf[150..150 + buf[149] as usize % 40]),
                "x": member, "y": b64_encode(&buf[1..1 + (buf[148] as usize % 140)]),
                "alg": Algorithm::ALL[round % Algorithm::ALL.len()].name(),
            });
            if let Value::Object(m) = jwk {
                let _ = PublicKey::from_jwk(&m, AlgSet::all());
            }
        }
    }
}

#[cfg(test)]
mod properties {
    use std::sync::OnceLock;

    use aws_lc_rs::rand::SystemRandom;
    use aws_lc_rs::signature::{
        ECDSA_P256_SHA256_FIXED_SIGNING, ECDSA_P384_SHA384_FIXED_SIGNING,
        ECDSA_P521_SHA512_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair, KeyPair as _,
    };
    use proptest::prelude::*;
    use proptest::sample::select;

    use super::*;
    use crate::jose::parse_object;
    use crate::jwk::tests::RFC7638_N;

    /// A real public key: its RFC 7638 required members (name, string value) and an
    /// algorithm it may declare.
    struct TestKey {
        required: Vec<(&'static str, String)>,
        alg: &'static str,
    }

    impl TestKey {
        /// The thumbprint computed straight from RFC 7638 §3.3: the required members in
        /// lexicographic order, no whitespace, SHA-256, base64url.
        fn expected_thumbprint(&self) -> String {
            let mut members = self.required.clone();
            members.sort();
            let body: Vec<String> = members
                .iter()
                .map(|(k, v)| format!(r#""{k}":"{v}""#))
                .collect();
            let json = format!("{{{}}}", body.join(","));
            b64_encode(digest::digest(&digest::SHA256, json.as_bytes()).as_ref())
        }
    }

    fn ec(
        alg: &'static signature::EcdsaSigningAlgorithm,
        crv: &'static str,
        name: &'static str,
    ) -> TestKey {
        let pair = EcdsaKeyPair::generate(alg).expect("generate EC key");
        // Uncompressed point: 0x04 || x || y.
        let point = pair.public_key().as_ref();
        let (x, y) = point[1..].split_at((point.len() - 1) / 2);
        TestKey {
            required: vec![
                ("kty", "EC".into()),
                ("crv", crv.into()),
                ("x", b64_encode(x)),
                ("y", b64_encode(y)),
            ],
            alg: name,
        }
    }

    fn keys() -> &'static [TestKey] {
        static KEYS: OnceLock<Vec<TestKey>> = OnceLock::new();
        KEYS.get_or_init(|| {
            let doc =
                Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).expect("generate Ed25519 key");
            let ed = Ed25519KeyPair::from_pkcs8(doc.as_ref()).expect("parse Ed25519 key");
            vec![
                TestKey {
                    required: vec![
                        ("kty", "RSA".into()),
                        ("n", RFC7638_N.into()),
                        ("e", "AQAB".into()),
                    ],
                    alg: "RS256",
                },
                ec(&ECDSA_P256_SHA256_FIXED_SIGNING, "P-256", "ES256"),
                ec(&ECDSA_P384_SHA384_FIXED_SIGNING, "P-384", "ES384"),
                ec(&ECDSA_P521_SHA512_FIXED_SIGNING, "P-521", "ES512"),
                TestKey {
                    required: vec![
                        ("kty", "OKP".into()),
                        ("crv", "Ed25519".into()),
                        ("x", b64_encode(ed.public_key().as_ref())),
                    ],
                    alg: "EdDSA",
                },
            ]
        })
    }

    /// A JSON string literal; each ASCII character flagged in `escapes` is written as a
    /// `\uXXXX` escape, which JSON says is the same string.
    fn json_string(s: &str, escapes: &mut impl Iterator<Item = bool>) -> String {
        let mut out = String::from('"');
        for c in s.chars() {
            if c.is_ascii() && escapes.next().unwrap_or(false) {
                out.push_str(&format!("\\u{:04x}", u32::from(c)));
            } else {
                out.push(c);
            }
        }
        out.push('"');
        out
    }

    /// JSON whitespace (RFC 8259 §2), including none.
    fn ws() -> impl Strategy<Value = &'static str> {
        select(vec!["", "", " ", "\t", "\n", "\r\n", " \n\t  "])
    }

    /// The JSON text of one of the test keys, with its members in any order, any
    /// whitespace between tokens, some characters escaped, and optional `kid`, `use` and
    /// `alg` members; with the key's index and the `kid` it carries.
    fn jwk_text() -> impl Strategy<Value = (usize, String, Option<String>)> {
        (
            0..keys().len(),
            proptest::option::of(any::<String>()),
            any::<bool>(),
            any::<bool>(),
        )
            .prop_flat_map(|(index, kid, with_use, with_alg)| {
                let key = &keys()[index];
                // Each member: name and its JSON value text (None: escapable string).
                let mut members: Vec<(&'static str, Option<String>, String)> = key
                    .required
                    .iter()
                    .map(|(k, v)| (*k, None, v.clone()))
                    .collect();
                if let Some(kid) = &kid {
                    let literal = serde_json::to_string(kid).unwrap_or_default();
                    members.push(("kid", Some(literal), String::new()));
                }
                if with_use {
                    members.push(("use", None, "sig".into()));
                }
                if with_alg {
                    members.push(("alg", None, key.alg.into()));
                }
                let n = members.len();
                (
                    Just(index),
                    Just(kid),
                    Just(members).prop_shuffle(),
                    prop::collection::vec(ws(), 4 * n + 2),
                    prop::collection::vec(prop::bool::weighted(0.05), 2048),
                )
            })
            .prop_map(|(index, kid, members, spaces, escapes)| {
                let mut spaces = spaces.into_iter();
                let mut ws = || spaces.next().unwrap_or("");
                let mut escapes = escapes.into_iter();
                let mut text = format!("{}{{", ws());
                for (i, (name, literal, value)) in members.iter().enumerate() {
                    if i > 0 {
                        text.push(',');
                    }
                    text.push_str(ws());
                    text.push_str(&json_string(name, &mut escapes));
                    text.push_str(ws());
                    text.push(':');
                    text.push_str(ws());
                    match literal {
                        Some(literal) => text.push_str(literal),
                        None => text.push_str(&json_string(value, &mut escapes)),
                    }
                    text.push_str(ws());
                }
                text.push('}');
                text.push_str(ws());
                (index, text, kid)
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// RFC 7638 §3: the thumbprint depends on the required members' values only,
        /// not on member order, whitespace, escapes or other members.
        #[test]
        fn thumbprint_ignores_order_whitespace_and_extra_members(
            (index, text, kid) in jwk_text()
        ) {
            let key = &keys()[index];
            let jwk = parse_object(text.as_bytes());
            prop_assert!(jwk.is_some(), "{} does not parse", text);
            let parsed = PublicKey::from_jwk(&jwk.unwrap_or_default(), AlgSet::all());
            prop_assert!(parsed.is_ok(), "{} refused: {:?}", text, parsed.as_ref().err());
            let parsed = parsed.expect("checked");
            prop_assert_eq!(parsed.thumbprint(), key.expected_thumbprint());
            prop_assert_eq!(parsed.kid(), kid.as_deref());
        }

        /// Parsing arbitrary JSON objects as JWKs never panics.
        #[test]
        fn arbitrary_jwk_objects_never_panic(
            members in prop::collection::vec(
                (
                    select(vec!["kty", "crv", "n", "e", "x", "y", "d", "kid", "use", "alg",
                             "key_ops"]),
                    prop_oneof![
                        select(vec!["RSA", "EC", "OKP", "oct", "P-256", "P-384", "P-521",
                                 "Ed25519", "X25519", "AQAB", "AA", "", "sig", "enc",
                                 "RS256", "ES256", "EdDSA", "none", RFC7638_N])
                            .prop_map(|s| serde_json::Value::String(s.into())),
                        "[A-Za-z0-9_-]{0,100}".prop_map(serde_json::Value::String),
                        any::<i64>().prop_map(serde_json::Value::from),
                        Just(serde_json::Value::Null),
                    ],
                ),
                0..8,
            )
        ) {
            let jwk: Map<String, Value> =
                members.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
            if let Ok(key) = PublicKey::from_jwk(&jwk, AlgSet::all()) {
                for alg in AlgSet::all().iter() {
                    let _ = key.verify(alg, b"message", &[0; 64]);
                }
            }
        }
    }
}
