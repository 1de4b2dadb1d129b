//! The scriptable token endpoint: configured responses and recorded requests.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use http::{HeaderMap, Method};
use serde_json::Value;

/// What `POST /oauth/token` answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenResponse {
    pub(crate) status: u16,
    pub(crate) content_type: String,
    pub(crate) body: String,
    pub(crate) delay: Option<Duration>,
}

impl TokenResponse {
    /// A JSON response.
    pub fn json(status: u16, body: Value) -> Self {
        Self::raw(status, "application/json", &body.to_string())
    }

    /// A response with any content type and body.
    pub fn raw(status: u16, content_type: &str, body: &str) -> Self {
        Self {
            status,
            content_type: content_type.to_owned(),
            body: body.to_owned(),
            delay: None,
        }
    }

    /// Waits `d` before answering (for client timeout tests).
    pub fn delay(mut self, d: Duration) -> Self {
        self.delay = Some(d);
        self
    }

    /// The status code.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The body text.
    pub fn body(&self) -> &str {
        &self.body
    }
}

impl Default for TokenResponse {
    /// `200` with
    /// `{"access_token":"test-exchanged-token","token_type":"Bearer","expires_in":3600,"scope":"read:data"}`.
    fn default() -> Self {
        Self::json(
            200,
            serde_json::json!({
                "access_token": "test-exchanged-token",
                "token_type": "Bearer",
                "expires_in": 3600,
                "scope": "read:data",
            }),
        )
    }
}

/// A request the token endpoint received.
#[non_exhaustive]
#[derive(Clone, Debug)]
pub struct RecordedRequest {
    /// The request method.
    pub method: Method,
    /// The request path and query, as sent.
    pub path: String,
    /// The request headers.
    pub headers: HeaderMap,
    /// The request body.
    pub body: Bytes,
}

impl RecordedRequest {
    /// The body parsed as `application/x-www-form-urlencoded`, in order.
    pub fn form(&self) -> Vec<(String, String)> {
        url::form_urlencoded::parse(&self.body)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    }

    /// The first form value named `name`.
    pub fn form_value(&self, name: &str) -> Option<String> {
        url::form_urlencoded::parse(&self.body)
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }

    /// Every form value named `name`, in order.
    pub fn form_values(&self, name: &str) -> Vec<String> {
        url::form_urlencoded::parse(&self.body)
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
            .collect()
    }

    /// The value of header `name` as text, if present and visible ASCII.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// `(client_id, client_secret)` from an `Authorization: Basic` header, with the
    /// form-encoding of RFC 6749 §2.3.1 undone.
    pub fn basic_credentials(&self) -> Option<(String, String)> {
        let value = self.header("authorization")?;
        let (scheme, encoded) = value.split_once(' ')?;
        if !scheme.eq_ignore_ascii_case("basic") {
            return None;
        }
        let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
        let (id, secret) = decoded.split_once(':')?;
        Some((form_decode(id), form_decode(secret)))
    }
}

fn form_decode(text: &str) -> String {
    url::form_urlencoded::parse(format!("v={text}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recorded(body: &'static str, auth: Option<&'static str>) -> RecordedRequest {
        let mut headers = HeaderMap::new();
        if let Some(auth) = auth {
            headers.insert("authorization", http::HeaderValue::from_static(auth));
        }
        RecordedRequest {
            method: Method::POST,
            path: "/oauth/token".into(),
            headers,
            body: Bytes::from_static(body.as_bytes()),
        }
    }

    #[test]
    fn form_helpers() {
        let r = recorded("a=1&b=x%20y&a=2&c=p+q", None);
        assert_eq!(r.form_value("b").as_deref(), Some("x y"));
        assert_eq!(r.form_value("c").as_deref(), Some("p q"));
        assert_eq!(r.form_values("a"), ["1", "2"]);
        assert_eq!(r.form().len(), 4);
        assert_eq!(r.form_value("missing"), None);
    }

    #[test]
    fn basic_credentials_are_decoded() {
        // "my%3Aclient:s%2Bcr+t" base64
        let encoded = STANDARD.encode("my%3Aclient:s%2Bcr+t");
        let header: &'static str = Box::leak(format!("Basic {encoded}").into_boxed_str());
        let r = recorded("", Some(header));
        assert_eq!(
            r.basic_credentials(),
            Some(("my:client".to_owned(), "s+cr t".to_owned()))
        );
        assert_eq!(recorded("", Some("Bearer abc")).basic_credentials(), None);
        assert_eq!(recorded("", Some("Basic !!!")).basic_credentials(), None);
        assert_eq!(recorded("", None).basic_credentials(), None);
    }

    #[test]
    fn responses() {
        let d = TokenResponse::default();
        assert_eq!(d.status(), 200);
        let body: Value = serde_json::from_str(d.body()).unwrap_or_default();
        assert_eq!(body["access_token"], "test-exchanged-token");
        let r = TokenResponse::raw(502, "text/html", "<h1>bad</h1>").delay(Duration::from_secs(1));
        assert_eq!(r.delay, Some(Duration::from_secs(1)));
        assert_eq!(r.content_type, "text/html");
    }
}
