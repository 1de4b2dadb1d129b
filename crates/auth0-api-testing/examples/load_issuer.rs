//! The issuer side of `scripts/load.sh`: a [`TestIssuer`] (RS256) on 127.0.0.1 serving
//! discovery and the JWKS, plus token and DPoP proof files for the load scenarios.
//!
//! ```text
//! load_issuer <dir> <audience> <unique tokens> <mix tokens>
//! ```
//!
//! Writes `<dir>/issuer` (the issuer URL), `<dir>/rs256.der` (its RSA key, DER
//! `SubjectPublicKeyInfo`, for the floor peer), `<dir>/token` (one token, 1 h), `<dir>/unique.txt`
//! and `<dir>/mix.txt` (distinct tokens, one per line), `<dir>/dpop-token` (bound to an
//! ES256 key), prints `ready`, then reads commands on stdin until it closes:
//! `proofs <url> <count> <file>` writes `count` fresh proofs (distinct `jti`, `iat` = now)
//! for `GET url` with that key and prints `done`.
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, Write};
use std::path::Path;

use auth0_api::{Clock, SystemClock};
use auth0_api_testing::{Algorithm, DpopKey, TestIssuer};

fn write_lines(path: &Path, count: usize, tag: &str, mint: &(dyn Fn(String) -> String + Sync)) {
    // Two threads: RSA signing is the slow part.
    let halves: Vec<Vec<String>> = std::thread::scope(|s| {
        let jobs: Vec<_> = (0..2)
            .map(|t| {
                s.spawn(move || {
                    (0..count)
                        .filter(|i| i % 2 == t)
                        .map(|i| mint(format!("{tag}-{i}")))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        jobs.into_iter().map(|j| j.join().unwrap()).collect()
    });
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    for line in halves.iter().flatten() {
        writeln!(out, "{line}").unwrap();
    }
    out.flush().unwrap();
}

#[tokio::main(flavor = "multi_thread", worker_threads = 1)]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, dir, audience, unique, mix] = &args[..] else {
        eprintln!("usage: load_issuer <dir> <audience> <unique tokens> <mix tokens>");
        std::process::exit(2);
    };
    let dir = Path::new(dir);
    let issuer = TestIssuer::builder()
        .key(Algorithm::RS256)
        .audience(audience.clone())
        .start()
        .await;
    let clock = issuer.clock();
    let mint = |id: String| {
        issuer
            .token()
            .sub(format!("user|{id}"))
            .scope("read:data")
            .claim("jti", id)
            .sign()
    };
    std::fs::write(dir.join("issuer"), issuer.issuer()).unwrap();
    let der = issuer.rsa_public_key_der(&issuer.default_kid()).unwrap();
    std::fs::write(dir.join("rs256.der"), der).unwrap();
    std::fs::write(dir.join("token"), mint("one".into())).unwrap();
    write_lines(&dir.join("unique.txt"), unique.parse().unwrap(), "u", &mint);
    write_lines(&dir.join("mix.txt"), mix.parse().unwrap(), "m", &mint);
    let key = DpopKey::generate(Algorithm::ES256);
    let bound = issuer.token().sub("user|dpop").bound_to(&key).sign();
    std::fs::write(dir.join("dpop-token"), &bound).unwrap();
    println!("ready");

    let stdin = std::io::stdin();
    for line in stdin.lock().lines() {
        let line = line.unwrap();
        let parts: Vec<&str> = line.split_whitespace().collect();
        if let ["proofs", url, count, file] = &parts[..] {
            clock.set(SystemClock.now());
            let proof = |_: String| {
                key.proof("GET", url)
                    .clock(&clock)
                    .access_token(&bound)
                    .sign()
            };
            write_lines(Path::new(file), count.parse().unwrap(), "p", &proof);
            println!("done");
        } else {
            println!("unknown command");
        }
    }
}
