//! Integration tests of the core verifier against a real `TestIssuer` over loopback HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs, unreachable_pub)]

mod common;
mod config;
mod keys;
mod mcd;
mod dpop;
mod verify;
mod exchange;
