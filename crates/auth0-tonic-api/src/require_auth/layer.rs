use std::fmt;
use std::sync::Arc;

use auth0_api::{Auth0, ConfigError, Requirements};
use tower_layer::Layer;

use super::RequireAuth;
use crate::method::{MethodConfigError, Methods, Rule};
use crate::rejection::DefaultRejection;

/// A tower [`Layer`] for tonic servers that verifies every call's access token (Bearer or
/// DPoP, as the [`Auth0`] configuration allows) and checks scopes and permissions before the
/// service runs.
///
/// Put it on the whole server with `Server::builder().layer(..)`, or on one service with
/// `Server::builder().add_service(layer.layer(FooServer::new(..)))` (the service keeps its
/// [`NamedService`](tonic::server::NamedService) name). Verified claims go into the request
/// extensions as [`auth0_api::Claims`]: `request.extensions().get::<Claims>()` in a handler.
/// A refused call never reaches the service; it gets the status [`refusal_status`](crate::refusal_status)
/// builds, or the one [`on_rejection`](Self::on_rejection) returns.
///
/// ```
/// use auth0_tonic_api::{Auth0, RequireAuthLayer};
///
/// # fn layer(auth0: Auth0) -> Result<RequireAuthLayer, Box<dyn std::error::Error>> {
/// let layer = RequireAuthLayer::new(auth0)
///     .any_permission(["api:use", "api:admin"])?          // every method
///     .public_method("/quickstart.v1.Quickstart/Public")?  // no token at all
///     .method("/quickstart.v1.Quickstart/ReadData", |r| r.scopes(["read:data"]))?
///     .method("/quickstart.v1.Quickstart/WriteData", |r| r.scopes(["write:data"]))?;
/// # Ok(layer)
/// # }
/// ```
///
/// The scope and permission methods return a [`ConfigError`] for an empty list or an item
/// that is not one scope token (`""`, `" "`, `"read write"`), when the layer is built: such
/// a requirement could never be met as written, and is never silently dropped. The
/// per-method methods return a [`MethodConfigError`] for a path that is not a gRPC method
/// path, a method configured twice, and malformed or empty requirements.
#[must_use]
pub struct RequireAuthLayer<R = DefaultRejection> {
    pub(super) auth0: Auth0,
    pub(super) requirements: Arc<Requirements>,
    pub(super) methods: Arc<Methods>,
    pub(super) on_rejection: Arc<R>,
}

impl RequireAuthLayer {
    /// A layer that accepts any valid token, on every method.
    pub fn new(auth0: Auth0) -> Self {
        Self {
            auth0,
            requirements: Arc::new(Requirements::new()),
            methods: Arc::new(Methods::default()),
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

    /// Requires, on every method, every one of `scopes` in the token's `scope` claim
    /// (`PERMISSION_DENIED`, `insufficient_scope` otherwise). An empty list, or an item that
    /// is not one scope token, is a [`ConfigError`].
    pub fn scopes<I: IntoIterator<Item = S>, S: Into<String>>(
        self,
        scopes: I,
    ) -> Result<Self, ConfigError> {
        self.require(|r| r.scopes(scopes))
    }

    /// Requires, on every method, at least one of `scopes`. An empty list, or an item that
    /// is not one scope token, is a [`ConfigError`].
    pub fn any_scope<I: IntoIterator<Item = S>, S: Into<String>>(
        self,
        scopes: I,
    ) -> Result<Self, ConfigError> {
        self.require(|r| r.any_scope(scopes))
    }

    /// Requires, on every method, every one of `permissions` in the token's `permissions`
    /// claim (Auth0 RBAC). An empty list, or an item that is not one scope token, is a
    /// [`ConfigError`].
    pub fn permissions<I: IntoIterator<Item = S>, S: Into<String>>(
        self,
        permissions: I,
    ) -> Result<Self, ConfigError> {
        self.require(|r| r.permissions(permissions))
    }

    /// Requires, on every method, at least one of `permissions`. An empty list, or an item
    /// that is not one scope token, is a [`ConfigError`].
    pub fn any_permission<I: IntoIterator<Item = S>, S: Into<String>>(
        self,
        permissions: I,
    ) -> Result<Self, ConfigError> {
        self.require(|r| r.any_permission(permissions))
    }

    /// Replaces the requirements of every method with `requirements` (per-method ones
    /// stay).
    pub fn requirements(mut self, requirements: Requirements) -> Self {
        self.requirements = Arc::new(requirements);
        self
    }

    fn rule(mut self, path: &str, rule: Rule) -> Result<Self, MethodConfigError> {
        let mut methods = Arc::unwrap_or_clone(self.methods);
        methods.insert(path, rule)?;
        self.methods = Arc::new(methods);
        Ok(self)
    }

    /// Requires more of calls to the method at `path` (`/package.Service/Method`, matched
    /// exactly as tonic routes it): `f` builds the requirements from
    /// [`Requirements::new`], and they are checked **in addition to** the layer's own
    /// (a method rule never loosens the layer).
    ///
    /// ```
    /// # use auth0_tonic_api::{Auth0, RequireAuthLayer, MethodConfigError};
    /// # fn layer(auth0: Auth0) -> Result<RequireAuthLayer, MethodConfigError> {
    /// let layer = RequireAuthLayer::new(auth0)
    ///     .method("/billing.v1.Billing/Refund", |r| {
    ///         r.scopes(["billing:write"])?.any_permission(["refunds", "admin"])
    ///     })?;
    /// # Ok(layer)
    /// # }
    /// ```
    ///
    /// A path that is not a gRPC method path, a method that already has a rule, an error
    /// from `f`, or requirements that require nothing is a [`MethodConfigError`].
    pub fn method(
        self,
        path: &str,
        f: impl FnOnce(Requirements) -> Result<Requirements, ConfigError>,
    ) -> Result<Self, MethodConfigError> {
        let requirements =
            f(Requirements::new()).map_err(|e| MethodConfigError::requirements(path, Some(e)))?;
        if requirements.is_empty() {
            return Err(MethodConfigError::requirements(path, None));
        }
        self.rule(path, Rule::Require(Arc::new(requirements)))
    }

    /// Serves the method at `path` (`/package.Service/Method`, matched exactly) without
    /// any check: no token needed, and credentials that are sent are not read (so no
    /// claims in its extensions). For health checks, reflection, or a public method of a
    /// protected service.
    ///
    /// A path that is not a gRPC method path, or a method that already has a rule, is a
    /// [`MethodConfigError`].
    pub fn public_method(self, path: &str) -> Result<Self, MethodConfigError> {
        self.rule(path, Rule::Public)
    }

    /// Answers refused calls with `f` instead of [`refusal_status`](crate::refusal_status).
    /// `f` gets the typed [`auth0_api::Error`]; anything implementing
    /// [`OnRejection`](crate::OnRejection) works too.
    ///
    /// ```
    /// use auth0_tonic_api::{Auth0, Error, RequireAuthLayer};
    /// use tonic::Status;
    ///
    /// # fn layer(auth0: Auth0) {
    /// let layer = RequireAuthLayer::new(auth0).on_rejection(|err: &Error| {
    ///     if err.kind().is_unavailable() {
    ///         Status::unavailable("try again later")
    ///     } else {
    ///         Status::unauthenticated("sign in first")
    ///     }
    /// });
    /// # let _ = layer;
    /// # }
    /// ```
    pub fn on_rejection<F>(self, f: F) -> RequireAuthLayer<F> {
        RequireAuthLayer {
            auth0: self.auth0,
            requirements: self.requirements,
            methods: self.methods,
            on_rejection: Arc::new(f),
        }
    }

    /// The verifier this layer uses.
    pub fn auth0(&self) -> &Auth0 {
        &self.auth0
    }
}

impl<R> Clone for RequireAuthLayer<R> {
    fn clone(&self) -> Self {
        Self {
            auth0: self.auth0.clone(),
            requirements: Arc::clone(&self.requirements),
            methods: Arc::clone(&self.methods),
            on_rejection: Arc::clone(&self.on_rejection),
        }
    }
}

impl<R> fmt::Debug for RequireAuthLayer<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequireAuthLayer")
            .field("auth0", &self.auth0)
            .field("requirements", &self.requirements)
            .field("methods", &self.methods)
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
            methods: Arc::clone(&self.methods),
            on_rejection: Arc::clone(&self.on_rejection),
        }
    }
}
