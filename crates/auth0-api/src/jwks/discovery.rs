//! Authorization server metadata: OpenID Connect Discovery 1.0 §4, then RFC 8414 §3.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use url::Url;

use super::fetch::{FetchError, Fetcher};
use crate::issuer::{Issuer, check_url};

/// What the verifier and token exchange need from the issuer's metadata.
#[derive(Clone, Debug)]
pub(crate) struct Metadata {
    /// The issuer as discovery states it: canonical for the `iss` check.
    pub(crate) issuer: Arc<str>,
    pub(crate) jwks_uri: Url,
    #[cfg_attr(not(feature = "token-exchange"), allow(dead_code))]
    pub(crate) token_endpoint: Option<Url>,
}

/// The two metadata locations for `issuer`, in the order they are tried.
pub(crate) fn metadata_urls(issuer: &Issuer) -> Vec<Url> {
    let mut urls = Vec::with_capacity(2);
    let base = issuer.as_str().trim_end_matches('/');
    if let Ok(u) = Url::parse(&format!("{base}/.well-known/openid-configuration")) {
        urls.push(u);
    }
    if let Some(mut u) = issuer.url() {
        // RFC 8414 §3.1: the well-known suffix goes between the host and the path.
        let path = u.path().trim_end_matches('/').to_owned();
        u.set_path(&format!("/.well-known/oauth-authorization-server{path}"));
        urls.push(u);
    }
    urls
}

/// A URL member of the metadata: `https`, or plain `http` only when the issuer itself is
/// an `http` (loopback) issuer, so an `https` issuer's document can never send the verifier
/// or the client secret over plain HTTP, even to loopback.
fn url_member(
    doc: &serde_json::Map<String, Value>,
    name: &'static str,
    issuer: &Issuer,
) -> Result<Option<Url>, FetchError> {
    match doc.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => {
            let url = Url::parse(s).map_err(|_| FetchError::MissingMember(name))?;
            check_url(&url).map_err(FetchError::InsecureUrl)?;
            if url.scheme() == "http" && !issuer.as_str().starts_with("http://") {
                return Err(FetchError::InsecureUrl(
                    "plain http metadata URL for an https issuer",
                ));
            }
            Ok(Some(url))
        }
        Some(_) => Err(FetchError::MissingMember(name)),
    }
}

/// Fetches the metadata, trying OIDC discovery first and RFC 8414 second. The document's
/// `issuer` must equal `issuer` up to a trailing slash.
/// With `jwks_on_issuer_host`, a `jwks_uri` on another host than the issuer's is refused.
pub(crate) async fn discover(
    fetcher: &Fetcher,
    issuer: &Issuer,
    jwks_on_issuer_host: bool,
) -> Result<(Metadata, Option<Duration>), FetchError> {
    let mut first_error = None;
    for url in metadata_urls(issuer) {
        match discover_at(fetcher, issuer, &url, jwks_on_issuer_host).await {
            Ok(found) => return Ok(found),
            Err(e) => {
                tracing::debug!(url = %url, error = %e, "issuer metadata not found here");
                // Only "not here" answers move on to the next location; a document that is
                // present but wrong (issuer mismatch, insecure URLs) is an error as such.
                let try_next = matches!(e, FetchError::Status(_) | FetchError::InvalidJson);
                first_error.get_or_insert(e);
                if !try_next {
                    break;
                }
            }
        }
    }
    Err(first_error.unwrap_or(FetchError::Network))
}

async fn discover_at(
    fetcher: &Fetcher,
    issuer: &Issuer,
    url: &Url,
    jwks_on_issuer_host: bool,
) -> Result<(Metadata, Option<Duration>), FetchError> {
    let fetched = fetcher.get_json(url).await?;
    let doc = fetched.json;
    let stated = match doc.get("issuer") {
        Some(Value::String(s)) => s.as_str(),
        _ => return Err(FetchError::MissingMember("issuer")),
    };
    if !issuer.matches_modulo_slash(stated) {
        return Err(FetchError::IssuerMismatch);
    }
    let jwks_uri =
        url_member(&doc, "jwks_uri", issuer)?.ok_or(FetchError::MissingMember("jwks_uri"))?;
    if jwks_on_issuer_host && !same_host(&jwks_uri, issuer) {
        return Err(FetchError::InsecureUrl(
            "jwks_uri is not on the issuer's host",
        ));
    }
    let token_endpoint = url_member(&doc, "token_endpoint", issuer)?;
    Ok((
        Metadata {
            issuer: Arc::from(stated),
            jwks_uri,
            token_endpoint,
        },
        fetched.max_age,
    ))
}

/// Whether `url` has the issuer's host and port.
fn same_host(url: &Url, issuer: &Issuer) -> bool {
    issuer.url().is_some_and(|i| {
        i.host_str() == url.host_str() && i.port_or_known_default() == url.port_or_known_default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn urls(i: &str) -> Vec<String> {
        let i = Issuer::parse(i).expect(i);
        metadata_urls(&i).iter().map(Url::to_string).collect()
    }

    #[test]
    fn well_known_locations() {
        assert_eq!(
            urls("https://t.auth0.com/"),
            [
                "https://t.auth0.com/.well-known/openid-configuration",
                "https://t.auth0.com/.well-known/oauth-authorization-server"
            ]
        );
        assert_eq!(
            urls("https://id.example.com/tenant1"),
            [
                "https://id.example.com/tenant1/.well-known/openid-configuration",
                "https://id.example.com/.well-known/oauth-authorization-server/tenant1"
            ]
        );
    }
}

#[cfg(test)]
mod url_rules {
    use super::*;
    use serde_json::json;

    fn member(issuer: &str, value: &str) -> Result<Option<Url>, FetchError> {
        let issuer = Issuer::parse(issuer).expect("issuer");
        let Value::Object(doc) = json!({ "jwks_uri": value }) else {
            unreachable!()
        };
        url_member(&doc, "jwks_uri", &issuer)
    }

    #[test]
    fn an_https_issuer_never_points_at_plain_http() {
        for target in [
            "http://127.0.0.1:8080/jwks",
            "http://localhost/jwks",
            "http://[::1]/jwks",
        ] {
            assert!(
                matches!(
                    member("https://id.example.com/", target),
                    Err(FetchError::InsecureUrl(_))
                ),
                "{target}"
            );
            // A loopback http issuer (development, tests) may.
            assert!(member("http://127.0.0.1:9000/", target).is_ok(), "{target}");
        }
        assert!(member("https://id.example.com/", "https://keys.example.net/jwks").is_ok());
        assert!(matches!(
            member("http://127.0.0.1:9000/", "http://keys.example.net/jwks"),
            Err(FetchError::InsecureUrl(_))
        ));
    }

    #[test]
    fn the_issuer_host_rule() {
        let issuer = Issuer::parse("https://id.example.com/tenant").expect("issuer");
        let url = |s: &str| Url::parse(s).expect("url");
        assert!(same_host(
            &url("https://id.example.com/.well-known/jwks.json"),
            &issuer
        ));
        assert!(same_host(&url("https://id.example.com:443/keys"), &issuer));
        assert!(!same_host(&url("https://keys.example.com/jwks"), &issuer));
        assert!(!same_host(
            &url("https://id.example.com:8443/jwks"),
            &issuer
        ));
        assert!(!same_host(
            &url("https://id.example.com.evil.net/jwks"),
            &issuer
        ));
    }
}
