use std::fmt;
use std::sync::Arc;
use std::task::{Context, Poll};

use auth0_api::{Auth0, Requirements};
use http::{Request, Response};
use tower_service::Service;

use super::ResponseFuture;
use super::future::Verified;
use crate::rejection::{DefaultRejection, OnRejection};

/// The service made by [`RequireAuthLayer`](super::RequireAuthLayer): verifies, then calls
/// the inner service with the claims in the request extensions.
///
/// Works on any `Service<http::Request<B>>` whose response is an `http::Response`: axum
/// routers and handlers, hyper and tonic stacks. With the default rejection the response
/// body must be buildable from `Bytes` (axum's `Body`, `http_body_util::Full<Bytes>`, ...).
pub struct RequireAuth<S, R = DefaultRejection> {
    pub(super) inner: S,
    pub(super) auth0: Auth0,
    pub(super) requirements: Arc<Requirements>,
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
            .finish_non_exhaustive()
    }
}

impl<S, R, ReqBody, ResBody> Service<Request<ReqBody>> for RequireAuth<S, R>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone,
    ReqBody: Send + 'static,
    R: OnRejection<ResBody>,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = ResponseFuture<S, ReqBody, R>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<ReqBody>) -> Self::Future {
        // The clone is not ready; the ready one is taken for this request.
        let clone = self.inner.clone();
        let inner = std::mem::replace(&mut self.inner, clone);
        let auth0 = self.auth0.clone();
        let requirements = Arc::clone(&self.requirements);
        let verify = Box::pin(async move {
            let (mut parts, body) = req.into_parts();
            let claims = crate::claims::verified(&mut parts, &auth0).await?;
            requirements.check(&claims)?;
            let dpop_nonce = auth0.success_dpop_nonce(&claims);
            Ok(Verified {
                request: Request::from_parts(parts, body),
                dpop_nonce,
            })
        });
        ResponseFuture::new(
            verify,
            inner,
            self.auth0.clone(),
            Arc::clone(&self.on_rejection),
        )
    }
}
