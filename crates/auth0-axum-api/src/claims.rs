//! The `Claims` extractor: verified access-token claims in a handler.

use std::ops::{Deref, DerefMut};

use std::net::SocketAddr;

use auth0_api::{Auth0, Error, ErrorKind, RequestContext};
use axum::extract::{ConnectInfo, OriginalUri};
use axum_core::extract::{FromRef, FromRequestParts, OptionalFromRequestParts};
use http::request::Parts;
use serde::de::DeserializeOwned;

use crate::nonce::NonceSlot;
use crate::rejection::AuthRejection;

/// Extracts the verified claims of the request's access token.
///
/// - `Claims` (that is, `Claims<Verified>`) derefs to [`auth0_api::Claims`]: `claims.sub()`,
///   `claims.scopes()`, `claims.get::<T>("name")`, ...
/// - `Claims<MyClaims>` deserializes the whole payload into your own serde type.
/// - `Option<Claims<_>>`: `None` when the request has no `Authorization` header; any
///   credentials that are present must be valid, or the request is rejected.
///
/// When a [`RequireAuthLayer`](crate::RequireAuthLayer) of the same verifier already
/// verified the request, the claims it stored in the request extensions are used; otherwise
/// the request is verified here with the [`Auth0`] the router state provides
/// (`Auth0: FromRef<S>`, e.g. `.with_state(auth0)`). A failure is an [`AuthRejection`], the
/// refusal response (RFC 6750 §3, RFC 9449 §7.1).
///
/// An extractor cannot add response headers: to send the next `DPoP-Nonce` on successful
/// DPoP responses when server nonces are on, add [`DpopNonceLayer`](crate::DpopNonceLayer)
/// to the router (routes behind [`require_auth()`](crate::Auth0Ext::require_auth) get it
/// anyway).
///
/// ```
/// use auth0_axum_api::Claims;
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
/// async fn maybe(claims: Option<Claims>) -> &'static str {
///     if claims.is_some() { "signed in" } else { "anonymous" }
/// }
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

/// The verified claims of the request: from the extensions when this same verifier (or a
/// clone) already stored them, otherwise verified now through the core's request-level
/// entry (and stored for later extractors). Shared by the extractor and the layer.
pub(crate) async fn verified(parts: &mut Parts, auth0: &Auth0) -> Result<auth0_api::Claims, Error> {
    if let Some(claims) = parts.extensions.get::<auth0_api::Claims>() {
        // Claims of another verifier (another audience, a laxer DPoP mode) prove nothing
        // to this one: verify again.
        if auth0.produced(claims) {
            return Ok(claims.clone());
        }
    }
    // Inside a nested router the URI has lost its prefix; the original one has not.
    let uri = parts
        .extensions
        .get::<OriginalUri>()
        .map_or(&parts.uri, |OriginalUri(original)| original);
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip());
    let request = RequestContext::new(&parts.method, uri, &parts.headers).peer(peer);
    // Boxed on its own: the verification's state (about 750 bytes) inline would make the
    // future Axum boxes for every request (a handler with its extractors, or the layer's)
    // larger than glibc's per-thread cache takes (1,032 bytes), a slower allocation on
    // every request.
    let claims = Box::pin(auth0.verify(request)).await?;
    if let (Some(slot), Some(nonce)) = (
        parts.extensions.get::<NonceSlot>(),
        auth0.success_dpop_nonce(&claims),
    ) {
        slot.set(nonce);
    }
    parts.extensions.insert(claims.clone());
    Ok(claims)
}

fn convert<T: FromClaims>(claims: &auth0_api::Claims) -> Result<Claims<T>, Error> {
    T::from_claims(claims).map(Claims).map_err(|_| {
        // The serde message may quote claim values: log only that the shape did not fit.
        tracing::debug!(
            target: "auth0_axum_api::rejection",
            claims_type = std::any::type_name::<T>(),
            "verified claims do not deserialize into the requested type"
        );
        Error::new(ErrorKind::InvalidClaim)
    })
}

impl<S, T> FromRequestParts<S> for Claims<T>
where
    S: Send + Sync,
    Auth0: FromRef<S>,
    T: FromClaims,
{
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let auth0 = Auth0::from_ref(state);
        let result = match verified(parts, &auth0).await {
            Ok(claims) => convert(&claims),
            Err(e) => Err(e),
        };
        result.map_err(|e| AuthRejection::new(auth0, e))
    }
}

impl<S, T> OptionalFromRequestParts<S> for Claims<T>
where
    S: Send + Sync,
    Auth0: FromRef<S>,
    T: FromClaims,
{
    type Rejection = AuthRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        let auth0 = Auth0::from_ref(state);
        let result = match verified(parts, &auth0).await {
            Ok(claims) => convert(&claims).map(Some),
            Err(e) if e.kind() == ErrorKind::MissingCredentials => Ok(None),
            Err(e) => Err(e),
        };
        result.map_err(|e| AuthRejection::new(auth0, e))
    }
}
