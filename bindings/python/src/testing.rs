//! The Rust `TestIssuer` and DPoP keys for Python tests: a real issuer on 127.0.0.1 serving
//! discovery, JWKS and a scriptable token endpoint, minting tokens and proofs in-process.

use std::time::Duration;

use auth0_api_testing::{Algorithm, Behavior, Endpoint, TokenResponse};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use crate::convert::{from_py, to_py};

fn alg(name: &str) -> PyResult<Algorithm> {
    Algorithm::from_name(name)
        .ok_or_else(|| PyValueError::new_err(format!("unknown algorithm {name:?}")))
}

fn endpoint(name: &str) -> PyResult<Endpoint> {
    match name {
        "discovery" => Ok(Endpoint::Discovery),
        "oauth_metadata" => Ok(Endpoint::OauthMetadata),
        "jwks" => Ok(Endpoint::Jwks),
        "token" => Ok(Endpoint::Token),
        _ => Err(PyValueError::new_err(
            "endpoint must be 'discovery', 'oauth_metadata', 'jwks' or 'token'",
        )),
    }
}

fn in_runtime<T>(py: Python<'_>, f: impl FnOnce() -> T + Send) -> T
where
    T: Send,
{
    py.detach(|| {
        let _guard = pyo3_async_runtimes::tokio::get_runtime().enter();
        f()
    })
}

/// A DPoP client key (see `auth0_rs.testing.DpopKey`).
#[pyclass(frozen, module = "auth0_rs._auth0_rs")]
pub(crate) struct DpopKey {
    key: auth0_api_testing::DpopKey,
}

#[pymethods]
impl DpopKey {
    #[new]
    #[pyo3(signature = (alg="ES256"))]
    fn new(py: Python<'_>, alg: &str) -> PyResult<Self> {
        let alg = self::alg(alg)?;
        let key = in_runtime(py, || auth0_api_testing::DpopKey::generate(alg));
        Ok(Self { key })
    }

    /// RFC 7638 thumbprint of the public key (the token's `cnf.jkt`).
    #[getter]
    fn thumbprint(&self) -> String {
        self.key.thumbprint()
    }

    /// The public JWK as a dict.
    #[getter]
    fn public_jwk<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        to_py(py, &self.key.public_jwk())
    }

    /// A signed DPoP proof for one request.
    #[pyo3(signature = (method, url, access_token=None, nonce=None, jti=None, iat=None, htm=None, htu=None, claims=None, headers=None))]
    #[allow(
        clippy::too_many_arguments,
        reason = "keyword arguments of a test helper"
    )]
    fn proof(
        &self,
        method: &str,
        url: &str,
        access_token: Option<&str>,
        nonce: Option<&str>,
        jti: Option<&str>,
        iat: Option<u64>,
        htm: Option<&str>,
        htu: Option<&str>,
        claims: Option<&Bound<'_, PyDict>>,
        headers: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<String> {
        let mut p = self.key.proof(method, url);
        if let Some(t) = access_token {
            p = p.access_token(t);
        }
        if let Some(n) = nonce {
            p = p.nonce(n);
        }
        if let Some(j) = jti {
            p = p.jti(j);
        }
        if let Some(i) = iat {
            p = p.iat(auth0_api_testing::UnixTime::from_secs(i));
        }
        if let Some(m) = htm {
            p = p.htm(m);
        }
        if let Some(u) = htu {
            p = p.htu(u);
        }
        for (k, v) in claims
            .map(|d| d.iter().collect::<Vec<_>>())
            .unwrap_or_default()
        {
            let name: String = k.extract()?;
            p = if v.is_none() {
                p.remove_claim(name)
            } else {
                p.claim(name, from_py(&v)?)
            };
        }
        for (k, v) in headers
            .map(|d| d.iter().collect::<Vec<_>>())
            .unwrap_or_default()
        {
            let name: String = k.extract()?;
            p = if v.is_none() {
                p.remove_header(name)
            } else {
                p.header(name, from_py(&v)?)
            };
        }
        Ok(p.sign())
    }
}

/// The in-process issuer (see `auth0_rs.testing.TestIssuer`).
#[pyclass(frozen, module = "auth0_rs._auth0_rs")]
pub(crate) struct TestIssuer {
    inner: auth0_api_testing::TestIssuer,
}

#[pymethods]
impl TestIssuer {
    #[new]
    #[pyo3(signature = (audience=None, path=None))]
    fn new(py: Python<'_>, audience: Option<String>, path: Option<String>) -> PyResult<Self> {
        let rt = pyo3_async_runtimes::tokio::get_runtime();
        let inner = py.detach(|| {
            rt.block_on(async move {
                let mut b = auth0_api_testing::TestIssuer::builder();
                if let Some(a) = audience {
                    b = b.audience(a);
                }
                if let Some(p) = path {
                    b = b.path(p);
                }
                b.start().await
            })
        });
        Ok(Self { inner })
    }

    /// `http://127.0.0.1:PORT/`.
    #[getter]
    fn issuer(&self) -> String {
        self.inner.issuer()
    }

    /// `127.0.0.1:PORT`.
    #[getter]
    fn authority(&self) -> String {
        self.inner.authority()
    }

    /// The default `aud` of minted tokens.
    #[getter]
    fn audience(&self) -> String {
        self.inner.audience()
    }

    #[getter]
    fn jwks_uri(&self) -> String {
        self.inner.jwks_uri()
    }

    #[getter]
    fn token_endpoint(&self) -> String {
        self.inner.token_endpoint()
    }

    /// A signed access token.
    #[pyo3(signature = (sub="user", scope=None, audience=None, issuer=None, permissions=None, claims=None, expires_in=None, expired=false, bound_to=None, key=None, headers=None))]
    #[allow(
        clippy::too_many_arguments,
        reason = "keyword arguments of a test helper"
    )]
    fn token(
        &self,
        py: Python<'_>,
        sub: Option<&str>,
        scope: Option<&str>,
        audience: Option<Bound<'_, PyAny>>,
        issuer: Option<&str>,
        permissions: Option<Vec<String>>,
        claims: Option<&Bound<'_, PyDict>>,
        expires_in: Option<f64>,
        expired: bool,
        bound_to: Option<PyRef<'_, DpopKey>>,
        key: Option<&str>,
        headers: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<String> {
        let mut t = self.inner.token();
        t = match sub {
            Some(s) => t.sub(s),
            None => t.remove_claim("sub"),
        };
        if let Some(s) = scope {
            t = t.scope(s);
        }
        if let Some(a) = audience {
            t = match a.extract::<String>() {
                Ok(one) => t.audience(one),
                Err(_) => t.audiences(a.extract::<Vec<String>>()?),
            };
        }
        if let Some(i) = issuer {
            t = t.issuer(i);
        }
        if let Some(p) = permissions {
            t = t.permissions(p);
        }
        if let Some(e) = expires_in {
            let d = Duration::try_from_secs_f64(e)
                .map_err(|_| PyValueError::new_err("expires_in must be non-negative seconds"))?;
            t = t.expires_in(d);
        }
        if expired {
            t = t.expired();
        }
        if let Some(k) = &bound_to {
            t = t.bound_to(&k.key);
        }
        if let Some(k) = key {
            if !self.inner.kids().iter().any(|kid| kid == k) {
                return Err(PyValueError::new_err(format!(
                    "the issuer holds no key {k:?}"
                )));
            }
            t = t.key(k);
        }
        for (k, v) in claims
            .map(|d| d.iter().collect::<Vec<_>>())
            .unwrap_or_default()
        {
            let name: String = k.extract()?;
            t = if v.is_none() {
                t.remove_claim(name)
            } else {
                t.claim(name, from_py(&v)?)
            };
        }
        for (k, v) in headers
            .map(|d| d.iter().collect::<Vec<_>>())
            .unwrap_or_default()
        {
            let name: String = k.extract()?;
            t = if v.is_none() {
                t.remove_header(name)
            } else {
                t.header(name, from_py(&v)?)
            };
        }
        Ok(in_runtime(py, move || t.sign()))
    }

    /// Adds (and publishes) a signing key; returns its kid.
    #[pyo3(signature = (alg="RS256"))]
    fn add_key(&self, alg: &str) -> PyResult<String> {
        Ok(self.inner.add_key(self::alg(alg)?))
    }

    /// Replaces the default key with a new one; returns its kid.
    #[pyo3(signature = (alg="RS256"))]
    fn rotate(&self, alg: &str) -> PyResult<String> {
        Ok(self.inner.rotate(self::alg(alg)?))
    }

    /// How many requests an endpoint has answered.
    fn requests(&self, endpoint: &str) -> PyResult<usize> {
        Ok(self.inner.requests(self::endpoint(endpoint)?))
    }

    /// Makes an endpoint misbehave: "normal", "garbage", "hang", "drop", or an HTTP status.
    fn set_behavior(&self, endpoint: &str, behavior: &Bound<'_, PyAny>) -> PyResult<()> {
        let b = if let Ok(status) = behavior.extract::<u16>() {
            Behavior::Status(status)
        } else {
            match behavior.extract::<String>()?.as_str() {
                "normal" => Behavior::Normal,
                "garbage" => Behavior::Garbage,
                "hang" => Behavior::Hang,
                "drop" => Behavior::Drop,
                _ => {
                    return Err(PyValueError::new_err(
                        "behavior must be 'normal', 'garbage', 'hang', 'drop' or a status",
                    ));
                }
            }
        };
        self.inner.set_behavior(self::endpoint(endpoint)?, b);
        Ok(())
    }

    /// What the token endpoint answers next: a JSON body (dict) or raw text.
    #[pyo3(signature = (status, body, content_type=None, delay=None))]
    fn set_token_response(
        &self,
        status: u16,
        body: &Bound<'_, PyAny>,
        content_type: Option<&str>,
        delay: Option<f64>,
    ) -> PyResult<()> {
        let mut r = match body.extract::<String>() {
            Ok(text) => TokenResponse::raw(status, content_type.unwrap_or("text/plain"), &text),
            Err(_) => TokenResponse::json(status, from_py(body)?),
        };
        if let Some(d) = delay {
            let d = Duration::try_from_secs_f64(d)
                .map_err(|_| PyValueError::new_err("delay must be non-negative seconds"))?;
            r = r.delay(d);
        }
        self.inner.set_token_response(r);
        Ok(())
    }

    /// The token endpoint requests so far: dicts with `form` (list of pairs),
    /// `authorization` and `basic` (client id and secret, decoded).
    fn token_requests<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let out = PyList::empty(py);
        for r in self.inner.token_requests() {
            let d = PyDict::new(py);
            d.set_item("form", r.form())?;
            d.set_item("authorization", r.header("authorization"))?;
            d.set_item("basic", r.basic_credentials())?;
            out.append(d)?;
        }
        Ok(out)
    }

    /// Stops serving: later connections are refused.
    fn shutdown(&self, py: Python<'_>) {
        let inner = self.inner.clone();
        let rt = pyo3_async_runtimes::tokio::get_runtime();
        py.detach(|| rt.block_on(async move { inner.shutdown().await }));
    }
}
