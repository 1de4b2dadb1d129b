use std::fmt;
use std::sync::Arc;
use std::task::{Context, Poll};

use auth0_api::{Auth0, Claims, Error, RequestContext, Requirements};
use http::request::Parts;
use http::{Request, Response};
use tonic::server::NamedService;
use tower_service::Service;

use super::ResponseFuture;
use super::future::Verified;
use crate::connection::Connection;
use crate::method::{Methods, Rule};
use crate::rejection::{DefaultRejection, OnRejection};

/// The service made by [`RequireAuthLayer`](super::RequireAuthLayer): verifies, then calls
/// the inner service with the claims in the request extensions.
///
/// Works on any `Service<http::Request<B>>` whose response is an `http::Response` with a
/// body that has a `Default` (tonic's `Body`): tonic's `Routes`, generated servers, and
/// `InterceptedService`s. It is a [`NamedService`] when the inner service is, so a wrapped
/// generated server can be given to `add_service`.
pub struct RequireAuth<S, R = DefaultRejection> {
    pub(super) inner: S,
    pub(super) auth0: Auth0,
    pub(super) requirements: Arc<Requirements>,
    pub(super) methods: Arc<Methods>,
    pub(super) on_rejection: Arc<R>,
}

impl<S, R> RequireAuth<S, R> {
    /// The wrapped service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The wrapped service, mutably.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// The wrapped service, consuming the middleware.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S: Clone, R> Clone for RequireAuth<S, R> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            auth0: self.auth0.clone(),
            requirements: Arc::clone(&self.requirements),
            methods: Arc::clone(&self.methods),
            on_rejection: Arc::clone(&self.on_rejection),
        }
    }
}

impl<S: fmt::Debug, R> fmt::Debug for RequireAuth<S, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequireAuth")
            .field("inner", &self.inner)
            .field("auth0", &self.auth0)
            .field("requirements", &self.requirements)
            .field("methods", &self.methods)
            .finish_non_exhaustive()
    }
}

impl<S: NamedService, R> NamedService for RequireAuth<S, R> {
    const NAME: &'static str = S::NAME;
}

impl<S, R, ReqBody, ResBody> Service<Request<ReqBody>> for RequireAuth<S, R>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone,
    ReqBody: Send + 'static,
    ResBody: Default,
    R: OnRejection,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = ResponseFuture<S, ReqBody, R>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<ReqBody>) -> Self::Future {
        let method = match self.methods.get(req.uri().path()) {
            Some(Rule::Public) => {
                // The ready service serves it now; nothing to wait for.
                return ResponseFuture::unchecked(
                    self.inner.call(req),
                    self.auth0.clone(),
                    Arc::clone(&self.on_rejection),
                );
            }
            Some(Rule::Require(r)) => Some(Arc::clone(r)),
            None => None,
        };
        // The clone is not ready; the ready one is taken for this call.
        let clone = self.inner.clone();
        let inner = std::mem::replace(&mut self.inner, clone);
        let auth0 = self.auth0.clone();
        let requirements = Arc::clone(&self.requirements);
        let verify = Box::pin(async move {
            let (mut parts, body) = req.into_parts();
            let claims = verified(&mut parts, &auth0).await?;
            requirements.check(&claims)?;
            if let Some(method) = method {
                method.check(&claims)?;
            }
            let dpop_nonce = auth0.success_dpop_nonce(&claims);
            Ok(Verified {
                request: Request::from_parts(parts, body),
                dpop_nonce,
            })
        });
        ResponseFuture::verify(
            verify,
            inner,
            self.auth0.clone(),
            Arc::clone(&self.on_rejection),
        )
    }
}

/// The verified claims of the call: from the extensions when this same verifier (or a
/// clone) already stored them (a server-wide layer and a per-service one: the DPoP proof is
/// checked, and its `jti` spent, once), otherwise verified now through the core's
/// request-level entry and stored.
async fn verified(parts: &mut Parts, auth0: &Auth0) -> Result<Claims, Error> {
    if let Some(claims) = parts.extensions.get::<Claims>() {
        // Claims of another verifier (another audience, a laxer DPoP mode) prove nothing
        // to this one: verify again.
        if auth0.produced(claims) {
            return Ok(claims.clone());
        }
    }
    let connection = Connection::of(&parts.extensions);
    let uri = connection.target(&parts.uri, &parts.headers);
    let request = RequestContext::new(&parts.method, &uri, &parts.headers).peer(connection.peer);
    // Boxed on its own: the verification's state (about 750 bytes) inline would make the
    // future the layer boxes for every call larger than glibc's per-thread cache takes
    // (1,032 bytes), a slower allocation on every call.
    let claims = Box::pin(auth0.verify(request)).await?;
    parts.extensions.insert(claims.clone());
    Ok(claims)
}
