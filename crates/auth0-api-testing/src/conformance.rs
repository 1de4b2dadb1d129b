//! The request cases every front end must answer alike (the product contract's "every front
//! end answers alike"), with the answer each DPoP mode must give.
//!
//! A front end under test serves the four [`Route`]s of the example server contract
//! (`GET /public`, `GET /protected`, `GET /data` needing `read:data`, `POST /data` needing
//! `write:data`) with a verifier that trusts the [`TestIssuer`], shares its clock, runs in one
//! [`DpopMode`] and advertises the DPoP algorithms given to [`cases`]. The test sends every
//! [`Case`] in order (a replay case repeats an earlier proof), turns each response into an
//! [`Answer`] and calls [`Case::check`]:
//!
//! ```no_run
//! use auth0_api_testing::TestIssuer;
//! use auth0_api_testing::conformance::{self, Answer, Route};
//! use auth0_api::{Algorithm, DpopMode};
//!
//! # async fn send(_: &conformance::Case) -> Answer { unimplemented!() }
//! # async fn run() {
//! let issuer = TestIssuer::start().await;
//! let base = "http://127.0.0.1:3000";
//! // The method and URL the front end serves each route at (what a DPoP proof names).
//! let target = |route: Route| (route.method().to_owned(), format!("{base}{}", route.path()));
//! for case in conformance::cases(&issuer, target, &Algorithm::ALL) {
//!     let answer = send(&case).await; // your front end's response, as an `Answer`
//!     case.check(DpopMode::Allowed, &answer).unwrap();
//! }
//! # }
//! ```
//!
//! The expectations are written from the contract, not read from the core, so a front end
//! (or a core change) that answers differently fails here. A gRPC front end maps each route to
//! a method (`POST` and the method's URL) and the HTTP status to a gRPC code itself.

use std::fmt::Write as _;

use auth0_api::{Algorithm, DpopMode, ErrorKind, UnixTime};

use crate::{DpopKey, TestIssuer};

/// The routes of the example server contract.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Route {
    /// `GET /public`: no authentication.
    Public,
    /// `GET /protected`: any valid token.
    Protected,
    /// `GET /data`: scope `read:data`.
    ReadData,
    /// `POST /data`: scope `write:data`.
    WriteData,
}

impl Route {
    /// Every route.
    pub const ALL: [Route; 4] = [
        Route::Public,
        Route::Protected,
        Route::ReadData,
        Route::WriteData,
    ];

    /// The HTTP method of the route.
    pub const fn method(self) -> &'static str {
        match self {
            Route::WriteData => "POST",
            _ => "GET",
        }
    }

    /// The HTTP path of the route.
    pub const fn path(self) -> &'static str {
        match self {
            Route::Public => "/public",
            Route::Protected => "/protected",
            Route::ReadData | Route::WriteData => "/data",
        }
    }

    /// The scope the route requires, if any.
    pub const fn required_scope(self) -> Option<&'static str> {
        match self {
            Route::ReadData => Some("read:data"),
            Route::WriteData => Some("write:data"),
            _ => None,
        }
    }

    /// Whether the route needs a token at all.
    pub const fn is_protected(self) -> bool {
        !matches!(self, Route::Public)
    }
}

/// One request of the table.
#[derive(Clone, Debug)]
pub struct Case {
    /// What the case sends, in a few words.
    pub name: &'static str,
    /// The route it is sent to.
    pub route: Route,
    /// The request method (the route's, from the `target` given to [`cases`]).
    pub method: String,
    /// The URL the request is sent to (from the `target` given to [`cases`]).
    pub url: String,
    /// Request headers, in order; a name may repeat.
    pub headers: Vec<(&'static str, String)>,
    outcome: [Outcome; 3],
    algs: String,
}

/// What a front end answered, reduced to what the contract fixes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Answer {
    /// HTTP status (a gRPC front end maps its code back: `UNAUTHENTICATED` 401,
    /// `PERMISSION_DENIED` 403, `UNAVAILABLE` 503, `INVALID_ARGUMENT` 400, `OK` 200).
    pub status: u16,
    /// Every `WWW-Authenticate` field value, in order.
    pub www_authenticate: Vec<String>,
    /// The `DPoP-Nonce` header, if any.
    pub dpop_nonce: Option<String>,
    /// The `Retry-After` header, if any.
    pub retry_after: Option<String>,
    /// The `error` member of the JSON body (or of FastAPI's `detail`), if any.
    pub error: Option<String>,
}

impl Answer {
    /// An HTTP response as an `Answer`: its status, headers (names compared
    /// case-insensitively) and JSON body (`{"error": ...}`, or FastAPI's
    /// `{"detail": {"error": ...}}`).
    pub fn from_http<'a>(
        status: u16,
        headers: impl IntoIterator<Item = (&'a str, &'a [u8])>,
        body: &[u8],
    ) -> Self {
        let mut answer = Answer {
            status,
            ..Answer::default()
        };
        for (name, value) in headers {
            let value = String::from_utf8_lossy(value).into_owned();
            match name.to_ascii_lowercase().as_str() {
                "www-authenticate" => answer.www_authenticate.push(value),
                "dpop-nonce" => answer.dpop_nonce = Some(value),
                "retry-after" => answer.retry_after = Some(value),
                _ => {}
            }
        }
        answer.error = serde_json::from_slice::<serde_json::Value>(body)
            .ok()
            .and_then(|v| {
                let v = v.get("detail").unwrap_or(&v);
                v.get("error")?.as_str().map(str::to_owned)
            });
        answer
    }
}

/// The answer the contract requires for one case in one mode.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expected {
    /// HTTP status.
    pub status: u16,
    /// The one `WWW-Authenticate` value, or `None` for none.
    pub www_authenticate: Option<String>,
    /// The body's `error`, or `None` for a success.
    pub error: Option<&'static str>,
}

/// One row of the table as written: name, route, headers, outcome per mode.
type Row = (
    &'static str,
    Route,
    Vec<(&'static str, String)>,
    [Outcome; 3],
);

#[derive(Clone, Copy, Debug)]
enum Outcome {
    Ok,
    /// Refused with this kind; the scheme the request used (for where `error` goes when
    /// both schemes are accepted), and the required scope for 403.
    Refused(ErrorKind, Option<Scheme>, Option<&'static str>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scheme {
    Bearer,
    Dpop,
}

const MODES: [DpopMode; 3] = [DpopMode::Disabled, DpopMode::Allowed, DpopMode::Required];

fn mode_index(mode: DpopMode) -> usize {
    match mode {
        DpopMode::Disabled => 0,
        DpopMode::Required => 2,
        _ => 1,
    }
}

impl Case {
    /// The answer required in `mode`.
    pub fn expected(&self, mode: DpopMode) -> Expected {
        match self.outcome[mode_index(mode)] {
            Outcome::Ok => Expected {
                status: 200,
                www_authenticate: None,
                error: None,
            },
            Outcome::Refused(kind, used, scope) => Expected {
                status: kind.status().as_u16(),
                www_authenticate: challenge(mode, &self.algs, kind, used, scope),
                // Refusals without an `error` parameter (no or unaccepted credentials)
                // still name one in the body.
                error: Some(kind.code().unwrap_or("unauthorized")),
            },
        }
    }

    /// Checks `answer` against the contract in `mode`; the error names the case and every
    /// difference.
    pub fn check(&self, mode: DpopMode, answer: &Answer) -> Result<(), String> {
        let want = self.expected(mode);
        let mut diff = String::new();
        if answer.status != want.status {
            let _ = write!(diff, "; status {} (want {})", answer.status, want.status);
        }
        let www: Vec<&str> = want.www_authenticate.iter().map(String::as_str).collect();
        if answer.www_authenticate != www {
            let _ = write!(
                diff,
                "; WWW-Authenticate {:?} (want {:?})",
                answer.www_authenticate, www
            );
        }
        if answer.error.as_deref() != want.error {
            let _ = write!(diff, "; error {:?} (want {:?})", answer.error, want.error);
        }
        if answer.dpop_nonce.is_some() && want.status != 200 {
            // No nonces in this table: a refusal never carries one.
            let _ = write!(diff, "; unexpected DPoP-Nonce");
        }
        let unavailable = want.status == 503;
        if answer.retry_after.is_some() != unavailable {
            let _ = write!(
                diff,
                "; Retry-After {:?} (want {})",
                answer.retry_after,
                if unavailable { "present" } else { "absent" }
            );
        }
        if diff.is_empty() {
            Ok(())
        } else {
            Err(format!("{:?} in {mode:?}: {}", self.name, &diff[2..]))
        }
    }
}

/// The `WWW-Authenticate` value the contract requires (RFC 6750 §3, RFC 9449 §7.1): one
/// challenge per accepted scheme, Bearer first; `error`, the fixed description and `scope`
/// on the only accepted scheme, or on the scheme used when both are.
fn challenge(
    mode: DpopMode,
    algs: &str,
    kind: ErrorKind,
    used: Option<Scheme>,
    scope: Option<&str>,
) -> Option<String> {
    if kind.is_unavailable() {
        return None;
    }
    let on = kind.code().map(|_| match (mode, used) {
        (DpopMode::Disabled, _) => Scheme::Bearer,
        (DpopMode::Required, _) => Scheme::Dpop,
        (_, Some(s)) => s,
        (_, None) => Scheme::Bearer,
    });
    let params = |out: &mut String| {
        if let Some(code) = kind.code() {
            let _ = write!(
                out,
                "error=\"{code}\", error_description=\"{}\"",
                kind.description()
            );
        }
        if let Some(scope) = scope {
            let _ = write!(out, ", scope=\"{scope}\"");
        }
    };
    let mut out = String::new();
    if mode != DpopMode::Required {
        out.push_str("Bearer realm=\"api\"");
        if on == Some(Scheme::Bearer) {
            out.push_str(", ");
            params(&mut out);
        }
    }
    if mode != DpopMode::Disabled {
        if !out.is_empty() {
            out.push_str(", ");
        }
        out.push_str("DPoP ");
        if on == Some(Scheme::Dpop) {
            params(&mut out);
            out.push_str(", ");
        }
        let _ = write!(out, "algs=\"{algs}\"");
    }
    Some(out)
}

/// The table: every case, in the order it must be sent, for a front end that serves each
/// route at `target(route)` (method, full URL as the server sees it) and advertises
/// `dpop_algs` (in this order) for DPoP proofs.
///
/// Tokens are minted by `issuer`; proofs come from a fresh ES256 key and name the URL and
/// method `target` gives, so send each case to exactly that URL.
pub fn cases(
    issuer: &TestIssuer,
    target: impl Fn(Route) -> (String, String),
    dpop_algs: &[Algorithm],
) -> Vec<Case> {
    use ErrorKind as K;
    use Outcome::{Ok as Pass, Refused};
    use Scheme::{Bearer as B, Dpop as D};

    let algs = dpop_algs
        .iter()
        .map(|a| a.name())
        .collect::<Vec<_>>()
        .join(" ");
    let key = DpopKey::generate(Algorithm::ES256);
    let reader = issuer.token().scope("read:data").sign();
    let writer = issuer.token().scope("write:data").sign();
    let no_scope = issuer.token().sign();
    let expired = issuer.token().scope("read:data").expired().sign();
    let other_audience = issuer.token().audience("https://other.example.com/").sign();
    let bound = issuer.token().scope("read:data").bound_to(&key).sign();

    let (method, url) = target(Route::Protected);
    let other_method = if method == "POST" { "GET" } else { "POST" };
    let proof = key.proof(&method, &url).access_token(&bound).sign();
    let stale = key
        .proof(&method, &url)
        .access_token(&bound)
        .iat(UnixTime::from_secs(1))
        .sign();
    let elsewhere = key
        .proof(&method, "https://elsewhere.example/protected")
        .access_token(&bound)
        .sign();
    let wrong_method = key.proof(other_method, &url).access_token(&bound).sign();
    let unbound = key.proof(&method, &url).access_token(&reader).sign();
    let (data_method, data_url) = target(Route::ReadData);
    let bound_data = key
        .proof(&data_method, &data_url)
        .access_token(&bound)
        .sign();

    let bearer = |t: &str| vec![("authorization", format!("Bearer {t}"))];
    let dpop = |t: &str, p: &str| {
        vec![
            ("authorization", format!("DPoP {t}")),
            ("dpop", p.to_owned()),
        ]
    };
    // The same outcome in every mode (the shape and size of the credentials are checked
    // before whether the mode accepts the scheme).
    let all = |o: Outcome| [o; 3];
    // Bearer credentials: refused as an unaccepted scheme when DPoP is required.
    let as_bearer = |o: Outcome| [o, o, Refused(K::UnsupportedScheme, None, None)];
    // DPoP credentials: refused as an unaccepted scheme when DPoP is disabled.
    let as_dpop = |o: Outcome| [Refused(K::UnsupportedScheme, None, None), o, o];

    let rows: Vec<Row> = vec![
        ("public", Route::Public, vec![], all(Pass)),
        (
            "public with garbage credentials",
            Route::Public,
            bearer("not.a.token"),
            all(Pass),
        ),
        (
            "no credentials",
            Route::Protected,
            vec![],
            all(Refused(K::MissingCredentials, None, None)),
        ),
        ("bearer", Route::Protected, bearer(&reader), as_bearer(Pass)),
        (
            "bearer with the scope",
            Route::ReadData,
            bearer(&reader),
            as_bearer(Pass),
        ),
        (
            "bearer without the scope",
            Route::ReadData,
            bearer(&no_scope),
            as_bearer(Refused(K::InsufficientScope, Some(B), Some("read:data"))),
        ),
        (
            "write without write:data",
            Route::WriteData,
            bearer(&reader),
            as_bearer(Refused(K::InsufficientScope, Some(B), Some("write:data"))),
        ),
        (
            "write with write:data",
            Route::WriteData,
            bearer(&writer),
            as_bearer(Pass),
        ),
        (
            "garbage token",
            Route::Protected,
            bearer("not.a.token"),
            as_bearer(Refused(K::MalformedToken, Some(B), None)),
        ),
        (
            "expired token",
            Route::Protected,
            bearer(&expired),
            as_bearer(Refused(K::Expired, Some(B), None)),
        ),
        (
            "token for another audience",
            Route::Protected,
            bearer(&other_audience),
            as_bearer(Refused(K::InvalidAudience, Some(B), None)),
        ),
        (
            "scheme without credentials",
            Route::Protected,
            vec![("authorization", "Bearer".to_owned())],
            all(Refused(K::MalformedAuthorization, Some(B), None)),
        ),
        (
            "credentials that are not token68",
            Route::Protected,
            vec![("authorization", "Bearer a b".to_owned())],
            all(Refused(K::MalformedAuthorization, Some(B), None)),
        ),
        (
            "unknown scheme",
            Route::Protected,
            vec![("authorization", "Basic dXNlcjpwYXNz".to_owned())],
            all(Refused(K::UnsupportedScheme, None, None)),
        ),
        (
            "lowercase scheme name",
            Route::Protected,
            vec![("authorization", format!("bearer {reader}"))],
            as_bearer(Pass),
        ),
        (
            "two Authorization headers",
            Route::Protected,
            [bearer(&reader), bearer(&no_scope)].concat(),
            all(Refused(K::MultipleAuthorizationHeaders, None, None)),
        ),
        (
            "a 20 KB token",
            Route::Protected,
            bearer(&"a".repeat(20_000)),
            all(Refused(K::TokenTooLarge, Some(B), None)),
        ),
        (
            "bound token as bearer",
            Route::Protected,
            bearer(&bound),
            as_bearer(Refused(K::BoundTokenAsBearer, Some(B), None)),
        ),
        (
            "dpop",
            Route::Protected,
            dpop(&bound, &proof),
            as_dpop(Pass),
        ),
        (
            "dpop replayed",
            Route::Protected,
            dpop(&bound, &proof),
            as_dpop(Refused(K::DpopReplay, Some(D), None)),
        ),
        (
            "dpop with the scope",
            Route::ReadData,
            dpop(&bound, &bound_data),
            as_dpop(Pass),
        ),
        (
            "dpop without a proof",
            Route::Protected,
            vec![("authorization", format!("DPoP {bound}"))],
            as_dpop(Refused(K::MissingDpopProof, Some(D), None)),
        ),
        (
            "dpop with a stale proof",
            Route::Protected,
            dpop(&bound, &stale),
            as_dpop(Refused(K::InvalidDpopIat, Some(D), None)),
        ),
        (
            "dpop proof for another URL",
            Route::Protected,
            dpop(&bound, &elsewhere),
            as_dpop(Refused(K::DpopHtuMismatch, Some(D), None)),
        ),
        (
            "dpop proof for another method",
            Route::Protected,
            dpop(&bound, &wrong_method),
            as_dpop(Refused(K::DpopHtmMismatch, Some(D), None)),
        ),
        (
            "dpop with an unbound token",
            Route::Protected,
            dpop(&reader, &unbound),
            as_dpop(Refused(K::UnboundTokenWithDpop, Some(D), None)),
        ),
        (
            "dpop with a malformed proof",
            Route::Protected,
            dpop(&bound, "x.y.z"),
            as_dpop(Refused(K::MalformedDpopProof, Some(D), None)),
        ),
        (
            "dpop proof with bearer",
            Route::Protected,
            [bearer(&reader), vec![("dpop", proof.clone())]].concat(),
            [
                Pass,
                Refused(K::DpopProofWithBearer, Some(B), None),
                Refused(K::UnsupportedScheme, None, None),
            ],
        ),
    ];
    debug_assert_eq!(MODES.len(), 3);
    rows.into_iter()
        .map(|(name, route, headers, outcome)| {
            let (method, url) = target(route);
            Case {
                name,
                route,
                method,
                url,
                headers,
                outcome,
                algs: algs.clone(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn challenges_follow_the_contract() {
        let algs = "ES256 EdDSA";
        assert_eq!(
            challenge(
                DpopMode::Allowed,
                algs,
                ErrorKind::MissingCredentials,
                None,
                None
            )
            .unwrap(),
            r#"Bearer realm="api", DPoP algs="ES256 EdDSA""#
        );
        assert_eq!(
            challenge(
                DpopMode::Allowed,
                algs,
                ErrorKind::DpopReplay,
                Some(Scheme::Dpop),
                None
            )
            .unwrap(),
            r#"Bearer realm="api", DPoP error="invalid_dpop_proof", error_description="DPoP proof replayed", algs="ES256 EdDSA""#
        );
        assert_eq!(
            challenge(
                DpopMode::Disabled,
                algs,
                ErrorKind::InsufficientScope,
                Some(Scheme::Bearer),
                Some("read:data")
            )
            .unwrap(),
            r#"Bearer realm="api", error="insufficient_scope", error_description="Insufficient scope", scope="read:data""#
        );
        assert_eq!(
            challenge(
                DpopMode::Required,
                algs,
                ErrorKind::KeysUnavailable,
                None,
                None
            ),
            None
        );
    }

    #[test]
    fn check_names_every_difference() {
        let case = Case {
            name: "x",
            route: Route::Protected,
            method: "GET".into(),
            url: "http://h/protected".into(),
            headers: vec![],
            outcome: [Outcome::Refused(ErrorKind::MissingCredentials, None, None); 3],
            algs: "ES256".into(),
        };
        let good = Answer {
            status: 401,
            www_authenticate: vec![r#"Bearer realm="api", DPoP algs="ES256""#.into()],
            error: Some("unauthorized".into()),
            ..Answer::default()
        };
        assert_eq!(case.check(DpopMode::Allowed, &good), Ok(()));
        let bad = Answer {
            status: 400,
            retry_after: Some("5".into()),
            ..good.clone()
        };
        let err = case.check(DpopMode::Allowed, &bad).unwrap_err();
        assert!(err.contains("status 400 (want 401)"), "{err}");
        assert!(err.contains("Retry-After"), "{err}");
        assert!(case.check(DpopMode::Disabled, &good).is_err());
    }
}
