//! Request URL normalization for the DPoP `htu` check (RFC 9449 §4.3).
//!
//! A proof is bound to the URL of the request it was made for: its `htu` claim must equal
//! that URL "without query and fragment parts". Clients and servers spell the same URL in
//! different ways, so both sides are brought to one form before they are compared, using the
//! syntax-based and scheme-based normalizations of RFC 3986 §6.2.2–6.2.3:
//!
//! - only absolute `http` and `https` URLs are accepted; anything else is an error;
//! - scheme and host are lowercased; an IPv6 literal is written in its canonical form
//!   (RFC 5952), inside brackets;
//! - the default port (80 for `http`, 443 for `https`) and an empty port are removed;
//! - percent-encodings get uppercase hex digits, and encoded unreserved characters
//!   (`ALPHA / DIGIT / "-" / "." / "_" / "~"`) are decoded;
//! - dot segments are removed (RFC 3986 §5.2.4), after the decoding above;
//! - an empty path becomes `/`;
//! - query and fragment are dropped.
//!
//! The path keeps its case, and a trailing slash is significant. Userinfo (`user@host`) is
//! rejected rather than dropped: a URL that carries credentials is never a request URL.
//!
//! The parser is strict about structure and never guesses: no whitespace trimming, no
//! backslash-as-slash, no numeric IPv4 forms, no internationalized host names (clients send
//! the A-label). The only leniency is in the path, where printable characters that RFC 3986
//! does not allow raw (`"`, `<`, `>`, `[`, `]`, `^`, `` ` ``, `{`, `|`, `}`) and non-ASCII
//! characters (as UTF-8) are percent-encoded, as every HTTP client encodes them before
//! sending; control characters, spaces and `\` are rejected.

use crate::host::{HostError, parse_authority as parse_host};

/// Longest URL, in bytes, accepted as input or produced as output.
pub(crate) const MAX_URL_LEN: usize = 8 * 1024;

/// Why a URL cannot be normalized for the `htu` comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum HtuError {
    /// Longer than [`MAX_URL_LEN`] bytes, before or after normalization.
    #[error("url too long")]
    TooLong,
    /// Not of the form `http://…` or `https://…`.
    #[error("url is not an absolute http or https url")]
    NotAbsoluteHttp,
    /// The authority carries userinfo (`user:password@`).
    #[error("url contains userinfo")]
    UserInfo,
    /// The host is empty or not a valid host name or IPv6 literal.
    #[error("url host is empty or invalid")]
    InvalidHost,
    /// The port is not a number in `1..=65535`.
    #[error("url port is invalid")]
    InvalidPort,
    /// A `%` not followed by two hex digits.
    #[error("url contains an invalid percent-encoding")]
    InvalidPercentEncoding,
    /// A control character, space or backslash in the path.
    #[error("url path contains a character that is not allowed")]
    InvalidCharacter,
}

/// Normalizes an absolute `http`/`https` URL for comparison with a DPoP `htu` claim.
///
/// The result is `scheme://host[:port]path`, without query and fragment; see the module
/// documentation for the rules. Normalizing a normalized URL returns it unchanged.
pub(crate) fn normalize_htu(url: &str) -> Result<String, HtuError> {
    if url.len() > MAX_URL_LEN {
        return Err(HtuError::TooLong);
    }

    let (scheme, rest) = url.split_once("://").ok_or(HtuError::NotAbsoluteHttp)?;
    let (scheme, default_port) = if scheme.eq_ignore_ascii_case("https") {
        ("https", 443)
    } else if scheme.eq_ignore_ascii_case("http") {
        ("http", 80)
    } else {
        return Err(HtuError::NotAbsoluteHttp);
    };

    // The authority runs up to the first "/", "?" or "#" (RFC 3986 §3.2).
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, after_authority) = rest.split_at(authority_end);
    // The path runs up to the first "?" or "#"; query and fragment are dropped.
    let path_end = after_authority
        .find(['?', '#'])
        .unwrap_or(after_authority.len());
    let (path, _) = after_authority.split_at(path_end);

    let (host, port) = parse_authority(authority)?;

    let mut out = String::with_capacity(url.len().min(MAX_URL_LEN) + 8);
    out.push_str(scheme);
    out.push_str("://");
    out.push_str(&host);
    if let Some(port) = port.filter(|&p| p != default_port) {
        out.push(':');
        out.push_str(&port.to_string());
    }

    let path = remove_dot_segments(&normalize_path_encoding(path)?);
    if path.is_empty() {
        out.push('/');
    } else {
        out.push_str(&path);
    }

    if out.len() > MAX_URL_LEN {
        return Err(HtuError::TooLong);
    }
    Ok(out)
}

/// Whether a proof's `htu` claim names the request URL.
///
/// Both are normalized with [`normalize_htu`]; either failing to normalize is a mismatch.
pub(crate) fn htu_matches(proof_htu: &str, request_url: &str) -> bool {
    // The usual case, a client that sends the URL as the server spells it: one
    // normalization (equal inputs normalize alike), not two.
    if proof_htu == request_url {
        return normalize_htu(request_url).is_ok();
    }
    match (normalize_htu(proof_htu), normalize_htu(request_url)) {
        (Ok(proof), Ok(request)) => proof == request,
        _ => false,
    }
}

/// Splits `host[:port]` with the crate's one host parser ([`crate::host`]).
fn parse_authority(authority: &str) -> Result<(String, Option<u16>), HtuError> {
    parse_host(authority)
        .map(|a| (a.host, a.port))
        .map_err(|e| match e {
            HostError::UserInfo => HtuError::UserInfo,
            HostError::InvalidHost => HtuError::InvalidHost,
            HostError::InvalidPort => HtuError::InvalidPort,
        })
}

/// RFC 3986 §2.3 unreserved characters.
fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

/// Characters allowed raw in a path: `pchar` (unreserved, sub-delims, ":", "@") and "/".
fn is_path_byte(b: u8) -> bool {
    is_unreserved(b)
        || matches!(
            b,
            b'!' | b'$'
                | b'&'
                | b'\''
                | b'('
                | b')'
                | b'*'
                | b'+'
                | b','
                | b';'
                | b'='
                | b':'
                | b'@'
        )
        || b == b'/'
}

const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";

fn push_percent_encoded(out: &mut String, b: u8) {
    out.push('%');
    out.push(char::from(HEX_UPPER[usize::from(b >> 4)]));
    out.push(char::from(HEX_UPPER[usize::from(b & 0x0f)]));
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Percent-encoding normalization of a path (RFC 3986 §6.2.2.1–6.2.2.2): uppercase hex,
/// decoded unreserved characters, and encoding of characters that may not appear raw.
///
/// The result is pure ASCII.
fn normalize_path_encoding(path: &str) -> Result<String, HtuError> {
    let mut out = String::with_capacity(path.len());
    let mut bytes = path.bytes();
    while let Some(b) = bytes.next() {
        if b == b'%' {
            let high = bytes.next().and_then(hex_value);
            let low = bytes.next().and_then(hex_value);
            let (Some(high), Some(low)) = (high, low) else {
                return Err(HtuError::InvalidPercentEncoding);
            };
            let decoded = (high << 4) | low;
            if is_unreserved(decoded) {
                out.push(char::from(decoded));
            } else {
                push_percent_encoded(&mut out, decoded);
            }
        } else if is_path_byte(b) {
            out.push(char::from(b));
        } else if b.is_ascii_control() || b == b' ' || b == b'\\' {
            return Err(HtuError::InvalidCharacter);
        } else {
            // Printable ASCII that may not appear raw, or a byte of a non-ASCII character.
            push_percent_encoded(&mut out, b);
        }
    }
    Ok(out)
}

/// RFC 3986 §5.2.4 `remove_dot_segments`.
fn remove_dot_segments(path: &str) -> String {
    let mut input = path;
    let mut output = String::with_capacity(path.len());
    while !input.is_empty() {
        if let Some(rest) = input.strip_prefix("../") {
            // A.
            input = rest;
        } else if let Some(rest) = input.strip_prefix("./") {
            // A.
            input = rest;
        } else if input.starts_with("/./") {
            // B: "/./" -> "/".
            input = input.get(2..).unwrap_or_default();
        } else if input == "/." {
            // B.
            input = "/";
        } else if input.starts_with("/../") {
            // C: "/../" -> "/", dropping the last output segment.
            input = input.get(3..).unwrap_or_default();
            pop_last_segment(&mut output);
        } else if input == "/.." {
            // C.
            input = "/";
            pop_last_segment(&mut output);
        } else if input == "." || input == ".." {
            // D.
            input = "";
        } else {
            // E: move the first segment, with its leading "/", to the output.
            let start = usize::from(input.starts_with('/'));
            let end = input
                .get(start..)
                .and_then(|s| s.find('/'))
                .map_or(input.len(), |pos| pos + start);
            let (segment, rest) = input.split_at(end);
            output.push_str(segment);
            input = rest;
        }
    }
    output
}

/// Removes the last segment and its preceding "/" (if any) from the output buffer.
fn pop_last_segment(output: &mut String) {
    match output.rfind('/') {
        Some(pos) => output.truncate(pos),
        None => output.clear(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(url: &str) -> String {
        normalize_htu(url).unwrap_or_else(|e| panic!("{url:?} should normalize, got {e}"))
    }

    #[test]
    fn identical_urls_match_only_when_they_normalize() {
        assert!(htu_matches(
            "https://api.example.com/data",
            "https://api.example.com/data"
        ));
        for bad in [
            "ftp://x/",
            "https://user@x/",
            "/relative",
            "https://x:99999/",
            "",
        ] {
            assert!(!htu_matches(bad, bad), "{bad:?}");
        }
    }

    #[test]
    fn normalizes_to_expected_form() {
        let cases = [
            (
                "https://API.Example.COM:443/a/b?x=1#f",
                "https://api.example.com/a/b",
            ),
            ("HTTPS://api.example.com/a/b", "https://api.example.com/a/b"),
            ("hTtP://x:80/", "http://x/"),
            ("http://x", "http://x/"),
            ("http://x?q", "http://x/"),
            ("http://x#frag", "http://x/"),
            ("http://x:/p", "http://x/p"),
            ("https://x:0443/p", "https://x/p"),
            ("https://x:8443/p", "https://x:8443/p"),
            ("https://x:08443/p", "https://x:8443/p"),
            ("http://x:443/", "http://x:443/"),
            ("https://x:80/", "https://x:80/"),
            ("https://x/%7euser", "https://x/~user"),
            ("https://x/%7Euser", "https://x/~user"),
            ("https://x/%41%62%2d%2E%5f%30", "https://x/Ab-._0"),
            ("https://x/a%2fb", "https://x/a%2Fb"),
            ("https://x/a%c3%a9", "https://x/a%C3%A9"),
            ("https://x/a%20b", "https://x/a%20b"),
            ("https://x/a/../b", "https://x/b"),
            ("https://x/a/./b", "https://x/a/b"),
            ("https://x/a/b/..", "https://x/a/"),
            ("https://x/a/b/.", "https://x/a/b/"),
            ("https://x/..", "https://x/"),
            ("https://x/../../a", "https://x/a"),
            ("https://x/a/%2e%2E/b", "https://x/b"),
            ("https://x/a/.%2e", "https://x/"),
            ("https://x/a//b", "https://x/a//b"),
            ("https://x/a/b/", "https://x/a/b/"),
            ("https://x/A/B", "https://x/A/B"),
            ("https://x/a:b@c;d=e,f", "https://x/a:b@c;d=e,f"),
            ("https://x/a{b}|c", "https://x/a%7Bb%7D%7Cc"),
            ("https://x/caf\u{e9}", "https://x/caf%C3%A9"),
            ("https://[::1]/", "https://[::1]/"),
            ("https://[0:0:0:0:0:0:0:1]:443/", "https://[::1]/"),
            (
                "https://[2001:DB8::A]:8443/x",
                "https://[2001:db8::a]:8443/x",
            ),
            ("https://127.0.0.1:443/x", "https://127.0.0.1/x"),
            (
                "https://resource.example.org/protectedresource",
                "https://resource.example.org/protectedresource",
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(norm(input), expected, "input {input:?}");
        }
    }

    #[test]
    fn equivalent_urls_match() {
        let pairs = [
            (
                "https://API.Example.COM:443/a/b?x=1#f",
                "https://api.example.com/a/b",
            ),
            ("http://x:80/", "http://x/"),
            ("http://x", "http://x/"),
            ("https://x/%7euser", "https://x/~user"),
            ("https://x/%7Euser", "https://x/~user"),
            ("https://x/a%2fb", "https://x/a%2Fb"),
            ("https://x/a/../b", "https://x/b"),
            ("https://x/a/b?x=1", "https://x/a/b?y=2#z"),
            // RFC 9449 §4.1 example, and the request it was made for.
            (
                "https://resource.example.org/protectedresource",
                "https://resource.example.org/protectedresource?x=1",
            ),
            ("https://[::1]:443/r", "https://[0::1]/r"),
        ];
        for (a, b) in pairs {
            assert!(htu_matches(a, b), "{a:?} should match {b:?}");
            assert!(htu_matches(b, a), "{b:?} should match {a:?}");
        }
    }

    #[test]
    fn different_urls_do_not_match() {
        let pairs = [
            ("https://x/a", "https://x:8443/a"),
            ("https://x:8443/a", "https://x:8444/a"),
            ("http://x/a", "https://x/a"),
            ("http://x:443/a", "https://x/a"),
            ("https://x/a", "https://y/a"),
            ("https://x.example/a", "https://x.example./a"),
            ("https://x/a", "https://x/A"),
            ("https://x/a/", "https://x/a"),
            ("https://x/a%2Fb", "https://x/a/b"),
            ("https://x/a%2fb", "https://x/a/b"),
            ("https://x/a%252Fb", "https://x/a%2Fb"),
            ("https://x/a", "/a"),
            ("https://x/a", "x/a"),
            ("https://x/a", "//x/a"),
            ("urn:x", "urn:x"),
            ("https://x/", "urn:x"),
            ("garbage", "garbage"),
            ("", ""),
            ("https://x/a//b", "https://x/a/b"),
            ("https://[::1]/", "https://[::2]/"),
            ("https://[::1]/", "https://127.0.0.1/"),
            ("https://user@x/", "https://user@x/"),
        ];
        for (a, b) in pairs {
            assert!(!htu_matches(a, b), "{a:?} should not match {b:?}");
            assert!(!htu_matches(b, a), "{b:?} should not match {a:?}");
        }
    }

    #[test]
    fn rejects_with_specific_errors() {
        let huge = format!("https://x/{}", "a".repeat(MAX_URL_LEN));
        let cases: Vec<(&str, HtuError)> = vec![
            ("", HtuError::NotAbsoluteHttp),
            ("garbage", HtuError::NotAbsoluteHttp),
            ("/relative/path", HtuError::NotAbsoluteHttp),
            ("//x/a", HtuError::NotAbsoluteHttp),
            ("urn:x", HtuError::NotAbsoluteHttp),
            ("https:x/a", HtuError::NotAbsoluteHttp),
            ("https:/x/a", HtuError::NotAbsoluteHttp),
            ("ftp://x/a", HtuError::NotAbsoluteHttp),
            ("wss://x/a", HtuError::NotAbsoluteHttp),
            ("httpx://x/a", HtuError::NotAbsoluteHttp),
            (" https://x/a", HtuError::NotAbsoluteHttp),
            ("javascript://x/a", HtuError::NotAbsoluteHttp),
            ("https://user@x/a", HtuError::UserInfo),
            ("https://user:pw@x/a", HtuError::UserInfo),
            ("https://@x/a", HtuError::UserInfo),
            ("https:///a", HtuError::InvalidHost),
            ("https://", HtuError::InvalidHost),
            ("https://:443/a", HtuError::InvalidHost),
            ("https://x y/a", HtuError::InvalidHost),
            ("https://x%41/a", HtuError::InvalidHost),
            ("https://ex\u{e4}mple.com/a", HtuError::InvalidHost),
            ("https://x\\y/a", HtuError::InvalidHost),
            ("https://[::1/a", HtuError::InvalidHost),
            ("https://[::1%25eth0]/a", HtuError::InvalidHost),
            ("https://[v1.x]/a", HtuError::InvalidHost),
            ("https://[1.2.3.4]/a", HtuError::InvalidHost),
            ("https://[]/a", HtuError::InvalidHost),
            ("https://::1/a", HtuError::InvalidHost),
            ("https://[::1]x/a", HtuError::InvalidPort),
            ("https://x:65536/a", HtuError::InvalidPort),
            ("https://x:99999999999999999999/a", HtuError::InvalidPort),
            ("https://x:-1/a", HtuError::InvalidPort),
            ("https://x:44 3/a", HtuError::InvalidPort),
            ("https://x:443:443/a", HtuError::InvalidPort),
            ("https://x:+443/a", HtuError::InvalidPort),
            ("https://x/a%", HtuError::InvalidPercentEncoding),
            ("https://x/a%4", HtuError::InvalidPercentEncoding),
            ("https://x/a%zz", HtuError::InvalidPercentEncoding),
            ("https://x/a%%41", HtuError::InvalidPercentEncoding),
            ("https://x/a b", HtuError::InvalidCharacter),
            ("https://x/a\tb", HtuError::InvalidCharacter),
            ("https://x/a\nb", HtuError::InvalidCharacter),
            ("https://x/a\0b", HtuError::InvalidCharacter),
            ("https://x/a\u{7f}b", HtuError::InvalidCharacter),
            ("https://x/a\\b", HtuError::InvalidCharacter),
            (&huge, HtuError::TooLong),
        ];
        for (input, expected) in cases {
            assert_eq!(normalize_htu(input), Err(expected), "input {input:?}");
        }
    }

    #[test]
    fn length_cap_applies_to_input_and_output() {
        let prefix = "https://x/";
        let at_cap = format!("{prefix}{}", "a".repeat(MAX_URL_LEN - prefix.len()));
        assert_eq!(norm(&at_cap), at_cap);
        let over = format!("{at_cap}a");
        assert_eq!(normalize_htu(&over), Err(HtuError::TooLong));
        // Short input whose encoded form exceeds the cap.
        let expanding = format!("{prefix}{}", "\u{e9}".repeat(2000));
        assert!(expanding.len() <= MAX_URL_LEN);
        assert_eq!(normalize_htu(&expanding), Err(HtuError::TooLong));
        // Huge inputs are refused without looking at them.
        let huge = "%".repeat(10 * 1024 * 1024);
        assert_eq!(normalize_htu(&huge), Err(HtuError::TooLong));
    }

    #[test]
    fn remove_dot_segments_follows_rfc_3986_examples() {
        // RFC 3986 §5.2.4 and §5.4 (paths of the merged references).
        let cases = [
            ("/a/b/c/./../../g", "/a/g"),
            ("mid/content=5/../6", "mid/6"),
            ("/b/c/g", "/b/c/g"),
            ("/b/c/./g", "/b/c/g"),
            ("/b/c/g/", "/b/c/g/"),
            ("/b/c/.", "/b/c/"),
            ("/b/c/./", "/b/c/"),
            ("/b/c/..", "/b/"),
            ("/b/c/../", "/b/"),
            ("/b/c/../g", "/b/g"),
            ("/b/c/../..", "/"),
            ("/b/c/../../", "/"),
            ("/b/c/../../g", "/g"),
            ("/b/c/../../../g", "/g"),
            ("/b/c/../../../../g", "/g"),
            ("/./g", "/g"),
            ("/../g", "/g"),
            ("/b/c/g.", "/b/c/g."),
            ("/b/c/.g", "/b/c/.g"),
            ("/b/c/g..", "/b/c/g.."),
            ("/b/c/..g", "/b/c/..g"),
            ("/b/c/./../g", "/b/g"),
            ("/b/c/./g/.", "/b/c/g/"),
            ("/b/c/g/./h", "/b/c/g/h"),
            ("/b/c/g/../h", "/b/c/h"),
            ("", ""),
            ("/", "/"),
            ("//..", "/"),
            ("/a//../b", "/a/b"),
        ];
        for (input, expected) in cases {
            assert_eq!(remove_dot_segments(input), expected, "input {input:?}");
        }
    }

    mod properties {
        use super::super::*;
        use proptest::prelude::*;
        use proptest::sample::select;
        use proptest::strategy::ValueTree as _;
        use proptest::test_runner::TestRunner;

        const SCHEMES: &[&str] = &["http://", "https://", "HTTPS://", "HtTp://"];
        const BAD_SCHEMES: &[&str] =
            &["ftp://", "https:", "https:/", "", "//", "urn:", "https:///"];
        const HOSTS: &[&str] = &[
            "x",
            "API.Example.COM",
            "a-b.c_d~e",
            "127.0.0.1",
            "[::1]",
            "[2001:DB8::1]",
            "[::ffff:1.2.3.4]",
        ];
        const BAD_HOSTS: &[&str] = &["[::1", "", "user@x", "x%41", "\u{e9}", "x y", "[::1]]"];
        const PORTS: &[&str] = &[
            "", "", "", ":", ":80", ":443", ":8443", ":0", ":65535", ":00080",
        ];
        const BAD_PORTS: &[&str] = &[":65536", ":x", ":1:2", ": 1"];
        const PATH_PARTS: &[&str] = &[
            "/",
            "/",
            "/",
            "a",
            "B",
            ".",
            "..",
            "%2e",
            "%2E",
            "%2f",
            "%2F",
            "%7e",
            "%7E",
            "%41",
            "%C3%a9",
            "~",
            "-",
            "_",
            ":",
            "@",
            "!",
            "$",
            "&",
            "'",
            "(",
            ")",
            "*",
            "+",
            ",",
            ";",
            "=",
            "{",
            "}",
            "|",
            "^",
            "`",
            "\"",
            "<",
            ">",
            "[",
            "]",
            "\u{e9}",
            "\u{1F600}",
            "?",
            "#",
            "?q=1",
            "#f",
            "%00",
            "%25",
            "%252e",
            "/./",
            "/../",
            "//",
        ];
        const BAD_PATH_PARTS: &[&str] = &["%", "%4", "%zz", " ", "\\", "\t", "\u{7f}"];

        /// Mostly a valid part, sometimes an invalid one.
        fn mostly(
            valid: &'static [&'static str],
            invalid: &'static [&'static str],
        ) -> impl Strategy<Value = &'static str> {
            prop_oneof![7 => select(valid), 1 => select(invalid)]
        }

        /// URLs assembled from parts that exercise every normalization rule, mostly valid.
        fn url() -> impl Strategy<Value = String> {
            (
                mostly(SCHEMES, BAD_SCHEMES),
                mostly(HOSTS, BAD_HOSTS),
                mostly(PORTS, BAD_PORTS),
                prop::collection::vec(
                    prop_oneof![15 => select(PATH_PARTS), 1 => select(BAD_PATH_PARTS)],
                    0..12,
                ),
            )
                .prop_map(|(scheme, host, port, path)| {
                    let mut url = format!("{scheme}{host}{port}");
                    url.extend(path);
                    url
                })
        }

        fn assert_normal_form(n: &str, input: &str) {
            assert!(n.len() <= MAX_URL_LEN, "{input:?}");
            assert!(
                n.starts_with("http://") || n.starts_with("https://"),
                "{input:?} -> {n:?}"
            );
            assert!(!n.contains(['?', '#', ' ', '\\']), "{input:?} -> {n:?}");
            assert!(n.is_ascii(), "{input:?} -> {n:?}");
            let path_start = n
                .find("://")
                .and_then(|i| n[i + 3..].find('/').map(|j| i + 3 + j))
                .unwrap_or_else(|| panic!("{input:?} -> {n:?} has no path"));
            let path = &n[path_start..];
            for segment in path.split('/') {
                assert!(segment != "." && segment != "..", "{input:?} -> {n:?}");
            }
            let bytes = path.as_bytes();
            for (i, &b) in bytes.iter().enumerate() {
                if b == b'%' {
                    let hex = &path[i + 1..i + 3];
                    assert!(
                        hex.bytes()
                            .all(|h| h.is_ascii_digit() || h.is_ascii_uppercase()),
                        "{input:?} -> {n:?}"
                    );
                    let value = u8::from_str_radix(hex, 16).unwrap_or_else(|e| panic!("{e}"));
                    assert!(!is_unreserved(value), "{input:?} -> {n:?}");
                }
            }
        }

        /// Whatever normalizes is in normal form, normalizes to itself, and matches its input.
        fn check_normalized(url: &str) {
            if let Ok(n) = normalize_htu(url) {
                assert_normal_form(&n, url);
                assert_eq!(
                    normalize_htu(&n).as_deref(),
                    Ok(n.as_str()),
                    "input {url:?}"
                );
                assert!(htu_matches(url, &n), "input {url:?}");
            }
        }

        /// The URL generator must exercise both outcomes, or the properties prove little.
        #[test]
        fn url_generator_covers_accepted_and_refused() {
            let mut runner = TestRunner::deterministic();
            let strategy = url();
            let total = 4_000;
            let accepted = (0..total)
                .filter(|_| {
                    let url = strategy
                        .new_tree(&mut runner)
                        .map(|t| t.current())
                        .unwrap_or_default();
                    normalize_htu(&url).is_ok()
                })
                .count();
            assert!(accepted > total / 10, "only {accepted} of {total} accepted");
            assert!(accepted < total * 9 / 10, "{accepted} of {total} accepted");
        }

        /// Spelling variations that RFC 3986 says denote the same resource: a canonical URL
        /// and one way of writing it differently.
        fn equivalent_spellings() -> impl Strategy<Value = (String, String)> {
            const SEGMENTS: &[&str] =
                &["a", "Bc", "x-y", "d_e", "~u", "f.g", "%C3%A9", "%2F", "h:i"];
            (
                any::<bool>(),
                select(vec!["api.example.com", "x", "h-1.example", "[2001:db8::1]"]),
                prop::collection::vec(select(SEGMENTS), 0..5),
                any::<bool>(),
                // Case flips for scheme and host characters.
                prop::collection::vec(any::<bool>(), 32),
                // Port spelling: none, explicit default, empty, default with leading zeros.
                0..4u8,
                // Per path byte: encode if unreserved, hex case, insert a dot segment.
                prop::collection::vec((any::<bool>(), any::<bool>(), 0..8u8), 64),
                any::<bool>(),
                any::<bool>(),
            )
                .prop_map(
                    |(https, host, segments, trailing, flips, port, edits, query, fragment)| {
                        let scheme = if https { "https" } else { "http" };
                        let mut path = String::new();
                        for s in &segments {
                            path.push('/');
                            path.push_str(s);
                        }
                        if trailing {
                            path.push('/');
                        }
                        let canonical = format!(
                            "{scheme}://{host}{}",
                            if path.is_empty() { "/" } else { &path }
                        );

                        let mut flips = flips.into_iter().cycle();
                        let mut flip = |c: char| {
                            if flips.next().unwrap_or(false) {
                                c.to_ascii_uppercase()
                            } else {
                                c
                            }
                        };
                        let mut variant: String = scheme.chars().map(&mut flip).collect();
                        variant.push_str("://");
                        variant.extend(host.chars().map(&mut flip));
                        let default_port = if https { "443" } else { "80" };
                        match port {
                            0 => {}
                            1 => variant.push_str(&format!(":{default_port}")),
                            2 => variant.push(':'),
                            _ => variant.push_str(&format!(":00{default_port}")),
                        }
                        let mut edits = edits.into_iter().cycle();
                        let mut rest = path.as_str();
                        while let Some(c) = rest.chars().next() {
                            let (encode, lower, dot) = edits.next().unwrap_or((false, false, 0));
                            if c == '%' {
                                let (esc, tail) = rest.split_at(3);
                                variant.push_str(&if lower {
                                    esc.to_ascii_lowercase()
                                } else {
                                    esc.to_owned()
                                });
                                rest = tail;
                                continue;
                            }
                            if c == '/' {
                                match dot {
                                    0 => variant.push_str("/."),
                                    1 => variant.push_str("/zz/.."),
                                    2 => variant.push_str("/%2e"),
                                    3 => variant.push_str("/q/%2E%2e"),
                                    _ => {}
                                }
                            }
                            if encode && c.is_ascii() && is_unreserved(c as u8) {
                                let hex = format!("%{:02X}", c as u8);
                                variant.push_str(&if lower {
                                    hex.to_ascii_lowercase()
                                } else {
                                    hex
                                });
                            } else {
                                variant.push(c);
                            }
                            rest = &rest[c.len_utf8()..];
                        }
                        if query {
                            variant.push_str("?a=1&b=%41/../x");
                        }
                        if fragment {
                            variant.push_str("#frag/..");
                        }
                        (canonical, variant)
                    },
                )
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(2_000))]

            #[test]
            fn generated_urls_normalize_to_normal_form_idempotently(url in url()) {
                check_normalized(&url);
            }

            #[test]
            fn arbitrary_strings_never_panic(tail in any::<String>()) {
                for url in [
                    tail.clone(),
                    format!("https://x/{tail}"),
                    format!("http://{tail}"),
                ] {
                    check_normalized(&url);
                }
            }

            #[test]
            fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..96)) {
                let tail = String::from_utf8_lossy(&bytes);
                for url in [
                    tail.to_string(),
                    format!("https://x/{tail}"),
                    format!("HTTP://{tail}"),
                ] {
                    check_normalized(&url);
                }
            }

            #[test]
            fn equivalent_spellings_normalize_alike((canonical, variant) in equivalent_spellings()) {
                prop_assert_eq!(normalize_htu(&canonical), Ok(canonical.clone()));
                prop_assert_eq!(normalize_htu(&variant), Ok(canonical.clone()), "{:?}", variant);
                prop_assert!(htu_matches(&variant, &canonical));
                prop_assert!(htu_matches(&canonical, &variant));
            }

            /// Matching is an equivalence on what normalizes: symmetric, and equal to
            /// comparing normal forms.
            #[test]
            fn matching_is_comparing_normal_forms(a in url(), b in url()) {
                let expected = match (normalize_htu(&a), normalize_htu(&b)) {
                    (Ok(x), Ok(y)) => x == y,
                    _ => false,
                };
                prop_assert_eq!(htu_matches(&a, &b), expected);
                prop_assert_eq!(htu_matches(&b, &a), expected);
            }
        }
    }
}
