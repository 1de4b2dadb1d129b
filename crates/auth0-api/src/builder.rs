//! [`Auth0Builder`]: every option with a safe default; `build()` checks them all.

use std::sync::Arc;
use std::time::Duration;

use url::Url;

use crate::challenge::{Challenges, is_challenge_safe};
use crate::config::ConfigError;
use crate::domains::{Allowed, DomainsResolver, KeySource, parse_allowed};
use crate::dpop::{DpopMode, NonceConfig};
use crate::exchange::{ClientAuth, ClientSecret, ExchangeOptions};
use crate::issuer::{Audience, Issuer, check_url};
use crate::jwk::{AlgSet, Algorithm};
use crate::jwks::{CachePolicy, Fetcher, KeyCache, KeySettings};
use crate::proxy::TrustProxy;
use crate::replay::{MemoryReplayStore, ReplayStore};
use crate::time::{Clock, SystemClock};
use crate::verifier::{Auth0, Inner, TokenCache};

/// Claims every access token must carry.
const DEFAULT_REQUIRED: [&str; 4] = ["iss", "aud", "exp", "iat"];

/// Configures an [`Auth0`] verifier. Start from [`Auth0::builder`].
///
/// Required: an issuer ([`domain`](Self::domain) or [`issuer`](Self::issuer)) and at least
/// one [`audience`](Self::audience). Everything else has a safe default.
#[must_use]
pub struct Auth0Builder {
    issuer: Option<(&'static str, String)>,
    audiences: Vec<String>,
    dpop_mode: DpopMode,
    dpop_iat_leeway: Duration,
    dpop_iat_offset: Duration,
    algorithms: Option<Vec<Algorithm>>,
    dpop_algorithms: Option<Vec<Algorithm>>,
    leeway: Duration,
    required_claims: Vec<String>,
    realm: String,
    jwks_uri: Option<String>,
    http_client: Option<reqwest::Client>,
    clock: Option<Arc<dyn Clock>>,
    trust_proxy: TrustProxy,
    public_url: Option<String>,
    max_token_bytes: usize,
    fetch_timeout: Duration,
    max_response_bytes: usize,
    policy: CachePolicy,
    token_cache_capacity: u64,
    replay_store: Option<Arc<dyn ReplayStore>>,
    dpop_nonce: Option<NonceConfig>,
    domains: Option<Vec<String>>,
    resolver: Option<Arc<dyn DomainsResolver>>,
    max_issuers: u64,
    exchange: ExchangeOptions,
}

impl Default for Auth0Builder {
    fn default() -> Self {
        Self {
            issuer: None,
            audiences: Vec::new(),
            dpop_mode: DpopMode::Allowed,
            dpop_iat_leeway: Duration::from_secs(30),
            dpop_iat_offset: Duration::from_secs(300),
            algorithms: None,
            dpop_algorithms: None,
            leeway: Duration::ZERO,
            required_claims: Vec::new(),
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
            replay_store: None,
            dpop_nonce: None,
            domains: None,
            resolver: None,
            max_issuers: 100,
            exchange: ExchangeOptions::default(),
        }
    }
}

impl std::fmt::Debug for Auth0Builder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Auth0Builder")
            .field("issuer", &self.issuer)
            .field("audiences", &self.audiences)
            .field("dpop_mode", &self.dpop_mode)
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
        self.audiences.push(audience.into());
        self
    }

    /// Several accepted audiences at once.
    pub fn audiences<I: IntoIterator<Item = S>, S: Into<String>>(mut self, audiences: I) -> Self {
        self.audiences.extend(audiences.into_iter().map(Into::into));
        self
    }

    /// Which schemes are accepted: [`DpopMode::Allowed`] (default), `Disabled` or `Required`.
    pub fn dpop(mut self, mode: DpopMode) -> Self {
        self.dpop_mode = mode;
        self
    }

    /// How far in the future a DPoP proof's `iat` may be (clock skew). Default 30 s.
    pub fn dpop_iat_leeway(mut self, leeway: Duration) -> Self {
        self.dpop_iat_leeway = leeway;
        self
    }

    /// How old a DPoP proof's `iat` may be. Default 300 s.
    pub fn dpop_iat_offset(mut self, offset: Duration) -> Self {
        self.dpop_iat_offset = offset;
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
        self.dpop_algorithms = Some(algs.into_iter().collect());
        self
    }

    /// Clock skew allowed for `exp` and `nbf`. Default 0; at most 5 minutes.
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// Claims that must be present besides `iss`, `aud`, `exp` and `iat`.
    pub fn required_claims<I: IntoIterator<Item = S>, S: Into<String>>(mut self, names: I) -> Self {
        self.required_claims
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
    /// reqwest client with rustls and no redirects.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http_client = Some(client);
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

    /// How long after expiry the last good keys stay in use while the issuer is failing.
    /// Default 24 h.
    pub fn stale_if_error(mut self, window: Duration) -> Self {
        self.policy.stale_if_error = window;
        self
    }

    /// How many verified tokens to remember (by SHA-256 of the token) so repeated tokens
    /// skip the signature check; `exp`/`nbf` and the key are re-checked on every hit.
    /// Default 10,000; 0 disables the cache.
    pub fn token_cache_capacity(mut self, entries: u64) -> Self {
        self.token_cache_capacity = entries;
        self
    }

    /// Where DPoP proof `jti`s are remembered to refuse replays. Default: an in-memory store
    /// (one process). Fleets share one store, e.g. `auth0_api_redis::RedisReplayStore`.
    pub fn replay_store(mut self, store: impl ReplayStore) -> Self {
        self.replay_store = Some(Arc::new(store));
        self
    }

    /// Require DPoP server nonces (RFC 9449 §8). Off by default.
    pub fn dpop_nonce(mut self, nonces: NonceConfig) -> Self {
        self.dpop_nonce = Some(nonces);
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

    /// With multiple custom domains, the most issuers whose keys are cached at once
    /// (least recently used go first). Default 100.
    pub fn max_issuers(mut self, n: u64) -> Self {
        self.max_issuers = n;
        self
    }

    // Token exchange (SPEC §8).

    /// The client id of this API's Auth0 application, for token exchange.
    pub fn client_id(mut self, client_id: impl Into<String>) -> Self {
        self.exchange.client_id = Some(client_id.into());
        self
    }

    /// The client secret of this API's Auth0 application, for token exchange, sent with
    /// HTTP Basic authentication: shorthand for
    /// `client_auth(ClientAuth::client_secret_basic(secret))`.
    pub fn client_secret(self, secret: impl Into<ClientSecret>) -> Self {
        self.client_auth(ClientAuth::client_secret_basic(secret))
    }

    /// How this API authenticates at the token endpoint: `client_secret_basic`,
    /// `client_secret_post` or `private_key_jwt` (see [`ClientAuth`]). Replaces
    /// [`client_secret`](Self::client_secret).
    pub fn client_auth(mut self, auth: ClientAuth) -> Self {
        self.exchange.auth = Some(auth);
        self
    }

    /// Timeout of each token-exchange request, response included. Default 10 s.
    pub fn exchange_timeout(mut self, timeout: Duration) -> Self {
        self.exchange.timeout = timeout;
        self
    }

    /// The token endpoint, instead of the one from discovery (e.g. with
    /// [`jwks_uri`](Self::jwks_uri) and no discovery document).
    pub fn token_endpoint(mut self, url: impl Into<String>) -> Self {
        self.exchange.token_endpoint = Some(url.into());
        self
    }

    /// Checks the configuration and builds the verifier.
    pub fn build(self) -> Result<Auth0, ConfigError> {
        let issuer = match &self.issuer {
            None => None,
            Some((field, raw)) => Some(
                if *field == "domain" {
                    Issuer::from_domain(raw)
                } else {
                    Issuer::parse(raw)
                }
                .map_err(|why| ConfigError::new(field, why))?,
            ),
        };
        let allowed = match (&self.domains, &self.resolver) {
            (Some(_), Some(_)) => {
                return Err(ConfigError::new(
                    "domains",
                    "set a domains list or a resolver, not both",
                ));
            }
            (Some(list), None) => {
                if list.is_empty() {
                    return Err(ConfigError::new("domains", "the list is empty"));
                }
                let parsed = list
                    .iter()
                    .map(|d| parse_allowed(d).map_err(|why| ConfigError::new("domains", why)))
                    .collect::<Result<Vec<_>, _>>()?;
                Allowed::List(parsed)
            }
            (None, Some(r)) => Allowed::Resolver(Arc::clone(r)),
            (None, None) => Allowed::Single,
        };
        if issuer.is_none() && matches!(allowed, Allowed::Single) {
            return Err(ConfigError::new(
                "domain",
                "set a domain, an issuer, or domains",
            ));
        }
        if self.jwks_uri.is_some() && !matches!(allowed, Allowed::Single) {
            return Err(ConfigError::new(
                "jwks_uri",
                "cannot be combined with multiple domains",
            ));
        }

        if self.audiences.is_empty() {
            return Err(ConfigError::new(
                "audience",
                "at least one audience is required",
            ));
        }
        let audiences = self
            .audiences
            .iter()
            .map(|a| {
                Audience::new(a).ok_or_else(|| ConfigError::new("audience", "must not be empty"))
            })
            .collect::<Result<Vec<_>, _>>()?;

        let algs: AlgSet = match &self.algorithms {
            Some(list) => list.iter().copied().collect(),
            None => AlgSet::all(),
        };
        if algs.is_empty() {
            return Err(ConfigError::new("algorithms", "the allowlist is empty"));
        }
        let dpop_algs: AlgSet = match &self.dpop_algorithms {
            Some(list) => list.iter().copied().collect(),
            None => AlgSet::all(),
        };
        if dpop_algs.is_empty() && self.dpop_mode != DpopMode::Disabled {
            return Err(ConfigError::new(
                "dpop_algorithms",
                "the allowlist is empty",
            ));
        }

        if self.leeway > Duration::from_secs(300) {
            return Err(ConfigError::new("leeway", "at most 300 seconds"));
        }
        if self.dpop_iat_leeway > Duration::from_secs(300) {
            return Err(ConfigError::new("dpop_iat_leeway", "at most 300 seconds"));
        }
        if self.dpop_iat_offset.is_zero() || self.dpop_iat_offset > Duration::from_secs(3600) {
            return Err(ConfigError::new(
                "dpop_iat_offset",
                "between 1 second and 1 hour",
            ));
        }
        if self.realm.is_empty() || !self.realm.bytes().all(is_challenge_safe) {
            return Err(ConfigError::new(
                "realm",
                "must be non-empty printable ASCII without quotes or backslashes",
            ));
        }
        let mut required_claims: Vec<Box<str>> =
            DEFAULT_REQUIRED.iter().map(|c| Box::from(*c)).collect();
        for c in &self.required_claims {
            if c.is_empty() {
                return Err(ConfigError::new(
                    "required_claims",
                    "claim names must not be empty",
                ));
            }
            if !required_claims.iter().any(|r| **r == **c) {
                required_claims.push(c.as_str().into());
            }
        }
        let jwks_uri = match &self.jwks_uri {
            None => None,
            Some(s) => {
                let url = Url::parse(s)
                    .map_err(|_| ConfigError::new("jwks_uri", "not an absolute URL"))?;
                check_url(&url).map_err(|why| ConfigError::new("jwks_uri", why))?;
                Some(url)
            }
        };
        let public_url = match &self.public_url {
            None => None,
            Some(s) => Some(parse_public_url(s)?),
        };
        if self.max_token_bytes < 64 {
            return Err(ConfigError::new("max_token_size", "at least 64 bytes"));
        }
        if self.fetch_timeout.is_zero() {
            return Err(ConfigError::new("fetch_timeout", "must be positive"));
        }
        let p = &self.policy;
        if p.min_ttl > p.max_ttl {
            return Err(ConfigError::new(
                "jwks_cache_ttl",
                "min is greater than max",
            ));
        }

        let exchange = self.exchange.build(self.max_response_bytes)?;

        let client = match self.http_client {
            Some(c) => c,
            None => reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .connect_timeout(self.fetch_timeout)
                .build()
                .map_err(|_| {
                    ConfigError::new("http_client", "the default HTTP client could not be built")
                })?,
        };
        let clock: Arc<dyn Clock> = self.clock.unwrap_or_else(|| Arc::new(SystemClock));
        let fetcher = Fetcher::new(client, self.fetch_timeout, self.max_response_bytes);
        let settings = KeySettings {
            fetcher: fetcher.clone(),
            clock: Arc::clone(&clock),
            algs,
            policy: self.policy.clone(),
        };
        let primary = issuer
            .clone()
            .map(|issuer| Arc::new(KeyCache::new(issuer, jwks_uri, settings.clone())));
        let keys = KeySource::new(primary, allowed, self.max_issuers, settings);
        let dpop_alg_names: Vec<&str> = dpop_algs.iter().map(Algorithm::name).collect();
        let challenges = Challenges::new(self.dpop_mode, &self.realm, &dpop_alg_names);

        Ok(Auth0::from_inner(Inner {
            issuer,
            audiences,
            dpop_mode: self.dpop_mode,
            dpop_iat_leeway: self.dpop_iat_leeway,
            dpop_iat_offset: self.dpop_iat_offset,
            algs,
            dpop_algs,
            leeway_secs: self.leeway.as_secs(),
            required_claims,
            trust_proxy: self.trust_proxy,
            public_url,
            max_token_bytes: self.max_token_bytes,
            clock,
            fetcher,
            keys,
            challenges,
            token_cache: TokenCache::new(self.token_cache_capacity),
            replay_store: self
                .replay_store
                .unwrap_or_else(|| Arc::new(MemoryReplayStore::new())),
            dpop_nonce: self.dpop_nonce,
            exchange,
        }))
    }
}

/// A public base URL: absolute http(s), no query, fragment or credentials; stored without
/// a trailing slash so request paths append directly.
fn parse_public_url(s: &str) -> Result<Url, ConfigError> {
    let err = |why| ConfigError::new("public_url", why);
    let url = Url::parse(s).map_err(|_| err("not an absolute URL"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(err("the scheme must be http or https"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(err("a host is required"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(err("a query or fragment is not allowed"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(err("credentials are not allowed"));
    }
    Ok(url)
}
