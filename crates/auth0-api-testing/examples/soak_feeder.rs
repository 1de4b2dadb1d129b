//! Token and DPoP proof feeder for `scripts/soak.sh`.
//!
//! ```text
//! cargo run --release -p auth0-api-testing --example soak_feeder -- OUT_DIR FIFO...
//! ```
//!
//! Starts a test issuer on 127.0.0.1 whose clock follows the system clock, writes to
//! `OUT_DIR`: `issuer` and `audience` (to configure the API under test) and `bearer` (an
//! access token), and prints `ready`. Then it reads a URL from standard input and, until
//! killed, writes lines `TOKEN PROOF` to each `FIFO`: an access token bound to one of 16
//! DPoP keys (in turn, so that no key reaches a replay-store quota, if one is set) and a fresh
//! proof for `GET URL` with that key and token, at most `SOAK_DPOP_RATE` proofs per second
//! in all (default 2000: the default in-memory replay store remembers about 3,100 proofs
//! per second over the 330 s proof window, and shortens the window beyond)
//! (named pipes, one per load-generator thread): each proof is signed when the pipe has room
//! for it, so it is seconds old at most when it is sent. A reader that goes away is waited
//! for again.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::fs;
use std::io::{BufWriter, ErrorKind, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use auth0_api::{Clock, SystemClock};
use auth0_api_testing::{Algorithm, DpopKey, TestIssuer};

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [out_dir, fifos @ ..] = args.as_slice() else {
        eprintln!("usage: soak_feeder OUT_DIR FIFO...");
        return ExitCode::from(2);
    };
    let out_dir = PathBuf::from(out_dir);

    let issuer = TestIssuer::builder().key(Algorithm::ES256).start().await;
    let clock = issuer.clock();
    clock.set(SystemClock.now());
    let ticking = clock.clone();
    tokio::spawn(async move {
        loop {
            ticking.set(SystemClock.now());
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    });

    let lifetime = Duration::from_secs(24 * 60 * 60);
    let bearer = issuer
        .token()
        .sub("soak-bearer")
        .expires_in(lifetime)
        .sign();
    let keys: Vec<(DpopKey, String)> = (0..16)
        .map(|i| {
            let key = DpopKey::generate(Algorithm::ES256);
            let bound = issuer
                .token()
                .sub(format!("soak-dpop-{i}"))
                .bound_to(&key)
                .expires_in(lifetime)
                .sign();
            (key, bound)
        })
        .collect();
    let files = [
        ("issuer", issuer.issuer()),
        ("audience", issuer.audience()),
        ("bearer", bearer),
    ];
    for (name, value) in files {
        if let Err(e) = fs::write(out_dir.join(name), value) {
            eprintln!("soak_feeder: writing {name}: {e}");
            return ExitCode::FAILURE;
        }
    }
    println!("ready");
    let url = tokio::task::spawn_blocking(|| {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line).map(|_| line)
    })
    .await;
    let url = match url {
        Ok(Ok(line)) if !line.trim().is_empty() => line.trim().to_owned(),
        _ => {
            eprintln!("soak_feeder: no URL on standard input");
            return ExitCode::FAILURE;
        }
    };

    let rate: f64 = match std::env::var("SOAK_DPOP_RATE").map(|r| r.parse()) {
        Err(_) => 2000.0,
        Ok(Ok(r)) if r > 0.0 => r,
        Ok(_) => {
            eprintln!("soak_feeder: SOAK_DPOP_RATE is not a positive number");
            return ExitCode::from(2);
        }
    };
    // Each pipe gets its share of the rate.
    let interval = Duration::from_secs_f64(fifos.len() as f64 / rate);
    for fifo in fifos {
        let (fifo, keys, url) = (fifo.clone(), keys.clone(), url.clone());
        std::thread::spawn(move || {
            let mut turn = keys.iter().cycle();
            let mut next = Instant::now();
            loop {
                // Opening a named pipe for writing waits for a reader.
                let file = match fs::OpenOptions::new().write(true).open(&fifo) {
                    Ok(f) => f,
                    Err(e) => {
                        eprintln!("soak_feeder: opening {fifo}: {e}");
                        return;
                    }
                };
                let mut out = BufWriter::with_capacity(4096, file);
                loop {
                    let Some((key, bound)) = turn.next() else {
                        return;
                    };
                    next += interval;
                    let now = Instant::now();
                    if next > now {
                        std::thread::sleep(next - now);
                    } else if now - next > Duration::from_secs(1) {
                        // Behind (the reader was away): no burst to catch up.
                        next = now;
                    }
                    let proof = key
                        .proof("GET", &url)
                        .access_token(bound)
                        .iat(SystemClock.now())
                        .sign();
                    match writeln!(out, "{bound} {proof}").and_then(|()| out.flush()) {
                        Ok(()) => {}
                        Err(e) if e.kind() == ErrorKind::BrokenPipe => break,
                        Err(e) => {
                            eprintln!("soak_feeder: writing {fifo}: {e}");
                            return;
                        }
                    }
                }
            }
        });
    }
    // Serves the issuer (discovery, JWKS) until killed.
    std::future::pending::<()>().await;
    ExitCode::SUCCESS
}
