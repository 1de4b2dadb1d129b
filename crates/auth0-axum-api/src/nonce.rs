//! [`DpopNonceLayer`]: sends the next `DPoP-Nonce` on successful DPoP responses of routes
//! that verify with the [`Claims`](crate::Claims) extractor, which cannot set response
//! headers itself (RFC 9449 §8.2). Routes behind
//! [`require_auth()`](crate::Auth0Ext::require_auth) get it without this layer.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, ready};

use auth0_api::DPOP_NONCE;
use http::header::AUTHORIZATION;
use http::{HeaderMap, HeaderValue, Request, Response};
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

/// Whether an `Authorization` field names the DPoP scheme (case-insensitive, then a space):
/// the only requests the core sends a nonce on success
/// ([`Auth0::success_dpop_nonce`](auth0_api::Auth0::success_dpop_nonce)).
fn dpop_scheme(headers: &HeaderMap) -> bool {
    headers.get_all(AUTHORIZATION).iter().any(|v| {
        v.as_bytes()
            .get(..5)
            .is_some_and(|s| s.eq_ignore_ascii_case(b"dpop "))
    })
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
        // Only a request presented with the DPoP scheme can be sent a nonce: other requests
        // (every Bearer one) get no slot, so no allocation and no extension.
        let slot = dpop_scheme(req.headers()).then(|| {
            let slot = NonceSlot::default();
            req.extensions_mut().insert(slot.clone());
            slot
        });
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
        slot: Option<NonceSlot>,
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
            if let Some(nonce) = this.slot.as_ref().and_then(NonceSlot::take) {
                if !response.headers().contains_key(DPOP_NONCE) {
                    response.headers_mut().insert(DPOP_NONCE, nonce);
                }
            }
            response
        }))
    }
}
