//! Entry points for the `cargo fuzz` targets in `fuzz/` (feature `fuzzing`).
//!
//! **Not a public API**: hidden from the documentation, exempt from semantic versioning, and
//! changed whenever the parsers change. Each function feeds attacker-controlled bytes to one
//! parser the way a request or an issuer response would reach it, and must never panic.
//! Inputs made of several parts split them on `\n` (or `\0` where a part may hold newlines),
//! so seeds stay readable text files.
//!
//! A panic here is a finding: the harness asserts the laws the parsers promise (a valid
//! input accepted only when it should be, normalization idempotent, no control characters
//! in error texts), and its own setup cannot fail.
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "a fuzzing harness reports a broken invariant by panicking"
)]

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request, Response, Uri};
use serde_json::{Map, Value};

use crate::claims::Jkt;
use crate::dpop::{DpopMode, DpopOptions, DpopVerifier, NonceConfig, ProofInput};
use crate::jose::b64_encode;
use crate::jwk::{AlgSet, Algorithm, PublicKey};
use crate::proxy::{TrustProxy, UrlPolicy};
use crate::request::RequestContext;
use crate::time::{Clock, UnixTime};
use crate::{Auth0, HttpClient, HttpFuture};

/// The fixed "now" of every target: 2023-11-14T22:13:20Z.
pub const NOW: u64 = 1_700_000_000;
/// The issuer the JWKS and discovery targets configure.
pub const ISSUER: &str = "https://issuer.example/";
/// The audience the JWKS and discovery targets configure.
pub const AUDIENCE: &str = "https://api.example/";
/// The JWKS location the JWKS target configures.
pub const JWKS_URI: &str = "https://issuer.example/.well-known/jwks.json";
/// The `htu` (and request URL) of the DPoP target.
pub const HTU: &str = "https://api.example/resource";
/// The access token the DPoP target binds proofs to (`ath`).
pub const DPOP_ACCESS_TOKEN: &str = "fuzz-access-token";
/// The secret of the nonce target's [`NonceConfig`].
pub const NONCE_SECRET: &[u8; 32] = b"fuzzing-nonce-secret-32-bytes-ok";

/// The fuzzing signing key: a P-256 test key in PKCS#8, public so seeds can be made with it.
/// Its public half is `x` = `KUSQBr5nl-L9QN4j0ePj1l0iNfcvqAALb5OPtsVKU1s`,
/// `y` = `nDpLOyFjBVNC0SiWXZtO99P3m_3Qa0Ogx8pcLH6usyI`, `kid` = `fuzz`.
pub const TEST_KEY_PKCS8: &[u8] = &[
    0x30, 0x81, 0x87, 0x02, 0x01, 0x00, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02,
    0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x04, 0x6d, 0x30, 0x6b, 0x02,
    0x01, 0x01, 0x04, 0x20, 0xa7, 0xd4, 0xc3, 0x25, 0x04, 0xcb, 0xde, 0x03, 0x7d, 0x64, 0x47, 0xda,
    0x18, 0xa9, 0x2e, 0x51, 0xd9, 0x4f, 0xb2, 0xb7, 0x68, 0x3a, 0xed, 0xbb, 0xfc, 0x8f, 0x59, 0xb3,
    0x13, 0x74, 0xdd, 0x60, 0xa1, 0x44, 0x03, 0x42, 0x00, 0x04, 0x29, 0x44, 0x90, 0x06, 0xbe, 0x67,
    0x97, 0xe2, 0xfd, 0x40, 0xde, 0x23, 0xd1, 0xe3, 0xe3, 0xd6, 0x5d, 0x22, 0x35, 0xf7, 0x2f, 0xa8,
    0x00, 0x0b, 0x6f, 0x93, 0x8f, 0xb6, 0xc5, 0x4a, 0x53, 0x5b, 0x9c, 0x3a, 0x4b, 0x3b, 0x21, 0x63,
    0x05, 0x53, 0x42, 0xd1, 0x28, 0x96, 0x5d, 0x9b, 0x4e, 0xf7, 0xd3, 0xf7, 0x9b, 0xfd, 0xd0, 0x6b,
    0x43, 0xa0, 0xc7, 0xca, 0x5c, 0x2c, 0x7e, 0xae, 0xb3, 0x22,
];

/// A clock stopped at [`NOW`], so that a run depends on its input only.
#[derive(Debug)]
struct FixedClock;

impl Clock for FixedClock {
    fn now(&self) -> UnixTime {
        UnixTime::from_secs(NOW)
    }
}

/// One runtime per fuzzing thread, for the targets whose parser sits behind a future.
fn block_on<F: std::future::Future>(f: F) -> F::Output {
    thread_local! {
        static RT: tokio::runtime::Runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("a current-thread runtime");
    }
    RT.with(|rt| rt.block_on(f))
}

struct TestKey {
    pair: EcdsaKeyPair,
    jwk: Map<String, Value>,
    thumbprint: String,
}

fn test_key() -> &'static TestKey {
    static KEY: OnceLock<TestKey> = OnceLock::new();
    KEY.get_or_init(|| {
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, TEST_KEY_PKCS8)
            .expect("the fuzzing key parses");
        let point = pair.public_key().as_ref();
        let mut jwk = Map::new();
        jwk.insert("kty".into(), "EC".into());
        jwk.insert("crv".into(), "P-256".into());
        jwk.insert("x".into(), b64_encode(&point[1..33]).into());
        jwk.insert("y".into(), b64_encode(&point[33..65]).into());
        let thumbprint = PublicKey::from_jwk(&jwk, AlgSet::all())
            .expect("the fuzzing JWK parses")
            .thumbprint()
            .to_owned();
        TestKey {
            pair,
            jwk,
            thumbprint,
        }
    })
}

/// A compact ES256 JWS over `header` and `payload` (raw bytes, base64url-encoded here).
fn sign(header: &[u8], payload: &[u8]) -> String {
    let signing_input = format!("{}.{}", b64_encode(header), b64_encode(payload));
    let sig = test_key()
        .pair
        .sign(&SystemRandom::new(), signing_input.as_bytes())
        .expect("ES256 signing");
    format!("{signing_input}.{}", b64_encode(sig.as_ref()))
}

/// The JWKS holding the fuzzing key, `kid` `fuzz`.
fn test_jwks() -> Bytes {
    let mut jwk = test_key().jwk.clone();
    jwk.insert("kid".into(), "fuzz".into());
    jwk.insert("alg".into(), "ES256".into());
    let doc = serde_json::json!({ "keys": [jwk] });
    Bytes::from(doc.to_string())
}

/// A valid access token for [`ISSUER`] and [`AUDIENCE`], signed with the fuzzing key.
fn test_access_token() -> &'static str {
    static TOKEN: OnceLock<String> = OnceLock::new();
    TOKEN.get_or_init(|| {
        let header = br#"{"alg":"ES256","typ":"at+jwt","kid":"fuzz"}"#;
        let payload = serde_json::json!({
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": "fuzz",
            "iat": NOW - 60,
            "exp": NOW + 3600,
        });
        sign(header, payload.to_string().as_bytes())
    })
}

/// The parts of `data` separated by `sep`.
fn parts(data: &[u8], sep: u8) -> impl Iterator<Item = &[u8]> {
    data.split(move |&b| b == sep)
}

/// The `Authorization` header: one value per line (several lines make repeated headers).
pub fn authorization(data: &[u8]) {
    let mut headers = HeaderMap::new();
    for line in parts(data, b'\n') {
        if let Ok(v) = HeaderValue::from_bytes(line) {
            headers.append(http::header::AUTHORIZATION, v);
        }
    }
    if let Ok(c) = crate::authorization::credentials(&headers, 16 * 1024) {
        assert!(c.token.len() <= 16 * 1024, "token over the cap accepted");
    }
}

/// The compact JWS decoder, then the header's `jwk` (as a DPoP proof carries it) and the
/// signature check with it.
pub fn jws(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(decoded) = crate::jws::decode(text, AlgSet::all()) else {
        return;
    };
    let _ = decoded.header_str("typ");
    let _ = decoded.header_str("kid");
    if let Some(Value::Object(jwk)) = decoded.header.get("jwk") {
        if let Ok(key) = PublicKey::from_jwk(jwk, AlgSet::all()) {
            let _ = key.verify(decoded.alg, decoded.signing_input, &decoded.signature);
        }
    }
}

/// One JWK (a JSON object): parsing under every algorithm set, the thumbprint, and a
/// signature check with the key. The same bytes also hold the one-pass access-token
/// payload reader to the strict map parser (both accept or refuse alike), and its fast
/// reader of the common case to its full one (the same claims whenever the fast one decides).
pub fn jwk(data: &[u8]) {
    let one_pass = crate::payload::parse(data.to_vec(), &crate::payload::Watched::NONE);
    let map = crate::jose::parse_object(data);
    assert_eq!(
        one_pass.is_some(),
        map.is_some(),
        "the one-pass payload reader and the map parser disagree"
    );
    assert!(
        crate::payload::fast_agrees(data),
        "the fast payload reader and the full one disagree"
    );
    let Some(jwk) = map else {
        return;
    };
    for allowed in [
        AlgSet::all(),
        [Algorithm::RS256].into_iter().collect(),
        [Algorithm::ES256].into_iter().collect(),
    ] {
        if let Ok(key) = PublicKey::from_jwk(&jwk, allowed) {
            assert!(!key.thumbprint().is_empty(), "empty thumbprint");
            for alg in allowed.iter() {
                if key.supports(alg) {
                    assert!(!key.verify(alg, b"message", &[0u8; 64]), "zero signature");
                }
            }
        }
    }
}

/// An [`HttpClient`] that answers every request from memory: the `metadata` body at the
/// well-known metadata locations, `jwks` anywhere else.
struct Served {
    metadata: Option<Bytes>,
    jwks: Bytes,
    cache_control: Option<HeaderValue>,
}

impl HttpClient for Served {
    fn send(&self, request: Request<Bytes>, max_body: usize) -> HttpFuture<'_> {
        let body = match &self.metadata {
            Some(m)
                if request
                    .uri()
                    .path()
                    .starts_with("/.well-known/openid-configuration") =>
            {
                m.clone()
            }
            Some(m)
                if request
                    .uri()
                    .path()
                    .starts_with("/.well-known/oauth-authorization-server") =>
            {
                m.clone()
            }
            _ => self.jwks.clone(),
        };
        let mut response = Response::new(body);
        // Served from the URL asked for: no redirect (the verifier refuses an answer
        // without a `ResponseUrl`).
        response
            .extensions_mut()
            .insert(crate::ResponseUrl::new(request.uri().to_string()));
        if let Some(cc) = &self.cache_control {
            response
                .headers_mut()
                .insert(http::header::CACHE_CONTROL, cc.clone());
        }
        Box::pin(async move {
            if response.body().len() > max_body {
                return Err(crate::HttpError::new(crate::HttpErrorKind::TooLarge));
            }
            Ok(response)
        })
    }
}

/// Verifies the fuzzing access token with keys from `client`; a verification may only
/// succeed when the served key set holds the fuzzing key.
fn verify_with(client: Served, fixed_jwks_uri: bool) -> Result<crate::Claims, crate::Error> {
    let mut builder = Auth0::builder()
        .issuer(ISSUER)
        .audience(AUDIENCE)
        .clock(FixedClock)
        .dpop(DpopMode::Allowed)
        .fetch_timeout(Duration::from_secs(5))
        .http_client(client);
    if fixed_jwks_uri {
        builder = builder.jwks_uri(JWKS_URI);
    }
    let auth0 = builder.build().expect("the fuzzing configuration is valid");
    block_on(auth0.verify_access_token(test_access_token()))
}

/// A JWKS document as the issuer serves it, through the key cache and the token check.
/// A `\0` separates the body from a `Cache-Control` value. Returns whether the token
/// verified.
pub fn jwks(data: &[u8]) -> bool {
    let mut split = data.splitn(2, |&b| b == 0);
    let body = split.next().unwrap_or_default();
    let cache_control = split.next().and_then(|v| HeaderValue::from_bytes(v).ok());
    verify_with(
        Served {
            metadata: None,
            jwks: Bytes::copy_from_slice(body),
            cache_control,
        },
        true,
    )
    .is_ok()
}

/// A discovery (OpenID Connect, RFC 8414) document: `issuer`, `jwks_uri`,
/// `token_endpoint`; any JWKS it points to holds the fuzzing key. Returns whether the token
/// verified.
pub fn discovery(data: &[u8]) -> bool {
    let result = verify_with(
        Served {
            metadata: Some(Bytes::copy_from_slice(data)),
            jwks: test_jwks(),
            cache_control: None,
        },
        false,
    );
    if result.is_ok() {
        // Only a document naming this issuer may lead to a verified token.
        let doc = crate::jose::parse_object(data).expect("accepted metadata is a JSON object");
        let issuer = doc.get("issuer").and_then(Value::as_str).unwrap_or("");
        assert_eq!(issuer.trim_end_matches('/'), ISSUER.trim_end_matches('/'));
    }
    result.is_ok()
}

fn dpop_verifier() -> &'static DpopVerifier {
    static VERIFIER: OnceLock<DpopVerifier> = OnceLock::new();
    VERIFIER.get_or_init(|| {
        DpopOptions {
            mode: DpopMode::Allowed,
            ..DpopOptions::default()
        }
        .build(Arc::new(FixedClock))
        .expect("the fuzzing DPoP options are valid")
    })
}

fn verify_proof(proof: &str) -> Result<(), crate::Error> {
    let jkt = Jkt::new(&test_key().thumbprint);
    let input = ProofInput {
        method: &Method::GET,
        htu: HTU,
        access_token_sha256: &crate::token::sha256(DPOP_ACCESS_TOKEN.as_bytes()),
        issuer: ISSUER,
        jkt: &jkt,
    };
    block_on(dpop_verifier().verify(proof, input))
}

/// A DPoP proof, twice: the input as the `DPoP` header value (lines make repeated
/// headers), checked in full; and the input as the claims of a proof signed here with the
/// fuzzing key, so the claim checks (`jti`, `htm`, `htu`, `iat`, `ath`, `jkt`, replay) see
/// fuzzed values behind a valid signature. Returns whether the signed claims passed.
pub fn dpop_proof(data: &[u8]) -> bool {
    let mut headers = HeaderMap::new();
    for line in parts(data, b'\n') {
        if let Ok(v) = HeaderValue::from_bytes(line) {
            headers.append(crate::dpop::DPOP, v);
        }
    }
    if let Ok(proof) = crate::dpop::single_proof(&headers) {
        let _ = verify_proof(proof);
    }
    let key = test_key();
    let header = serde_json::json!({ "typ": "dpop+jwt", "alg": "ES256", "jwk": key.jwk });
    verify_proof(&sign(header.to_string().as_bytes(), data)).is_ok()
}

/// `htu` normalization and comparison: the first line is the proof's `htu`, the second
/// the request URL. Normalization is idempotent, and every URL matches itself once
/// normalized.
pub fn htu(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let (a, b) = text.split_once('\n').unwrap_or((&text, HTU));
    let _ = crate::dpop::htu_matches(a, b);
    if let Ok(n) = crate::dpop::normalize_htu(a) {
        assert_eq!(
            crate::dpop::normalize_htu(&n).as_deref(),
            Ok(n.as_str()),
            "normalization is not idempotent"
        );
        assert!(
            crate::dpop::htu_matches(a, &n),
            "a URL does not match its normal form"
        );
    }
}

/// The headers a proxy reports the request URL in, read from a trusted peer: each line is a
/// header, its first byte choosing the name (`Forwarded`, `X-Forwarded-Proto`,
/// `X-Forwarded-Host`, `X-Forwarded-Prefix`, `Host`) or, for the last choice, the request
/// target.
pub fn forwarded(data: &[u8]) {
    const NAMES: [&str; 5] = [
        "forwarded",
        "x-forwarded-proto",
        "x-forwarded-host",
        "x-forwarded-prefix",
        "host",
    ];
    let mut headers = HeaderMap::new();
    let mut uri = Uri::from_static("/resource");
    for line in parts(data, b'\n') {
        let Some((&selector, value)) = line.split_first() else {
            continue;
        };
        match NAMES.get(usize::from(selector % 6)) {
            Some(name) => {
                if let Ok(v) = HeaderValue::from_bytes(value) {
                    headers.append(HeaderName::from_static(name), v);
                }
            }
            None => {
                if let Ok(u) = Uri::try_from(value) {
                    uri = u;
                }
            }
        }
    }
    let peer = Some(std::net::IpAddr::from([127, 0, 0, 1]));
    for trust in [TrustProxy::all(), TrustProxy::none()] {
        let policy = UrlPolicy::new(trust, None).expect("no public URL");
        let ctx = RequestContext::new(&Method::GET, &uri, &headers).peer(peer);
        if let Ok(url) = policy.request_url(&ctx) {
            assert!(
                url.starts_with("http://") || url.starts_with("https://"),
                "request URL without an http(s) scheme"
            );
        }
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = crate::host::parse_authority(text);
    }
}

/// A server nonce sent back in a proof: only a nonce issued with the secret, within its
/// lifetime, passes.
pub fn nonce(data: &[u8]) {
    static NONCES: OnceLock<NonceConfig> = OnceLock::new();
    let nonces = NONCES
        .get_or_init(|| NonceConfig::new(NONCE_SECRET.to_vec()).expect("a 32-byte nonce secret"));
    let text = String::from_utf8_lossy(data);
    let now = UnixTime::from_secs(NOW);
    if nonces.check(&text, now).is_ok() {
        assert_eq!(
            text.len(),
            nonces.issue(now).len(),
            "odd-length nonce passed"
        );
    }
}

/// A token endpoint's answer: the first byte chooses a 200 body (parsed as the issued
/// token) or a refusal (its status and whether it says JSON); the rest is the body.
#[cfg(feature = "token-exchange")]
pub fn token_response(data: &[u8]) {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    match selector % 4 {
        0 => {
            if let Ok(parsed) = crate::exchange::parse_success(body, UnixTime::from_secs(NOW)) {
                let token = crate::ExchangedToken::from(parsed);
                assert!(
                    !token.access_token().is_empty(),
                    "empty access token accepted"
                );
            }
        }
        n => {
            let status = [
                http::StatusCode::BAD_REQUEST,
                http::StatusCode::UNAUTHORIZED,
                http::StatusCode::INTERNAL_SERVER_ERROR,
            ][usize::from(n - 1)];
            let content_type = [
                "application/json",
                "text/plain; charset=utf-8",
                "Application/JSON; x",
            ][usize::from(n - 1)];
            let err = crate::exchange::refusal(status, Some(content_type), body);
            let shown = err.to_string();
            assert!(
                !shown.chars().any(char::is_control),
                "control character in an error"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The harness reaches the success paths: the fuzzer's mutations start from inputs that
    /// pass every check.
    #[test]
    fn valid_inputs_pass_and_invalid_ones_do_not() {
        assert!(jwks(&test_jwks()));
        assert!(!jwks(br#"{"keys":[]}"#));

        let doc = serde_json::json!({ "issuer": ISSUER, "jwks_uri": JWKS_URI });
        assert!(discovery(doc.to_string().as_bytes()));
        let other = serde_json::json!({ "issuer": "https://other.example/", "jwks_uri": JWKS_URI });
        assert!(!discovery(other.to_string().as_bytes()));

        let claims = serde_json::json!({
            "jti": "harness-test",
            "htm": "GET",
            "htu": HTU,
            "iat": NOW,
            "ath": b64_encode(
                aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, DPOP_ACCESS_TOKEN.as_bytes())
                    .as_ref()
            ),
        });
        assert!(dpop_proof(claims.to_string().as_bytes()));
        assert!(
            !dpop_proof(claims.to_string().as_bytes()),
            "a replay passed"
        );

        let nonces = NonceConfig::new(NONCE_SECRET.to_vec()).unwrap();
        let issued = nonces.issue(UnixTime::from_secs(NOW));
        assert!(nonces.check(&issued, UnixTime::from_secs(NOW)).is_ok());
        nonce(issued.as_bytes());
    }
}
