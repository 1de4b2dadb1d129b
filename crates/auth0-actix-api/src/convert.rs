//! actix-web 4 speaks `http` 0.2; the core speaks `http` 1. Converting by bytes keeps
//! every header and status exactly as the core built it.

use actix_web::HttpRequest;
use actix_web::HttpResponse;
use actix_web::http::StatusCode as ActixStatus;
use actix_web::http::header::{HeaderName as ActixName, HeaderValue as ActixValue};
use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method, Uri};

/// The request as the core reads it: method, URI and headers in `http` 1 types.
pub(crate) struct CoreRequest {
    pub(crate) method: Method,
    pub(crate) uri: Uri,
    pub(crate) headers: HeaderMap,
}

impl CoreRequest {
    pub(crate) fn from_actix(req: &HttpRequest) -> Self {
        let method = Method::from_bytes(req.method().as_str().as_bytes()).unwrap_or_default();
        let mut headers = HeaderMap::with_capacity(req.headers().len());
        for (name, value) in req.headers() {
            if let (Ok(name), Ok(value)) = (
                HeaderName::from_bytes(name.as_str().as_bytes()),
                HeaderValue::from_bytes(value.as_bytes()),
            ) {
                headers.append(name, value);
            }
        }
        let uri = request_uri(req, &headers);
        Self {
            method,
            uri,
            headers,
        }
    }
}

/// The request target; on a TLS listener (which actix reports through the app config, not
/// through forwarded headers), with the `https` scheme so the core builds an `https` URL.
fn request_uri(req: &HttpRequest, headers: &HeaderMap) -> Uri {
    let target = req.uri().to_string();
    let uri: Uri = target.parse().unwrap_or_default();
    if uri.scheme().is_some() || !req.app_config().secure() {
        return uri;
    }
    let Some(authority) = headers
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.parse::<http::uri::Authority>().ok())
    else {
        return uri;
    };
    let mut parts = uri.clone().into_parts();
    parts.scheme = Some(http::uri::Scheme::HTTPS);
    parts.authority = Some(authority);
    if parts.path_and_query.is_none() {
        parts.path_and_query = Some(http::uri::PathAndQuery::from_static("/"));
    }
    Uri::from_parts(parts).unwrap_or(uri)
}

/// An `http` 1 header value as actix's.
pub(crate) fn header_value(value: &HeaderValue) -> Option<ActixValue> {
    ActixValue::from_bytes(value.as_bytes()).ok()
}

/// The core's response, byte for byte, as an actix [`HttpResponse`].
pub(crate) fn response(core: http::Response<Bytes>) -> HttpResponse {
    let (parts, body) = core.into_parts();
    let status =
        ActixStatus::from_u16(parts.status.as_u16()).unwrap_or(ActixStatus::INTERNAL_SERVER_ERROR);
    let mut response = HttpResponse::with_body(status, body);
    let headers = response.headers_mut();
    for (name, value) in &parts.headers {
        if let (Ok(name), Some(value)) = (
            ActixName::from_bytes(name.as_str().as_bytes()),
            header_value(value),
        ) {
            headers.append(name, value);
        }
    }
    response.map_into_boxed_body()
}
