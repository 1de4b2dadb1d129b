//! `Exchange`: token exchange (Token Vault, custom token exchange, on-behalf-of) as asyncio
//! awaitables returning the SDK's result dicts.

use std::time::Duration;

use auth0_api::{
    Auth0, ConnectionTokenRequest, ExchangeError, ExchangeProfileRequest, OnBehalfOfRequest,
    TokenExchange, UnixTime,
};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::ExchangeFailure;
use crate::verifier::config_error;

/// A token exchange client bound to a verifier's issuer and client credentials.
#[pyclass(frozen, module = "auth0_rs._auth0_rs")]
pub(crate) struct Exchange {
    inner: TokenExchange,
}

impl Exchange {
    pub(crate) fn new(
        auth0: &Auth0,
        client_id: String,
        client_secret: String,
        timeout: Option<f64>,
    ) -> PyResult<Self> {
        let mut b = auth0
            .token_exchange()
            .client_id(client_id)
            .client_secret(client_secret);
        if let Some(t) = timeout {
            let t = Duration::try_from_secs_f64(t).map_err(|_| {
                PyValueError::new_err("timeout must be a positive number of seconds")
            })?;
            b = b.timeout(t);
        }
        let inner = b.build().map_err(|e| config_error(&e))?;
        Ok(Self { inner })
    }
}

fn secs(t: UnixTime) -> u64 {
    t.as_millis() / 1000
}

/// The failure as `ExchangeFailure(kind, message, status, issuer_status, issuer_error,
/// issuer_error_description, argument)`.
fn failure(e: &ExchangeError) -> PyErr {
    ExchangeFailure::new_err((
        format!("{:?}", e.kind()),
        e.to_string(),
        e.status().as_u16(),
        e.issuer_status().map(|s| s.as_u16()),
        e.issuer_error().map(str::to_owned),
        e.issuer_error_description().map(str::to_owned),
        e.argument().map(str::to_owned),
    ))
}

fn set_opt(d: &Bound<'_, PyDict>, key: &str, value: Option<&str>) -> PyResult<()> {
    if let Some(v) = value {
        d.set_item(key, v)?;
    }
    Ok(())
}

#[pymethods]
impl Exchange {
    /// Token Vault: `{"access_token", "expires_at", "scope"}`.
    #[pyo3(signature = (connection, access_token, login_hint=None))]
    fn get_access_token_for_connection<'py>(
        &self,
        py: Python<'py>,
        connection: String,
        access_token: String,
        login_hint: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let ex = self.inner.clone();
        let mut req = ConnectionTokenRequest::new(connection, access_token);
        if let Some(h) = login_hint {
            req = req.login_hint(h);
        }
        pyo3_async_runtimes::tokio::future_into_py(py, async move {
            let result = ex.get_access_token_for_connection(req).await;
            Python::attach(|py| match result {
                Ok(t) => {
                    let d = PyDict::new(py);
                    d.set_item("access_token", t.access_token())?;
                    d.set_item("expires_at", secs(t.expires_at()))?;
                    d.set_item("scope", t.scope().unwrap_or_default())?;
                    Ok(d.into_any().unbind())
                }
                Err(e) => Err(failure(&e)),
            })
        })
    }

    /// RFC 8693 custom token exchange; `extra` is a list of `(name, [values])`.
    #[pyo3(signature = (subject_token, subject_token_type, audience=None, scope=None, requested_token_type=None, extra=None))]
    #[allow(
        clippy::too_many_arguments,
        reason = "mirrors the SDK's keyword arguments"
    )]
    fn get_token_by_exchange_profile<'py>(
        &self,
        py: Python<'py>,
        subject_token: String,
        subject_token_type: String,
        audience: Option<String>,
        scope: Option<String>,
        requested_token_type: Option<String>,
        extra: Option<Vec<(String, Vec<String>)>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let ex = self.inner.clone();
        let mut req = ExchangeProfileRequest::new(subject_token, subject_token_type);
        if let Some(a) = audience.filter(|a| !a.is_empty()) {
            req = req.audience(a);
        }
        if let Some(s) = scope.filter(|s| !s.is_empty()) {
            req = req.scope(s);
        }
        if let Some(t) = requested_token_type.filter(|t| !t.is_empty()) {
            req = req.requested_token_type(t);
        }
        for (name, values) in extra.unwrap_or_default() {
            req = req.extra_values(name, values);
        }
        pyo3_async_runtimes::tokio::future_into_py(py, async move {
            let result = ex.get_token_by_exchange_profile(req).await;
            Python::attach(|py| match result {
                Ok(t) => {
                    let d = PyDict::new(py);
                    d.set_item("access_token", t.access_token())?;
                    d.set_item("expires_in", t.expires_in())?;
                    d.set_item("expires_at", secs(t.expires_at()))?;
                    set_opt(&d, "scope", t.scope())?;
                    set_opt(&d, "id_token", t.id_token())?;
                    set_opt(&d, "refresh_token", t.refresh_token())?;
                    set_opt(&d, "token_type", t.token_type())?;
                    set_opt(&d, "issued_token_type", t.issued_token_type())?;
                    Ok(d.into_any().unbind())
                }
                Err(e) => Err(failure(&e)),
            })
        })
    }

    /// RFC 8693 on-behalf-of: access token in, access token out.
    #[pyo3(signature = (access_token, audience, scope=None))]
    fn get_token_on_behalf_of<'py>(
        &self,
        py: Python<'py>,
        access_token: String,
        audience: String,
        scope: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let ex = self.inner.clone();
        let mut req = OnBehalfOfRequest::new(access_token, audience);
        if let Some(s) = scope.filter(|s| !s.is_empty()) {
            req = req.scope(s);
        }
        pyo3_async_runtimes::tokio::future_into_py(py, async move {
            let result = ex.get_token_on_behalf_of(req).await;
            Python::attach(|py| match result {
                Ok(t) => {
                    let d = PyDict::new(py);
                    d.set_item("access_token", t.access_token())?;
                    d.set_item("expires_in", t.expires_in())?;
                    d.set_item("expires_at", secs(t.expires_at()))?;
                    set_opt(&d, "scope", t.scope())?;
                    set_opt(&d, "token_type", t.token_type())?;
                    set_opt(&d, "issued_token_type", t.issued_token_type())?;
                    Ok(d.into_any().unbind())
                }
                Err(e) => Err(failure(&e)),
            })
        })
    }
}
