//! Integration tests of the core verifier against a real `TestIssuer` over loopback HTTP.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs,
    unreachable_pub
)]

mod common;
mod config;
mod dpop;
mod exchange;
mod faults;
mod keys;
mod mcd;
#[cfg(feature = "metrics")]
mod metrics;
mod raw_server;
mod redirects;
mod replay;
mod request;
mod verify;
