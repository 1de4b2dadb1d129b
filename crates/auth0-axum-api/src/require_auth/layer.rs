use std::fmt;
use std::sync::Arc;

use auth0_api::{Auth0, ConfigError, Requirements};
use tower_layer::Layer;

use super::RequireAuth;
use crate::rejection::DefaultRejection;

/// A tower [`Layer`] that verifies every request's access token (Bearer or DPoP, as the
/// [`Auth0`] configuration allows) and checks scopes and permissions before the inner
/// service runs.
///
/// Verified claims are stored in the request extensions as [`auth0_api::Claims`], where the
/// [`Claims`](crate::Claims) extractor and later layers find them (a request is verified
/// once, however many layers and extractors ask). A refused request never reaches the inner
/// service; it gets the default refusal response, or the one [`on_rejection`](Self::on_rejection)
/// builds.
///
/// Usually made with `auth0.require_auth()` ([`Auth0Ext`](crate::Auth0Ext)):
///
/// ```
/// use auth0_axum_api::{Auth0, Auth0Ext, ConfigError};
/// use axum::{Router, routing::get};
///
/// # fn app(auth0: Auth0) -> Result<Router, ConfigError> {
/// Ok(Router::new()
///     .route("/protected", get(|| async { "ok" }).route_layer(auth0.require_auth()))
///     .route("/read", get(|| async { "data" }).route_layer(auth0.require_auth().scopes(["read:data"])?))
///     .route("/admin", get(|| async { "hi" }).route_layer(auth0.require_auth().any_permission(["admin", "owner"])?)))
/// # }
/// ```
///
/// The scope and permission methods return a [`ConfigError`] for an empty list or an item
/// that is not one scope token (`""`, `" "`, `"read write"`), when the router is built:
/// such a requirement could never be met as written, and is never silently dropped.
#[must_use]
pub struct RequireAuthLayer<R = DefaultRejection> {
    pub(super) auth0: Auth0,
    pub(super) requirements: Arc<Requirements>,
    pub(super) on_rejection: Arc<R>,
}

impl RequireAuthLayer {
    /// A layer that accepts any valid token.
    pub fn new(auth0: Auth0) -> Self {
        Self {
            auth0,
            requirements: Arc::new(Requirements::new()),
            on_rejection: Arc::new(DefaultRejection),
        }
    }
}

impl<R> RequireAuthLayer<R> {
    fn require(
        mut self,
        f: impl FnOnce(Requirements) -> Result<Requirements, ConfigError>,
    ) -> Result<Self, ConfigError> {
        let current = Arc::unwrap_or_clone(self.requirements);
        self.requirements = Arc::new(f(current)?);
        Ok(self)
    }

    /// Requires every one of `scopes` in the token's `scope` claim (403
    /// `insufficient_scope` otherwise). An empty list, or an item that is not one scope
    /// token, is a [`ConfigError`].
    pub fn scopes<I: IntoIterator<Item = S>, S: Into<String>>(
        self,
        scopes: I,
    ) -> Result<Self, ConfigError> {
        self.require(|r| r.scopes(scopes))
    }

    /// Requires at least one of `scopes`. An empty list, or an item that is not one scope
    /// token, is a [`ConfigError`].
    pub fn any_scope<I: IntoIterator<Item = S>, S: Into<String>>(
        self,
        scopes: I,
    ) -> Result<Self, ConfigError> {
        self.require(|r| r.any_scope(scopes))
    }

    /// Requires every one of `permissions` in the token's `permissions` claim (Auth0 RBAC).
    /// An empty list, or an item that is not one scope token, is a [`ConfigError`].
    pub fn permissions<I: IntoIterator<Item = S>, S: Into<String>>(
        self,
        permissions: I,
    ) -> Result<Self, ConfigError> {
        self.require(|r| r.permissions(permissions))
    }

    /// Requires at least one of `permissions`. An empty list, or an item that is not one
    /// scope token, is a [`ConfigError`].
    pub fn any_permission<I: IntoIterator<Item = S>, S: Into<String>>(
        self,
        permissions: I,
    ) -> Result<Self, ConfigError> {
        self.require(|r| r.any_permission(permissions))
    }

    /// Replaces all requirements with `requirements`.
    pub fn requirements(mut self, requirements: Requirements) -> Self {
        self.requirements = Arc::new(requirements);
        self
    }

    /// Answers refused requests with `f` instead of the default refusal response. `f` gets
    /// the typed [`auth0_api::Error`]; anything implementing
    /// [`OnRejection`](crate::OnRejection) works too.
    ///
    /// ```
    /// use auth0_axum_api::{Auth0, Auth0Ext, Error};
    /// use axum::{http::StatusCode, response::{IntoResponse, Response}};
    ///
    /// # fn layer(auth0: Auth0) {
    /// let layer = auth0.require_auth().on_rejection(|err: &Error| -> Response {
    ///     (err.status(), format!("refused: {err}")).into_response()
    /// });
    /// # let _ = layer;
    /// # }
    /// ```
    pub fn on_rejection<F>(self, f: F) -> RequireAuthLayer<F> {
        RequireAuthLayer {
            auth0: self.auth0,
            requirements: self.requirements,
            on_rejection: Arc::new(f),
        }
    }

    /// The verifier this layer uses.
    pub fn auth0(&self) -> &Auth0 {
        &self.auth0
    }

    /// What this layer requires beyond a valid token: the scopes and permissions set with
    /// [`scopes`](Self::scopes), [`any_scope`](Self::any_scope), ... Integrations that
    /// describe the route (the `openapi` feature) read it here, so the requirement is
    /// written once.
    pub fn required(&self) -> &Requirements {
        &self.requirements
    }
}

impl<R> Clone for RequireAuthLayer<R> {
    fn clone(&self) -> Self {
        Self {
            auth0: self.auth0.clone(),
            requirements: Arc::clone(&self.requirements),
            on_rejection: Arc::clone(&self.on_rejection),
        }
    }
}

impl<R> fmt::Debug for RequireAuthLayer<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequireAuthLayer")
            .field("auth0", &self.auth0)
            .field("requirements", &self.requirements)
            .finish_non_exhaustive()
    }
}

impl<S, R> Layer<S> for RequireAuthLayer<R> {
    type Service = RequireAuth<S, R>;

    fn layer(&self, inner: S) -> Self::Service {
        RequireAuth {
            inner,
            auth0: self.auth0.clone(),
            requirements: Arc::clone(&self.requirements),
            on_rejection: Arc::clone(&self.on_rejection),
        }
    }
}
