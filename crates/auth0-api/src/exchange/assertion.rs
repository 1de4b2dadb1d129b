//! `private_key_jwt` client assertions (RFC 7523 §2.2, §3; OpenID Connect Core §9): a short
//! JWT signed with the client's private key.

use std::fmt;
use std::sync::Arc;

use aws_lc_rs::rand::{self, SystemRandom};
use aws_lc_rs::signature::{self, EcdsaKeyPair, RsaKeyPair};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::json;

use super::error::{ExchangeError, ExchangeErrorKind};
use crate::config::{ConfigError, ConfigErrorKind};
use crate::jose::b64_encode;
use crate::jwk::Algorithm;
use crate::time::UnixTime;

/// Lifetime of a client assertion: it is used once, right away.
pub(crate) const ASSERTION_LIFETIME_SECS: u64 = 60;

/// The `client_assertion_type` of RFC 7523 §2.2.
pub(crate) const JWT_BEARER_ASSERTION_TYPE: &str =
    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

const FIELD: &str = "client_assertion_key";

/// RSA keys shorter than this are refused (2048 bits).
const MIN_RSA_MODULUS_BYTES: usize = 256;

enum Signer {
    Ecdsa(EcdsaKeyPair),
    Rsa(RsaKeyPair, &'static dyn signature::RsaEncoding),
}

/// The private key that signs `private_key_jwt` client assertions, with its `kid`.
///
/// Accepts a PKCS#8 private key (DER, or PEM `-----BEGIN PRIVATE KEY-----`):
/// EC P-256 for `ES256`, EC P-384 for `ES384`, or RSA of at least 2048 bits for
/// `RS256`/`RS384`/`RS512`/`PS256`/`PS384`/`PS512`. Its `Debug` output shows only the
/// algorithm and the `kid`.
#[derive(Clone)]
pub struct ClientAssertionKey {
    inner: Arc<KeyInner>,
}

struct KeyInner {
    alg: Algorithm,
    kid: Box<str>,
    signer: Signer,
}

impl fmt::Debug for ClientAssertionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientAssertionKey")
            .field("alg", &self.inner.alg.name())
            .field("kid", &self.inner.kid)
            .finish_non_exhaustive()
    }
}

impl ClientAssertionKey {
    /// A PKCS#8 DER private key that signs with `alg`; `kid` names its public key as
    /// registered with the issuer.
    pub fn from_pkcs8_der(
        der: &[u8],
        alg: Algorithm,
        kid: impl Into<String>,
    ) -> Result<Self, ConfigError> {
        let kid = kid.into();
        if kid.trim().is_empty() {
            return Err(ConfigError::new(
                FIELD,
                ConfigErrorKind::Empty,
                "the kid must not be empty",
            ));
        }
        let ecdsa = |a: &'static signature::EcdsaSigningAlgorithm| {
            EcdsaKeyPair::from_pkcs8(a, der)
                .map(Signer::Ecdsa)
                .map_err(|_| {
                    ConfigError::new(
                        FIELD,
                        ConfigErrorKind::Malformed,
                        "not a PKCS#8 EC private key on the curve of the algorithm",
                    )
                })
        };
        let rsa = |enc: &'static dyn signature::RsaEncoding| {
            let key = RsaKeyPair::from_pkcs8(der).map_err(|_| {
                ConfigError::new(
                    FIELD,
                    ConfigErrorKind::Malformed,
                    "not a PKCS#8 RSA private key",
                )
            })?;
            if key.public_modulus_len() < MIN_RSA_MODULUS_BYTES {
                return Err(ConfigError::new(
                    FIELD,
                    ConfigErrorKind::Insecure,
                    "RSA keys must have at least 2048 bits",
                ));
            }
            Ok(Signer::Rsa(key, enc))
        };
        let signer = match alg {
            Algorithm::ES256 => ecdsa(&signature::ECDSA_P256_SHA256_FIXED_SIGNING)?,
            Algorithm::ES384 => ecdsa(&signature::ECDSA_P384_SHA384_FIXED_SIGNING)?,
            Algorithm::RS256 => rsa(&signature::RSA_PKCS1_SHA256)?,
            Algorithm::RS384 => rsa(&signature::RSA_PKCS1_SHA384)?,
            Algorithm::RS512 => rsa(&signature::RSA_PKCS1_SHA512)?,
            Algorithm::PS256 => rsa(&signature::RSA_PSS_SHA256)?,
            Algorithm::PS384 => rsa(&signature::RSA_PSS_SHA384)?,
            Algorithm::PS512 => rsa(&signature::RSA_PSS_SHA512)?,
            _ => {
                return Err(ConfigError::new(
                    FIELD,
                    ConfigErrorKind::Unsupported,
                    "supported algorithms: ES256, ES384, RS256, RS384, RS512, PS256, PS384, PS512",
                ));
            }
        };
        Ok(Self {
            inner: Arc::new(KeyInner {
                alg,
                kid: kid.into_boxed_str(),
                signer,
            }),
        })
    }

    /// A PEM private key (`-----BEGIN PRIVATE KEY-----`, PKCS#8) that signs with `alg`;
    /// `kid` names its public key as registered with the issuer.
    pub fn from_pkcs8_pem(
        pem: &str,
        alg: Algorithm,
        kid: impl Into<String>,
    ) -> Result<Self, ConfigError> {
        let der = pem_pkcs8(pem)?;
        Self::from_pkcs8_der(&der, alg, kid)
    }

    /// The signing algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.inner.alg
    }

    /// The key id sent in the assertion's header.
    pub fn kid(&self) -> &str {
        &self.inner.kid
    }

    fn sign(&self, message: &[u8]) -> Option<Vec<u8>> {
        let rng = SystemRandom::new();
        match &self.inner.signer {
            Signer::Ecdsa(key) => key.sign(&rng, message).ok().map(|s| s.as_ref().to_vec()),
            Signer::Rsa(key, enc) => {
                let mut sig = vec![0u8; key.public_modulus_len()];
                key.sign(*enc, &rng, message, &mut sig).ok()?;
                Some(sig)
            }
        }
    }

    /// A signed client assertion: `iss` = `sub` = `client_id`, `aud` = `audience`, a random
    /// `jti`, `iat` = now and `exp` = now + 60 s.
    pub(crate) fn assertion(
        &self,
        client_id: &str,
        audience: &str,
        now: UnixTime,
    ) -> Result<String, ExchangeError> {
        let failed = || ExchangeError::new(ExchangeErrorKind::ClientAssertion);
        let mut jti = [0u8; 16];
        rand::fill(&mut jti).map_err(|_| failed())?;
        let iat = now.as_secs();
        let header = json!({ "alg": self.inner.alg.name(), "typ": "JWT", "kid": &*self.inner.kid });
        let claims = json!({
            "iss": client_id,
            "sub": client_id,
            "aud": audience,
            "jti": b64_encode(&jti),
            "iat": iat,
            "exp": iat.saturating_add(ASSERTION_LIFETIME_SECS),
        });
        let header = serde_json::to_vec(&header).map_err(|_| failed())?;
        let claims = serde_json::to_vec(&claims).map_err(|_| failed())?;
        let signing_input = format!("{}.{}", b64_encode(&header), b64_encode(&claims));
        let sig = self.sign(signing_input.as_bytes()).ok_or_else(failed)?;
        Ok(format!("{signing_input}.{}", b64_encode(&sig)))
    }
}

/// The DER inside a PEM `PRIVATE KEY` block. Other PEM types get a message that names the
/// conversion to make.
fn pem_pkcs8(pem: &str) -> Result<Vec<u8>, ConfigError> {
    const BEGIN: &str = "-----BEGIN ";
    let start = pem
        .find(BEGIN)
        .ok_or_else(|| ConfigError::new(FIELD, ConfigErrorKind::Malformed, "no PEM block found"))?;
    let rest = &pem[start + BEGIN.len()..];
    let label_end = rest.find("-----").ok_or_else(|| {
        ConfigError::new(FIELD, ConfigErrorKind::Malformed, "malformed PEM header")
    })?;
    let label = &rest[..label_end];
    match label {
        "PRIVATE KEY" => {}
        "ENCRYPTED PRIVATE KEY" => {
            return Err(ConfigError::new(
                FIELD,
                ConfigErrorKind::Unsupported,
                "encrypted private keys are not supported; decrypt it first",
            ));
        }
        "EC PRIVATE KEY" | "RSA PRIVATE KEY" => {
            return Err(ConfigError::new(
                FIELD,
                ConfigErrorKind::Unsupported,
                "the key must be PKCS#8 (BEGIN PRIVATE KEY); convert it with `openssl pkcs8 -topk8 -nocrypt`",
            ));
        }
        _ => {
            return Err(ConfigError::new(
                FIELD,
                ConfigErrorKind::Unsupported,
                "the PEM block is not a private key",
            ));
        }
    }
    let body_and_end = &rest[label_end + "-----".len()..];
    let end = body_and_end
        .find("-----END PRIVATE KEY-----")
        .ok_or_else(|| {
            ConfigError::new(
                FIELD,
                ConfigErrorKind::Malformed,
                "the PEM block has no END line",
            )
        })?;
    let body: String = body_and_end[..end]
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    STANDARD.decode(body.as_bytes()).map_err(|_| {
        ConfigError::new(
            FIELD,
            ConfigErrorKind::Malformed,
            "the PEM body is not valid base64",
        )
    })
}

#[cfg(test)]
mod tests {
    use aws_lc_rs::encoding::AsDer;
    use aws_lc_rs::signature::{KeyPair as _, UnparsedPublicKey};

    use super::*;
    use crate::jose::{b64_decode, parse_object};

    fn ec_der() -> Vec<u8> {
        let doc = EcdsaKeyPair::generate_pkcs8(
            &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
            &SystemRandom::new(),
        )
        .expect("keygen");
        doc.as_ref().to_vec()
    }

    fn pem(der: &[u8]) -> String {
        let b64 = STANDARD.encode(der);
        let mut out = String::from("-----BEGIN PRIVATE KEY-----\n");
        for line in b64.as_bytes().chunks(64) {
            out.push_str(std::str::from_utf8(line).unwrap_or_default());
            out.push('\n');
        }
        out.push_str("-----END PRIVATE KEY-----\n");
        out
    }

    fn split(
        jwt: &str,
    ) -> (
        serde_json::Map<String, serde_json::Value>,
        serde_json::Map<String, serde_json::Value>,
        Vec<u8>,
        String,
    ) {
        let parts: Vec<&str> = jwt.split('.').collect();
        assert_eq!(parts.len(), 3);
        let h =
            parse_object(&b64_decode(parts[0].as_bytes()).unwrap_or_default()).unwrap_or_default();
        let c =
            parse_object(&b64_decode(parts[1].as_bytes()).unwrap_or_default()).unwrap_or_default();
        let s = b64_decode(parts[2].as_bytes()).unwrap_or_default();
        (h, c, s, format!("{}.{}", parts[0], parts[1]))
    }

    #[test]
    fn es256_assertion_verifies() {
        let der = ec_der();
        let key =
            ClientAssertionKey::from_pkcs8_pem(&pem(&der), Algorithm::ES256, "k1").expect("key");
        let pair = EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, &der)
            .expect("pair");
        let jwt = key
            .assertion("cid", "https://t.example/", UnixTime::from_secs(1_000))
            .expect("sign");
        let (h, c, sig, input) = split(&jwt);
        assert_eq!(h["alg"], "ES256");
        assert_eq!(h["kid"], "k1");
        assert_eq!(h["typ"], "JWT");
        assert_eq!(c["iss"], "cid");
        assert_eq!(c["sub"], "cid");
        assert_eq!(c["aud"], "https://t.example/");
        assert_eq!(c["iat"], 1_000);
        assert_eq!(c["exp"], 1_060);
        assert_eq!(c["jti"].as_str().map(str::len), Some(22));
        let public = UnparsedPublicKey::new(
            &signature::ECDSA_P256_SHA256_FIXED,
            pair.public_key().as_ref(),
        );
        assert!(public.verify(input.as_bytes(), &sig).is_ok());
        let mut tampered = input.into_bytes();
        tampered[0] ^= 1;
        assert!(public.verify(&tampered, &sig).is_err());
        // A fresh jti every time.
        let again = key
            .assertion("cid", "https://t.example/", UnixTime::from_secs(1_000))
            .expect("sign");
        assert_ne!(split(&again).1["jti"], c["jti"]);
    }

    #[test]
    fn ps256_assertion_verifies() {
        let pair = RsaKeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).expect("keygen");
        let der = AsDer::<aws_lc_rs::encoding::Pkcs8V1Der<'_>>::as_der(&pair).expect("der");
        for (alg, verify) in [
            (Algorithm::PS256, &signature::RSA_PSS_2048_8192_SHA256),
            (Algorithm::RS256, &signature::RSA_PKCS1_2048_8192_SHA256),
        ] {
            let key = ClientAssertionKey::from_pkcs8_der(der.as_ref(), alg, "rsa").expect("key");
            let jwt = key
                .assertion("c", "a", UnixTime::from_secs(5))
                .expect("sign");
            let (h, _, sig, input) = split(&jwt);
            assert_eq!(h["alg"], alg.name());
            let public = UnparsedPublicKey::new(verify, pair.public_key().as_ref());
            assert!(public.verify(input.as_bytes(), &sig).is_ok(), "{alg:?}");
        }
    }

    #[test]
    fn wrong_keys_are_refused() {
        let der = ec_der();
        let cases: Vec<(Result<ClientAssertionKey, ConfigError>, &str)> = vec![
            (
                ClientAssertionKey::from_pkcs8_der(&der, Algorithm::ES384, "k"),
                "curve",
            ),
            (
                ClientAssertionKey::from_pkcs8_der(&der, Algorithm::RS256, "k"),
                "RSA",
            ),
            (
                ClientAssertionKey::from_pkcs8_der(&der, Algorithm::EdDSA, "k"),
                "supported",
            ),
            (
                ClientAssertionKey::from_pkcs8_der(&der, Algorithm::ES256, " "),
                "kid",
            ),
            (
                ClientAssertionKey::from_pkcs8_der(b"junk", Algorithm::ES256, "k"),
                "PKCS#8",
            ),
            (
                ClientAssertionKey::from_pkcs8_pem("nothing", Algorithm::ES256, "k"),
                "no PEM",
            ),
            (
                ClientAssertionKey::from_pkcs8_pem(
                    "-----BEGIN EC PRIVATE KEY-----\nAA==\n-----END EC PRIVATE KEY-----",
                    Algorithm::ES256,
                    "k",
                ),
                "pkcs8",
            ),
            (
                ClientAssertionKey::from_pkcs8_pem(
                    "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAA==\n-----END ENCRYPTED PRIVATE KEY-----",
                    Algorithm::ES256,
                    "k",
                ),
                "encrypted",
            ),
            (
                ClientAssertionKey::from_pkcs8_pem(
                    "-----BEGIN PRIVATE KEY-----\n!!\n-----END PRIVATE KEY-----",
                    Algorithm::ES256,
                    "k",
                ),
                "base64",
            ),
            (
                ClientAssertionKey::from_pkcs8_pem(
                    "-----BEGIN PRIVATE KEY-----\nAAAA\n",
                    Algorithm::ES256,
                    "k",
                ),
                "END",
            ),
        ];
        for (result, needle) in cases {
            match result {
                Ok(k) => panic!("accepted {k:?} ({needle})"),
                Err(e) => {
                    assert_eq!(e.field(), FIELD);
                    assert!(
                        e.reason().to_lowercase().contains(&needle.to_lowercase()),
                        "{e} lacks {needle}"
                    );
                }
            }
        }
    }

    /// A 1024-bit RSA key (PKCS#8), too short to be accepted.
    const RSA_1024: &str = "-----BEGIN PRIVATE KEY-----\nMIICdwIBADANBgkqhkiG9w0BAQEFAASCAmEwggJdAgEAAoGBAK87uEho3YCTNndr\nyutX9D4nkz46HTTG2s0cx4YP1ZK39P824S/fqPDXpO1mCXEFgG6Ad2TGeYwyh6gN\nYNYyg2zDp7o5PkwAttQaEZVg0ABYsBb2iV6lCUZlopR7j2EFcz8aq9cLrEjUp0EZ\nfzfA8nXj35yBm7+k2bLYEOK+JsXlAgMBAAECgYAB5J9FCPz7mpuIBr4WdMjKsxrA\nHVibbVqHxLvTEvC3uQ0IhMtB/SSSFYJOnj+T3P9aMkEX8Zz2isU0Z5CYP8tzqMTs\nAy51KcL1ac8e/00ezWq+BndGBmCScSb+69uJiMkU7n0Wv8JkBErhXVfTWu4kztx8\n55qk7MpN91zsX2RSgQJBANy/R8gF1oF1c/oFLXaUG7d/GgDGJ9ypaIKXfyj3txPs\np5zLNIh8PRtd2wKGT1mnxeQjGWRO+kuQEXrBkvMJ4zkCQQDLN7Zh3Tc5yaDurhpi\nPJQqCLFQaV08lofuGBLYNkGw8P/IWyAJSLbd1/xtUlPhsAZqS8iBQnSPFJDaGHJk\nLBwNAkAls4GV9vFI0P+KzwGRw//r2ghd43oBZOmVjDxKiew5uexyif4h5V4mY2Q5\nTSkWPeI9cYUvrZFwAF4L4i2v1pt5AkEAg2ABCEN68GDpKWRkqh1/q6zy9IkpPYIT\nXlkx1ZU94qXqthwzGc1oawK2rfYLRFwHybA0b1wG/njNLDGhwiDCAQJBAMCD0XFI\nQrfNnZPucic7U63qTw+rsvM1eeWPLMzDlPWJlTOnv32kSD+L/PD/xZSGTdwl38k7\nEnX4EMWhrHV1Dmc=\n-----END PRIVATE KEY-----";

    #[test]
    fn short_rsa_keys_are_refused() {
        for alg in [Algorithm::RS256, Algorithm::PS256] {
            match ClientAssertionKey::from_pkcs8_pem(RSA_1024, alg, "k") {
                Ok(k) => panic!("accepted a 1024-bit key: {k:?}"),
                Err(e) => assert_eq!(e.field(), FIELD),
            }
        }
    }

    #[test]
    fn debug_shows_no_key_material() {
        let key =
            ClientAssertionKey::from_pkcs8_der(&ec_der(), Algorithm::ES256, "kid-1").expect("key");
        let d = format!("{key:?}");
        assert!(d.contains("ES256") && d.contains("kid-1"), "{d}");
        assert_eq!(key.kid(), "kid-1");
        assert_eq!(key.algorithm(), Algorithm::ES256);
    }
}
