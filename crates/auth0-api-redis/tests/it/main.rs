//! Integration tests of the Redis replay store against a real `redis-server`.
//!
//! Each test starts its own server on a Unix socket in a directory of its own. Without a `redis-server`
//! binary on `PATH` (or in `REDIS_SERVER`), the tests that need one print a skip notice and
//! pass, except under `CI=true`, where they fail.
#![cfg(unix)]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a failed expectation is a failed test"
)]

mod fleet;
mod server;
mod store;
