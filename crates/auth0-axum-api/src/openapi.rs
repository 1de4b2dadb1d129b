//! OpenAPI documents for routes guarded by [`RequireAuthLayer`], with [utoipa] 5 (feature
//! `openapi`): the security schemes the verifier accepts, and each guarded operation's
//! `security` requirement read from the layer that guards it, so scopes are written once.
//!
//! With [`utoipa_axum`]'s `OpenApiRouter`, [`SecureRoutes::secured`] puts the layer on the
//! routes (as `route_layer` does) and writes its requirement into their operations;
//! [`SecuritySchemes`] (a [`Modify`]) adds the schemes the requirements name:
//!
//! ```
//! use auth0_axum_api::openapi::{SecureRoutes, SecuritySchemes};
//! use auth0_axum_api::{Auth0, Auth0Ext, Claims};
//! use axum::{Json, Router, routing::get};
//! use utoipa::Modify;
//! use utoipa_axum::{router::OpenApiRouter, routes};
//!
//! #[utoipa::path(get, path = "/public", responses((status = 200)))]
//! async fn public() -> &'static str { "hello" }
//!
//! #[utoipa::path(get, path = "/data", responses((status = 200), (status = 401), (status = 403)))]
//! async fn read_data(claims: Claims) -> String { format!("data for {:?}", claims.sub()) }
//!
//! fn app(auth0: Auth0) -> Result<Router, Box<dyn std::error::Error>> {
//!     let (router, mut api) = OpenApiRouter::new()
//!         .routes(routes!(public))
//!         .routes(routes!(read_data).secured(auth0.require_auth().scopes(["read:data"])?))
//!         .split_for_parts();
//!     SecuritySchemes::new(&auth0).modify(&mut api);
//!     Ok(router
//!         .route("/openapi.json", get(move || async move { Json(api) }))
//!         .with_state(auth0))
//! }
//! # let issuer = "https://tenant.example.com/";
//! # let auth0 = Auth0::builder().issuer(issuer).audience("https://api").build().unwrap();
//! # app(auth0).unwrap();
//! ```
//!
//! Without `OpenApiRouter` (a `#[derive(OpenApi)]` document and a plain axum `Router`),
//! [`secure`] writes a layer's requirement into one operation of the document and adds the
//! schemes; [`security`] returns the requirement for any other use.
//!
//! # What the document says
//!
//! | [`DpopMode`] | schemes ([`SecuritySchemes`]) | one requirement alternative |
//! |---|---|---|
//! | `Disabled` | [`BEARER`] | `{"bearer": [scopes]}` |
//! | `Required` | [`DPOP`], [`DPOP_PROOF`] | `{"dpop": [scopes], "dpop_proof": []}` |
//! | `Allowed` | all three | both of the above, as separate alternatives |
//!
//! - **Bearer** is an `http` scheme `bearer` with `bearerFormat: JWT`.
//! - **DPoP** (RFC 9449) has no OpenAPI type. It is described as what the client sends: two
//!   `apiKey` header schemes required together, `dpop` (header `Authorization`, value
//!   `DPoP <access token>`) and `dpop_proof` (header `DPoP`, the proof JWT). An `http` scheme
//!   named `DPoP` would be the closer reading of the registry, but Swagger UI 5 (checked
//!   with 5.17, the one `utoipa-swagger-ui` 9 ships) shows it as "unsupported scheme" and
//!   sends nothing, and utoipa 5 cannot write one. With the `apiKey` pair, Swagger UI's
//!   "Authorize" sends both headers as entered. Its limits: a
//!   proof is bound to one method and URL and is accepted once (replay check) and for a
//!   short time, so a person must paste a fresh proof before each try (and a fresh
//!   `DPoP-Nonce` inside it when the API requires nonces); if both Bearer and DPoP are
//!   authorized in Swagger UI, the `Authorization` value of the last one applied wins:
//!   authorize one of them.
//! - **Scopes and permissions.** Every item of the route's [`Requirements`] goes in the
//!   list: OpenAPI 3.1 lets a non-OAuth scheme list the roles an operation needs. The
//!   document does not say which claim (`scope` or `permissions`) is checked; in Auth0 an
//!   API's permissions and its scopes are one list of names.
//! - **All-of and any-of.** Within one requirement object every listed item is required;
//!   alternatives are separate objects. `.scopes(["a", "b"])` is one object listing `a` and
//!   `b`; `.any_scope(["a", "b"])` is two objects, one per scope; groups combine (each
//!   any-of group multiplies the alternatives; an alternative that lists a superset of
//!   another is dropped). Past [`MAX_ALTERNATIVES`] alternatives (several large any-of
//!   groups), the requirement is written as one alternative listing every item: enough to
//!   pass the guard, stricter than it, never looser; a warning is logged.
//! - Operations whose route has no layer are left alone (public). An operation that already
//!   has a `security` list (from `#[utoipa::path(security(..))]`) gets the layer's instead:
//!   the guard is what the server enforces.
//!
//! For a route that reads [`Claims`](crate::Claims) without a layer, document it with
//! `security(&auth0.require_auth())` (any valid token), or give it the layer: the layer
//! verifies once and the extractor reuses the claims.

use std::fmt;

use axum::body::Body;
use axum::routing::MethodRouter;
use utoipa::Modify;
use utoipa::openapi::path::{HttpMethod, Operation, PathItem};
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
};
use utoipa::openapi::{Components, OpenApi};
use utoipa_axum::router::UtoipaMethodRouter;

use crate::{Auth0, DpopMode, OnRejection, RequireAuthLayer, Requirements};

/// Name of the Bearer scheme in `components.securitySchemes`.
pub const BEARER: &str = "bearer";
/// Name of the DPoP access-token scheme (header `Authorization: DPoP <token>`).
pub const DPOP: &str = "dpop";
/// Name of the DPoP proof scheme (header `DPoP`), required together with [`DPOP`].
pub const DPOP_PROOF: &str = "dpop_proof";

/// The most alternatives one requirement is written as, per scheme; past it, one
/// alternative lists every item.
pub const MAX_ALTERNATIVES: usize = 64;

/// Alternatives built before redundant ones are dropped; past it, the fallback applies
/// without building them (a bound on work for pathological any-of groups).
const MAX_EXPANDED: usize = 1024;

/// A [`Modify`] that adds the security schemes a verifier accepts (by its [`DpopMode`]) to
/// `components.securitySchemes`: [`BEARER`] unless DPoP is required, [`DPOP`] and
/// [`DPOP_PROOF`] unless it is disabled. Existing entries of those names are replaced.
///
/// ```
/// use auth0_axum_api::DpopMode;
/// use auth0_axum_api::openapi::SecuritySchemes;
/// use utoipa::{Modify, openapi::OpenApi};
///
/// let mut api = OpenApi::default();
/// SecuritySchemes::for_mode(DpopMode::Required).modify(&mut api);
/// let schemes = &api.components.unwrap().security_schemes;
/// assert_eq!(schemes.keys().collect::<Vec<_>>(), ["dpop", "dpop_proof"]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SecuritySchemes {
    mode: DpopMode,
}

impl SecuritySchemes {
    /// The schemes `auth0` accepts.
    pub fn new(auth0: &Auth0) -> Self {
        Self::for_mode(auth0.dpop_mode())
    }

    /// The schemes of `mode`.
    pub const fn for_mode(mode: DpopMode) -> Self {
        Self { mode }
    }
}

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut OpenApi) {
        let components = openapi.components.get_or_insert_with(Components::new);
        if self.mode.accepts_bearer() {
            components.add_security_scheme(BEARER, bearer_scheme());
        }
        if self.mode.accepts_dpop() {
            components.add_security_scheme(DPOP, header_scheme("Authorization", DPOP_TEXT));
            components.add_security_scheme(DPOP_PROOF, header_scheme("DPoP", DPOP_PROOF_TEXT));
        }
    }
}

const BEARER_TEXT: &str = "An access token (RFC 6750), sent as `Authorization: Bearer <token>`. \
     A DPoP-bound token is refused with Bearer.";
const DPOP_TEXT: &str = "A DPoP-bound access token (RFC 9449), sent as \
     `Authorization: DPoP <token>`: enter the whole value, `DPoP ` included. \
     Goes with `dpop_proof`.";
const DPOP_PROOF_TEXT: &str = "A DPoP proof JWT (RFC 9449 section 4) for this request's method \
     and URL, signed with the key the token is bound to. A proof is accepted once: enter a \
     fresh one before each request.";

fn bearer_scheme() -> SecurityScheme {
    SecurityScheme::Http(
        HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .bearer_format("JWT")
            .description(Some(BEARER_TEXT))
            .build(),
    )
}

fn header_scheme(header: &str, text: &str) -> SecurityScheme {
    SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(header, text)))
}

/// The OpenAPI `security` list of an operation guarded by `layer`: one requirement object
/// per way to pass it (per accepted scheme and per any-of alternative), each listing the
/// scopes and permissions that alternative needs. See the [module docs](self) for the
/// mapping.
///
/// ```
/// use auth0_axum_api::{Auth0, Auth0Ext, DpopMode};
/// use auth0_axum_api::openapi::security;
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let auth0 = Auth0::builder()
///     .issuer("https://tenant.example.com/")
///     .audience("https://api")
///     .dpop(DpopMode::Disabled)
///     .build()?;
/// let list = security(&auth0.require_auth().any_scope(["read:data", "admin"])?);
/// assert_eq!(
///     serde_json::to_value(&list)?,
///     serde_json::json!([{ "bearer": ["read:data"] }, { "bearer": ["admin"] }])
/// );
/// # Ok(()) }
/// ```
pub fn security<R>(layer: &RequireAuthLayer<R>) -> Vec<SecurityRequirement> {
    requirements_for(layer.auth0().dpop_mode(), layer.required())
}

fn requirements_for(mode: DpopMode, required: &Requirements) -> Vec<SecurityRequirement> {
    let alternatives = alternatives(required);
    let mut out = Vec::with_capacity(alternatives.len() * 2);
    if mode.accepts_bearer() {
        out.extend(
            alternatives
                .iter()
                .map(|items| SecurityRequirement::new(BEARER, items.iter().copied())),
        );
    }
    if mode.accepts_dpop() {
        out.extend(alternatives.iter().map(|items| {
            SecurityRequirement::new(DPOP, items.iter().copied()).add(DPOP_PROOF, [""; 0])
        }));
    }
    out
}

/// `required` in disjunctive form: each inner list is one sufficient set of items, every
/// item of it required. Nothing required is one empty alternative.
fn alternatives(required: &Requirements) -> Vec<Vec<&str>> {
    let mut alternatives: Vec<Vec<&str>> = vec![Vec::new()];
    for group in required.groups() {
        if group.is_any() {
            if alternatives.len().saturating_mul(group.items().len()) > MAX_EXPANDED {
                return every_item(required);
            }
            let mut next = Vec::with_capacity(alternatives.len() * group.items().len());
            for alternative in &alternatives {
                for item in group.items() {
                    let mut extended = alternative.clone();
                    push_new(&mut extended, item);
                    next.push(extended);
                }
            }
            alternatives = next;
        } else {
            for alternative in &mut alternatives {
                for item in group.items() {
                    push_new(alternative, item);
                }
            }
        }
        drop_redundant(&mut alternatives);
        if alternatives.len() > MAX_ALTERNATIVES {
            return every_item(required);
        }
    }
    alternatives
}

fn push_new<'a>(list: &mut Vec<&'a str>, item: &'a str) {
    if !list.contains(&item) {
        list.push(item);
    }
}

/// Every item of `a` is in `b`: whoever meets `b` meets `a`, so `b` adds no way in.
fn is_subset(a: &[&str], b: &[&str]) -> bool {
    a.iter().all(|item| b.contains(item))
}

/// Drops duplicates and alternatives that list a superset of another one; the first of
/// equal alternatives stays, order is kept.
fn drop_redundant(alternatives: &mut Vec<Vec<&str>>) {
    let mut kept: Vec<Vec<&str>> = Vec::with_capacity(alternatives.len());
    for (i, candidate) in alternatives.iter().enumerate() {
        let redundant = alternatives.iter().enumerate().any(|(j, other)| {
            j != i && is_subset(other, candidate) && (other.len() < candidate.len() || j < i)
        });
        if !redundant {
            kept.push(candidate.clone());
        }
    }
    *alternatives = kept;
}

/// The fallback past [`MAX_ALTERNATIVES`]: one alternative with every item, which passes
/// every group.
fn every_item(required: &Requirements) -> Vec<Vec<&str>> {
    tracing::warn!(
        target: "auth0_axum_api::openapi",
        max = MAX_ALTERNATIVES,
        "the route's any-of requirements have too many alternatives to list; \
         the OpenAPI document lists every item as required"
    );
    let mut all = Vec::new();
    for group in required.groups() {
        for item in group.items() {
            push_new(&mut all, item);
        }
    }
    vec![all]
}

/// Writes the requirement of `layer` into the `method` operation at `path` of `openapi`
/// (replacing any `security` it had), and adds the schemes it names
/// ([`SecuritySchemes`]). For documents built without `OpenApiRouter`:
///
/// ```
/// use auth0_axum_api::openapi::secure;
/// use auth0_axum_api::{Auth0, Auth0Ext};
/// use axum::{Router, routing::get};
/// use utoipa::OpenApi;
/// use utoipa::openapi::HttpMethod;
///
/// #[utoipa::path(get, path = "/data", responses((status = 200)))]
/// async fn read_data() -> &'static str { "data" }
///
/// #[derive(OpenApi)]
/// #[openapi(paths(read_data))]
/// struct ApiDoc;
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let auth0 = Auth0::builder().issuer("https://tenant.example.com/").audience("https://api").build()?;
/// let read = auth0.require_auth().scopes(["read:data"])?;
/// let app: Router = Router::new().route("/data", get(read_data).route_layer(read.clone()));
/// let mut api = ApiDoc::openapi();
/// secure(&mut api, "/data", HttpMethod::Get, &read)?;
/// # let _ = app;
/// # Ok(()) }
/// ```
///
/// # Errors
///
/// [`OperationNotFound`] when the document has no such operation; the document is then
/// unchanged.
pub fn secure<R>(
    openapi: &mut OpenApi,
    path: &str,
    method: HttpMethod,
    layer: &RequireAuthLayer<R>,
) -> Result<(), OperationNotFound> {
    let operation = openapi
        .paths
        .paths
        .get_mut(path)
        .and_then(|item| operation_mut(item, &method))
        .ok_or_else(|| OperationNotFound {
            method: method_name(&method),
            path: path.to_owned(),
        })?;
    operation.security = Some(security(layer));
    SecuritySchemes::new(layer.auth0()).modify(openapi);
    Ok(())
}

/// [`secure`] found no operation for the method and path in the document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OperationNotFound {
    method: &'static str,
    path: String,
}

impl OperationNotFound {
    /// The path that was asked for.
    pub fn path(&self) -> &str {
        &self.path
    }
}

impl fmt::Display for OperationNotFound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "no {} operation at {:?} in the OpenAPI document",
            self.method, self.path
        )
    }
}

impl std::error::Error for OperationNotFound {}

fn operation_mut<'a>(item: &'a mut PathItem, method: &HttpMethod) -> Option<&'a mut Operation> {
    match method {
        HttpMethod::Get => item.get.as_mut(),
        HttpMethod::Post => item.post.as_mut(),
        HttpMethod::Put => item.put.as_mut(),
        HttpMethod::Delete => item.delete.as_mut(),
        HttpMethod::Options => item.options.as_mut(),
        HttpMethod::Head => item.head.as_mut(),
        HttpMethod::Patch => item.patch.as_mut(),
        HttpMethod::Trace => item.trace.as_mut(),
    }
}

fn method_name(method: &HttpMethod) -> &'static str {
    match method {
        HttpMethod::Get => "GET",
        HttpMethod::Post => "POST",
        HttpMethod::Put => "PUT",
        HttpMethod::Delete => "DELETE",
        HttpMethod::Options => "OPTIONS",
        HttpMethod::Head => "HEAD",
        HttpMethod::Patch => "PATCH",
        HttpMethod::Trace => "TRACE",
    }
}

fn operations_mut(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        &mut item.get,
        &mut item.put,
        &mut item.post,
        &mut item.delete,
        &mut item.options,
        &mut item.head,
        &mut item.patch,
        &mut item.trace,
    ]
    .into_iter()
    .flatten()
}

/// `.secured(layer)` on the routes of [`utoipa_axum::routes!`]: guards them with `layer`
/// and documents its requirement on each of their operations.
///
/// ```
/// use auth0_axum_api::openapi::SecureRoutes;
/// use auth0_axum_api::{Auth0, Auth0Ext, ConfigError};
/// use utoipa_axum::{router::OpenApiRouter, routes};
///
/// #[utoipa::path(get, path = "/data", responses((status = 200)))]
/// async fn read_data() -> &'static str { "data" }
///
/// fn routes(auth0: &Auth0) -> Result<OpenApiRouter, ConfigError> {
///     Ok(OpenApiRouter::new()
///         .routes(routes!(read_data).secured(auth0.require_auth().scopes(["read:data"])?)))
/// }
/// ```
pub trait SecureRoutes: sealed::Sealed {
    /// Puts `layer` on the routes as [`MethodRouter::route_layer`] does (a request for
    /// another method still gets 405, not 401), and sets each operation's `security` to
    /// [`security(&layer)`](security), replacing what it had. The schemes it names are
    /// added to the document by [`SecuritySchemes`].
    #[must_use]
    fn secured<R>(self, layer: RequireAuthLayer<R>) -> Self
    where
        R: OnRejection<Body> + Send + Sync + 'static;
}

impl<S, E> SecureRoutes for UtoipaMethodRouter<S, E>
where
    S: Clone + Send + Sync + 'static,
    E: 'static,
{
    fn secured<R>(self, layer: RequireAuthLayer<R>) -> Self
    where
        R: OnRejection<Body> + Send + Sync + 'static,
    {
        let (schemas, mut paths, method_router) = self;
        let list = security(&layer);
        for item in paths.paths.values_mut() {
            for operation in operations_mut(item) {
                operation.security = Some(list.clone());
            }
        }
        let method_router: MethodRouter<S, E> = method_router.route_layer(layer);
        (schemas, paths, method_router)
    }
}

mod sealed {
    pub trait Sealed {}
    impl<S, E> Sealed for utoipa_axum::router::UtoipaMethodRouter<S, E> {}
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alts(r: &Requirements) -> Vec<Vec<&str>> {
        alternatives(r)
    }

    #[test]
    fn nothing_required_is_one_empty_alternative() {
        assert_eq!(alts(&Requirements::new()), [Vec::<&str>::new()]);
    }

    #[test]
    fn all_of_is_one_alternative_and_any_of_one_per_item() {
        let r = Requirements::new().scopes(["a", "b"]).unwrap();
        assert_eq!(alts(&r), [vec!["a", "b"]]);
        let r = Requirements::new().any_scope(["a", "b"]).unwrap();
        assert_eq!(alts(&r), [vec!["a"], vec!["b"]]);
        let r = Requirements::new()
            .scopes(["x"])
            .unwrap()
            .any_permission(["p", "q"])
            .unwrap()
            .permissions(["z"])
            .unwrap();
        assert_eq!(alts(&r), [vec!["x", "p", "z"], vec!["x", "q", "z"]]);
    }

    #[test]
    fn any_of_groups_multiply_and_supersets_are_dropped() {
        let r = Requirements::new()
            .any_scope(["a", "b"])
            .unwrap()
            .any_scope(["c", "d"])
            .unwrap();
        assert_eq!(
            alts(&r),
            [
                vec!["a", "c"],
                vec!["a", "d"],
                vec!["b", "c"],
                vec!["b", "d"]
            ]
        );
        // {a} is met by whoever meets {a, c} or {b, a}: those add nothing.
        let r = Requirements::new()
            .any_scope(["a", "b"])
            .unwrap()
            .any_scope(["a", "c"])
            .unwrap();
        assert_eq!(alts(&r), [vec!["a"], vec!["b", "c"]]);
        // An all-of group naming an any-of item makes the other alternatives redundant.
        let r = Requirements::new()
            .any_scope(["a", "b"])
            .unwrap()
            .scopes(["a"])
            .unwrap();
        assert_eq!(alts(&r), [vec!["a"]]);
        // Repeated items are listed once.
        let r = Requirements::new()
            .scopes(["a", "a"])
            .unwrap()
            .any_scope(["b", "b"])
            .unwrap();
        assert_eq!(alts(&r), [vec!["a", "b"]]);
    }

    #[test]
    fn too_many_alternatives_list_every_item() {
        fn group(p: &'static str) -> impl Iterator<Item = String> {
            (0..5).map(move |i| format!("{p}{i}"))
        }
        // 5 * 5 * 5 = 125 alternatives, none redundant.
        let r = Requirements::new()
            .any_scope(group("a"))
            .unwrap()
            .any_scope(group("b"))
            .unwrap()
            .any_scope(group("c"))
            .unwrap();
        let every: Vec<String> = group("a").chain(group("b")).chain(group("c")).collect();
        assert_eq!(
            alts(&r),
            [every.iter().map(String::as_str).collect::<Vec<_>>()]
        );
        // At the limit, still listed.
        let r = Requirements::new()
            .any_scope((0..MAX_ALTERNATIVES).map(|i| format!("s{i}")))
            .unwrap();
        assert_eq!(alts(&r).len(), MAX_ALTERNATIVES);
        // One huge any-of group is not expanded at all.
        let r = Requirements::new()
            .any_scope((0..=MAX_EXPANDED).map(|i| format!("s{i}")))
            .unwrap();
        assert_eq!(alts(&r).len(), 1);
        assert_eq!(alts(&r)[0].len(), MAX_EXPANDED + 1);
    }

    #[test]
    fn modes_choose_the_schemes() {
        let r = Requirements::new().scopes(["a"]).unwrap();
        let json = |mode| serde_json::to_value(requirements_for(mode, &r)).unwrap();
        assert_eq!(
            json(DpopMode::Disabled),
            serde_json::json!([{ "bearer": ["a"] }])
        );
        assert_eq!(
            json(DpopMode::Required),
            serde_json::json!([{ "dpop": ["a"], "dpop_proof": [] }])
        );
        assert_eq!(
            json(DpopMode::Allowed),
            serde_json::json!([{ "bearer": ["a"] }, { "dpop": ["a"], "dpop_proof": [] }])
        );
    }

    #[test]
    fn operation_not_found_names_method_and_path() {
        let e = OperationNotFound {
            method: method_name(&HttpMethod::Patch),
            path: "/x".into(),
        };
        assert_eq!(
            e.to_string(),
            r#"no PATCH operation at "/x" in the OpenAPI document"#
        );
        assert_eq!(e.path(), "/x");
    }
}
