//! HTTP GET of JSON documents with a timeout, a size cap and strict parsing.

use std::fmt;
use std::time::Duration;

use http::header::{CACHE_CONTROL, CONTENT_LENGTH};
use serde_json::{Map, Value};
use url::Url;

use crate::jose::parse_object;

/// Why a discovery or JWKS fetch failed. Never shown to clients; logged and chained as the
/// source of [`crate::ErrorKind::KeysUnavailable`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FetchError {
    /// The request did not complete within the configured timeout.
    Timeout,
    /// Connection refused, reset, DNS failure, TLS failure, ….
    Network,
    /// A status other than 200.
    Status(u16),
    /// The body exceeded the size cap.
    TooLarge,
    /// The body was not a strict JSON object.
    InvalidJson,
    /// Discovery's `issuer` is not the configured issuer.
    IssuerMismatch,
    /// A required member (`jwks_uri`, `keys`) is missing or of the wrong type.
    MissingMember(&'static str),
    /// A URL in the metadata is not acceptable (`https` only, `http` for loopback).
    InsecureUrl(&'static str),
    /// The JWKS holds no usable key.
    NoUsableKeys,
    /// The JWKS has more entries than the key count cap (64). The set is refused as a whole,
    /// never cut to its first keys: the signing keys may be the ones past the cap.
    TooManyKeys,
    /// The fetch task ended abnormally.
    Aborted,
}

impl fmt::Display for FetchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FetchError::Timeout => f.write_str("fetch timed out"),
            FetchError::Network => f.write_str("network error"),
            FetchError::Status(s) => write!(f, "unexpected HTTP status {s}"),
            FetchError::TooLarge => f.write_str("response too large"),
            FetchError::InvalidJson => f.write_str("response is not a JSON object"),
            FetchError::IssuerMismatch => {
                f.write_str("discovery issuer does not match the configured issuer")
            }
            FetchError::MissingMember(m) => write!(f, "missing or invalid member: {m}"),
            FetchError::InsecureUrl(why) => write!(f, "unacceptable URL in metadata: {why}"),
            FetchError::NoUsableKeys => f.write_str("no usable signing key in the JWKS"),
            FetchError::TooManyKeys => f.write_str("the JWKS has more keys than the limit"),
            FetchError::Aborted => f.write_str("fetch aborted"),
        }
    }
}

impl std::error::Error for FetchError {}

/// A JSON document and the `max-age` it came with.
pub(crate) struct Fetched {
    pub(crate) json: Map<String, Value>,
    pub(crate) max_age: Option<Duration>,
}

/// Fetches JSON documents from the issuer.
#[derive(Clone, Debug)]
pub(crate) struct Fetcher {
    client: reqwest::Client,
    timeout: Duration,
    max_bytes: usize,
}

impl Fetcher {
    pub(crate) fn new(client: reqwest::Client, timeout: Duration, max_bytes: usize) -> Self {
        Self {
            client,
            timeout,
            max_bytes,
        }
    }

    pub(crate) fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// GETs `url` and parses a JSON object, all within the timeout.
    pub(crate) async fn get_json(&self, url: &Url) -> Result<Fetched, FetchError> {
        match tokio::time::timeout(self.timeout, self.get_json_inner(url)).await {
            Ok(r) => r,
            Err(_) => Err(FetchError::Timeout),
        }
    }

    async fn get_json_inner(&self, url: &Url) -> Result<Fetched, FetchError> {
        let mut response = self
            .client
            .get(url.clone())
            .header(http::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(map_reqwest)?;
        if response.status() != http::StatusCode::OK {
            return Err(FetchError::Status(response.status().as_u16()));
        }
        let declared = response
            .headers()
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > self.max_bytes as u64) {
            return Err(FetchError::TooLarge);
        }
        let max_age = response
            .headers()
            .get_all(CACHE_CONTROL)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(parse_max_age);
        let mut body =
            Vec::with_capacity(declared.map_or(4096, |n| n as usize).min(self.max_bytes));
        while let Some(chunk) = response.chunk().await.map_err(map_reqwest)? {
            if body.len() + chunk.len() > self.max_bytes {
                return Err(FetchError::TooLarge);
            }
            body.extend_from_slice(&chunk);
        }
        let json = parse_object(&body).ok_or(FetchError::InvalidJson)?;
        Ok(Fetched { json, max_age })
    }
}

fn map_reqwest(e: reqwest::Error) -> FetchError {
    if e.is_timeout() {
        FetchError::Timeout
    } else {
        FetchError::Network
    }
}

/// `max-age=N` from a `Cache-Control` value; `no-store`/`no-cache` count as zero.
pub(crate) fn parse_max_age(value: &str) -> Option<Duration> {
    let mut result = None;
    for directive in value.split(',') {
        let d = directive.trim();
        let lower = d.to_ascii_lowercase();
        if lower == "no-store" || lower == "no-cache" {
            return Some(Duration::ZERO);
        }
        if let Some(n) = lower.strip_prefix("max-age=") {
            let n = n.trim_matches('"');
            if let Ok(secs) = n.parse::<u64>() {
                result = Some(Duration::from_secs(secs));
            }
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_age() {
        assert_eq!(parse_max_age("max-age=60"), Some(Duration::from_secs(60)));
        assert_eq!(
            parse_max_age("public, Max-Age=120, must-revalidate"),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            parse_max_age("max-age=\"30\""),
            Some(Duration::from_secs(30))
        );
        assert_eq!(parse_max_age("no-store"), Some(Duration::ZERO));
        assert_eq!(parse_max_age("max-age=60, no-cache"), Some(Duration::ZERO));
        assert_eq!(parse_max_age("max-age=-1"), None);
        assert_eq!(parse_max_age("max-age=abc"), None);
        assert_eq!(parse_max_age("s-maxage=5"), None);
        assert_eq!(parse_max_age(""), None);
    }
}
