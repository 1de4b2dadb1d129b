//! `Verifier`: one configured `auth0_api::Auth0`, verifying requests for Python.
//!
//! `verify` answers without an asyncio task when the core finishes in one poll (a cached
//! token, or a refusal decided before any I/O): it then returns the result itself. Only
//! when the core waits on the network does it return an awaitable on the shared tokio
//! runtime. The GIL is released while Rust works in both cases.

use std::borrow::Cow;
use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use auth0_api::{
    Auth0, Claims, ConfigError, DpopMode, Error, MemoryReplayStore, NonceConfig, ReplayStore,
    RequestContext, Requirements, ResolverContext, TrustProxy,
};
use http::{HeaderMap, HeaderName, HeaderValue, Method, Uri};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyTuple};

use crate::convert::map_to_dict;
use crate::{ConfigurationError, Refusal};

type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;
type VerifyFuture = Pin<Box<dyn Future<Output = Result<Claims, Error>> + Send + 'static>>;

/// Everything needed to build an `Auth0`, kept so variants with another proxy trust can
/// share the replay store, the nonce secret and the resolver.
#[derive(Clone)]
struct Settings {
    domain: Option<String>,
    issuer: Option<String>,
    audiences: Vec<String>,
    dpop: DpopMode,
    iat_leeway: Duration,
    iat_offset: Duration,
    leeway: Duration,
    public_url: Option<String>,
    replay: Arc<dyn ReplayStore>,
    nonce: Option<NonceConfig>,
    domains: Option<Vec<String>>,
    resolver: Option<Arc<Py<PyAny>>>,
    cache_ttl: Option<Duration>,
    max_issuers: Option<u64>,
}

impl Settings {
    fn build(&self, trust: TrustProxy) -> Result<Auth0, ConfigError> {
        let mut b = Auth0::builder()
            .audiences(self.audiences.iter().cloned())
            .dpop(self.dpop)
            .dpop_iat_leeway(self.iat_leeway)
            .dpop_iat_offset(self.iat_offset)
            .leeway(self.leeway)
            .trust_proxy(trust)
            .replay_store(Arc::clone(&self.replay));
        if let Some(d) = &self.domain {
            b = b.domain(d.clone());
        }
        if let Some(i) = &self.issuer {
            b = b.issuer(i.clone());
        }
        if let Some(u) = &self.public_url {
            b = b.public_url(u.clone());
        }
        if let Some(n) = &self.nonce {
            b = b.dpop_nonce(n.clone());
        }
        if let Some(list) = &self.domains {
            b = b.domains(list.iter().cloned());
        }
        if let Some(cb) = &self.resolver {
            let cb = Arc::clone(cb);
            b = b.domains_resolver(move |ctx: ResolverContext| call_resolver(Arc::clone(&cb), ctx));
        }
        if let Some(ttl) = self.cache_ttl {
            // The SDK's `cache_ttl_seconds` is an upper bound on the key cache's lifetime.
            let min = ttl.min(Duration::from_secs(60));
            let default = ttl.min(Duration::from_secs(600));
            b = b.jwks_cache_ttl(min, ttl, default);
        }
        if let Some(n) = self.max_issuers {
            b = b.max_issuers(n);
        }
        b.build()
    }
}

/// Calls a Python domains resolver (sync or async) with the SDK's context dict.
async fn call_resolver(cb: Arc<Py<PyAny>>, ctx: ResolverContext) -> Result<Vec<String>, BoxError> {
    let pending = Python::attach(|py| -> PyResult<Result<Vec<String>, _>> {
        let arg = PyDict::new(py);
        arg.set_item("request_url", ctx.request_url.as_deref())?;
        let headers = match &ctx.headers {
            Some(h) => {
                let d = PyDict::new(py);
                for (name, value) in h {
                    if let Ok(v) = value.to_str() {
                        d.set_item(name.as_str(), v)?;
                    }
                }
                d.into_any()
            }
            None => py.None().into_bound(py),
        };
        arg.set_item("request_headers", headers)?;
        arg.set_item("unverified_iss", &ctx.unverified_iss)?;
        let out = cb.bind(py).call1((arg,))?;
        if out.hasattr("__await__")? {
            Ok(Err(pyo3_async_runtimes::tokio::into_future(out)?))
        } else {
            Ok(Ok(out.extract::<Vec<String>>()?))
        }
    })
    .map_err(|e| -> BoxError { format!("domains resolver failed: {e}").into() })?;
    match pending {
        Ok(list) => Ok(list),
        Err(fut) => {
            let out = fut
                .await
                .map_err(|e| -> BoxError { format!("domains resolver failed: {e}").into() })?;
            Python::attach(|py| out.bind(py).extract::<Vec<String>>())
                .map_err(|e| -> BoxError { format!("domains resolver returned {e}").into() })
        }
    }
}

pub(crate) fn config_error(e: &ConfigError) -> PyErr {
    ConfigurationError::new_err((
        e.to_string(),
        e.field().to_string(),
        format!("{:?}", e.kind()),
    ))
}

fn seconds(name: &str, s: f64) -> PyResult<Duration> {
    Duration::try_from_secs_f64(s).map_err(|_| {
        PyValueError::new_err(format!("{name} must be a non-negative number of seconds"))
    })
}

/// Scopes a route requires, parsed once when the dependency is created.
#[pyclass(frozen, module = "auth0_rs._auth0_rs")]
pub(crate) struct ScopeCheck {
    req: Requirements,
}

#[pymethods]
impl ScopeCheck {
    #[new]
    fn new(scopes: Vec<String>) -> PyResult<Self> {
        if scopes
            .iter()
            .any(|s| s.is_empty() || s.contains(char::is_whitespace))
        {
            return Err(PyValueError::new_err(
                "scopes must be non-empty strings without whitespace",
            ));
        }
        let req = Requirements::new()
            .scopes(scopes)
            .map_err(|e| PyValueError::new_err(e.to_string()))?;
        Ok(Self { req })
    }
}

/// The verifier for one API (see `auth0_rs.ApiClient` for the documented surface).
#[pyclass(frozen, module = "auth0_rs._auth0_rs")]
pub(crate) struct Verifier {
    auth0: Auth0,
    settings: Settings,
}

fn dpop_mode(s: &str) -> PyResult<DpopMode> {
    match s {
        "disabled" => Ok(DpopMode::Disabled),
        "allowed" => Ok(DpopMode::Allowed),
        "required" => Ok(DpopMode::Required),
        _ => Err(PyValueError::new_err(
            "dpop must be 'disabled', 'allowed' or 'required'",
        )),
    }
}

fn trust(all: bool, networks: Option<Vec<String>>) -> Result<TrustProxy, ConfigError> {
    match (all, networks) {
        (true, _) => Ok(TrustProxy::all()),
        (false, Some(n)) => TrustProxy::networks(n),
        (false, None) => Ok(TrustProxy::none()),
    }
}

#[pymethods]
impl Verifier {
    #[new]
    #[pyo3(signature = (*, audience, domain=None, issuer=None, dpop="allowed", dpop_iat_leeway=30.0, dpop_iat_offset=300.0, leeway=0.0, trust_proxy_all=false, trust_proxy_networks=None, public_url=None, redis_url=None, dpop_nonce=None, domains=None, domains_resolver=None, cache_ttl_seconds=None, cache_max_entries=None))]
    #[allow(clippy::too_many_arguments, reason = "keyword-only Python constructor")]
    fn new(
        py: Python<'_>,
        audience: Vec<String>,
        domain: Option<String>,
        issuer: Option<String>,
        dpop: &str,
        dpop_iat_leeway: f64,
        dpop_iat_offset: f64,
        leeway: f64,
        trust_proxy_all: bool,
        trust_proxy_networks: Option<Vec<String>>,
        public_url: Option<String>,
        redis_url: Option<String>,
        dpop_nonce: Option<Bound<'_, PyAny>>,
        domains: Option<Vec<String>>,
        domains_resolver: Option<Py<PyAny>>,
        cache_ttl_seconds: Option<f64>,
        cache_max_entries: Option<u64>,
    ) -> PyResult<Self> {
        let replay: Arc<dyn ReplayStore> = match &redis_url {
            None => Arc::new(MemoryReplayStore::default()),
            Some(url) => {
                let rt = pyo3_async_runtimes::tokio::get_runtime();
                let _guard = rt.enter();
                let store = auth0_api_redis::RedisReplayStore::connect_lazy(url).map_err(|e| {
                    ConfigurationError::new_err((
                        format!("redis_url: {e}"),
                        "redis_url".to_owned(),
                        "Malformed".to_owned(),
                    ))
                })?;
                Arc::new(store)
            }
        };
        let nonce = match dpop_nonce {
            None => None,
            Some(v) if v.is_instance_of::<pyo3::types::PyBool>() => {
                if v.is_truthy()? {
                    Some(NonceConfig::random())
                } else {
                    None
                }
            }
            Some(v) => {
                let secret: Vec<u8> = if let Ok(b) = v.cast::<PyBytes>() {
                    b.as_bytes().to_vec()
                } else if let Ok(s) = v.extract::<String>() {
                    s.into_bytes()
                } else {
                    return Err(PyTypeError::new_err(
                        "dpop_nonce must be a bool, str or bytes secret",
                    ));
                };
                Some(NonceConfig::new(secret).map_err(|e| config_error(&e))?)
            }
        };
        let cache_ttl = cache_ttl_seconds
            .map(|s| seconds("cache_ttl_seconds", s))
            .transpose()?;
        let settings = Settings {
            domain,
            issuer,
            audiences: audience,
            dpop: dpop_mode(dpop)?,
            iat_leeway: seconds("dpop_iat_leeway", dpop_iat_leeway)?,
            iat_offset: seconds("dpop_iat_offset", dpop_iat_offset)?,
            leeway: seconds("leeway", leeway)?,
            public_url,
            replay,
            nonce,
            domains,
            resolver: domains_resolver.map(Arc::new),
            cache_ttl,
            max_issuers: cache_max_entries,
        };
        let trust = trust(trust_proxy_all, trust_proxy_networks).map_err(|e| config_error(&e))?;
        let auth0 = py
            .detach(|| {
                let _guard = pyo3_async_runtimes::tokio::get_runtime().enter();
                settings.build(trust)
            })
            .map_err(|e| config_error(&e))?;
        Ok(Self { auth0, settings })
    }

    /// A verifier with the same configuration, replay store and nonce secret but another
    /// proxy trust (for `app.state.trust_proxy`).
    #[pyo3(signature = (all, networks=None))]
    fn with_trust_proxy(
        &self,
        py: Python<'_>,
        all: bool,
        networks: Option<Vec<String>>,
    ) -> PyResult<Self> {
        let trust = trust(all, networks).map_err(|e| config_error(&e))?;
        let settings = self.settings.clone();
        let auth0 = py
            .detach(|| {
                let _guard = pyo3_async_runtimes::tokio::get_runtime().enter();
                settings.build(trust)
            })
            .map_err(|e| config_error(&e))?;
        Ok(Self { auth0, settings })
    }

    /// The DPoP mode: "disabled", "allowed" or "required".
    #[getter]
    fn dpop_mode(&self) -> &'static str {
        match self.auth0.dpop_mode() {
            DpopMode::Disabled => "disabled",
            DpopMode::Required => "required",
            _ => "allowed",
        }
    }

    /// Verifies an ASGI request. Returns `(claims, dpop_nonce)` at once when no I/O was
    /// needed, else an awaitable of it; raises `Refusal` when refused.
    #[pyo3(signature = (method, scheme, path, headers, peer=None, scopes=None))]
    #[allow(
        clippy::too_many_arguments,
        reason = "the ASGI request parts, passed positionally"
    )]
    fn verify<'py>(
        &self,
        py: Python<'py>,
        method: &Bound<'py, PyAny>,
        scheme: &str,
        path: &Bound<'py, PyAny>,
        headers: &Bound<'py, PyAny>,
        peer: Option<&str>,
        scopes: Option<Py<ScopeCheck>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let method = method_from(method)?;
        let path = text_or_bytes(path)?;
        let headers = header_map(headers)?;
        let uri = request_uri(scheme, &path, &headers);
        let peer = peer.and_then(|p| p.parse::<IpAddr>().ok());
        let auth0 = self.auth0.clone();
        let fut: VerifyFuture = Box::pin(async move {
            let ctx = RequestContext::new(&method, &uri, &headers).peer(peer);
            auth0.verify(ctx).await
        });
        self.finish(py, fut, scopes)
    }

    /// Verifies a request whose absolute URL is known (the SDK's `verify_request`).
    #[pyo3(signature = (headers, http_method=None, http_url=None, scopes=None))]
    fn verify_request<'py>(
        &self,
        py: Python<'py>,
        headers: &Bound<'py, PyAny>,
        http_method: Option<&str>,
        http_url: Option<String>,
        scopes: Option<Py<ScopeCheck>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let headers = header_map(headers)?;
        let method = match http_method {
            Some(m) => Method::from_bytes(m.as_bytes())
                .map_err(|_| PyValueError::new_err("http_method is not a valid HTTP method"))?,
            None => Method::GET,
        };
        let auth0 = self.auth0.clone();
        let fut: VerifyFuture = Box::pin(async move {
            match http_url {
                Some(url) => {
                    let url = url.split(['?', '#']).next().unwrap_or_default().to_owned();
                    auth0.verify_request(&method, &url, &headers).await
                }
                // Without a URL, the URL comes from the Host header, as a front end does.
                None => {
                    let uri = Uri::from_static("/");
                    auth0
                        .verify(RequestContext::new(&method, &uri, &headers))
                        .await
                }
            }
        });
        self.finish(py, fut, scopes)
    }

    /// Verifies an access token alone (no DPoP binding check); returns the claims.
    fn verify_access_token<'py>(
        &self,
        py: Python<'py>,
        access_token: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        let auth0 = self.auth0.clone();
        let fut: VerifyFuture =
            Box::pin(async move { auth0.verify_access_token(&access_token).await });
        self.finish(py, fut, None)
    }

    /// A token exchange client for this verifier's issuer.
    #[pyo3(signature = (client_id, client_secret, timeout=None))]
    fn token_exchange(
        &self,
        client_id: String,
        client_secret: String,
        timeout: Option<f64>,
    ) -> PyResult<crate::exchange::Exchange> {
        crate::exchange::Exchange::new(&self.auth0, client_id, client_secret, timeout)
    }
}

impl Verifier {
    /// Polls the verification once with the GIL released; returns the result when ready,
    /// else hands the future to the tokio runtime and returns an asyncio awaitable.
    fn finish<'py>(
        &self,
        py: Python<'py>,
        mut fut: VerifyFuture,
        scopes: Option<Py<ScopeCheck>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        // A Python resolver may need the running event loop's task locals: always a task.
        if self.settings.resolver.is_none() {
            let polled = py.detach(|| {
                let _guard = pyo3_async_runtimes::tokio::get_runtime().enter();
                let mut cx = Context::from_waker(Waker::noop());
                match fut.as_mut().poll(&mut cx) {
                    Poll::Ready(r) => Some(r),
                    Poll::Pending => None,
                }
            });
            if let Some(result) = polled {
                return outcome(py, &self.auth0, result, scopes.as_ref());
            }
        }
        let auth0 = self.auth0.clone();
        pyo3_async_runtimes::tokio::future_into_py(py, async move {
            let result = fut.await;
            Python::attach(|py| outcome(py, &auth0, result, scopes.as_ref()).map(Bound::unbind))
        })
    }
}

/// `(claims, dpop_nonce)` for a success, `Refusal` for a failure.
fn outcome<'py>(
    py: Python<'py>,
    auth0: &Auth0,
    result: Result<Claims, Error>,
    scopes: Option<&Py<ScopeCheck>>,
) -> PyResult<Bound<'py, PyAny>> {
    let checked = result.and_then(|claims| match scopes {
        Some(s) => s.get().req.check(&claims).map(|()| claims),
        None => Ok(claims),
    });
    match checked {
        Ok(claims) => {
            let dict = map_to_dict(py, claims.as_map())?;
            let nonce = auth0
                .success_dpop_nonce(&claims)
                .and_then(|v| v.to_str().ok().map(str::to_owned));
            Ok(
                PyTuple::new(py, [dict.into_any(), nonce.into_pyobject(py)?.into_any()])?
                    .into_any(),
            )
        }
        Err(err) => Err(refusal(py, auth0, &err)),
    }
}

/// The core's complete response for `err`, as a `Refusal` exception.
fn refusal(py: Python<'_>, auth0: &Auth0, err: &Error) -> PyErr {
    let response = auth0.error_response(err);
    let status = response.status().as_u16();
    let body: serde_json::Value = serde_json::from_slice(response.body()).unwrap_or_default();
    let field = |name: &str| {
        body.get(name)
            .and_then(serde_json::Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let headers = PyList::empty(py);
    for (name, value) in response.headers() {
        if *name == http::header::CONTENT_TYPE {
            continue;
        }
        if let Ok(v) = value.to_str() {
            let _ = headers.append((name.as_str(), v));
        }
    }
    Refusal::new_err((
        status,
        field("error"),
        field("error_description"),
        headers.unbind(),
        format!("{:?}", err.kind()),
    ))
}

fn method_from(obj: &Bound<'_, PyAny>) -> PyResult<Method> {
    let raw = text_or_bytes(obj)?;
    Method::from_bytes(&raw).map_err(|_| PyValueError::new_err("invalid HTTP method"))
}

fn text_or_bytes<'a>(obj: &'a Bound<'_, PyAny>) -> PyResult<Cow<'a, [u8]>> {
    if let Ok(b) = obj.cast::<PyBytes>() {
        return Ok(Cow::Borrowed(b.as_bytes()));
    }
    Ok(Cow::Owned(obj.extract::<String>()?.into_bytes()))
}

/// The request target: origin-form path (the core takes the host from `Host`); for an
/// https listener an absolute form so the core sees the scheme.
fn request_uri(scheme: &str, path: &[u8], headers: &HeaderMap) -> Uri {
    let path = if path.first() == Some(&b'/') {
        path
    } else {
        b"/"
    };
    let origin = Uri::try_from(path).unwrap_or_else(|_| Uri::from_static("/"));
    if scheme != "https" {
        return origin;
    }
    let host = headers
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    Uri::builder()
        .scheme("https")
        .authority(host)
        .path_and_query(origin.path())
        .build()
        .unwrap_or(origin)
}

/// Headers from ASGI raw pairs (`[(b"name", b"value"), ...]`) or a mapping of str to str.
fn header_map(obj: &Bound<'_, PyAny>) -> PyResult<HeaderMap> {
    let mut map = HeaderMap::new();
    if let Ok(d) = obj.cast::<PyDict>() {
        for (k, v) in d.iter() {
            append(&mut map, &k, &v)?;
        }
        return Ok(map);
    }
    // ASGI's raw pairs come first: `hasattr` on a list raises (and formats) an
    // AttributeError, which costs more than the rest of a cached verification.
    if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
        return pairs_into(obj, map);
    }
    if obj.hasattr("raw")? {
        return header_map(&obj.getattr("raw")?);
    }
    if obj.hasattr("items")? {
        return header_map(
            &obj.call_method0("items")?
                .try_iter()?
                .collect::<PyResult<Vec<_>>>()
                .and_then(|v| PyList::new(obj.py(), v))?
                .into_any(),
        );
    }
    pairs_into(obj, map)
}

/// Appends one header to `map`; a name or value that is not valid HTTP is dropped.
fn append(map: &mut HeaderMap, name: &Bound<'_, PyAny>, value: &Bound<'_, PyAny>) -> PyResult<()> {
    if let (Ok(n), Ok(v)) = (
        HeaderName::from_bytes(&text_or_bytes(name)?),
        HeaderValue::from_bytes(&text_or_bytes(value)?),
    ) {
        map.append(n, v);
    }
    Ok(())
}

/// Appends an iterable of `(name, value)` pairs to `map`, dropping invalid ones.
fn pairs_into(obj: &Bound<'_, PyAny>, mut map: HeaderMap) -> PyResult<HeaderMap> {
    for item in obj.try_iter()? {
        let item = item?;
        let (k, v): (Bound<'_, PyAny>, Bound<'_, PyAny>) = item.extract()?;
        append(&mut map, &k, &v)?;
    }
    Ok(map)
}
