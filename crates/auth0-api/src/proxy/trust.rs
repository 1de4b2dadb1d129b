//! Which peers may say what the request's public URL is.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use ipnet::IpNet;

use crate::config::{ConfigError, ConfigErrorKind};

/// Which peers are trusted to report the original scheme, host and prefix through
/// `Forwarded` / `X-Forwarded-*` headers. The default trusts nobody.
///
/// Prefer [`crate::Auth0Builder::public_url`] when the public URL is fixed; prefer listed
/// proxy networks over [`TrustProxy::all`].
#[derive(Clone, Default, PartialEq, Eq)]
pub struct TrustProxy(Trust);

#[derive(Clone, Default, PartialEq, Eq)]
enum Trust {
    #[default]
    None,
    All,
    Networks(Vec<IpNet>),
}

impl TrustProxy {
    /// Trust no peer: forwarded headers are ignored.
    pub fn none() -> Self {
        Self(Trust::None)
    }

    /// Trust every peer (the Python SDK's `trust_proxy = True`). Only safe when every
    /// request reaches the app through a proxy that overwrites these headers.
    pub fn all() -> Self {
        Self(Trust::All)
    }

    /// Trust peers in these networks, e.g. `["10.0.0.0/8", "127.0.0.1"]` (a bare address is
    /// a /32 or /128).
    pub fn networks<I: IntoIterator<Item = S>, S: AsRef<str>>(
        nets: I,
    ) -> Result<Self, ConfigError> {
        let mut out = Vec::new();
        for n in nets {
            let s = n.as_ref().trim();
            let net = IpNet::from_str(s)
                .or_else(|_| IpAddr::from_str(s).map(IpNet::from))
                .map_err(|_| {
                    ConfigError::new(
                        "trust_proxy",
                        ConfigErrorKind::Malformed,
                        "not an IP address or CIDR network",
                    )
                    .with_value(s)
                })?;
            out.push(net);
        }
        if out.is_empty() {
            return Ok(Self::none());
        }
        Ok(Self(Trust::Networks(out)))
    }

    /// Whether a request from `peer` may set the public URL. An unknown peer is trusted
    /// only under [`TrustProxy::all`].
    pub fn trusts(&self, peer: Option<IpAddr>) -> bool {
        match &self.0 {
            Trust::None => false,
            Trust::All => true,
            Trust::Networks(nets) => peer.is_some_and(|ip| {
                let ip = match ip {
                    IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
                    v4 => v4,
                };
                nets.iter().any(|n| n.contains(&ip))
            }),
        }
    }

    /// Whether any peer can be trusted at all.
    pub fn is_enabled(&self) -> bool {
        self.0 != Trust::None
    }
}

impl From<bool> for TrustProxy {
    fn from(all: bool) -> Self {
        if all { Self::all() } else { Self::none() }
    }
}

impl fmt::Debug for TrustProxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Trust::None => f.write_str("TrustProxy::none()"),
            Trust::All => f.write_str("TrustProxy::all()"),
            Trust::Networks(n) => f.debug_tuple("TrustProxy::networks").field(n).finish(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> Option<IpAddr> {
        s.parse().ok()
    }

    #[test]
    fn trust() {
        assert!(!TrustProxy::none().trusts(ip("127.0.0.1")));
        assert!(TrustProxy::all().trusts(None));
        let t = TrustProxy::networks(["10.0.0.0/8", "192.168.1.7", "fd00::/8"]).unwrap();
        assert!(t.trusts(ip("10.1.2.3")));
        assert!(t.trusts(ip("192.168.1.7")));
        assert!(!t.trusts(ip("192.168.1.8")));
        assert!(t.trusts(ip("fd00::1")));
        assert!(t.trusts(ip("::ffff:10.0.0.1")), "v4-mapped v6 peer");
        assert!(!t.trusts(ip("11.0.0.1")));
        assert!(!t.trusts(None));
        assert!(TrustProxy::networks(["nope"]).is_err());
        assert!(TrustProxy::networks(["10.0.0.0/33"]).is_err());
        assert_eq!(TrustProxy::from(true), TrustProxy::all());
    }
}
