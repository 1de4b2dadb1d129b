//! What the connection tells about a call: the peer address and whether it came over TLS.

use std::borrow::Cow;
use std::net::IpAddr;

use http::header::HOST;
use http::uri::{Authority, PathAndQuery, Scheme};
use http::{Extensions, HeaderMap, Uri};
use tonic::transport::server::{TcpConnectInfo, TlsConnectInfo};

/// The connection a call arrived on, from the connect info tonic's server stores in the
/// request extensions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Connection {
    /// The peer's address, checked against trusted proxy networks.
    pub(crate) peer: Option<IpAddr>,
    /// Whether the call came over TLS (tonic's own TLS, or a `tokio_rustls` stream served
    /// with `serve_with_incoming`).
    pub(crate) tls: bool,
}

impl Connection {
    pub(crate) fn of(extensions: &Extensions) -> Self {
        let tls = extensions.get::<TlsConnectInfo<TcpConnectInfo>>();
        let tcp = extensions
            .get::<TcpConnectInfo>()
            .or_else(|| tls.map(TlsConnectInfo::get_ref));
        Self {
            peer: tcp.and_then(TcpConnectInfo::remote_addr).map(|a| a.ip()),
            tls: tls.is_some(),
        }
    }

    /// The request target the core works the URL out from. On a TLS connection the scheme
    /// is `https`, whatever the client wrote in `:scheme` (or left out, as an HTTP/1.1
    /// request or one with a `Host` header instead of `:authority` does); otherwise the
    /// target as HTTP/2 carries it (`:scheme`, `:authority`, `:path`), which the core reads
    /// as `http` when it has no scheme.
    pub(crate) fn target<'a>(&self, uri: &'a Uri, headers: &HeaderMap) -> Cow<'a, Uri> {
        if !self.tls || uri.scheme() == Some(&Scheme::HTTPS) {
            return Cow::Borrowed(uri);
        }
        let authority = match uri.authority() {
            Some(a) => a.clone(),
            // The core reads the `Host` header first anyway; a bad or missing one is its
            // to refuse (400), so the target is left as it is.
            None => match headers
                .get(HOST)
                .and_then(|h| h.to_str().ok())
                .and_then(|h| h.parse::<Authority>().ok())
            {
                Some(a) => a,
                None => return Cow::Borrowed(uri),
            },
        };
        let mut parts = uri.clone().into_parts();
        parts.scheme = Some(Scheme::HTTPS);
        parts.authority = Some(authority);
        if parts.path_and_query.is_none() {
            parts.path_and_query = Some(PathAndQuery::from_static("/"));
        }
        Uri::from_parts(parts).map_or(Cow::Borrowed(uri), Cow::Owned)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::SocketAddr;

    fn headers(host: Option<&str>) -> HeaderMap {
        let mut h = HeaderMap::new();
        if let Some(host) = host {
            h.insert(HOST, host.parse().unwrap_or_else(|_| panic!("{host}")));
        }
        h
    }

    fn target(tls: bool, uri: &str, host: Option<&str>) -> String {
        let uri: Uri = uri.parse().unwrap_or_else(|_| panic!("{uri}"));
        let c = Connection { peer: None, tls };
        c.target(&uri, &headers(host)).to_string()
    }

    #[test]
    fn plain_connections_keep_the_target_as_sent() {
        assert_eq!(
            target(false, "http://a.example:50051/p.S/M", None),
            "http://a.example:50051/p.S/M"
        );
        assert_eq!(
            target(false, "https://a.example/p.S/M", None),
            "https://a.example/p.S/M"
        );
        assert_eq!(target(false, "/p.S/M", Some("a.example")), "/p.S/M");
    }

    #[test]
    fn tls_connections_are_https() {
        assert_eq!(
            target(true, "http://a.example:50051/p.S/M", None),
            "https://a.example:50051/p.S/M"
        );
        assert_eq!(
            target(true, "https://a.example/p.S/M", None),
            "https://a.example/p.S/M"
        );
        // No `:authority` (HTTP/1.1, or HTTP/2 with a `Host` header): the `Host`.
        assert_eq!(
            target(true, "/p.S/M?x=1", Some("a.example:8443")),
            "https://a.example:8443/p.S/M?x=1"
        );
        // Nothing to build an authority from: left for the core to refuse.
        assert_eq!(target(true, "/p.S/M", None), "/p.S/M");
        assert_eq!(target(true, "/p.S/M", Some("bad host")), "/p.S/M");
    }

    #[test]
    fn peer_and_tls_from_the_connect_info() {
        let addr: SocketAddr = "10.1.2.3:4567".parse().unwrap_or_else(|_| panic!("addr"));
        let mut ext = Extensions::new();
        assert_eq!(Connection::of(&ext), Connection::default());
        ext.insert(TcpConnectInfo {
            local_addr: None,
            remote_addr: Some(addr),
        });
        assert_eq!(
            Connection::of(&ext),
            Connection {
                peer: Some(addr.ip()),
                tls: false
            }
        );
    }
}
