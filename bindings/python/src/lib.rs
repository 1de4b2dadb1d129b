//! The compiled half of the `auth0_rs` Python package: the `auth0-api` verifier, token
//! exchange and the in-process test issuer, exposed to Python with pyo3.
//!
//! The module is small on purpose. FastAPI dependencies, `HTTPException` and the error
//! classes users already catch live in plain Python (`python/auth0_rs/`); this module
//! raises three private exceptions that the Python layer turns into those classes.

mod convert;
mod exchange;
mod testing;
mod verifier;

use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyValueError};
use pyo3::prelude::*;

create_exception!(
    _auth0_rs,
    Refusal,
    PyException,
    "A refused request: args are (status, error, description, headers, kind)."
);
create_exception!(
    _auth0_rs,
    ConfigurationError,
    PyValueError,
    "Invalid configuration: args are (message, field, kind)."
);
create_exception!(
    _auth0_rs,
    ExchangeFailure,
    PyException,
    "A failed token exchange: args are (kind, message, status, issuer_status, issuer_error, issuer_error_description, argument)."
);

/// The `auth0_rs._auth0_rs` extension module.
#[pymodule]
fn _auth0_rs(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("Refusal", py.get_type::<Refusal>())?;
    m.add("ConfigurationError", py.get_type::<ConfigurationError>())?;
    m.add("ExchangeFailure", py.get_type::<ExchangeFailure>())?;
    m.add_class::<verifier::Verifier>()?;
    m.add_class::<verifier::ScopeCheck>()?;
    m.add_class::<exchange::Exchange>()?;
    m.add_class::<testing::TestIssuer>()?;
    m.add_class::<testing::DpopKey>()?;
    Ok(())
}
