//! Integration tests: a real tonic client against a tonic server on 127.0.0.1 with the
//! layer, verifying tokens from the in-process test issuer.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a failed expectation is a failed test"
)]

mod config;
mod conformance;
mod dpop;
mod responses;
mod support;
mod tls;
mod usage;
