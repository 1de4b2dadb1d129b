//! Integration tests: the issuer over real HTTP, and minted tokens and proofs verified
//! independently of the code that produced them.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a failed expectation is a failed test"
)]

mod dpop;
mod server;
mod support;
mod token_endpoint;
mod tokens;
