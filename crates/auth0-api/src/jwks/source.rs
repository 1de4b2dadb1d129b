//! Where keys come from: the configured issuer's cache, or one cache per allowed issuer
//! (multiple custom domains), chosen by the token's unverified `iss` after it was
//! checked against the allowed issuers, before any network call.
//!
//! The issuers of a fixed `domains` list each get one cache for the life of the verifier.
//! The issuers a resolver allows get caches from a bounded cache (`max_issuers`), and their
//! fetch limits from a bounded map that outlives those caches (see [`GateMap`]).

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use http::HeaderMap;

use super::cache::FetchGate;
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

/// The issuers keys come from, each with its caches.
enum Issuers {
    Single,
    /// A fixed list: one cache per issuer, never evicted.
    List(Vec<(Issuer, Arc<KeyCache>)>),
    Resolver {
        resolver: Arc<dyn DomainsResolver>,
        /// Key caches of the issuers seen most; the rest are evicted.
        caches: moka::sync::Cache<Issuer, Arc<KeyCache>>,
        gates: GateMap,
    },
}

/// Fetch limits of issuers a resolver allowed, kept when their key caches are evicted.
///
/// Bounded: when full, the gates that limit nothing any more are dropped first; if none is,
/// the one that stops limiting soonest. An issuer whose gate was dropped that way can fetch
/// again, within the cap on fetches per second.
struct GateMap {
    gates: Mutex<HashMap<Issuer, Arc<FetchGate>>>,
    capacity: usize,
}

impl GateMap {
    fn gate(&self, issuer: &Issuer, settings: &KeySettings) -> Arc<FetchGate> {
        let mut gates = self.gates.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(g) = gates.get(issuer) {
            return Arc::clone(g);
        }
        if gates.len() >= self.capacity {
            let now = settings.clock.now();
            let policy = &settings.policy;
            gates.retain(|_, g| g.idle_from(policy) > now);
            if gates.len() >= self.capacity {
                let soonest = gates
                    .iter()
                    .min_by_key(|(_, g)| g.idle_from(policy))
                    .map(|(i, _)| i.clone());
                if let Some(i) = soonest {
                    gates.remove(&i);
                }
            }
        }
        let gate = Arc::new(FetchGate::default());
        gates.insert(issuer.clone(), Arc::clone(&gate));
        gate
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
    issuers: Issuers,
    settings: KeySettings,
}

impl fmt::Debug for KeySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let issuers: &dyn fmt::Debug = match &self.issuers {
            Issuers::Single => &"Single",
            Issuers::List(list) => list,
            Issuers::Resolver { .. } => &"Resolver",
        };
        f.debug_struct("KeySource")
            .field("primary", &self.primary)
            .field("issuers", issuers)
            .finish_non_exhaustive()
    }
}

/// Fetch limits are remembered for this many resolver-allowed issuers per cached one.
const GATES_PER_CACHED_ISSUER: usize = 16;
/// ... and for at least this many.
const MIN_GATES: usize = 1024;

impl KeySource {
    pub(crate) fn new(
        primary: Option<Arc<KeyCache>>,
        allowed: Allowed,
        max_issuers: u64,
        settings: KeySettings,
    ) -> Self {
        let issuers = match allowed {
            Allowed::Single => Issuers::Single,
            Allowed::List(list) => Issuers::List(
                list.into_iter()
                    .map(|issuer| {
                        let cache = match &primary {
                            Some(p) if p.issuer() == &issuer => Arc::clone(p),
                            _ => Arc::new(KeyCache::new(issuer.clone(), None, settings.clone())),
                        };
                        (issuer, cache)
                    })
                    .collect(),
            ),
            Allowed::Resolver(resolver) => Issuers::Resolver {
                resolver,
                caches: moka::sync::Cache::new(max_issuers.max(1)),
                gates: GateMap {
                    gates: Mutex::new(HashMap::new()),
                    capacity: usize::try_from(max_issuers)
                        .unwrap_or(usize::MAX)
                        .saturating_mul(GATES_PER_CACHED_ISSUER)
                        .max(MIN_GATES),
                },
            },
        };
        Self {
            primary,
            issuers,
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
        matches!(self.issuers, Issuers::Resolver { .. })
    }

    /// [`KeySource::for_issuer`] when it needs no waiting: with one issuer or a fixed list
    /// (`None` with a resolver, which is asked asynchronously).
    pub(crate) fn for_issuer_now(&self, iss: Option<&str>) -> Option<Result<Arc<KeyCache>, Error>> {
        let not_allowed = || Error::new(ErrorKind::IssuerNotAllowed);
        match &self.issuers {
            Issuers::Single => Some(self.primary.clone().ok_or_else(not_allowed)),
            Issuers::List(list) => Some(token_issuer(iss).and_then(|token_issuer| {
                list.iter()
                    .find(|(a, _)| a.matches_modulo_slash(token_issuer.as_str()))
                    .map(|(_, cache)| Arc::clone(cache))
                    .ok_or_else(not_allowed)
            })),
            Issuers::Resolver { .. } => None,
        }
    }

    /// The key cache for a token whose unverified `iss` is `iss`. With several issuers,
    /// `iss` must be allowed; this is decided before any network call.
    pub(crate) async fn for_issuer(
        &self,
        iss: Option<&str>,
        request: Option<RequestInfo<'_>>,
    ) -> Result<Arc<KeyCache>, Error> {
        if let Some(found) = self.for_issuer_now(iss) {
            return found;
        }
        let not_allowed = || Error::new(ErrorKind::IssuerNotAllowed);
        let Issuers::Resolver {
            resolver,
            caches,
            gates,
        } = &self.issuers
        else {
            return Err(not_allowed());
        };
        let iss = iss.ok_or_else(|| Error::new(ErrorKind::MissingClaim).with_detail("iss"))?;
        let resolved = self.resolve(resolver.as_ref(), iss, request).await?;
        let token_issuer = token_issuer(Some(iss))?;
        let allowed = resolved
            .iter()
            .find(|a| a.matches_modulo_slash(token_issuer.as_str()))
            .ok_or_else(not_allowed)?;
        if let Some(p) = &self.primary {
            if p.issuer() == allowed {
                return Ok(Arc::clone(p));
            }
        }
        Ok(caches.get_with(allowed.clone(), || {
            gates
                .gate(allowed, &self.settings)
                .cache(allowed, &self.settings)
        }))
    }

    /// The resolver's answer for this request, parsed.
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

/// The token's unverified `iss` as an issuer, to look up among the allowed ones.
fn token_issuer(iss: Option<&str>) -> Result<Issuer, Error> {
    let iss = iss.ok_or_else(|| Error::new(ErrorKind::MissingClaim).with_detail("iss"))?;
    Issuer::parse(iss).map_err(|e| Error::new(ErrorKind::IssuerNotAllowed).with_source(e))
}
