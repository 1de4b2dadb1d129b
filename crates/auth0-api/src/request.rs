//! [`RequestContext`]: what an HTTP server knows about a request, handed to
//! [`Auth0::verify`](crate::Auth0::verify) by every front end.

use std::fmt;
use std::net::IpAddr;

use http::{HeaderMap, Method, Uri};

/// The parts of an HTTP request the verifier reads: method, request target, headers and
/// the address of the connection's peer.
///
/// The verifier works out the absolute URL the client used (for the DPoP `htu` check) from
/// these and its own configuration ([`Auth0Builder::public_url`](crate::Auth0Builder::public_url),
/// [`Auth0Builder::trust_proxy`](crate::Auth0Builder::trust_proxy)), and only when a DPoP
/// proof needs it. Give it the URI as the server received it (inside a nested router, the
/// original URI, with the prefix).
///
/// ```
/// use auth0_api::RequestContext;
/// use std::net::{IpAddr, Ipv4Addr};
///
/// let request = http::Request::get("/data").header("host", "api.example.com").body(())?;
/// let (parts, ()) = request.into_parts();
/// let ctx = RequestContext::from_parts(&parts).peer(Some(IpAddr::V4(Ipv4Addr::LOCALHOST)));
/// assert_eq!(ctx.method(), http::Method::GET);
/// # Ok::<(), http::Error>(())
/// ```
#[derive(Clone, Copy)]
pub struct RequestContext<'a> {
    method: &'a Method,
    uri: &'a Uri,
    headers: &'a HeaderMap,
    peer: Option<IpAddr>,
}

impl<'a> RequestContext<'a> {
    /// A request with this method, target and headers, from an unknown peer.
    pub fn new(method: &'a Method, uri: &'a Uri, headers: &'a HeaderMap) -> Self {
        Self {
            method,
            uri,
            headers,
            peer: None,
        }
    }

    /// The method, URI and headers of `parts`, from an unknown peer.
    pub fn from_parts(parts: &'a http::request::Parts) -> Self {
        Self::new(&parts.method, &parts.uri, &parts.headers)
    }

    /// The address of the connection's peer, checked against
    /// [`TrustProxy`](crate::TrustProxy) networks before forwarded headers are read.
    #[must_use]
    pub fn peer(mut self, peer: Option<IpAddr>) -> Self {
        self.peer = peer;
        self
    }

    /// The request method.
    pub fn method(&self) -> &'a Method {
        self.method
    }

    /// The request target.
    pub fn uri(&self) -> &'a Uri {
        self.uri
    }

    /// The request headers.
    pub fn headers(&self) -> &'a HeaderMap {
        self.headers
    }

    /// The peer address, when known.
    pub fn peer_addr(&self) -> Option<IpAddr> {
        self.peer
    }
}

impl fmt::Debug for RequestContext<'_> {
    /// Method, path and peer only: the headers carry credentials.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestContext")
            .field("method", self.method)
            .field("path", &self.uri.path())
            .field("peer", &self.peer)
            .finish_non_exhaustive()
    }
}
