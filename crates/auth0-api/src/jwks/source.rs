//! Where keys come from: the configured issuer's cache, or one cache per allowed issuer
//! (multiple custom domains), chosen by the token's unverified `iss` after it was
//! checked against the allowed issuers, before any network call.

use std::fmt;
use std::sync::Arc;

use http::HeaderMap;

use super::{KeyCache, KeySettings};
use crate::domains::{DomainsResolver, ResolverContext, parse_allowed};
use crate::error::{Error, ErrorKind};
use crate::issuer::Issuer;

pub(crate) enum Allowed {
    /// One issuer: the configured one.
    Single,
    /// A fixed list.
    List(Vec<Issuer>),
    /// Asked per request.
    Resolver(Arc<dyn DomainsResolver>),
}

impl fmt::Debug for Allowed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Allowed::Single => f.write_str("Single"),
            Allowed::List(l) => f.debug_tuple("List").field(l).finish(),
            Allowed::Resolver(_) => f.write_str("Resolver"),
        }
    }
}

/// Request details for the resolver.
#[derive(Clone, Copy)]
pub(crate) struct RequestInfo<'a> {
    pub(crate) url: Option<&'a str>,
    pub(crate) headers: &'a HeaderMap,
}

/// Where keys come from: the configured issuer, or one cache per allowed issuer.
pub(crate) struct KeySource {
    primary: Option<Arc<KeyCache>>,
    allowed: Allowed,
    per_issuer: moka::sync::Cache<Issuer, Arc<KeyCache>>,
    settings: KeySettings,
}

impl fmt::Debug for KeySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeySource")
            .field("primary", &self.primary)
            .field("allowed", &self.allowed)
            .finish_non_exhaustive()
    }
}

impl KeySource {
    pub(crate) fn new(
        primary: Option<Arc<KeyCache>>,
        allowed: Allowed,
        max_issuers: u64,
        settings: KeySettings,
    ) -> Self {
        Self {
            primary,
            allowed,
            per_issuer: moka::sync::Cache::new(max_issuers.max(1)),
            settings,
        }
    }

    /// The configured issuer's cache, if an issuer was configured.
    #[cfg_attr(not(feature = "token-exchange"), allow(dead_code))]
    pub(crate) fn primary(&self) -> Option<&Arc<KeyCache>> {
        self.primary.as_ref()
    }

    /// Whether a resolver decides per request (so cached verdicts must be re-asked).
    pub(crate) fn has_resolver(&self) -> bool {
        matches!(self.allowed, Allowed::Resolver(_))
    }

    /// The key cache for a token whose unverified `iss` is `iss`. With several issuers,
    /// `iss` must be allowed; this is decided before any network call.
    pub(crate) async fn for_issuer(
        &self,
        iss: Option<&str>,
        request: Option<RequestInfo<'_>>,
    ) -> Result<Arc<KeyCache>, Error> {
        if let Allowed::Single = self.allowed {
            return self
                .primary
                .clone()
                .ok_or_else(|| Error::new(ErrorKind::IssuerNotAllowed));
        }
        let iss = iss.ok_or_else(|| Error::new(ErrorKind::MissingClaim).with_detail("iss"))?;
        let resolved;
        let list: &[Issuer] = match &self.allowed {
            Allowed::List(list) => list,
            Allowed::Resolver(resolver) => {
                resolved = self.resolve(resolver.as_ref(), iss, request).await?;
                &resolved
            }
            Allowed::Single => &[],
        };
        let token_issuer = Issuer::parse(iss)
            .map_err(|e| Error::new(ErrorKind::IssuerNotAllowed).with_source(e))?;
        let allowed = list
            .iter()
            .find(|a| a.matches_modulo_slash(token_issuer.as_str()))
            .ok_or_else(|| Error::new(ErrorKind::IssuerNotAllowed))?;
        if let Some(p) = &self.primary {
            if p.issuer() == allowed {
                return Ok(Arc::clone(p));
            }
        }
        Ok(self.per_issuer.get_with(allowed.clone(), || {
            Arc::new(KeyCache::new(allowed.clone(), None, self.settings.clone()))
        }))
    }

    async fn resolve(
        &self,
        resolver: &dyn DomainsResolver,
        iss: &str,
        request: Option<RequestInfo<'_>>,
    ) -> Result<Vec<Issuer>, Error> {
        let ctx = ResolverContext {
            request_url: request.and_then(|r| r.url.map(str::to_owned)),
            headers: request.map(|r| crate::domains::without_credentials(r.headers)),
            unverified_iss: iss.to_owned(),
        };
        let failed = |detail| Error::new(ErrorKind::DomainsResolver).with_detail(detail);
        let raw = resolver
            .resolve(ctx)
            .await
            .map_err(|e| failed("resolver returned an error").with_source(e))?;
        if raw.is_empty() {
            return Err(failed("resolver returned no domains"));
        }
        raw.iter()
            .map(|s| parse_allowed(s).map_err(|_| failed("resolver returned an invalid domain")))
            .collect()
    }
}
