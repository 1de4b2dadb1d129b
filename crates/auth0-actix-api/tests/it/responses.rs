//! SPEC §7, row by row, in each DPoP mode: status, the exact `WWW-Authenticate` and the JSON
//! body, through `actix_web::test` (the middleware and the extractor answer alike, and like
//! the Axum crate: the expected values are the ones its tests assert).

use auth0_actix_api::DpopMode;
use auth0_api_testing::{Algorithm, Behavior, DpopKey, Endpoint};

use crate::support::*;

const MODES: [DpopMode; 3] = [DpopMode::Disabled, DpopMode::Allowed, DpopMode::Required];
/// One route guarded by the middleware, one verified by the extractor.
const ROUTES: [&str; 2] = ["/protected", "/protected-api"];

#[actix_web::test]
async fn no_credentials_or_unaccepted_scheme_get_bare_challenges() {
    for mode in MODES {
        let c = ctx(mode).await;
        let app = service(&c.auth0).await;
        let bare = challenge(mode, None, "");
        let token = c.issuer.token().sign();
        let mut cases: Vec<(Vec<(&str, String)>, &str)> = vec![
            (vec![], "Authentication required"),
            (
                vec![("authorization", "Basic dXNlcjpwYXNz".into())],
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
                r.assert_error(401, Some(&bare), "unauthorized", description);
            }
        }
    }
}

#[actix_web::test]
async fn malformed_requests_are_400_invalid_request() {
    for mode in [DpopMode::Disabled, DpopMode::Allowed] {
        let c = ctx(mode).await;
        let app = service(&c.auth0).await;
        let token = c.issuer.token().sign();
        let www = challenge(
            mode,
            Some("Bearer"),
            &params("invalid_request", "Multiple Authorization headers"),
        );
        for route in ROUTES {
            let b = bearer(&token);
            let r = fetch(&app, route, &[("authorization", &b), ("authorization", &b)]).await;
            r.assert_error(
                400,
                Some(&www),
                "invalid_request",
                "Multiple Authorization headers",
            );
        }
    }
}

#[actix_web::test]
async fn bad_bearer_tokens_are_401_invalid_token() {
    for mode in [DpopMode::Disabled, DpopMode::Allowed] {
        let c = ctx(mode).await;
        let app = service(&c.auth0).await;
        let i = &c.issuer;
        let key = DpopKey::generate(Algorithm::ES256);
        let cases: Vec<(String, &str)> = vec![
            ("a.b.c".into(), "Malformed access token"),
            (i.token().unsigned(), "Unsupported token algorithm"),
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
                i.token().bound_to(&key).sign(),
                "DPoP-bound token requires the DPoP scheme",
            ),
        ];
        for route in ROUTES {
            for (token, description) in &cases {
                let r = fetch(&app, route, &[("authorization", &bearer(token))]).await;
                let www = challenge(mode, Some("Bearer"), &params("invalid_token", description));
                r.assert_error(401, Some(&www), "invalid_token", description);
            }
        }
    }
}

#[actix_web::test]
async fn missing_proof_is_401_invalid_dpop_proof() {
    for mode in [DpopMode::Allowed, DpopMode::Required] {
        let c = ctx(mode).await;
        let app = service(&c.auth0).await;
        let key = DpopKey::generate(Algorithm::ES256);
        let token = c.issuer.token().bound_to(&key).sign();
        for route in ROUTES {
            let r = fetch(&app, route, &[("authorization", &dpop(&token))]).await;
            let d = "Missing DPoP proof";
            let www = challenge(mode, Some("DPoP"), &params("invalid_dpop_proof", d));
            r.assert_error(401, Some(&www), "invalid_dpop_proof", d);
        }
    }
}

#[actix_web::test]
async fn insufficient_scope_is_403_with_the_scope() {
    for mode in [DpopMode::Disabled, DpopMode::Allowed] {
        let c = ctx(mode).await;
        let app = service(&c.auth0).await;
        let token = c.issuer.token().scope("other").sign();
        let r = fetch(&app, "/read-data", &[("authorization", &bearer(&token))]).await;
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

#[actix_web::test]
async fn keys_unavailable_is_503_without_challenge() {
    for mode in MODES {
        let c = ctx(mode).await;
        c.issuer.set_behavior(Endpoint::Jwks, Behavior::Status(500));
        c.issuer
            .set_behavior(Endpoint::Discovery, Behavior::Status(500));
        c.issuer
            .set_behavior(Endpoint::OauthMetadata, Behavior::Status(500));
        let app = service(&c.auth0).await;
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
            assert_eq!(r.header("retry-after"), Some("5"));
        }
    }
}
