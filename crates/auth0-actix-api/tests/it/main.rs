//! Integration tests: the extractors and the middleware through `actix_web::test` services,
//! and a DPoP request through a real `HttpServer` listener, against the in-process test
//! issuer.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a failed expectation is a failed test"
)]

mod conformance;
mod responses;
mod socket;
mod support;
mod usage;
