//! SPEC §7, row by row, in each DPoP mode: status, the exact `WWW-Authenticate` and the JSON
//! body, through the router (the layer and the extractor answer alike).

use auth0_api_testing::{Algorithm, Behavior, DpopKey, Endpoint};
use auth0_axum_api::DpopMode;
use axum::http::StatusCode;

use crate::support::*;

/// Owned request headers of one case.
type Headers<'a> = Vec<(&'a str, String)>;

const MODES: [DpopMode; 3] = [DpopMode::Disabled, DpopMode::Allowed, DpopMode::Required];
/// One route guarded by the layer, one verified by the extractor.
const ROUTES: [&str; 2] = ["/protected", "/protected-api"];

/// Where an error lands when the request used `scheme` (the core's rule: the only scheme
/// of the mode, or the one used).
fn on(mode: DpopMode, scheme: &'static str) -> &'static str {
    match mode {
        DpopMode::Disabled => "Bearer",
        DpopMode::Required => "DPoP",
        _ => scheme,
    }
}

#[tokio::test]
async fn no_credentials_or_unaccepted_scheme_get_bare_challenges() {
    for mode in MODES {
        let c = ctx(mode).await;
        let app = app(&c.auth0);
        let bare = challenge(mode, None, "");
        let token = c.issuer.token().sign();
        let mut cases: Vec<(Vec<(&str, String)>, &str)> = vec![
            (vec![], "Authentication required"),
            (
                vec![("authorization", "Basic dXNlcjpwYXNz".into())],
                "Unsupported authentication scheme",
            ),
            (
                vec![("authorization", "Negotiate abc".into())],
                "Unsupported authentication scheme",
            ),
        ];
        match mode {
            DpopMode::Disabled => cases.push((
                vec![("authorization", dpop(&token)), ("dpop", "x.y.z".into())],
                "Unsupported authentication scheme",
            )),
            DpopMode::Required => cases.push((
                vec![("authorization", bearer(&token))],
                "Unsupported authentication scheme",
            )),
            _ => {}
        }
        for route in ROUTES {
            for (headers, description) in &cases {
                let h: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
                let r = fetch(&app, route, &h).await;
                assert_eq!(
                    r.status,
                    StatusCode::UNAUTHORIZED,
                    "{mode:?} {route} {headers:?}"
                );
                r.assert_error(401, Some(&bare), "unauthorized", description);
            }
        }
    }
}

#[tokio::test]
async fn malformed_requests_are_400_invalid_request() {
    for mode in MODES {
        let c = ctx(mode).await;
        let app = app(&c.auth0);
        let token = c.issuer.token().sign();
        let scheme: &'static str = if mode == DpopMode::Required {
            "DPoP"
        } else {
            "Bearer"
        };
        let cases: Vec<(Headers<'_>, &str, &str)> = vec![
            (
                vec![
                    ("authorization", bearer(&token)),
                    ("authorization", bearer(&token)),
                ],
                "Multiple Authorization headers",
                on(mode, "Bearer"),
            ),
            (
                vec![("authorization", format!("{scheme} "))],
                "Malformed Authorization header",
                on(mode, scheme),
            ),
            (
                vec![("authorization", format!("{scheme} a b"))],
                "Malformed Authorization header",
                on(mode, scheme),
            ),
            (
                vec![("authorization", format!("{scheme} a\"b"))],
                "Malformed Authorization header",
                on(mode, scheme),
            ),
        ];
        for route in ROUTES {
            for (headers, description, err_on) in &cases {
                let h: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
                let r = fetch(&app, route, &h).await;
                r.assert_error(
                    400,
                    Some(&challenge(
                        mode,
                        Some(err_on),
                        &params("invalid_request", description),
                    )),
                    "invalid_request",
                    description,
                );
            }
        }
    }
}

#[tokio::test]
async fn bearer_with_a_dpop_header_is_refused_when_dpop_is_possible() {
    let c = ctx(DpopMode::Allowed).await;
    let token = c.issuer.token().sign();
    let r = fetch(
        &app(&c.auth0),
        "/protected",
        &[
            ("authorization", bearer(&token).as_str()),
            ("dpop", "x.y.z"),
        ],
    )
    .await;
    let d = "DPoP proof sent with the Bearer scheme";
    r.assert_error(
        400,
        Some(&challenge(
            DpopMode::Allowed,
            Some("Bearer"),
            &params("invalid_request", d),
        )),
        "invalid_request",
        d,
    );
    // With DPoP disabled the header means nothing.
    let c = ctx(DpopMode::Disabled).await;
    let token = c.issuer.token().sign();
    let r = fetch(
        &app(&c.auth0),
        "/protected",
        &[
            ("authorization", bearer(&token).as_str()),
            ("dpop", "x.y.z"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
}

#[tokio::test]
async fn bad_bearer_tokens_are_401_invalid_token() {
    for mode in [DpopMode::Disabled, DpopMode::Allowed] {
        let c = ctx(mode).await;
        let app = app(&c.auth0);
        let i = &c.issuer;
        let unpublished = i.add_unpublished_key(Algorithm::ES256);
        let key = DpopKey::generate(Algorithm::ES256);
        let good = i.token().sign();
        let mut forged = good.clone();
        forged.truncate(forged.len() - 4);
        forged.push_str("AAAA");
        let cases: Vec<(String, &str)> = vec![
            ("a.b.c".into(), "Malformed access token"),
            (i.token().unsigned(), "Unsupported token algorithm"),
            (
                i.token().sign_hs256(b"secret"),
                "Unsupported token algorithm",
            ),
            (
                i.token().header("typ", "dpop+jwt").sign(),
                "Invalid token type",
            ),
            (forged, "Invalid token signature"),
            (i.token().key(unpublished).sign(), "Unknown signing key"),
            (
                i.token().issuer("https://evil.example/").sign(),
                "Invalid token issuer",
            ),
            (
                i.token().audience("https://other.example").sign(),
                "Invalid token audience",
            ),
            (i.token().expired().sign(), "Token expired"),
            (
                i.token().remove_claim("exp").sign(),
                "Token is missing a required claim",
            ),
            (
                i.token().bound_to(&key).sign(),
                "DPoP-bound token requires the DPoP scheme",
            ),
        ];
        for route in ROUTES {
            for (token, description) in &cases {
                let r = fetch(&app, route, &[("authorization", &bearer(token))]).await;
                r.assert_error(
                    401,
                    Some(&challenge(
                        mode,
                        Some("Bearer"),
                        &params("invalid_token", description),
                    )),
                    "invalid_token",
                    description,
                );
            }
        }
    }
}

#[tokio::test]
async fn bad_tokens_with_the_dpop_scheme_are_401_invalid_token_on_dpop() {
    for mode in [DpopMode::Allowed, DpopMode::Required] {
        let c = ctx(mode).await;
        let app = app(&c.auth0);
        let key = DpopKey::generate(Algorithm::ES256);
        let cases: Vec<(String, &str)> = vec![
            (
                c.issuer.token().bound_to(&key).expired().sign(),
                "Token expired",
            ),
            (c.issuer.token().sign(), "Token is not DPoP-bound"),
            ("a.b.c".into(), "Malformed access token"),
        ];
        for route in ROUTES {
            for (token, description) in &cases {
                // The token is checked before the proof, so any proof value shows the token error.
                let r = fetch(
                    &app,
                    route,
                    &[("authorization", dpop(token).as_str()), ("dpop", "x.y.z")],
                )
                .await;
                r.assert_error(
                    401,
                    Some(&challenge(
                        mode,
                        Some("DPoP"),
                        &params("invalid_token", description),
                    )),
                    "invalid_token",
                    description,
                );
            }
        }
    }
}

#[tokio::test]
async fn missing_or_multiple_proofs_are_401_invalid_dpop_proof() {
    for mode in [DpopMode::Allowed, DpopMode::Required] {
        let c = ctx(mode).await;
        let app = app(&c.auth0);
        let key = DpopKey::generate(Algorithm::ES256);
        let token = c.issuer.token().bound_to(&key).sign();
        let auth = dpop(&token);
        let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
            (vec![("authorization", &auth)], "Missing DPoP proof"),
            (
                vec![("authorization", &auth), ("dpop", "")],
                "Missing DPoP proof",
            ),
            (
                vec![
                    ("authorization", &auth),
                    ("dpop", "a.b.c"),
                    ("dpop", "d.e.f"),
                ],
                "Multiple DPoP proofs",
            ),
            (
                vec![("authorization", &auth), ("dpop", "a.b.c,d.e.f")],
                "Multiple DPoP proofs",
            ),
        ];
        for route in ROUTES {
            for (headers, description) in &cases {
                let r = fetch(&app, route, headers).await;
                r.assert_error(
                    401,
                    Some(&challenge(
                        mode,
                        Some("DPoP"),
                        &params("invalid_dpop_proof", description),
                    )),
                    "invalid_dpop_proof",
                    description,
                );
            }
        }
    }
}

#[tokio::test]
async fn insufficient_scope_is_403_with_the_scope() {
    for mode in [DpopMode::Disabled, DpopMode::Allowed] {
        let c = ctx(mode).await;
        let token = c.issuer.token().scope("other").sign();
        let r = fetch(
            &app(&c.auth0),
            "/read-data",
            &[("authorization", &bearer(&token))],
        )
        .await;
        let p = format!(
            r#"{}, scope="read:data""#,
            params("insufficient_scope", "Insufficient scope")
        );
        r.assert_error(
            403,
            Some(&challenge(mode, Some("Bearer"), &p)),
            "insufficient_scope",
            "Insufficient scope",
        );
    }
}

#[tokio::test]
async fn keys_unavailable_is_503_without_challenge() {
    for mode in MODES {
        let c = ctx(mode).await;
        c.issuer.set_behavior(Endpoint::Jwks, Behavior::Status(500));
        c.issuer
            .set_behavior(Endpoint::Discovery, Behavior::Status(500));
        c.issuer
            .set_behavior(Endpoint::OauthMetadata, Behavior::Status(500));
        let app = app(&c.auth0);
        let key = DpopKey::generate(Algorithm::ES256);
        let token = c.issuer.token().bound_to(&key).sign();
        let headers: Vec<(&str, String)> = if mode == DpopMode::Disabled {
            vec![("authorization", bearer(&c.issuer.token().sign()))]
        } else {
            vec![("authorization", dpop(&token)), ("dpop", "x.y.z".into())]
        };
        let h: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
        for route in ROUTES {
            let r = fetch(&app, route, &h).await;
            let d = "Signing keys temporarily unavailable";
            r.assert_error(503, None, "temporarily_unavailable", d);
            assert_eq!(
                r.headers.get("retry-after").and_then(|v| v.to_str().ok()),
                Some("5")
            );
        }
    }
}
