//! Refusals are logged, never with the token. Its own test binary: `tracing` caches per
//! call site whether any subscriber wants its events, and a test in another thread of the
//! same process that reaches the call site first, with no subscriber, can leave it cached
//! as "never" while this test's thread-local subscriber is being installed.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a failed expectation is a failed test"
)]

use std::sync::{Arc, Mutex};

use auth0_axum_api::DpopMode;

#[allow(
    dead_code,
    reason = "shared with the `it` test binary, which uses all of it"
)]
#[path = "it/support.rs"]
mod support;

use support::{app, bearer, ctx, fetch};

/// A `tracing` writer into a shared buffer.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Captured {
        self.clone()
    }
}

#[tokio::test(flavor = "current_thread")]
async fn every_rejection_is_logged_without_the_token() {
    let c = ctx(DpopMode::Allowed).await;
    let app = app(&c.auth0);
    let logs = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(logs.clone())
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let expired = c.issuer.token().expired().sign();
    let no_scope = c.issuer.token().sign();
    fetch(&app, "/protected", &[("authorization", &bearer(&expired))]).await;
    fetch(&app, "/read-data", &[("authorization", &bearer(&no_scope))]).await;
    fetch(
        &app,
        "/protected-api",
        &[("authorization", &bearer(&expired))],
    )
    .await;

    let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    let refusals: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("auth0_axum_api::rejection") && l.contains("request refused"))
        .collect();
    assert_eq!(refusals.len(), 3, "{text}");
    assert!(
        refusals[0].contains("kind=Expired")
            && refusals[0].contains("scheme=Some(Bearer)")
            && refusals[0].contains("status=401"),
        "{}",
        refusals[0]
    );
    assert!(
        refusals[1].contains("kind=InsufficientScope") && refusals[1].contains("status=403"),
        "{}",
        refusals[1]
    );
    assert!(refusals[2].contains("kind=Expired"), "{}", refusals[2]);
    for token in [&expired, &no_scope] {
        let signature = token.rsplit('.').next().unwrap();
        assert!(!text.contains(signature), "a token leaked into the logs");
    }
}
