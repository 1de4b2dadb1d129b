//! Integration tests: the extractor and the layer through real axum routers (and a bare
//! tower service and a real socket), against the in-process test issuer.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a failed expectation is a failed test"
)]

mod conformance;
mod dpop;
mod nested;
#[cfg(feature = "openapi")]
mod openapi;
mod proxy;
mod responses;
mod socket;
mod support;
mod tower_service;
mod usage;
