//! What each endpoint does when asked.

use std::time::Duration;

/// An endpoint of the test issuer.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// OpenID Connect discovery: `{issuer}.well-known/openid-configuration`.
    Discovery,
    /// RFC 8414 metadata: `/.well-known/oauth-authorization-server{path}`.
    OauthMetadata,
    /// The JWKS: `{issuer}.well-known/jwks.json`.
    Jwks,
    /// The token endpoint: `POST {issuer}oauth/token`.
    Token,
}

impl Endpoint {
    pub(crate) const COUNT: usize = 4;

    pub(crate) fn index(self) -> usize {
        match self {
            Endpoint::Discovery => 0,
            Endpoint::OauthMetadata => 1,
            Endpoint::Jwks => 2,
            Endpoint::Token => 3,
        }
    }
}

/// How an endpoint answers. Every request is counted first, whatever the behavior.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Behavior {
    /// Answer normally.
    #[default]
    Normal,
    /// Answer with this status and a short `text/plain` body. A value outside 100..=999
    /// answers 500.
    Status(u16),
    /// Answer `200 OK` with `Content-Type: application/json` and a body that is not JSON.
    Garbage,
    /// Read the request and never answer (the connection stays open until the issuer stops).
    Hang,
    /// Wait this long, then answer normally.
    Delay(Duration),
    /// Close the connection without answering.
    Drop,
}
