use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use auth0_api::{Auth0, DPOP_NONCE, Error};
use http::{HeaderValue, Request, Response};
use pin_project_lite::pin_project;
use tower_service::Service;

use crate::rejection::{OnRejection, log_rejection};

/// A call that passed verification, with the nonce for its response, if any.
pub(super) struct Verified<B> {
    pub(super) request: Request<B>,
    pub(super) dpop_nonce: Option<HeaderValue>,
}

pub(super) type VerifyFuture<B> =
    Pin<Box<dyn Future<Output = Result<Verified<B>, Error>> + Send + 'static>>;

pin_project! {
    /// Response future of [`RequireAuth`](super::RequireAuth): verification, then the inner
    /// service.
    pub struct ResponseFuture<S, ReqBody, R>
    where
        S: Service<Request<ReqBody>>,
    {
        #[pin]
        state: State<S::Future, ReqBody>,
        inner: Option<S>,
        auth0: Auth0,
        on_rejection: Arc<R>,
        dpop_nonce: Option<HeaderValue>,
    }
}

pin_project! {
    #[project = StateProj]
    enum State<F, B> {
        Verifying { verify: VerifyFuture<B> },
        Calling { #[pin] future: F },
        Done,
    }
}

impl<S, ReqBody, R> ResponseFuture<S, ReqBody, R>
where
    S: Service<Request<ReqBody>>,
{
    /// Verifies with `verify`, then calls `inner`.
    pub(super) fn verify(
        verify: VerifyFuture<ReqBody>,
        inner: S,
        auth0: Auth0,
        on_rejection: Arc<R>,
    ) -> Self {
        Self {
            state: State::Verifying { verify },
            inner: Some(inner),
            auth0,
            on_rejection,
            dpop_nonce: None,
        }
    }

    /// A public method: the inner service's future as it is.
    pub(super) fn unchecked(future: S::Future, auth0: Auth0, on_rejection: Arc<R>) -> Self {
        Self {
            state: State::Calling { future },
            inner: None,
            auth0,
            on_rejection,
            dpop_nonce: None,
        }
    }
}

impl<S, ReqBody, R, ResBody> Future for ResponseFuture<S, ReqBody, R>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    R: OnRejection,
    ResBody: Default,
{
    type Output = Result<Response<ResBody>, S::Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        loop {
            match this.state.as_mut().project() {
                StateProj::Verifying { verify } => match ready!(verify.as_mut().poll(cx)) {
                    Ok(verified) => {
                        let Some(mut inner) = this.inner.take() else {
                            panic!("`ResponseFuture` lost its inner service");
                        };
                        *this.dpop_nonce = verified.dpop_nonce;
                        let future = inner.call(verified.request);
                        this.state.set(State::Calling { future });
                    }
                    Err(error) => {
                        this.state.set(State::Done);
                        log_rejection(&error);
                        let status = this.on_rejection.on_rejection(this.auth0, &error);
                        // A trailers-only response: code, message and metadata in the
                        // headers, an empty body.
                        let mut response = status.into_http::<ResBody>();
                        // Outer layers can see why, whatever the status looks like.
                        response.extensions_mut().insert(error);
                        return Poll::Ready(Ok(response));
                    }
                },
                StateProj::Calling { future } => {
                    let result = ready!(future.poll(cx));
                    let nonce = this.dpop_nonce.take();
                    this.state.set(State::Done);
                    return Poll::Ready(result.map(|mut response| {
                        if let Some(nonce) = nonce {
                            response.headers_mut().insert(DPOP_NONCE, nonce);
                        }
                        response
                    }));
                }
                // Polling a completed future is a bug in the caller: say so instead of
                // hanging.
                StateProj::Done => panic!("`ResponseFuture` polled after completion"),
            }
        }
    }
}

impl<S, ReqBody, R> fmt::Debug for ResponseFuture<S, ReqBody, R>
where
    S: Service<Request<ReqBody>>,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}
