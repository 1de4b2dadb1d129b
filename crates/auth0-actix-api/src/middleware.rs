//! [`RequireAuth`]: middleware that refuses requests without a valid access token (and,
//! optionally, without the required scopes or permissions); [`DpopNonce`]: sends the
//! next `DPoP-Nonce` on extractor-only routes.

use std::fmt;
use std::future::{Future, Ready, ready};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;

use actix_web::body::EitherBody;
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{HttpMessage, HttpRequest};
use auth0_api::{Auth0, ConfigError, Requirements};

use crate::claims::{PendingNonce, verified};
use crate::convert::header_value;
use crate::rejection::{DefaultRejection, OnRejection, log_rejection};

/// The `DPoP-Nonce` response header (RFC 9449 §8).
const DPOP_NONCE: HeaderName = HeaderName::from_static("dpop-nonce");

/// Future of the middleware services in this crate.
pub type MiddlewareFuture<T> = Pin<Box<dyn Future<Output = Result<T, actix_web::Error>>>>;

/// Middleware that verifies every request's access token (Bearer or DPoP, as the [`Auth0`]
/// configuration allows) and checks scopes and permissions before the wrapped service runs.
///
/// Verified claims are stored in the request extensions as [`auth0_api::Claims`], where the
/// [`Claims`](crate::Claims) extractor (and `web::ReqData<auth0_api::Claims>`) find them: a
/// request is verified once, however many middlewares and extractors ask. A refused request
/// never reaches the wrapped service; it gets the default refusal response, or the one
/// [`on_rejection`](Self::on_rejection) builds, with the typed [`auth0_api::Error`] in the
/// response extensions for outer middleware. A successful DPoP response carries the next
/// `DPoP-Nonce` when server nonces are on.
///
/// Usually made with `auth0.require_auth()` ([`Auth0Ext`](crate::Auth0Ext)):
///
/// ```
/// use actix_web::{App, web};
/// use auth0_actix_api::{Auth0, Auth0Ext};
///
/// # fn app(auth0: Auth0) {
/// let app = App::new()
///     .app_data(web::Data::new(auth0.clone()))
///     .service(web::resource("/protected").wrap(auth0.require_auth()).to(|| async { "ok" }))
///     .service(
///         web::resource("/read")
///             .wrap(auth0.require_auth().scopes(["read:data"]).unwrap())
///             .to(|| async { "data" }),
///     )
///     .service(
///         web::scope("/admin")
///             .wrap(auth0.require_auth().any_permission(["admin", "owner"]).unwrap())
///             .route("", web::get().to(|| async { "hi" })),
///     );
/// # let _ = app;
/// # }
/// ```
#[must_use]
pub struct RequireAuth<R = DefaultRejection> {
    auth0: Auth0,
    requirements: Arc<Requirements>,
    on_rejection: Arc<R>,
}

impl RequireAuth {
    /// Middleware that accepts any valid token.
    pub fn new(auth0: Auth0) -> Self {
        Self {
            auth0,
            requirements: Arc::new(Requirements::new()),
            on_rejection: Arc::new(DefaultRejection),
        }
    }
}

impl<R> RequireAuth<R> {
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
    /// the typed [`auth0_api::Error`]; anything implementing [`OnRejection`] works too. The
    /// error is also put in the response's extensions.
    ///
    /// ```
    /// use actix_web::HttpResponse;
    /// use actix_web::http::StatusCode;
    /// use auth0_actix_api::{Auth0, Auth0Ext, Error};
    ///
    /// # fn middleware(auth0: Auth0) {
    /// let guard = auth0.require_auth().on_rejection(|err: &Error| {
    ///     let status = StatusCode::from_u16(err.status().as_u16()).unwrap_or(StatusCode::UNAUTHORIZED);
    ///     HttpResponse::build(status).body(format!("refused: {err}"))
    /// });
    /// # let _ = guard;
    /// # }
    /// ```
    pub fn on_rejection<F: OnRejection>(self, f: F) -> RequireAuth<F> {
        RequireAuth {
            auth0: self.auth0,
            requirements: self.requirements,
            on_rejection: Arc::new(f),
        }
    }

    /// The verifier this middleware uses.
    pub fn auth0(&self) -> &Auth0 {
        &self.auth0
    }
}

impl<R> Clone for RequireAuth<R> {
    fn clone(&self) -> Self {
        Self {
            auth0: self.auth0.clone(),
            requirements: Arc::clone(&self.requirements),
            on_rejection: Arc::clone(&self.on_rejection),
        }
    }
}

impl<R> fmt::Debug for RequireAuth<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequireAuth")
            .field("auth0", &self.auth0)
            .field("requirements", &self.requirements)
            .finish_non_exhaustive()
    }
}

impl<S, B, R> Transform<S, ServiceRequest> for RequireAuth<R>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: 'static,
    R: OnRejection + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Transform = RequireAuthMiddleware<S, R>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(RequireAuthMiddleware {
            service: Rc::new(service),
            auth0: self.auth0.clone(),
            requirements: Arc::clone(&self.requirements),
            on_rejection: Arc::clone(&self.on_rejection),
        }))
    }
}

/// The service made by [`RequireAuth`]: verifies, then calls the wrapped service with the
/// claims in the request extensions.
pub struct RequireAuthMiddleware<S, R = DefaultRejection> {
    service: Rc<S>,
    auth0: Auth0,
    requirements: Arc<Requirements>,
    on_rejection: Arc<R>,
}

impl<S, R> fmt::Debug for RequireAuthMiddleware<S, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequireAuthMiddleware")
            .field("auth0", &self.auth0)
            .field("requirements", &self.requirements)
            .finish_non_exhaustive()
    }
}

impl<S, B, R> Service<ServiceRequest> for RequireAuthMiddleware<S, R>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: 'static,
    R: OnRejection + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = actix_web::Error;
    type Future = MiddlewareFuture<Self::Response>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let service = Rc::clone(&self.service);
        let auth0 = self.auth0.clone();
        let requirements = Arc::clone(&self.requirements);
        let on_rejection = Arc::clone(&self.on_rejection);
        Box::pin(async move {
            let outcome = match verified(req.request(), &auth0).await {
                Ok(claims) => requirements.check(&claims).map(|()| claims),
                Err(error) => Err(error),
            };
            let claims = match outcome {
                Ok(claims) => claims,
                Err(error) => {
                    log_rejection(&error);
                    let mut response = on_rejection.on_rejection(&auth0, &error);
                    // Outer middleware can see why, whatever the response looks like.
                    response.extensions_mut().insert(error);
                    return Ok(req.into_response(response).map_into_right_body());
                }
            };
            let nonce = auth0
                .success_dpop_nonce(&claims)
                .as_ref()
                .and_then(header_value);
            let mut response = service.call(req).await?;
            // This response gets its own nonce; do not let an outer `DpopNonce` add another.
            let pending = take_pending(response.request());
            if let Some(nonce) = nonce.or(pending) {
                response.headers_mut().insert(DPOP_NONCE, nonce);
            }
            Ok(response.map_into_left_body())
        })
    }
}

fn take_pending(req: &HttpRequest) -> Option<HeaderValue> {
    req.extensions_mut()
        .remove::<PendingNonce>()
        .map(|PendingNonce(nonce)| nonce)
}

/// Middleware that sends the `DPoP-Nonce` the [`Claims`](crate::Claims) extractor chose,
/// when server nonces are on and the request used DPoP (RFC 9449 §8.2). An extractor cannot
/// set response headers; wrap the app or scope in this: `.wrap(DpopNonce::new())`. Routes
/// behind [`RequireAuth`] get the nonce without it.
#[derive(Clone, Copy, Debug, Default)]
#[non_exhaustive]
pub struct DpopNonce;

impl DpopNonce {
    /// The middleware.
    pub fn new() -> Self {
        Self
    }
}

impl<S, B> Transform<S, ServiceRequest> for DpopNonce
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<B>;
    type Error = actix_web::Error;
    type Transform = DpopNonceMiddleware<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(DpopNonceMiddleware {
            service: Rc::new(service),
        }))
    }
}

/// The service made by [`DpopNonce`].
#[derive(Debug)]
pub struct DpopNonceMiddleware<S> {
    service: Rc<S>,
}

impl<S, B> Service<ServiceRequest> for DpopNonceMiddleware<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<B>;
    type Error = actix_web::Error;
    type Future = MiddlewareFuture<Self::Response>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let service = Rc::clone(&self.service);
        Box::pin(async move {
            let mut response = service.call(req).await?;
            if let Some(nonce) = take_pending(response.request()) {
                if !response.headers().contains_key(DPOP_NONCE) {
                    response.headers_mut().insert(DPOP_NONCE, nonce);
                }
            }
            Ok(response)
        })
    }
}
