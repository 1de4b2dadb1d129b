//! Key pairs the issuer and DPoP clients sign with.

use std::fmt;

use aws_lc_rs::encoding::{AsBigEndian, AsDer, EcPrivateKeyBin, Pkcs8V1Der, PublicKeyX509Der};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair as _, RsaKeyPair};
use serde_json::{Map, Value};

use crate::alg::{AlgExt as _, Algorithm, Curve, Family};
use crate::{b64, der};

/// A private key generated for one algorithm.
pub(crate) struct SigningKey {
    alg: Algorithm,
    pair: Pair,
}

enum Pair {
    Rsa(RsaKeyPair),
    Ec(EcdsaKeyPair),
    Ed25519(Ed25519KeyPair),
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// Generates a fresh key for `alg`: RSA 2048 bits, the matching NIST curve, or Ed25519.
    ///
    /// # Panics
    /// If the system cannot generate a key, which leaves a test nothing to do.
    #[allow(
        clippy::expect_used,
        reason = "key generation fails only when the system RNG is broken; a test fixture cannot continue"
    )]
    pub(crate) fn generate(alg: Algorithm) -> Self {
        let pair = match alg.family() {
            Family::Rsa => {
                Pair::Rsa(RsaKeyPair::generate(KeySize::Rsa2048).expect("generate an RSA key"))
            }
            Family::Ec(curve) => {
                Pair::Ec(EcdsaKeyPair::generate(ecdsa_signing(curve)).expect("generate an EC key"))
            }
            Family::Ed25519 => {
                Pair::Ed25519(Ed25519KeyPair::generate().expect("generate an Ed25519 key"))
            }
        };
        Self { alg, pair }
    }

    /// The algorithm the key was generated for.
    pub(crate) fn alg(&self) -> Algorithm {
        self.alg
    }

    /// Whether this key can produce `alg` signatures (RSA keys sign every RS*/PS*).
    pub(crate) fn can_sign(&self, alg: Algorithm) -> bool {
        alg.family() == self.alg.family()
    }

    /// Signs `msg` with `alg`, or `None` when the key cannot make that kind of signature.
    pub(crate) fn sign(&self, alg: Algorithm, msg: &[u8]) -> Option<Vec<u8>> {
        if !self.can_sign(alg) {
            return None;
        }
        let rng = SystemRandom::new();
        match &self.pair {
            Pair::Rsa(pair) => {
                let padding: &'static dyn signature::RsaEncoding = match alg {
                    Algorithm::RS256 => &signature::RSA_PKCS1_SHA256,
                    Algorithm::RS384 => &signature::RSA_PKCS1_SHA384,
                    Algorithm::RS512 => &signature::RSA_PKCS1_SHA512,
                    Algorithm::PS256 => &signature::RSA_PSS_SHA256,
                    Algorithm::PS384 => &signature::RSA_PSS_SHA384,
                    _ => &signature::RSA_PSS_SHA512,
                };
                let mut sig = vec![0u8; pair.public_modulus_len()];
                pair.sign(padding, &rng, msg, &mut sig).ok()?;
                Some(sig)
            }
            Pair::Ec(pair) => pair.sign(&rng, msg).ok().map(|s| s.as_ref().to_vec()),
            Pair::Ed25519(pair) => Some(pair.sign(msg).as_ref().to_vec()),
        }
    }

    /// `kty` and the public members (RSA `n`, `e`; EC `crv`, `x`, `y`; OKP `crv`, `x`).
    pub(crate) fn public_members(&self) -> Map<String, Value> {
        let mut jwk = Map::new();
        jwk.insert("kty".into(), self.alg.kty().into());
        match &self.pair {
            Pair::Rsa(pair) => {
                if let Some((n, e)) = der::rsa_public_key(pair.public_key().as_ref()) {
                    jwk.insert("n".into(), b64::encode(n).into());
                    jwk.insert("e".into(), b64::encode(e).into());
                }
            }
            Pair::Ec(pair) => {
                let point = pair.public_key().as_ref();
                // Uncompressed SEC1 point: 0x04 || x || y.
                let coords = point.get(1..).unwrap_or_default();
                let (x, y) = coords.split_at(coords.len() / 2);
                if let Family::Ec(curve) = self.alg.family() {
                    jwk.insert("crv".into(), curve.crv().into());
                }
                jwk.insert("x".into(), b64::encode(x).into());
                jwk.insert("y".into(), b64::encode(y).into());
            }
            Pair::Ed25519(pair) => {
                jwk.insert("crv".into(), "Ed25519".into());
                jwk.insert("x".into(), b64::encode(pair.public_key().as_ref()).into());
            }
        }
        jwk
    }

    /// The public members plus the private ones (`d`; for RSA also `p`, `q`, `dp`, `dq`, `qi`).
    pub(crate) fn private_members(&self) -> Map<String, Value> {
        let mut jwk = self.public_members();
        match &self.pair {
            Pair::Rsa(pair) => {
                let pkcs8: Option<Pkcs8V1Der<'static>> = pair.as_der().ok();
                if let Some([_, _, d, p, q, dp, dq, qi]) = pkcs8
                    .as_ref()
                    .and_then(|doc| der::rsa_private_key_from_pkcs8(doc.as_ref()))
                {
                    for (name, value) in [
                        ("d", d),
                        ("p", p),
                        ("q", q),
                        ("dp", dp),
                        ("dq", dq),
                        ("qi", qi),
                    ] {
                        jwk.insert(name.into(), b64::encode(value).into());
                    }
                }
            }
            Pair::Ec(pair) => {
                let d: Option<EcPrivateKeyBin<'static>> = pair.private_key().as_be_bytes().ok();
                if let Some(d) = d {
                    jwk.insert("d".into(), b64::encode(d.as_ref()).into());
                }
            }
            Pair::Ed25519(pair) => {
                if let Some(seed) = pair.seed().ok().and_then(|s| s.as_be_bytes().ok()) {
                    jwk.insert("d".into(), b64::encode(seed.as_ref()).into());
                }
            }
        }
        jwk
    }

    /// The DER `SubjectPublicKeyInfo` of the public key.
    pub(crate) fn spki_der(&self) -> Option<Vec<u8>> {
        let der: PublicKeyX509Der<'static> = match &self.pair {
            Pair::Rsa(pair) => pair.public_key().as_der().ok()?,
            Pair::Ec(pair) => pair.public_key().as_der().ok()?,
            Pair::Ed25519(pair) => pair.public_key().as_der().ok()?,
        };
        Some(der.as_ref().to_vec())
    }

    /// Whether this is an RSA key.
    pub(crate) fn is_rsa(&self) -> bool {
        matches!(self.pair, Pair::Rsa(_))
    }
}

fn ecdsa_signing(curve: Curve) -> &'static signature::EcdsaSigningAlgorithm {
    match curve {
        Curve::P256 => &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
        Curve::P384 => &signature::ECDSA_P384_SHA384_FIXED_SIGNING,
        Curve::P521 => &signature::ECDSA_P521_SHA512_FIXED_SIGNING,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use aws_lc_rs::signature::{RsaPublicKeyComponents, UnparsedPublicKey};

    /// Verifies `sig` over `msg` with the public JWK, decoding the JWK independently.
    pub(crate) fn verify_with_jwk(jwk: &Value, alg: &str, msg: &[u8], sig: &[u8]) -> bool {
        let member = |name: &str| {
            jwk.get(name)
                .and_then(Value::as_str)
                .and_then(b64::decode)
                .unwrap_or_default()
        };
        let rsa = |params: &signature::RsaParameters| {
            RsaPublicKeyComponents {
                n: member("n"),
                e: member("e"),
            }
            .verify(params, msg, sig)
            .is_ok()
        };
        let ec = |alg: &'static signature::EcdsaVerificationAlgorithm, crv: &str| {
            if jwk.get("crv").and_then(Value::as_str) != Some(crv) {
                return false;
            }
            let mut point = vec![0x04];
            point.extend(member("x"));
            point.extend(member("y"));
            UnparsedPublicKey::new(alg, point).verify(msg, sig).is_ok()
        };
        match (jwk.get("kty").and_then(Value::as_str), alg) {
            (Some("RSA"), "RS256") => rsa(&signature::RSA_PKCS1_2048_8192_SHA256),
            (Some("RSA"), "RS384") => rsa(&signature::RSA_PKCS1_2048_8192_SHA384),
            (Some("RSA"), "RS512") => rsa(&signature::RSA_PKCS1_2048_8192_SHA512),
            (Some("RSA"), "PS256") => rsa(&signature::RSA_PSS_2048_8192_SHA256),
            (Some("RSA"), "PS384") => rsa(&signature::RSA_PSS_2048_8192_SHA384),
            (Some("RSA"), "PS512") => rsa(&signature::RSA_PSS_2048_8192_SHA512),
            (Some("EC"), "ES256") => ec(&signature::ECDSA_P256_SHA256_FIXED, "P-256"),
            (Some("EC"), "ES384") => ec(&signature::ECDSA_P384_SHA384_FIXED, "P-384"),
            (Some("EC"), "ES512") => ec(&signature::ECDSA_P521_SHA512_FIXED, "P-521"),
            (Some("OKP"), "EdDSA" | "Ed25519") => {
                jwk.get("crv").and_then(Value::as_str) == Some("Ed25519")
                    && UnparsedPublicKey::new(&signature::ED25519, member("x"))
                        .verify(msg, sig)
                        .is_ok()
            }
            _ => false,
        }
    }

    #[test]
    fn every_alg_signs_and_verifies_with_its_public_jwk() {
        for alg in Algorithm::ALL {
            let key = SigningKey::generate(alg);
            let jwk = Value::Object(key.public_members());
            let sig = key.sign(alg, b"message").unwrap_or_default();
            assert!(verify_with_jwk(&jwk, alg.name(), b"message", &sig), "{alg}");
            assert!(
                !verify_with_jwk(&jwk, alg.name(), b"messagf", &sig),
                "{alg}"
            );
        }
    }

    #[test]
    fn rsa_keys_sign_every_rsa_alg_and_nothing_else() {
        let key = SigningKey::generate(Algorithm::RS256);
        let jwk = Value::Object(key.public_members());
        for alg in [Algorithm::RS384, Algorithm::PS256, Algorithm::PS512] {
            let sig = key.sign(alg, b"m").unwrap_or_default();
            assert!(verify_with_jwk(&jwk, alg.name(), b"m", &sig));
            assert!(!verify_with_jwk(&jwk, "RS256", b"m", &sig));
        }
        assert!(key.sign(Algorithm::ES256, b"m").is_none());
        assert!(key.is_rsa());
        let ec = SigningKey::generate(Algorithm::ES256);
        assert!(ec.sign(Algorithm::ES384, b"m").is_none());
        assert!(!ec.is_rsa());
    }

    #[test]
    fn public_members_have_the_right_sizes() {
        let sizes = [
            (Algorithm::RS256, "n", 256),
            (Algorithm::ES256, "x", 32),
            (Algorithm::ES384, "y", 48),
            (Algorithm::ES512, "x", 66),
            (Algorithm::EdDSA, "x", 32),
        ];
        for (alg, member, len) in sizes {
            let jwk = SigningKey::generate(alg).public_members();
            let bytes = jwk
                .get(member)
                .and_then(Value::as_str)
                .and_then(b64::decode)
                .unwrap_or_default();
            assert_eq!(bytes.len(), len, "{alg} {member}");
            assert!(!jwk.contains_key("d"));
        }
        let rsa = SigningKey::generate(Algorithm::PS256).public_members();
        assert_eq!(rsa.get("e"), Some(&Value::from("AQAB")));
    }

    #[test]
    fn private_members_include_d() {
        for alg in [
            Algorithm::RS256,
            Algorithm::ES256,
            Algorithm::ES512,
            Algorithm::EdDSA,
        ] {
            let jwk = SigningKey::generate(alg).private_members();
            assert!(jwk.get("d").and_then(Value::as_str).is_some(), "{alg}");
            assert!(jwk.contains_key("x") || jwk.contains_key("n"));
        }
        let rsa = SigningKey::generate(Algorithm::RS256).private_members();
        for member in ["p", "q", "dp", "dq", "qi"] {
            assert!(rsa.contains_key(member), "{member}");
        }
    }

    #[test]
    fn spki_der_is_available_and_debug_is_redacted() {
        let key = SigningKey::generate(Algorithm::RS256);
        let der = key.spki_der().unwrap_or_default();
        assert_eq!(der.first(), Some(&0x30));
        assert!(der.len() > 256);
        assert_eq!(format!("{key:?}"), "SigningKey { alg: RS256, .. }");
    }
}
