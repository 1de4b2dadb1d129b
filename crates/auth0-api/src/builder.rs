//! [`Auth0Builder`]: every option with a safe default; `build()` checks them all.

use std::sync::Arc;
use std::time::Duration;

use crate::challenge::{Challenges, is_challenge_safe};
use crate::claims::VerifierId;
use crate::config::{ConfigError, ConfigErrorKind};
use crate::domains::{DomainsResolver, parse_allowed};
use crate::dpop::{DpopMode, DpopOptions, NonceConfig};
use crate::http::{HttpClient, ReqwestClient};
use crate::issuer::{Issuer, configured_url};
use crate::jwk::{AlgSet, Algorithm};
use crate::jwks::{Allowed, CachePolicy, FetchBudget, Fetcher, KeyCache, KeySettings, KeySource};
use crate::jws::HeaderCache;
use crate::proxy::{TrustProxy, UrlPolicy};
use crate::replay::ReplayStore;
use crate::rules::RuleOptions;
use crate::time::{Clock, SystemClock};
use crate::token::{TokenCache, TokenHeader, TokenVerifier};
use crate::verifier::Auth0;

/// Default cap on key fetches per second, for all issuers together.
const DEFAULT_KEY_FETCHES_PER_SECOND: u32 = 20;

/// Configures an [`Auth0`] verifier. Start from [`Auth0::builder`].
///
/// Required: an issuer ([`domain`](Self::domain) or [`issuer`](Self::issuer)) and at least
/// one [`audience`](Self::audience). Everything else has a safe default. Each part of the
/// configuration is checked by the module that uses it; [`build`](Self::build) composes
/// them and returns the first [`ConfigError`].
#[must_use]
pub struct Auth0Builder {
    issuer: Option<(&'static str, String)>,
    rules: RuleOptions,
    dpop: DpopOptions,
    algorithms: Option<Vec<Algorithm>>,
    realm: String,
    jwks_uri: Option<String>,
    http_client: Option<Arc<dyn HttpClient>>,
    clock: Option<Arc<dyn Clock>>,
    trust_proxy: TrustProxy,
    public_url: Option<String>,
    max_token_bytes: usize,
    fetch_timeout: Duration,
    max_response_bytes: usize,
    policy: CachePolicy,
    token_cache_capacity: u64,
    domains: Option<Vec<String>>,
    resolver: Option<Arc<dyn DomainsResolver>>,
    max_issuers: u64,
    max_key_fetches_per_second: u32,
}

impl Default for Auth0Builder {
    fn default() -> Self {
        Self {
            issuer: None,
            rules: RuleOptions::default(),
            dpop: DpopOptions::default(),
            algorithms: None,
            realm: "api".to_owned(),
            jwks_uri: None,
            http_client: None,
            clock: None,
            trust_proxy: TrustProxy::default(),
            public_url: None,
            max_token_bytes: 16 * 1024,
            fetch_timeout: Duration::from_secs(5),
            max_response_bytes: 1024 * 1024,
            policy: CachePolicy::default(),
            token_cache_capacity: 10_000,
            domains: None,
            resolver: None,
            max_issuers: 100,
            max_key_fetches_per_second: DEFAULT_KEY_FETCHES_PER_SECOND,
        }
    }
}

impl std::fmt::Debug for Auth0Builder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Auth0Builder")
            .field("issuer", &self.issuer)
            .field("audiences", &self.rules.audiences)
            .field("dpop", &self.dpop)
            .field("domains", &self.domains)
            .finish_non_exhaustive()
    }
}

impl Auth0Builder {
    /// The Auth0 tenant domain, e.g. `my-tenant.us.auth0.com`; the issuer becomes
    /// `https://{domain}/`.
    pub fn domain(mut self, domain: impl Into<String>) -> Self {
        self.issuer = Some(("domain", domain.into()));
        self
    }

    /// The issuer URL for any OpenID Connect provider, e.g. `https://id.example.com/`.
    /// `http://` is accepted only for loopback hosts (local development and tests).
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = Some(("issuer", issuer.into()));
        self
    }

    /// An accepted audience; call again to accept several. The token's `aud` (string or
    /// array) must contain one of them.
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.rules.audiences.push(audience.into());
        self
    }

    /// Several accepted audiences at once.
    pub fn audiences<I: IntoIterator<Item = S>, S: Into<String>>(mut self, audiences: I) -> Self {
        self.rules
            .audiences
            .extend(audiences.into_iter().map(Into::into));
        self
    }

    /// Which schemes are accepted: [`DpopMode::Allowed`] (default), `Disabled` or `Required`.
    pub fn dpop(mut self, mode: DpopMode) -> Self {
        self.dpop.mode = mode;
        self
    }

    /// How far in the future a DPoP proof's `iat` may be (clock skew). Default 30 s.
    ///
    /// It is also the clock difference a fleet tolerates: a proof's `jti` is remembered
    /// until `iat + offset + leeway + 1 s`, so instances sharing one replay store whose
    /// clocks differ by at most the leeway all refuse a replay for as long as any of them
    /// would accept the proof's `iat`.
    pub fn dpop_iat_leeway(mut self, leeway: Duration) -> Self {
        self.dpop.iat_leeway = leeway;
        self
    }

    /// How old a DPoP proof's `iat` may be. Default 300 s.
    pub fn dpop_iat_offset(mut self, offset: Duration) -> Self {
        self.dpop.iat_offset = offset;
        self
    }

    /// The access-token algorithm allowlist. Default: every supported asymmetric algorithm.
    pub fn algorithms<I: IntoIterator<Item = Algorithm>>(mut self, algs: I) -> Self {
        self.algorithms = Some(algs.into_iter().collect());
        self
    }

    /// The DPoP proof algorithm allowlist, advertised in the `algs` challenge parameter.
    /// Default: every supported asymmetric algorithm.
    pub fn dpop_algorithms<I: IntoIterator<Item = Algorithm>>(mut self, algs: I) -> Self {
        self.dpop.algorithms = Some(algs.into_iter().collect());
        self
    }

    /// Clock skew allowed for `exp` and `nbf`. Default 0; at most 5 minutes.
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.rules.leeway = leeway;
        self
    }

    /// Claims that must be present besides `iss`, `aud`, `exp` and `iat`.
    pub fn required_claims<I: IntoIterator<Item = S>, S: Into<String>>(mut self, names: I) -> Self {
        self.rules
            .required_claims
            .extend(names.into_iter().map(Into::into));
        self
    }

    /// The `realm` of the Bearer challenge. Default `api`.
    pub fn realm(mut self, realm: impl Into<String>) -> Self {
        self.realm = realm.into();
        self
    }

    /// Fetch keys from this JWKS URL directly, skipping discovery. Tokens must then carry
    /// exactly the configured issuer.
    pub fn jwks_uri(mut self, uri: impl Into<String>) -> Self {
        self.jwks_uri = Some(uri.into());
        self
    }

    /// The HTTP client for discovery and JWKS fetches (and token exchange). Default: a
    /// reqwest client with rustls that never follows redirects. See [`HttpClient`] for
    /// what an implementation must do.
    pub fn http_client(mut self, client: impl HttpClient) -> Self {
        self.http_client = Some(Arc::new(client));
        self
    }

    /// The clock for every time check. Default: [`SystemClock`].
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Some(Arc::new(clock));
        self
    }

    /// Which peers may tell the request's public URL through `Forwarded` /
    /// `X-Forwarded-*` headers (used for the DPoP `htu` check). Default: none.
    pub fn trust_proxy(mut self, trust: impl Into<TrustProxy>) -> Self {
        self.trust_proxy = trust.into();
        self
    }

    /// The public base URL clients use (e.g. `https://api.example.com`), checked against
    /// DPoP `htu` instead of anything the request says. The safest option behind a proxy.
    pub fn public_url(mut self, url: impl Into<String>) -> Self {
        self.public_url = Some(url.into());
        self
    }

    /// The largest access token accepted, in bytes. Default 16 KiB.
    pub fn max_token_size(mut self, bytes: usize) -> Self {
        self.max_token_bytes = bytes;
        self
    }

    /// Timeout of each discovery and JWKS fetch. Default 5 s.
    pub fn fetch_timeout(mut self, timeout: Duration) -> Self {
        self.fetch_timeout = timeout;
        self
    }

    /// Bounds for the keys' cache lifetime taken from `Cache-Control: max-age`, and the
    /// lifetime used without one. Defaults: 60 s, 24 h, 10 min.
    pub fn jwks_cache_ttl(mut self, min: Duration, max: Duration, default: Duration) -> Self {
        self.policy.min_ttl = min;
        self.policy.max_ttl = max;
        self.policy.default_ttl = default;
        self
    }

    /// At most one JWKS refetch per this interval is caused by unknown `kid`s. Default 30 s.
    pub fn unknown_kid_cooldown(mut self, cooldown: Duration) -> Self {
        self.policy.unknown_kid_cooldown = cooldown;
        self
    }

    /// Refuse a discovered `jwks_uri` on another host (or port) than the issuer's, for
    /// issuers that always serve their keys themselves. Off by default: some issuers
    /// (e.g. behind a CDN) serve keys from another host.
    pub fn require_jwks_on_issuer_host(mut self, require: bool) -> Self {
        self.policy.jwks_on_issuer_host = require;
        self
    }

    /// How long after expiry the last good keys stay in use while the issuer is failing.
    /// Default 24 h.
    pub fn stale_if_error(mut self, window: Duration) -> Self {
        self.policy.stale_if_error = window;
        self
    }

    /// How many verified tokens to remember (by SHA-256 of the token) so repeated tokens
    /// skip the signature check; `exp`/`nbf` and the key are re-checked on every hit.
    /// Default 10,000; 0 disables the cache.
    ///
    /// A token is stored on its second verified sighting: the first only marks it in a
    /// small Bloom filter (32 bits per entry, at most 1 MiB; its first sightings are
    /// forgotten after as many as the capacity, the cached tokens kept), so tokens used once
    /// cost no insert and no memory; and since every cached token is in the filter, a token
    /// it never saw is not hashed or looked up at all.
    /// While the cache is full, one in 16 of those second sightings is offered to it, so
    /// more live tokens than entries do not turn every miss into an insert and an eviction;
    /// a token that keeps coming back still gets in. Beyond the capacity the cache keeps the
    /// tokens seen most often (TinyLFU) and drops entries idle for an hour. Size it to the
    /// number of distinct tokens in use within an hour (each entry holds the token's claims,
    /// about 1 KiB for a typical Auth0 access token).
    pub fn token_cache_capacity(mut self, entries: u64) -> Self {
        self.token_cache_capacity = entries;
        self
    }

    /// Where DPoP proof `jti`s are remembered to refuse replays. Default: an in-memory store
    /// (one process). Fleets share one store, e.g. `auth0_api_redis::RedisReplayStore`.
    pub fn replay_store(mut self, store: impl ReplayStore) -> Self {
        self.dpop.replay_store = Some(Arc::new(store));
        self
    }

    /// Require DPoP server nonces (RFC 9449 §8). Off by default.
    pub fn dpop_nonce(mut self, nonces: NonceConfig) -> Self {
        self.dpop.nonce = Some(nonces);
        self
    }

    /// Multiple custom domains: accept tokens from each of these issuers (domains such as
    /// `login.example.com`, or issuer URLs), each with its own discovery and keys. The
    /// token's `iss` is checked against this list before any network call.
    pub fn domains<I: IntoIterator<Item = S>, S: Into<String>>(mut self, domains: I) -> Self {
        self.domains = Some(domains.into_iter().map(Into::into).collect());
        self
    }

    /// Multiple custom domains decided per request by `resolver`, e.g. from the `Host` the
    /// request came to. A resolver error refuses the request with 500.
    ///
    /// ```
    /// # use auth0_api::{Auth0, ResolverContext};
    /// let auth0 = Auth0::builder()
    ///     .audience("https://api.example.com")
    ///     .domains_resolver(|ctx: ResolverContext| async move {
    ///         let host = ctx.headers.as_ref().and_then(|h| h.get("host")).and_then(|h| h.to_str().ok());
    ///         match host {
    ///             Some("api.brand-a.com") => Ok(vec!["login.brand-a.com".to_owned()]),
    ///             _ => Err("unknown host"),
    ///         }
    ///     })
    ///     .build()?;
    /// # Ok::<(), auth0_api::ConfigError>(())
    /// ```
    pub fn domains_resolver(mut self, resolver: impl DomainsResolver) -> Self {
        self.resolver = Some(Arc::new(resolver));
        self
    }

    /// With a [`domains_resolver`](Self::domains_resolver), the most issuers whose keys are
    /// cached at once. Default 100. (The issuers of a fixed [`domains`](Self::domains) list
    /// are all cached for the life of the verifier, whatever this says.)
    ///
    /// The cache is TinyLFU (moka): when it is full, a new issuer is admitted only if it has
    /// been asked for more often, by an estimate of recent frequency, than the least
    /// recently used cached issuer, which it then evicts. Issuers seen rarely (for example
    /// in tokens rotating over many tenants) do not push out the ones in steady use.
    ///
    /// An issuer's fetch limits outlive its cached keys: its unknown-`kid` cooldown, its
    /// retry delay after failed fetches, and the time its keys were last loaded are kept for
    /// up to `16 × max_issuers` issuers (at least 1,024, about 200 bytes each). A cache
    /// created again for an issuer whose keys were loaded within the
    /// [`unknown_kid_cooldown`](Self::unknown_kid_cooldown) does not fetch them again until
    /// the cooldown ends (503 with `Retry-After` meanwhile), unless a verified token still
    /// held them, and every fetch counts against
    /// [`max_key_fetches_per_second`](Self::max_key_fetches_per_second).
    pub fn max_issuers(mut self, n: u64) -> Self {
        self.max_issuers = n;
        self
    }

    /// The most discovery + JWKS fetches this verifier starts per second, for all its
    /// issuers together (a token bucket holding one second's worth). Default 20; zero is
    /// refused.
    ///
    /// A fetch beyond it is not made: a request that needs keys its issuer's cache lacks is
    /// refused with 503 and `Retry-After`, a token with an unknown `kid` with 401, and a
    /// background refresh waits for the next request (the current keys stay in use). It
    /// bounds what tokens naming many issuers, or random `kid`s, can make the verifier send
    /// to issuers.
    pub fn max_key_fetches_per_second(mut self, n: u32) -> Self {
        self.max_key_fetches_per_second = n;
        self
    }

    /// Checks the configuration and builds the verifier. Does no network I/O: keys are
    /// fetched on first use.
    pub fn build(self) -> Result<Auth0, ConfigError> {
        let issuer = self.parsed_issuer()?;
        let allowed = self.allowed_issuers(issuer.is_some())?;
        let rules = self.rules.build()?;
        let algs = algorithms(self.algorithms.as_deref())?;
        let realm = realm(&self.realm)?;
        let jwks_uri = self
            .jwks_uri
            .as_deref()
            .map(|s| configured_url("jwks_uri", s))
            .transpose()?;
        let urls = UrlPolicy::new(self.trust_proxy, self.public_url.as_deref())?;
        if self.max_token_bytes < 64 {
            return Err(ConfigError::new(
                "max_token_size",
                ConfigErrorKind::OutOfRange,
                "at least 64 bytes",
            )
            .with_value(self.max_token_bytes));
        }
        if self.fetch_timeout.is_zero() {
            return Err(ConfigError::new(
                "fetch_timeout",
                ConfigErrorKind::OutOfRange,
                "must be positive",
            ));
        }
        cache_policy(&self.policy)?;
        if self.max_key_fetches_per_second == 0 {
            return Err(ConfigError::new(
                "max_key_fetches_per_second",
                ConfigErrorKind::OutOfRange,
                "must be positive: with zero, keys are never fetched",
            ));
        }

        let clock: Arc<dyn Clock> = self.clock.unwrap_or_else(|| Arc::new(SystemClock));
        let dpop = self.dpop.build(Arc::clone(&clock))?;
        let client: Arc<dyn HttpClient> = match self.http_client {
            Some(c) => c,
            None => Arc::new(ReqwestClient::new(self.fetch_timeout).map_err(|_| {
                ConfigError::new(
                    "http_client",
                    ConfigErrorKind::Unavailable,
                    "the default HTTP client could not be built",
                )
            })?),
        };
        let fetcher = Fetcher::new(client, self.fetch_timeout, self.max_response_bytes);
        let settings = KeySettings {
            fetcher: fetcher.clone(),
            clock: Arc::clone(&clock),
            algs,
            policy: self.policy,
            budget: Arc::new(FetchBudget::new(self.max_key_fetches_per_second)),
        };
        let primary = issuer
            .clone()
            .map(|issuer| Arc::new(KeyCache::new(issuer, jwks_uri, settings.clone())));
        let keys = KeySource::new(primary, allowed, self.max_issuers, settings);
        let dpop_alg_names: Vec<&str> = dpop.algorithms().iter().map(Algorithm::name).collect();
        let challenges = Challenges::new(dpop.mode(), realm, &dpop_alg_names);
        let tokens = TokenVerifier {
            id: VerifierId::next(),
            algs,
            rules,
            keys,
            cache: TokenCache::new(self.token_cache_capacity),
            headers: HeaderCache::new(TokenHeader::SLOTS),
            max_token_bytes: self.max_token_bytes,
            clock,
        };
        Ok(Auth0::from_parts(
            issuer, tokens, dpop, urls, challenges, fetcher,
        ))
    }

    fn parsed_issuer(&self) -> Result<Option<Issuer>, ConfigError> {
        match &self.issuer {
            None => Ok(None),
            Some(("domain", raw)) => Issuer::from_domain(raw).map(Some),
            Some((_, raw)) => Issuer::parse(raw).map(Some),
        }
    }

    /// Which issuers tokens may come from, besides the configured one.
    fn allowed_issuers(&self, has_issuer: bool) -> Result<Allowed, ConfigError> {
        let allowed = match (&self.domains, &self.resolver) {
            (Some(_), Some(_)) => {
                return Err(ConfigError::new(
                    "domains",
                    ConfigErrorKind::Conflict,
                    "set a domains list or a resolver, not both",
                ));
            }
            (Some(list), None) => {
                if list.is_empty() {
                    return Err(ConfigError::new(
                        "domains",
                        ConfigErrorKind::Empty,
                        "the list is empty",
                    ));
                }
                let parsed = list
                    .iter()
                    .map(|d| parse_allowed(d))
                    .collect::<Result<Vec<_>, _>>()?;
                Allowed::List(parsed)
            }
            (None, Some(r)) => Allowed::Resolver(Arc::clone(r)),
            (None, None) => Allowed::Single,
        };
        if !has_issuer && matches!(allowed, Allowed::Single) {
            return Err(ConfigError::new(
                "domain",
                ConfigErrorKind::Missing,
                "set a domain, an issuer, or domains",
            ));
        }
        if self.jwks_uri.is_some() && !matches!(allowed, Allowed::Single) {
            return Err(ConfigError::new(
                "jwks_uri",
                ConfigErrorKind::Conflict,
                "cannot be combined with multiple domains",
            ));
        }
        Ok(allowed)
    }
}

/// The access-token algorithm allowlist.
fn algorithms(list: Option<&[Algorithm]>) -> Result<AlgSet, ConfigError> {
    let algs: AlgSet = match list {
        Some(list) => list.iter().copied().collect(),
        None => AlgSet::all(),
    };
    if algs.is_empty() {
        return Err(ConfigError::new(
            "algorithms",
            ConfigErrorKind::Empty,
            "the allowlist is empty",
        ));
    }
    Ok(algs)
}

/// The key-cache timing rules: TTL bounds in order, and no zero cooldown or TTL, either of
/// which would let every request with a random `kid` (or every request) fetch from the
/// issuer.
fn cache_policy(p: &CachePolicy) -> Result<(), ConfigError> {
    if p.min_ttl.is_zero() {
        return Err(ConfigError::new(
            "jwks_cache_ttl",
            ConfigErrorKind::OutOfRange,
            "the minimum TTL must be positive",
        ));
    }
    if p.min_ttl > p.max_ttl || p.default_ttl < p.min_ttl || p.default_ttl > p.max_ttl {
        return Err(ConfigError::new(
            "jwks_cache_ttl",
            ConfigErrorKind::OutOfRange,
            "expected min <= default <= max",
        ));
    }
    if p.unknown_kid_cooldown.is_zero() {
        return Err(ConfigError::new(
            "unknown_kid_cooldown",
            ConfigErrorKind::OutOfRange,
            "must be positive: without it, random kids make every request fetch the JWKS",
        ));
    }
    Ok(())
}

/// The Bearer `realm`, which goes into challenges unescaped.
fn realm(realm: &str) -> Result<&str, ConfigError> {
    if realm.is_empty() || !realm.bytes().all(is_challenge_safe) {
        return Err(ConfigError::new(
            "realm",
            ConfigErrorKind::Malformed,
            "must be non-empty printable ASCII without quotes or backslashes",
        ));
    }
    Ok(realm)
}
