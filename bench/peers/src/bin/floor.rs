//! The floor: bare axum 0.8 plus the signature checks a request needs, and nothing else. No
//! claims are read (not `exp`, not `aud`, not `ath`, not `jti`), so it is **not** a
//! verifier: it is what any verifier built on aws-lc-rs must at least spend, to compare
//! real servers with.
//!
//! - Bearer: the token is compared whole with the last one that verified (a one-slot cache,
//!   the least any verified-token cache does); otherwise its RS256 signature is checked with
//!   a key parsed at start.
//! - DPoP: the same for the token, and the proof's ES256 signature is checked with the key
//!   from its header (parsed the first time that header is seen); its decoded payload must
//!   contain `"htu":"http://127.0.0.1:<PORT>/protected"`, the server's own URL (a byte
//!   search, so that a proof for another URL is refused, as load harnesses check).
//!
//! Env: PORT, FLOOR_RSA_DER (the issuer's RSA key: a DER SubjectPublicKeyInfo, or its PEM).
use std::sync::{Arc, Mutex};

use aws_lc_rs::signature::{self, ParsedPublicKey};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::{routing::get, Json, Router};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{json, Value};

struct Floor {
    rsa: ParsedPublicKey,
    /// The last token that verified.
    token: Mutex<String>,
    /// The last proof header seen, with its key.
    proof_key: Mutex<Option<(String, Arc<ParsedPublicKey>)>>,
    /// `"htu":"<this server's /protected URL>"`, as a proof's payload spells it.
    htu: String,
}

/// Signing input and decoded signature of a compact JWS.
fn split(jws: &str) -> Option<(&str, Vec<u8>)> {
    let (input, sig) = jws.rsplit_once('.')?;
    Some((input, URL_SAFE_NO_PAD.decode(sig).ok()?))
}

impl Floor {
    fn token(&self, token: &str) -> bool {
        if *self.token.lock().unwrap() == token {
            return true;
        }
        let ok = split(token)
            .is_some_and(|(input, sig)| self.rsa.verify_sig(input.as_bytes(), &sig).is_ok());
        if ok {
            token.clone_into(&mut self.token.lock().unwrap());
        }
        ok
    }

    fn proof(&self, proof: &str) -> bool {
        let Some((input, sig)) = split(proof) else {
            return false;
        };
        let Some((header, payload)) = input.split_once('.') else {
            return false;
        };
        let Ok(payload) = URL_SAFE_NO_PAD.decode(payload) else {
            return false;
        };
        let htu = self.htu.as_bytes();
        if !payload.windows(htu.len()).any(|w| w == htu) {
            return false;
        }
        let key = {
            let cached = self.proof_key.lock().unwrap();
            cached
                .as_ref()
                .filter(|(h, _)| h == header)
                .map(|(_, k)| Arc::clone(k))
        };
        let key = match key.or_else(|| Self::proof_jwk(header)) {
            Some(k) => k,
            None => return false,
        };
        let ok = key.verify_sig(input.as_bytes(), &sig).is_ok();
        if ok {
            *self.proof_key.lock().unwrap() = Some((header.to_owned(), key));
        }
        ok
    }

    fn proof_jwk(header: &str) -> Option<Arc<ParsedPublicKey>> {
        let h: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).ok()?).ok()?;
        let coord = |n: &str| URL_SAFE_NO_PAD.decode(h["jwk"][n].as_str()?).ok();
        let mut point = vec![4u8];
        point.extend(coord("x")?);
        point.extend(coord("y")?);
        ParsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, point)
            .ok()
            .map(Arc::new)
    }
}

async fn protected(
    State(floor): State<Arc<Floor>>,
    headers: HeaderMap,
) -> Result<Json<Value>, StatusCode> {
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let ok = if let Some(token) = auth.strip_prefix("Bearer ") {
        floor.token(token)
    } else if let Some(token) = auth.strip_prefix("DPoP ") {
        let proof = headers.get("dpop").and_then(|v| v.to_str().ok());
        proof.is_some_and(|p| floor.proof(p)) && floor.token(token)
    } else {
        false
    };
    if ok {
        Ok(Json(json!({ "message": "Hello, ?" })))
    } else {
        Err(StatusCode::UNAUTHORIZED)
    }
}

async fn public() -> Json<Value> {
    Json(json!({ "message": "public" }))
}

#[tokio::main]
async fn main() {
    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(3000);
    let mut der = std::fs::read(std::env::var("FLOOR_RSA_DER").expect("FLOOR_RSA_DER"))
        .expect("read FLOOR_RSA_DER");
    if der.starts_with(b"-----BEGIN") {
        let body: String = String::from_utf8(der)
            .expect("PEM")
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .collect();
        der = base64::engine::general_purpose::STANDARD
            .decode(body)
            .expect("PEM base64");
    }
    let floor = Arc::new(Floor {
        rsa: ParsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, der).expect("RSA key"),
        token: Mutex::new(String::new()),
        proof_key: Mutex::new(None),
        htu: format!("\"htu\":\"http://127.0.0.1:{port}/protected\""),
    });
    let app = Router::new()
        .route("/protected", get(protected))
        .route("/public", get(public))
        .with_state(floor);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .expect("bind");
    axum::serve(listener, app).await.expect("serve");
}
