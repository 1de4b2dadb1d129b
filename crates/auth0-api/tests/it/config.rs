//! Builder validation: each bad input is named.

use auth0_api::{Auth0, DpopMode, TrustProxy};

fn field(b: auth0_api::Auth0Builder) -> &'static str {
    match b.build() {
        Ok(_) => "accepted",
        Err(e) => e.field(),
    }
}

#[test]
fn bad_inputs_are_named() {
    let ok = || Auth0::builder().domain("t.auth0.com").audience("api");
    assert_eq!(field(ok()), "accepted");
    assert_eq!(field(Auth0::builder().audience("api")), "domain");
    assert_eq!(field(ok().domain("t.auth0.com/path")), "domain");
    assert_eq!(field(ok().issuer("http://id.example.com/")), "issuer");
    assert_eq!(field(ok().issuer("http://127.0.0.1:8080/")), "accepted");
    assert_eq!(field(Auth0::builder().domain("t.auth0.com")), "audience");
    assert_eq!(field(ok().audience("")), "audience");
    assert_eq!(field(ok().algorithms([])), "algorithms");
    assert_eq!(field(ok().dpop_algorithms([])), "dpop_algorithms");
    assert_eq!(
        field(ok().dpop(DpopMode::Disabled).dpop_algorithms([])),
        "accepted"
    );
    assert_eq!(
        field(ok().leeway(std::time::Duration::from_secs(301))),
        "leeway"
    );
    assert_eq!(field(ok().realm("a\"b")), "realm");
    assert_eq!(field(ok().realm("")), "realm");
    assert_eq!(
        field(ok().jwks_uri("http://keys.example.com/jwks")),
        "jwks_uri"
    );
    assert_eq!(field(ok().jwks_uri("not a url")), "jwks_uri");
    assert_eq!(field(ok().public_url("ftp://x")), "public_url");
    assert_eq!(
        field(ok().public_url("https://api.example.com/?q")),
        "public_url"
    );
    assert_eq!(field(ok().required_claims([""])), "required_claims");
    assert_eq!(field(ok().domains(Vec::<String>::new())), "domains");
    assert_eq!(
        field(ok().domains(["a.example.com", "http://b.example.com"])),
        "domains"
    );
    assert_eq!(
        field(Auth0::builder().audience("api").domains(["a.example.com"])),
        "accepted"
    );
    assert_eq!(
        field(ok().dpop_iat_offset(std::time::Duration::ZERO)),
        "dpop_iat_offset"
    );
    assert_eq!(
        field(ok().fetch_timeout(std::time::Duration::ZERO)),
        "fetch_timeout"
    );
    assert_eq!(field(ok().max_token_size(10)), "max_token_size");
}

#[test]
fn config_error_display_names_the_field() {
    let err = Auth0::builder()
        .issuer("http://evil.example.com/")
        .audience("a")
        .build()
        .unwrap_err();
    let text = err.to_string();
    assert!(text.starts_with("invalid `issuer` (insecure): "), "{text}");
    assert!(!text.ends_with('.'));
}

#[test]
fn dpop_mode_from_env_values() {
    assert_eq!(
        "required".parse::<DpopMode>().ok(),
        Some(DpopMode::Required)
    );
    assert_eq!(
        "Disabled".parse::<DpopMode>().ok(),
        Some(DpopMode::Disabled)
    );
    assert_eq!("allowed".parse::<DpopMode>().ok(), Some(DpopMode::Allowed));
    assert!("sometimes".parse::<DpopMode>().is_err());
    assert!(TrustProxy::networks(["10.0.0.0/8"]).is_ok());
}

#[test]
fn debug_does_not_leak_configuration_secrets() {
    let auth0 = Auth0::builder()
        .domain("t.auth0.com")
        .audience("api")
        .build()
        .unwrap();
    let text = format!("{auth0:?}");
    assert!(text.contains("t.auth0.com"));
}

/// Every async entry point is `Send`, so it works in axum handlers and spawned tasks
/// (a `!Send` future here is a compile error).
#[test]
fn futures_are_send() {
    use auth0_api::{ConnectionTokenRequest, ExchangeProfileRequest, OnBehalfOfRequest};
    fn is_send<T: Send>(_: &T) {}
    let auth0 = Auth0::builder()
        .domain("t.auth0.com")
        .audience("api")
        .build()
        .unwrap();
    let exchange = auth0
        .token_exchange()
        .client_id("id")
        .client_secret("secret")
        .build()
        .unwrap();
    let headers = http::HeaderMap::new();
    let (method, uri) = (http::Method::GET, http::Uri::from_static("/x"));
    is_send(&auth0.verify(auth0_api::RequestContext::new(&method, &uri, &headers)));
    is_send(&auth0.verify_request(&http::Method::GET, "https://x/", &headers));
    is_send(&auth0.verify_access_token("t"));
    is_send(&exchange.get_access_token_for_connection(ConnectionTokenRequest::new("c", "t")));
    is_send(&exchange.get_token_by_exchange_profile(ExchangeProfileRequest::new("t", "urn:x")));
    is_send(&exchange.get_token_on_behalf_of(OnBehalfOfRequest::new("t", "aud")));
}

/// A refused setting names its kind and, when it is not secret, the value.
#[test]
fn config_errors_name_kind_and_value() {
    use auth0_api::{ConfigErrorKind, NonceConfig};
    use std::time::Duration;
    let ok = || Auth0::builder().domain("t.auth0.com").audience("api");
    let err = |b: auth0_api::Auth0Builder| b.build().expect_err("refused");
    let e = err(ok().issuer("http://id.example.com/"));
    assert_eq!(
        (e.field(), e.kind(), e.value()),
        (
            "issuer",
            ConfigErrorKind::Insecure,
            Some("http://id.example.com/")
        )
    );
    assert!(e.to_string().contains("http://id.example.com/"), "{e}");
    let e = err(ok().public_url("ftp://x"));
    assert_eq!(
        (e.kind(), e.value()),
        (ConfigErrorKind::Unsupported, Some("ftp://x"))
    );
    let e = err(Auth0::builder().audience("api"));
    assert_eq!((e.field(), e.kind()), ("domain", ConfigErrorKind::Missing));
    let e = err(ok()
        .domains(["a.example"])
        .domains_resolver(|_ctx| async { Ok::<_, std::io::Error>(vec![]) }));
    assert_eq!(e.kind(), ConfigErrorKind::Conflict);
    let e = err(ok().unknown_kid_cooldown(Duration::ZERO));
    assert_eq!(
        (e.field(), e.kind()),
        ("unknown_kid_cooldown", ConfigErrorKind::OutOfRange)
    );
    let e = err(ok().max_key_fetches_per_second(0));
    assert_eq!(
        (e.field(), e.kind()),
        ("max_key_fetches_per_second", ConfigErrorKind::OutOfRange)
    );
    assert!(ok().max_key_fetches_per_second(1).build().is_ok());
    let e = err(ok().jwks_cache_ttl(
        Duration::ZERO,
        Duration::from_secs(60),
        Duration::from_secs(60),
    ));
    assert_eq!(
        (e.field(), e.kind()),
        ("jwks_cache_ttl", ConfigErrorKind::OutOfRange)
    );
    let nonce = NonceConfig::new(vec![7u8; 32])
        .expect("secret")
        .lifetime(Duration::ZERO);
    let e = err(ok().dpop_nonce(nonce));
    assert_eq!(
        (e.field(), e.kind()),
        ("dpop_nonce", ConfigErrorKind::OutOfRange)
    );
    let e = TrustProxy::networks(["10.0.0.0/33"]).expect_err("refused");
    assert_eq!(
        (e.kind(), e.value()),
        (ConfigErrorKind::Malformed, Some("10.0.0.0/33"))
    );
    let e = "sometimes".parse::<DpopMode>().expect_err("refused");
    assert_eq!((e.field(), e.value()), ("dpop", Some("sometimes")));
    let e = NonceConfig::new(vec![1u8; 8]).expect_err("refused");
    assert_eq!(
        (e.kind(), e.value()),
        (ConfigErrorKind::Insecure, None),
        "secrets are never shown"
    );
}
