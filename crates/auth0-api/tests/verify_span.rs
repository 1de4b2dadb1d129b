//! The `auth0.verify` span: one per request verification, with its scheme, outcome and
//! error kind, and nothing in any span or event field that holds a token, a proof or a `jti`.
//!
//! Its own test binary: `tracing` caches per call site whether any subscriber wants it, and
//! a test in another thread of the same process that reaches the call site first, with no
//! subscriber, can leave it cached as "never" while this test's thread-local subscriber is
//! being installed. Here every test installs its subscriber before any verification.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a failed expectation is a failed test"
)]

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::{Arc, Mutex};

use auth0_api::{Algorithm, Auth0, DpopMode, ErrorKind};
use auth0_api_testing::{Behavior, DpopKey, Endpoint, TestIssuer};
use http::header::AUTHORIZATION;
use http::{HeaderMap, HeaderValue, Method};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Metadata, Subscriber};

const URL: &str = "https://api.example.com/data";

/// One span, as the subscriber saw it.
#[derive(Clone, Debug)]
struct SpanSeen {
    name: &'static str,
    target: String,
    level: Level,
    fields: BTreeMap<String, String>,
}

/// One event, with the span it was emitted in.
#[derive(Clone, Debug)]
struct EventSeen {
    span: Option<u64>,
    fields: BTreeMap<String, String>,
}

#[derive(Default)]
struct Seen {
    next_id: u64,
    spans: HashMap<u64, SpanSeen>,
    /// Span ids in creation order.
    order: Vec<u64>,
    /// The spans entered on the test's thread (the only thread with this subscriber).
    entered: Vec<u64>,
    events: Vec<EventSeen>,
}

/// A subscriber that keeps every span and event field, as text, to look through.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Seen>>);

struct Fields<'a>(&'a mut BTreeMap<String, String>);

impl Visit for Fields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
}

impl Subscriber for Capture {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let mut seen = self.0.lock().unwrap();
        seen.next_id += 1;
        let id = seen.next_id;
        let mut fields = BTreeMap::new();
        span.record(&mut Fields(&mut fields));
        let meta = span.metadata();
        seen.spans.insert(
            id,
            SpanSeen {
                name: meta.name(),
                target: meta.target().to_owned(),
                level: *meta.level(),
                fields,
            },
        );
        seen.order.push(id);
        Id::from_u64(id)
    }
    fn record(&self, span: &Id, values: &Record<'_>) {
        let mut seen = self.0.lock().unwrap();
        if let Some(s) = seen.spans.get_mut(&span.into_u64()) {
            values.record(&mut Fields(&mut s.fields));
        }
    }
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut seen = self.0.lock().unwrap();
        let mut fields = BTreeMap::new();
        event.record(&mut Fields(&mut fields));
        let span = seen.entered.last().copied();
        seen.events.push(EventSeen { span, fields });
    }
    fn enter(&self, span: &Id) {
        self.0.lock().unwrap().entered.push(span.into_u64());
    }
    fn exit(&self, span: &Id) {
        let mut seen = self.0.lock().unwrap();
        if let Some(at) = seen.entered.iter().rposition(|s| *s == span.into_u64()) {
            seen.entered.remove(at);
        }
    }
}

impl Capture {
    /// The `auth0.verify` spans, in creation order, with their ids.
    fn verify_spans(&self) -> Vec<(u64, SpanSeen)> {
        let seen = self.0.lock().unwrap();
        seen.order
            .iter()
            .filter_map(|id| seen.spans.get(id).map(|s| (*id, s.clone())))
            .filter(|(_, s)| s.name == "auth0.verify")
            .collect()
    }

    /// Every field value of every span and event.
    fn all_values(&self) -> Vec<String> {
        let seen = self.0.lock().unwrap();
        let spans = seen.spans.values().flat_map(|s| s.fields.values());
        let events = seen.events.iter().flat_map(|e| e.fields.values());
        spans.chain(events).cloned().collect()
    }

    fn events_in(&self, span: u64) -> Vec<EventSeen> {
        let seen = self.0.lock().unwrap();
        seen.events
            .iter()
            .filter(|e| e.span == Some(span))
            .cloned()
            .collect()
    }
}

fn headers(scheme: &str, token: &str, proof: Option<&str>) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert(
        AUTHORIZATION,
        HeaderValue::from_str(&format!("{scheme} {token}")).unwrap(),
    );
    if let Some(p) = proof {
        h.insert("dpop", HeaderValue::from_str(p).unwrap());
    }
    h
}

async fn verify(auth0: &Auth0, headers: &HeaderMap) -> Result<(), ErrorKind> {
    auth0
        .verify_request(&Method::GET, URL, headers)
        .await
        .map(|_| ())
        .map_err(|e| e.kind())
}

fn fields(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[tokio::test]
async fn each_verification_has_a_span_with_its_outcome_and_no_secret() {
    let capture = Capture::default();
    let _default = tracing::subscriber::set_default(capture.clone());

    let issuer = TestIssuer::start().await;
    let auth0 = Auth0::builder()
        .issuer(issuer.issuer())
        .audience(issuer.audience())
        .clock(issuer.clock())
        .dpop(DpopMode::Allowed)
        .build()
        .unwrap();
    let key = DpopKey::generate(Algorithm::ES256);
    let bearer = issuer.token().sub("alice").sign();
    let expired = issuer.token().expired().sign();
    let bound = issuer.token().bound_to(&key).sign();
    let jti = "jti-that-must-never-be-logged-4f7a";
    let proof = key
        .proof("GET", URL)
        .clock(&issuer.clock())
        .access_token(&bound)
        .jti(jti)
        .sign();

    verify(&auth0, &headers("Bearer", &bearer, None))
        .await
        .unwrap();
    assert_eq!(
        verify(&auth0, &headers("Bearer", &expired, None)).await,
        Err(ErrorKind::Expired)
    );
    verify(&auth0, &headers("DPoP", &bound, Some(&proof)))
        .await
        .unwrap();
    assert_eq!(
        verify(&auth0, &headers("DPoP", &bound, Some(&proof))).await,
        Err(ErrorKind::DpopReplay)
    );
    assert_eq!(
        verify(&auth0, &HeaderMap::new()).await,
        Err(ErrorKind::MissingCredentials)
    );
    // A cold verifier whose issuer is down: 503.
    issuer.set_behavior(Endpoint::Discovery, Behavior::Status(500));
    issuer.set_behavior(Endpoint::OauthMetadata, Behavior::Status(500));
    let cold = Auth0::builder()
        .issuer(issuer.issuer())
        .audience(issuer.audience())
        .clock(issuer.clock())
        .build()
        .unwrap();
    assert_eq!(
        verify(&cold, &headers("Bearer", &bearer, None)).await,
        Err(ErrorKind::KeysUnavailable)
    );

    let spans = capture.verify_spans();
    let got: Vec<BTreeMap<String, String>> = spans.iter().map(|(_, s)| s.fields.clone()).collect();
    assert_eq!(
        got,
        [
            fields(&[("scheme", "bearer"), ("outcome", "ok")]),
            fields(&[
                ("scheme", "bearer"),
                ("outcome", "refused"),
                ("error", "expired")
            ]),
            fields(&[("scheme", "dpop"), ("outcome", "ok")]),
            fields(&[
                ("scheme", "dpop"),
                ("outcome", "refused"),
                ("error", "dpop_replay")
            ]),
            fields(&[
                ("scheme", "none"),
                ("outcome", "refused"),
                ("error", "missing_credentials")
            ]),
            fields(&[
                ("scheme", "bearer"),
                ("outcome", "unavailable"),
                ("error", "keys_unavailable")
            ]),
        ]
    );
    for (_, span) in &spans {
        assert_eq!(span.level, Level::DEBUG);
        assert_eq!(span.target, "auth0_api::verify");
    }

    // A refusal's log event is emitted inside its span; a success logs nothing there.
    let (ok_span, _) = &spans[0];
    let (expired_span, _) = &spans[1];
    assert!(capture.events_in(*ok_span).is_empty());
    let refused = capture.events_in(*expired_span);
    assert!(
        refused
            .iter()
            .any(|e| e.fields.get("message").map(String::as_str) == Some("request refused")),
        "{refused:?}"
    );

    // Nothing anywhere holds a credential, or any part of one.
    let secrets: Vec<&str> = [
        bearer.as_str(),
        expired.as_str(),
        bound.as_str(),
        proof.as_str(),
    ]
    .into_iter()
    .flat_map(|jws| jws.split('.'))
    .chain([jti])
    .collect();
    let values = capture.all_values();
    assert!(!values.is_empty());
    for value in &values {
        for secret in &secrets {
            assert!(
                !value.contains(secret),
                "a field holds a credential: {value}"
            );
        }
    }
}
