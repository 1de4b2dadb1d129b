//! The `Claims` extractor: verified access-token claims in a handler.

use std::future::Future;
use std::ops::{Deref, DerefMut};
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use auth0_api::{Auth0, Error, ErrorKind, RequestContext};
use serde::de::DeserializeOwned;

use crate::convert::{CoreRequest, header_value};
use crate::rejection::AuthRejection;

/// Extracts the verified claims of the request's access token.
///
/// - `Claims` (that is, `Claims<Verified>`) derefs to [`auth0_api::Claims`]: `claims.sub()`,
///   `claims.scopes()`, `claims.get::<T>("name")`, ...
/// - `Claims<MyClaims>` deserializes the whole payload into your own serde type.
/// - [`MaybeClaims`] for optional authentication (not `Option<Claims>`: actix-web's
///   `Option` extractor would turn a bad token into `None`).
///
/// The [`Auth0`] verifier comes from the app data: `App::new().app_data(web::Data::new(auth0))`
/// (or `.app_data(auth0)`). When a [`RequireAuth`](crate::RequireAuth) middleware of the same
/// verifier already verified the request, the claims it stored in the request extensions
/// are used. A failure is an [`AuthRejection`], whose [`ResponseError`](actix_web::ResponseError)
/// response is the refusal response (RFC 6750 §3, RFC 9449 §7.1).
///
/// When server nonces are on, the next `DPoP-Nonce` of a successful DPoP request is left in
/// the request extensions; wrap the app (or scope) in [`DpopNonce`](crate::DpopNonce) to send
/// it (routes behind [`RequireAuth`](crate::RequireAuth) get it anyway).
///
/// ```
/// use auth0_actix_api::Claims;
/// use serde::Deserialize;
///
/// async fn hello(claims: Claims) -> String {
///     format!("Hello, {}", claims.sub().unwrap_or("?"))
/// }
///
/// #[derive(Deserialize)]
/// struct MyClaims {
///     sub: String,
///     #[serde(default)]
///     permissions: Vec<String>,
/// }
///
/// async fn mine(Claims(c): Claims<MyClaims>) -> String {
///     format!("{} may {:?}", c.sub, c.permissions)
/// }
///
/// ```
#[derive(Clone, Debug)]
pub struct Claims<T = Verified>(pub T);

impl<T> Deref for Claims<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> DerefMut for Claims<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

/// The verified claims with typed accessors: the default payload of [`Claims`]. Derefs to
/// [`auth0_api::Claims`].
#[derive(Clone, Debug)]
pub struct Verified(auth0_api::Claims);

impl Verified {
    /// The core claims value.
    pub fn into_inner(self) -> auth0_api::Claims {
        self.0
    }
}

impl Deref for Verified {
    type Target = auth0_api::Claims;

    fn deref(&self) -> &auth0_api::Claims {
        &self.0
    }
}

impl From<Verified> for auth0_api::Claims {
    fn from(v: Verified) -> Self {
        v.0
    }
}

impl From<Claims> for auth0_api::Claims {
    fn from(c: Claims) -> Self {
        c.0.0
    }
}

/// How a [`Claims`] payload is made from verified claims. Implemented for [`Verified`] and
/// for every `serde::de::DeserializeOwned` type.
pub trait FromClaims: Sized {
    /// Builds the payload; an error refuses the request as `invalid_token`.
    fn from_claims(claims: &auth0_api::Claims) -> Result<Self, auth0_api::ClaimsError>;
}

impl FromClaims for Verified {
    fn from_claims(claims: &auth0_api::Claims) -> Result<Self, auth0_api::ClaimsError> {
        Ok(Verified(claims.clone()))
    }
}

impl<T: DeserializeOwned> FromClaims for T {
    fn from_claims(claims: &auth0_api::Claims) -> Result<Self, auth0_api::ClaimsError> {
        claims.deserialize()
    }
}

/// The `DPoP-Nonce` the extractor chose for the response, waiting in the request extensions
/// for [`DpopNonce`](crate::DpopNonce) or [`RequireAuth`](crate::RequireAuth).
#[derive(Clone, Debug)]
pub(crate) struct PendingNonce(pub(crate) actix_web::http::header::HeaderValue);

/// The [`Auth0`] in the app data: `web::Data<Auth0>` first, then a bare `Auth0`.
pub(crate) fn app_auth0(req: &HttpRequest) -> Option<Auth0> {
    req.app_data::<web::Data<Auth0>>()
        .map(|data| data.get_ref().clone())
        .or_else(|| req.app_data::<Auth0>().cloned())
}

/// The verified claims of the request: from the extensions when this same verifier (or a
/// clone) already stored them, otherwise verified now through the core's request-level
/// entry (and stored for later extractors). Shared by the extractor and the middleware.
pub(crate) async fn verified(req: &HttpRequest, auth0: &Auth0) -> Result<auth0_api::Claims, Error> {
    let stored = req.extensions().get::<auth0_api::Claims>().cloned();
    if let Some(claims) = stored {
        // Claims of another verifier (another audience, a laxer DPoP mode) prove nothing
        // to this one: verify again.
        if auth0.produced(&claims) {
            return Ok(claims);
        }
    }
    let core = CoreRequest::from_actix(req);
    let peer = req.peer_addr().map(|addr| addr.ip());
    let context = RequestContext::new(&core.method, &core.uri, &core.headers).peer(peer);
    // Boxed on its own: the verification's state (about 750 bytes) inline would make the
    // future boxed for every request (the extractor's, or the middleware's) larger than
    // glibc's per-thread cache takes (1,032 bytes), a slower allocation on every request.
    let claims = Box::pin(auth0.verify(context)).await?;
    let nonce = auth0
        .success_dpop_nonce(&claims)
        .as_ref()
        .and_then(header_value);
    let mut extensions = req.extensions_mut();
    if let Some(nonce) = nonce {
        extensions.insert(PendingNonce(nonce));
    }
    extensions.insert(claims.clone());
    Ok(claims)
}

fn convert<T: FromClaims>(claims: &auth0_api::Claims) -> Result<Claims<T>, Error> {
    T::from_claims(claims).map(Claims).map_err(|_| {
        // The serde message may quote claim values: log only that the shape did not fit.
        tracing::debug!(
            target: "auth0_actix_api::rejection",
            claims_type = std::any::type_name::<T>(),
            "verified claims do not deserialize into the requested type"
        );
        Error::new(ErrorKind::InvalidClaim)
    })
}

/// Future of the [`Claims`] extractor.
pub type ClaimsFuture<T> = Pin<Box<dyn Future<Output = Result<T, AuthRejection>>>>;

impl<T: FromClaims + 'static> FromRequest for Claims<T> {
    type Error = AuthRejection;
    type Future = ClaimsFuture<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let Some(auth0) = app_auth0(&req) else {
                return Err(AuthRejection::not_configured());
            };
            let result = match verified(&req, &auth0).await {
                Ok(claims) => convert(&claims),
                Err(e) => Err(e),
            };
            result.map_err(|e| AuthRejection::new(auth0, e))
        })
    }
}

/// Optional authentication: `None` when the request has no `Authorization` header; any
/// credentials that are present must be valid, or the request is rejected like [`Claims`].
///
/// Use this instead of `Option<Claims>`: actix-web's own `Option<T>` extractor turns *every*
/// extraction error into `None`, so with it a request with a forged or expired token would
/// reach the handler as anonymous instead of getting its 401.
///
/// ```
/// use auth0_actix_api::MaybeClaims;
///
/// async fn maybe(MaybeClaims(claims): MaybeClaims) -> String {
///     match claims {
///         Some(c) => format!("user {}", c.sub().unwrap_or("?")),
///         None => "anonymous".to_owned(),
///     }
/// }
/// ```
#[derive(Clone, Debug)]
pub struct MaybeClaims<T = Verified>(pub Option<Claims<T>>);

impl<T> Deref for MaybeClaims<T> {
    type Target = Option<Claims<T>>;

    fn deref(&self) -> &Option<Claims<T>> {
        &self.0
    }
}

impl<T> MaybeClaims<T> {
    /// The claims, if the request carried credentials.
    pub fn into_inner(self) -> Option<Claims<T>> {
        self.0
    }
}

impl<T: FromClaims + 'static> FromRequest for MaybeClaims<T> {
    type Error = AuthRejection;
    type Future = ClaimsFuture<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let Some(auth0) = app_auth0(&req) else {
                return Err(AuthRejection::not_configured());
            };
            let result = match verified(&req, &auth0).await {
                Ok(claims) => convert(&claims).map(Some),
                Err(e) if e.kind() == ErrorKind::MissingCredentials => Ok(None),
                Err(e) => Err(e),
            };
            result
                .map(MaybeClaims)
                .map_err(|e| AuthRejection::new(auth0, e))
        })
    }
}
