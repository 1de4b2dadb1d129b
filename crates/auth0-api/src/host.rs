//! One parser for `host[:port]`, shared by the DPoP `htu` check and the request URL
//! (`Host`, `Forwarded: host=`, `X-Forwarded-Host`), so both sides agree on what a host is.
//!
//! Accepted: DNS names (labels of letters, digits, `-` and `_`, 1–63 bytes each, not starting
//! with `-`, at most 253 bytes in all; a dotted IPv4 address passes as four labels) and IPv6
//! literals in brackets (written back in RFC 5952 form). The port, when present, is 1–65535
//! in ASCII digits; an empty port (`host:`) counts as absent (RFC 3986 §6.2.3). Everything is
//! lowercased. Userinfo, percent-encoding, spaces, `/`, `\` and non-ASCII bytes are refused.

use std::fmt::Write as _;
use std::net::Ipv6Addr;

/// Longest DNS name accepted.
const MAX_NAME_LEN: usize = 253;

/// Why an authority is not a usable `host[:port]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum HostError {
    /// `user@host`: never part of a request URL.
    UserInfo,
    /// Empty, too long, or not a DNS name or IPv6 literal.
    InvalidHost,
    /// Not a number in `1..=65535`.
    InvalidPort,
}

/// A parsed `host[:port]`: the host lowercased (IPv6 in brackets, canonical form).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Authority {
    pub(crate) host: String,
    pub(crate) port: Option<u16>,
}

impl Authority {
    /// `host` or `host:port`.
    pub(crate) fn write_to(&self, out: &mut String) {
        out.push_str(&self.host);
        if let Some(port) = self.port {
            // Writing to a String cannot fail.
            let _ = write!(out, ":{port}");
        }
    }
}

/// Parses `host[:port]` as described in the module docs.
pub(crate) fn parse_authority(authority: &str) -> Result<Authority, HostError> {
    if authority.contains('@') {
        return Err(HostError::UserInfo);
    }
    let (host, port) = if let Some(literal) = authority.strip_prefix('[') {
        let (inside, after) = literal.split_once(']').ok_or(HostError::InvalidHost)?;
        // Zone identifiers and IPvFuture literals are refused by the parser.
        let addr: Ipv6Addr = inside.parse().map_err(|_| HostError::InvalidHost)?;
        let port = match after {
            "" => "",
            _ => after.strip_prefix(':').ok_or(HostError::InvalidPort)?,
        };
        (format!("[{addr}]"), port)
    } else {
        let (name, port) = authority.split_once(':').unwrap_or((authority, ""));
        if !valid_dns_name(name) {
            return Err(HostError::InvalidHost);
        }
        (name.to_ascii_lowercase(), port)
    };
    Ok(Authority {
        host,
        port: parse_port(port)?,
    })
}

/// Dot-separated labels of letters, digits, `-` and `_`, each 1..=63 bytes and not starting
/// with `-`, at most 253 bytes in all.
fn valid_dns_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_NAME_LEN
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

/// Empty means "none"; otherwise ASCII digits (leading zeros allowed) with a value in
/// `1..=65535`.
fn parse_port(port: &str) -> Result<Option<u16>, HostError> {
    if port.is_empty() {
        return Ok(None);
    }
    if port.len() > 5 || !port.bytes().all(|b| b.is_ascii_digit()) {
        return Err(HostError::InvalidPort);
    }
    match port.parse::<u16>() {
        Ok(p) if p > 0 => Ok(Some(p)),
        _ => Err(HostError::InvalidPort),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(s: &str) -> Option<String> {
        parse_authority(s).ok().map(|a| {
            let mut out = String::new();
            a.write_to(&mut out);
            out
        })
    }

    #[test]
    fn accepted_hosts() {
        assert_eq!(host("Example.COM").as_deref(), Some("example.com"));
        assert_eq!(host("127.0.0.1:3000").as_deref(), Some("127.0.0.1:3000"));
        assert_eq!(host("[::1]:8443").as_deref(), Some("[::1]:8443"));
        assert_eq!(host("[FE80::1]").as_deref(), Some("[fe80::1]"));
        assert_eq!(host("[0:0::1]").as_deref(), Some("[::1]"));
        assert_eq!(host("svc_internal").as_deref(), Some("svc_internal"));
        assert_eq!(host("a.example:65535").as_deref(), Some("a.example:65535"));
        assert_eq!(host("a.example:0080").as_deref(), Some("a.example:80"));
        assert_eq!(host("a.example:").as_deref(), Some("a.example"));
    }

    #[test]
    fn refused_hosts() {
        for bad in [
            "",
            ":80",
            "a.example:65536",
            "a.example:0",
            "a.example:+80",
            "a.example:80:80",
            "[::1]x",
            "[::1",
            "[nope]",
            "[fe80::1%eth0]",
            "a,b",
            "a b",
            "a/b",
            "a\\b",
            "é.example",
            "a..b",
            "..",
            "-a.example",
            "evil%2eexample",
            "user@host",
        ] {
            assert_eq!(host(bad), None, "{bad:?}");
        }
        assert_eq!(host(&"a".repeat(64)), None, "label over 63 bytes");
        assert_eq!(host(&["a"; 130].join(".")), None, "name over 253 bytes");
        assert_eq!(parse_authority("u@h"), Err(HostError::UserInfo));
        assert_eq!(parse_authority("h:x"), Err(HostError::InvalidPort));
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    fn render(a: &Authority) -> String {
        let mut out = String::new();
        a.write_to(&mut out);
        out
    }

    /// Authorities near the grammar: names, IPv4 and IPv6 literals, ports, and stray bytes.
    fn near_valid() -> impl Strategy<Value = String> {
        let name = "[A-Za-z0-9_-]{1,12}(\\.[A-Za-z0-9_-]{0,12}){0,3}";
        let v6 = any::<[u16; 8]>().prop_map(|s| format!("[{}]", Ipv6Addr::from(s)));
        let v6_upper =
            any::<[u16; 8]>().prop_map(|s| format!("[{}]", Ipv6Addr::from(s)).to_ascii_uppercase());
        let host = prop_oneof![
            name.prop_map(String::from),
            v6,
            v6_upper,
            "[\\[\\]:0-9a-fA-F.%]{0,20}"
        ];
        let port = prop_oneof![
            Just(String::new()),
            Just(":".to_owned()),
            any::<u16>().prop_map(|p| format!(":{p}")),
            "(:[0-9]{1,7})".prop_map(String::from),
            ":[^/]{0,4}".prop_map(String::from),
        ];
        (host, port, "[@ /\\\\,]?").prop_map(|(h, p, junk)| format!("{h}{p}{junk}"))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2_000))]

        /// Never panics; an accepted authority is lowercase ASCII, has no port 0, and
        /// re-parses to itself.
        #[test]
        fn accepted_authorities_reparse_to_themselves(
            input in prop_oneof![near_valid(), any::<String>()]
        ) {
            if let Ok(a) = parse_authority(&input) {
                let s = render(&a);
                prop_assert!(s.is_ascii(), "{:?} -> {:?}", input, s);
                prop_assert_eq!(s.to_ascii_lowercase(), s.clone());
                prop_assert_ne!(a.port, Some(0));
                prop_assert!(!a.host.is_empty());
                let again = parse_authority(&s);
                prop_assert_eq!(again.as_ref(), Ok(&a), "{:?} -> {:?}", input, s);
                // Case never matters.
                prop_assert_eq!(parse_authority(&input.to_ascii_uppercase()), Ok(a));
            }
        }
    }
}
