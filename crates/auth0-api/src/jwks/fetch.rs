//! HTTP GET of JSON documents with a timeout, a size cap and strict parsing.

use std::fmt;
use std::time::Duration;

use std::sync::Arc;

use bytes::Bytes;
use http::header::{ACCEPT, CACHE_CONTROL};
use http::{Request, Response};
use serde_json::{Map, Value};
use url::Url;

use crate::http::{HttpClient, HttpError, HttpErrorKind};
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
    /// The response did not come from the requested URL (the HTTP client followed a
    /// redirect), or did not say where it came from.
    Redirected,
    /// No fetch was made: the cap on key fetches per second is reached, or the issuer's keys
    /// were loaded within the unknown-`kid` cooldown by a cache that has since been evicted.
    RateLimited,
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
            FetchError::Redirected => f.write_str("response not from the requested URL"),
            FetchError::RateLimited => f.write_str("too many key fetches; not fetched now"),
        }
    }
}

impl std::error::Error for FetchError {}

/// A JSON document and the `max-age` it came with.
pub(crate) struct Fetched {
    pub(crate) json: Map<String, Value>,
    pub(crate) max_age: Option<Duration>,
}

/// Fetches JSON documents from the issuer, and sends the token-exchange POSTs, through the
/// configured [`HttpClient`] with one timeout and one size cap.
#[derive(Clone)]
pub(crate) struct Fetcher {
    client: Arc<dyn HttpClient>,
    timeout: Duration,
    max_bytes: usize,
}

impl fmt::Debug for Fetcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Fetcher")
            .field("timeout", &self.timeout)
            .field("max_bytes", &self.max_bytes)
            .finish_non_exhaustive()
    }
}

impl Fetcher {
    pub(crate) fn new(client: Arc<dyn HttpClient>, timeout: Duration, max_bytes: usize) -> Self {
        Self {
            client,
            timeout,
            max_bytes,
        }
    }

    /// Sends `request` with the size cap, within `timeout`.
    pub(crate) async fn send(
        &self,
        request: Request<Bytes>,
        timeout: Duration,
    ) -> Result<Response<Bytes>, HttpError> {
        crate::http::send(&*self.client, request, self.max_bytes, timeout).await
    }

    /// GETs `url` and parses a JSON object, all within the timeout.
    pub(crate) async fn get_json(&self, url: &Url) -> Result<Fetched, FetchError> {
        let request = Request::get(url.as_str())
            .header(ACCEPT, "application/json")
            .body(Bytes::new())
            .map_err(|_| FetchError::Network)?;
        let response = self
            .send(request, self.timeout)
            .await
            .map_err(|e| match e.kind() {
                HttpErrorKind::Timeout => FetchError::Timeout,
                HttpErrorKind::TooLarge => FetchError::TooLarge,
                HttpErrorKind::Redirected => FetchError::Redirected,
                _ => FetchError::Network,
            })?;
        if response.status() != http::StatusCode::OK {
            return Err(FetchError::Status(response.status().as_u16()));
        }
        let max_age = response
            .headers()
            .get_all(CACHE_CONTROL)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(parse_max_age);
        let json = parse_object(response.body()).ok_or(FetchError::InvalidJson)?;
        Ok(Fetched { json, max_age })
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
