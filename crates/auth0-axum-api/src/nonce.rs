//! [`DpopNonceLayer`]: sends the next `DPoP-Nonce` on successful DPoP responses of routes
//! that verify with the [`Claims`](crate::Claims) extractor, which cannot set response
//! headers itself (RFC 9449 §8.2). Routes behind
//! [`require_auth()`](crate::Auth0Ext::require_auth) get it without this layer.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, ready};

use auth0_api::DPOP_NONCE;
use http::{HeaderValue, Request, Response};
use pin_project_lite::pin_project;
use tower_layer::Layer;
use tower_service::Service;

/// Where the extractor leaves the nonce for the response.
#[derive(Clone, Debug, Default)]
pub(crate) struct NonceSlot(Arc<Mutex<Option<HeaderValue>>>);

impl NonceSlot {
    pub(crate) fn set(&self, nonce: HeaderValue) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = Some(nonce);
    }

    fn take(&self) -> Option<HeaderValue> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).take()
    }
}

/// A layer that adds the `DPoP-Nonce` the [`Claims`](crate::Claims) extractor chose to
/// the response, when server nonces are on and the request used DPoP. Put it on the
/// router: `.layer(DpopNonceLayer::new())`.
#[derive(Clone, Copy, Debug, Default)]
#[non_exhaustive]
pub struct DpopNonceLayer;

impl DpopNonceLayer {
    /// The layer.
    pub fn new() -> Self {
        Self
    }
}

impl<S> Layer<S> for DpopNonceLayer {
    type Service = DpopNonce<S>;

    fn layer(&self, inner: S) -> DpopNonce<S> {
        DpopNonce { inner }
    }
}

/// The service made by [`DpopNonceLayer`].
#[derive(Clone, Debug)]
pub struct DpopNonce<S> {
    inner: S,
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for DpopNonce<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = NonceFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<ReqBody>) -> Self::Future {
        let slot = NonceSlot::default();
        req.extensions_mut().insert(slot.clone());
        NonceFuture {
            inner: self.inner.call(req),
            slot,
        }
    }
}

pin_project! {
    /// Response future of [`DpopNonce`].
    #[derive(Debug)]
    pub struct NonceFuture<F> {
        #[pin]
        inner: F,
        slot: NonceSlot,
    }
}

impl<F, ResBody, E> Future for NonceFuture<F>
where
    F: Future<Output = Result<Response<ResBody>, E>>,
{
    type Output = Result<Response<ResBody>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let result = ready!(this.inner.poll(cx));
        Poll::Ready(result.map(|mut response| {
            if let Some(nonce) = this.slot.take() {
                if !response.headers().contains_key(DPOP_NONCE) {
                    response.headers_mut().insert(DPOP_NONCE, nonce);
                }
            }
            response
        }))
    }
}
