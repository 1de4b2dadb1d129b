//! Access-token verification on its own (RFC 7515, RFC 9068): size, compact JWS, `alg`, `typ`,
//! the key by `kid`, the signature, then the claim rules; with the verified-token cache in
//! front.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use aws_lc_rs::digest;

use crate::claims::{Claims, VerifierId};
use crate::error::{Error, ErrorKind};
use crate::jose::SignatureBuf;
use crate::jwk::{AlgSet, Algorithm, PublicKey};
use crate::jwks::{KeyCache, KeySource, RequestInfo, Snapshot};
use crate::jws::{self, HeaderCache, HeaderError, JwsError};
use crate::keyed::KeyedHash;
use crate::recent::Recent;
use crate::rules::TokenRules;
use crate::telemetry;
use crate::time::{Clock, UnixTime};

/// Verifies access tokens: owns the algorithm allowlist, the claim rules, the key source
/// and the verified-token cache.
pub(crate) struct TokenVerifier {
    pub(crate) id: VerifierId,
    pub(crate) algs: AlgSet,
    pub(crate) rules: TokenRules,
    pub(crate) keys: KeySource,
    pub(crate) cache: TokenCache,
    /// Accepted access-token headers (one per issuer signing key).
    pub(crate) headers: HeaderCache<TokenHeader>,
    pub(crate) max_token_bytes: usize,
    pub(crate) clock: Arc<dyn Clock>,
}

/// An access token's protected header that passed every check: `alg` allowed, no `crit`,
/// `typ` absent or an access token's, `kid` absent or a string.
pub(crate) struct TokenHeader {
    alg: Algorithm,
    kid: Option<Box<str>>,
}

impl TokenHeader {
    /// Number of headers kept: one per signing key of the issuers in use.
    pub(crate) const SLOTS: usize = 64;

    /// Decodes and checks a header (its base64url text).
    fn parse(text: &[u8], allowed: AlgSet) -> Result<Self, HeaderError> {
        let (alg, header) = jws::decode_header(text, allowed).map_err(HeaderError::Jws)?;
        let typ = jws::header_str(&header, "typ")
            .map_err(|_| HeaderError::Use(Error::new(ErrorKind::InvalidTokenType)))?;
        TokenRules::check_typ(typ).map_err(HeaderError::Use)?;
        let kid = jws::header_str(&header, "kid").map_err(|_| {
            HeaderError::Use(Error::new(ErrorKind::MalformedToken).with_detail("kid"))
        })?;
        Ok(Self {
            alg,
            kid: kid.map(Box::from),
        })
    }
}

/// A token split and decoded, its header checked.
type Decoded<'t, 'b> = jws::Compact<'t, 'b, Arc<TokenHeader>, crate::payload::Payload>;

/// A token not found in the cache, with what the lookup worked out for the cache: its
/// doorkeeper mark and its SHA-256, when computed.
#[derive(Clone, Copy)]
struct Fresh<'t> {
    token: &'t [u8],
    mark: Option<u64>,
    cache_key: Option<[u8; 32]>,
}

/// A verified token remembered by the SHA-256 of its compact form.
pub(crate) struct CachedToken {
    claims: Claims,
    key: Arc<PublicKey>,
    keys: Arc<KeyCache>,
    /// The token's SHA-256 (its cache key), for a DPoP proof's `ath` when the token is
    /// found among the most recent hits without hashing it.
    sha256: [u8; 32],
}

/// Verified tokens, so a repeated token costs a hash and a lookup instead of a signature
/// check.
///
/// Admission: a token is stored on its **second** verified sighting. The first one only
/// sets two bits in a [`Doorkeeper`] (a small Bloom filter), so a token that never comes
/// back (a new token every request) costs no cache insert and no memory. When the cache is
/// full, only one in [`FULL_ADMIT_EVERY`] of those second sightings is offered to it: with
/// more live tokens than entries (many clients, randomly ordered), every miss would
/// otherwise be an insert that evicts another entry (an insert storm that costs more than
/// it saves), while a token that keeps coming back still gets in after a few more
/// sightings. Eviction: beyond the capacity, the cache's TinyLFU policy keeps the tokens
/// seen most often; an entry idle for an hour is dropped. Entries are dropped when their
/// key leaves the JWKS; `exp`/`nbf` are re-checked on every hit. Only tokens whose
/// signature and claims verified reach the doorkeeper or the cache, and the cache is keyed
/// by the SHA-256 of the whole token, so a token differing in any byte never hits.
///
/// Lookup: the doorkeeper also holds every cached token (a clear of its first sightings
/// puts the cached ones back), so a token it has never seen is not looked up at all: a
/// token seen for the first time costs neither the SHA-256 nor the cache lookup, only the
/// signature check and the claims. The doorkeeper knows a token by a keyed hash of its
/// last 16 bytes (the end of the signature); two tokens sharing them only cost a lookup
/// that misses, never a wrong hit.
///
/// In front of it, the tokens that hit most recently ([`Recent`]: 256 slots, tokens up to
/// 2 KiB, so at most 512 KiB) are found by comparing the whole token text in constant time,
/// without hashing it: a token that hits the cache is offered there, and a hit there skips
/// the SHA-256 and the cache lookup (which together cost more than the rest of a hit). The
/// same checks follow either hit. A token found there does not refresh its entry in the
/// cache behind, which may then drop it as idle; it is found there as long as it keeps its
/// slot, and verified and admitted again after.
pub(crate) struct TokenCache<V = Arc<CachedToken>>(Option<Entries<V>>);

struct Entries<V> {
    /// The tokens that hit most recently, found without hashing them.
    recent: Recent<V>,
    map: moka::sync::Cache<[u8; 32], Admitted<V>>,
    doorkeeper: Doorkeeper,
    /// Admissions attempted while the cache was full.
    full_attempts: AtomicU64,
}

/// A cached value with its token's doorkeeper mark, put back after a doorkeeper clear.
#[derive(Clone)]
struct Admitted<V> {
    mark: u64,
    value: V,
}

/// While the cache is full, one in this many admissible tokens is offered to it.
pub(crate) const FULL_ADMIT_EVERY: u64 = 16;

impl<V: Clone + Send + Sync + 'static> TokenCache<V> {
    pub(crate) fn new(capacity: u64) -> Self {
        Self((capacity > 0).then(|| {
            Entries {
                recent: Recent::new(),
                map: moka::sync::Cache::builder()
                    .max_capacity(capacity)
                    .time_to_idle(Duration::from_secs(3600))
                    .build(),
                doorkeeper: Doorkeeper::new(capacity),
                full_attempts: AtomicU64::new(0),
            }
        }))
    }

    /// The cache key of `token` (its SHA-256), when the cache is on.
    fn key(&self, token: &[u8]) -> Option<[u8; 32]> {
        self.0.as_ref().map(|_| sha256(token))
    }

    fn enabled(&self) -> bool {
        self.0.is_some()
    }

    /// What the doorkeeper knows `token` by, when the cache is on: worked out once per
    /// request, for [`TokenCache::may_hold`] and then [`TokenCache::admit`].
    fn mark(&self, token: &[u8]) -> Option<u64> {
        self.0.as_ref().map(|e| e.doorkeeper.mark(token))
    }

    /// Whether the token whose [`TokenCache::mark`] is `mark` may be cached: the
    /// doorkeeper saw it (or a token ending the same). `false` proves it is not: a cached
    /// token's mark is always in the doorkeeper.
    fn may_hold(&self, mark: Option<u64>) -> bool {
        self.0
            .as_ref()
            .zip(mark)
            .is_some_and(|(e, mark)| e.doorkeeper.contains(mark))
    }

    fn get(&self, key: &[u8; 32]) -> Option<V> {
        self.0
            .as_ref()
            .and_then(|e| e.map.get(key))
            .map(|a| a.value)
    }

    /// `token` among the most recent hits: compared whole, not hashed.
    fn recent(&self, token: &[u8]) -> Option<V> {
        self.0.as_ref().and_then(|e| e.recent.get(token))
    }

    /// Offers a token that just hit to the most recent hits.
    fn promote(&self, token: &[u8], value: &V) {
        if let Some(e) = &self.0 {
            e.recent.offer(token, || value.clone());
        }
    }

    /// Forgets `token`, cached under `key` (its SHA-256).
    fn invalidate(&self, token: &[u8], key: &[u8; 32]) {
        if let Some(e) = &self.0 {
            e.recent.remove(token);
            e.map.invalidate(key);
        }
    }

    /// Remembers a verified token when it passes the admission policy (seen before);
    /// returns whether it was stored. `mark` is its [`TokenCache::mark`] and `key` its
    /// SHA-256 when the caller has them: on a first sighting the key is not needed.
    /// `entry` builds the value from that key.
    fn admit(
        &self,
        token: &[u8],
        mark: Option<u64>,
        key: Option<[u8; 32]>,
        entry: impl FnOnce(&[u8; 32]) -> V,
    ) -> bool {
        let Some(e) = &self.0 else {
            return false;
        };
        let mark = mark.unwrap_or_else(|| e.doorkeeper.mark(token));
        match e.doorkeeper.seen_before(mark) {
            Sighting::Again => {}
            Sighting::First { cleared } => {
                if cleared {
                    // The cached tokens go back in, so that they are still looked up.
                    for (_, a) in &e.map {
                        e.doorkeeper.record(a.mark);
                    }
                }
                return false;
            }
        }
        let full = e
            .map
            .policy()
            .max_capacity()
            .is_some_and(|c| e.map.entry_count() >= c);
        if full && e.full_attempts.fetch_add(1, Ordering::Relaxed) % FULL_ADMIT_EVERY != 0 {
            return false;
        }
        let key = key.unwrap_or_else(|| sha256(token));
        e.map.insert(
            key,
            Admitted {
                mark,
                value: entry(&key),
            },
        );
        true
    }

    /// Whether `token` is cached.
    #[cfg(test)]
    pub(crate) fn contains(&self, token: &str) -> bool {
        self.key(token.as_bytes())
            .is_some_and(|k| self.get(&k).is_some())
    }

    /// Whether `token` is among the most recent hits.
    #[cfg(test)]
    pub(crate) fn is_recent(&self, token: &str) -> bool {
        self.recent(token.as_bytes()).is_some()
    }
}

/// What [`Doorkeeper::seen_before`] found.
enum Sighting {
    /// Recorded before (or a false positive).
    Again,
    /// Not recorded before; recorded now. `cleared`: the filter was emptied first.
    First { cleared: bool },
}

/// Tokens verified at least once, and every cached token: a Bloom filter with two probes
/// in one 64-bit word (a blocked filter: one memory access per lookup), 32 bits per cache
/// entry (a power of two, between 4 Ki and 8 Mi bits: at most 1 MiB).
/// Its first sightings are forgotten after as many as the cache holds entries (the cached
/// tokens are then put back), so it stays bounded and holds at most twice the capacity;
/// its false-positive rate stays near 1.5 %. A false positive only costs a cache lookup
/// that misses, or caches a verified token one sighting early.
struct Doorkeeper {
    words: Box<[AtomicU64]>,
    /// Number of bits - 1 (the bit count is a power of two).
    mask: u64,
    /// First sightings recorded since the last clear.
    added: AtomicU64,
    clear_after: u64,
    /// Per-process random key of the marks.
    keys: KeyedHash,
}

impl Doorkeeper {
    const MIN_BITS: u64 = 1 << 12;
    const MAX_BITS: u64 = 1 << 23;

    fn new(capacity: u64) -> Self {
        let bits = capacity
            .saturating_mul(32)
            .clamp(Self::MIN_BITS, Self::MAX_BITS)
            .next_power_of_two();
        Self {
            words: (0..bits / 64).map(|_| AtomicU64::new(0)).collect(),
            mask: bits - 1,
            added: AtomicU64::new(0),
            clear_after: capacity.max(1),
            keys: KeyedHash::new(),
        }
    }

    /// What a token is known by: a keyed hash of its last 16 bytes. In a token whose
    /// signature verified they are signature bytes, which differ between tokens; no
    /// hashing of the whole token.
    fn mark(&self, token: &[u8]) -> u64 {
        self.keys.hash(&crate::recent::tail::<16>(token))
    }

    /// The word of `mark` and its two bits in that word (distinct): one word, so a lookup
    /// costs one memory access where two bits anywhere in the filter would cost two cache
    /// misses. `mark` is a keyed hash, so its bits are uniform: the word comes from its low
    /// bits, the two bit positions from its top twelve.
    fn probe(&self, mark: u64) -> (Option<&AtomicU64>, u64) {
        let word = usize::try_from((mark & self.mask) / 64)
            .ok()
            .and_then(|i| self.words.get(i));
        let first = (mark >> 52) & 63;
        let second = (first + 1 + (mark >> 58) % 63) % 64;
        (word, 1 << first | 1 << second)
    }

    /// Whether `mark` is recorded (or a false positive), without recording it.
    fn contains(&self, mark: u64) -> bool {
        let (word, bits) = self.probe(mark);
        word.is_some_and(|w| w.load(Ordering::Relaxed) & bits == bits)
    }

    /// Sets the bits of `mark`.
    fn record(&self, mark: u64) {
        if let (Some(w), bits) = self.probe(mark) {
            w.fetch_or(bits, Ordering::Relaxed);
        }
    }

    /// Whether `mark` was recorded before; records it when it was not, after emptying the
    /// filter when it took `clear_after` first sightings since the last clear.
    fn seen_before(&self, mark: u64) -> Sighting {
        if self.contains(mark) {
            return Sighting::Again;
        }
        let cleared = self.added.fetch_add(1, Ordering::Relaxed) + 1 >= self.clear_after;
        if cleared {
            self.added.store(0, Ordering::Relaxed);
            for w in &*self.words {
                w.store(0, Ordering::Relaxed);
            }
        }
        self.record(mark);
        Sighting::First { cleared }
    }

    #[cfg(test)]
    fn bits(&self) -> usize {
        self.words.len() * 64
    }
}

/// The SHA-256 of a token: the token cache's key, and what a DPoP proof's `ath` encodes.
pub(crate) fn sha256(token: &[u8]) -> [u8; 32] {
    let mut k = [0u8; 32];
    k.copy_from_slice(digest::digest(&digest::SHA256, token).as_ref());
    k
}

impl TokenVerifier {
    /// Verifies `token`; `request` is what a domains resolver may look at.
    pub(crate) async fn verify(
        &self,
        token: &[u8],
        request: Option<RequestInfo<'_>>,
    ) -> Result<Claims, Error> {
        Ok(self.verify_inner(token, false, request).await?.0)
    }

    /// Verifies `token`; with `want_sha256`, also returns its [`sha256`] (always `Some`
    /// then), which the DPoP path needs for `ath`: computed once for the cache and the
    /// proof, and taken from the cache entry when the token is among the most recent hits
    /// (found there by its whole text, without hashing it).
    pub(crate) async fn verify_inner(
        &self,
        token: &[u8],
        want_sha256: bool,
        request: Option<RequestInfo<'_>>,
    ) -> Result<(Claims, Option<[u8; 32]>), Error> {
        if token.len() > self.max_token_bytes {
            return Err(ErrorKind::TokenTooLarge.into());
        }

        // A token among the most recent hits is found by comparing it whole, without
        // hashing it; any other is looked up by its SHA-256.
        let recent = self.cache.recent(token);
        let (mut mark, mut cache_key) = (None, None);
        let hit = match &recent {
            Some(hit) => Some(Arc::clone(hit)),
            None => {
                mark = self.cache.mark(token);
                // A token the doorkeeper never saw is not cached: no hash, no lookup.
                if self.cache.may_hold(mark) {
                    cache_key = self.cache.key(token);
                    cache_key.as_ref().and_then(|k| self.cache.get(k))
                } else {
                    None
                }
            }
        };
        if let Some(hit) = hit {
            if self.keys.has_resolver() {
                // The resolver may answer differently per request: ask it again.
                // (Boxed: a rare path that would otherwise enlarge every caller's future.)
                Box::pin(self.keys.for_issuer(Some(hit.claims.iss()), request)).await?;
            }
            let (snapshot, now) = self.keys_now(&hit.keys).await?;
            if snapshot.contains(&hit.key) {
                telemetry::token_cache(true);
                self.rules.check_times(&hit.claims, now)?;
                if recent.is_none() {
                    self.cache.promote(token, &hit);
                }
                // The entry was stored under the SHA-256 of this very token (found by
                // that key, or by the token's whole text among the recent hits).
                return Ok((hit.claims.clone(), want_sha256.then_some(hit.sha256)));
            }
            self.cache.invalidate(token, &hit.sha256);
        }
        if self.cache.enabled() {
            telemetry::token_cache(false);
        }
        let cache_key = cache_key.or_else(|| want_sha256.then(|| sha256(token)));
        // With the keys at hand the whole check runs here, and nothing waits. Otherwise
        // (a resolver to ask, keys to fetch, an unknown `kid`) it runs in its own
        // heap-allocated future: its state (the decoded token, the key lookups) is large,
        // and inline it would make every caller's future (the front ends' extractors,
        // layers and handlers) that much larger to build and move on every request, cache
        // hits included.
        let fresh = Fresh {
            token,
            mark,
            cache_key,
        };
        let claims = match self.verify_ready(fresh) {
            Some(result) => result?,
            None => Box::pin(self.verify_fresh(fresh, request)).await?,
        };
        Ok((claims, cache_key.filter(|_| want_sha256)))
    }

    /// Splits and decodes a token not found in the cache. The header's checks come from
    /// the cache when the issuer's key signed a token seen before; refusals are reported in
    /// the order of the uncached checks.
    fn decode<'t, 'b>(
        &self,
        token: &'t [u8],
        signature: &'b mut SignatureBuf,
    ) -> Result<Decoded<'t, 'b>, Error> {
        let (algs, watched) = (self.algs, self.rules.watched());
        jws::decode_compact(
            token,
            |h| {
                self.headers
                    .get_or_parse(h, |t| TokenHeader::parse(t, algs))
            },
            |bytes| crate::payload::parse(bytes, watched),
            signature,
        )
        .map_err(|e| match e {
            HeaderError::Jws(JwsError::Malformed) => Error::new(ErrorKind::MalformedToken),
            HeaderError::Jws(JwsError::Algorithm) => Error::new(ErrorKind::UnsupportedAlgorithm),
            HeaderError::Jws(JwsError::Critical) => {
                Error::new(ErrorKind::UnsupportedCriticalHeader)
            }
            HeaderError::Use(e) => e,
        })
    }

    /// The full check of a token not found in the cache when nothing has to be awaited for
    /// it: the issuer's keys chosen without a resolver, fresh, and holding the token's key.
    /// `None` when something must be awaited; [`TokenVerifier::verify_fresh`] then checks
    /// the token from the start (decoding it again, which costs nothing next to the wait).
    fn verify_ready(&self, fresh: Fresh<'_>) -> Option<Result<Claims, Error>> {
        if self.keys.has_resolver() {
            return None;
        }
        let mut signature = SignatureBuf::new();
        let decoded = match self.decode(fresh.token, &mut signature) {
            Ok(decoded) => decoded,
            Err(e) => return Some(Err(e)),
        };
        let keys = match self.keys.for_issuer_now(decoded.payload.iss())? {
            Ok(keys) => keys,
            Err(e) => return Some(Err(e)),
        };
        let (snapshot, now) = self.keys_ready(&keys)?;
        let key = snapshot.find(decoded.header.kid.as_deref(), decoded.header.alg)?;
        Some(self.check(fresh, decoded, key, &snapshot, keys, now))
    }

    /// The full check of a token not found in the cache, waiting for what it needs (a
    /// resolver's answer, a key fetch, a refetch for an unknown `kid`).
    async fn verify_fresh(
        &self,
        fresh: Fresh<'_>,
        request: Option<RequestInfo<'_>>,
    ) -> Result<Claims, Error> {
        let mut signature = SignatureBuf::new();
        let decoded = self.decode(fresh.token, &mut signature)?;
        let (alg, kid) = (decoded.header.alg, decoded.header.kid.as_deref());

        // With several issuers, the unverified `iss` picks the keys; it is checked against
        // the allowed issuers before any network call.
        let keys = self.keys.for_issuer(decoded.payload.iss(), request).await?;
        let (mut snapshot, mut now) = self.keys_now(&keys).await?;
        if snapshot.find(kid, alg).is_none() {
            snapshot = keys
                .refresh_for_unknown_kid(snapshot.generation())
                .await
                .ok_or(ErrorKind::UnknownKey)?;
            now = self.clock.now();
        }
        let key = snapshot.find(kid, alg).ok_or(ErrorKind::UnknownKey)?;
        self.check(fresh, decoded, key, &snapshot, keys, now)
    }

    /// The signature and claim checks of a decoded token with its key (borrowed from the
    /// snapshot: cloned only if the token is admitted to the cache), which then offers it to
    /// the cache.
    fn check(
        &self,
        fresh: Fresh<'_>,
        decoded: Decoded<'_, '_>,
        key: &Arc<PublicKey>,
        snapshot: &Snapshot,
        keys: Arc<KeyCache>,
        now: UnixTime,
    ) -> Result<Claims, Error> {
        let alg = decoded.header.alg;
        if !key.supports(alg) {
            return Err(ErrorKind::KeyMismatch.into());
        }
        if !key.verify(alg, decoded.signing_input, &decoded.signature) {
            return Err(ErrorKind::InvalidSignature.into());
        }
        let claims = self
            .rules
            .claims(decoded.payload, &snapshot.issuer, now, self.id)?;
        self.cache
            .admit(fresh.token, fresh.mark, fresh.cache_key, |sha256| {
                Arc::new(CachedToken {
                    claims: claims.clone(),
                    key: Arc::clone(key),
                    keys,
                    sha256: *sha256,
                })
            });
        Ok(claims)
    }

    /// The issuer's keys and the time to check a token's claims against: the clock is read
    /// once, for the keys' freshness and the claims, unless the keys had to be fetched
    /// (then it is read again once they are there).
    async fn keys_now(&self, keys: &Arc<KeyCache>) -> Result<(Arc<Snapshot>, UnixTime), Error> {
        if let Some(ready) = self.keys_ready(keys) {
            return Ok(ready);
        }
        let snapshot = keys
            .snapshot()
            .await
            .map_err(|e| Error::new(ErrorKind::KeysUnavailable).with_source(e))?;
        Ok((snapshot, self.clock.now()))
    }

    /// [`TokenVerifier::keys_now`] when the keys are usable without waiting: the clock read
    /// once, for their freshness and then the claims. `None` when they must be fetched.
    fn keys_ready(&self, keys: &Arc<KeyCache>) -> Option<(Arc<Snapshot>, UnixTime)> {
        let now = self.clock.now();
        keys.ready_snapshot(now).map(|snapshot| (snapshot, now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Auth0;
    use auth0_api_testing::TestIssuer;

    /// A distinct token text per `i` (its last 16 bytes differ).
    fn tok(i: u64) -> Vec<u8> {
        format!("header.payload.signature-{i:016}").into_bytes()
    }

    #[test]
    fn the_second_sighting_is_cached_not_the_first() {
        let cache: TokenCache<u64> = TokenCache::new(100);
        let t = tok(1);
        assert!(!cache.may_hold(cache.mark(&t)), "never seen: not looked up");
        assert!(!cache.admit(&t, None, None, |_| 1), "first sighting");
        assert!(cache.get(&sha256(&t)).is_none());
        assert!(cache.may_hold(cache.mark(&t)), "seen once: looked up");
        assert!(cache.admit(&t, None, None, |_| 1), "second sighting");
        assert_eq!(cache.get(&sha256(&t)), Some(1));
        // A caller's key is used as given.
        let u = tok(2);
        assert!(!cache.admit(&u, None, Some(sha256(b"other")), |_| 2));
        assert!(cache.admit(&u, None, Some(sha256(b"other")), |_| 2));
        assert_eq!(cache.get(&sha256(b"other")), Some(2));
        // A caller's mark too: the one `may_hold` was given, as a request passes it on.
        let v = tok(3);
        let mark = cache.mark(&v);
        assert!(!cache.may_hold(mark));
        assert!(!cache.admit(&v, mark, None, |_| 3));
        assert!(cache.may_hold(mark) && cache.may_hold(cache.mark(&v)));
        assert!(cache.admit(&v, mark, None, |_| 3));
        assert_eq!(cache.get(&sha256(&v)), Some(3));
        let off: TokenCache<u64> = TokenCache::new(0);
        assert!(
            !off.admit(&t, None, None, |_| 1) && !off.admit(&t, None, None, |_| 1),
            "cache off"
        );
        assert!(off.key(b"t").is_none());
        assert!(off.mark(&t).is_none() && !off.may_hold(off.mark(&t)));
        let on: TokenCache<u64> = TokenCache::new(1);
        assert_eq!(on.key(b"t"), Some(sha256(b"t")));
    }

    #[test]
    fn the_doorkeeper_is_bounded_and_forgets() {
        assert_eq!(Doorkeeper::new(0).bits(), 1 << 12);
        assert_eq!(Doorkeeper::new(10_000).bits(), 1 << 19);
        assert_eq!(Doorkeeper::new(u64::MAX).bits(), 1 << 23, "at most 1 MiB");
        // Cleared after `capacity` first sightings: a token seen once, then forgotten,
        // is a first sighting again.
        let d = Doorkeeper::new(50);
        let m = |i: u64| d.mark(&tok(i));
        assert!(matches!(
            d.seen_before(m(0)),
            Sighting::First { cleared: false }
        ));
        assert!(matches!(d.seen_before(m(0)), Sighting::Again));
        // The 50th first sighting clears. (A filter false positive, rare with the
        // per-process key, is not a first sighting and does not count.)
        let (mut firsts, mut i) = (1, 0);
        let cleared_by = loop {
            i += 1;
            assert!(i < 200, "never cleared");
            match d.seen_before(m(1000 + i)) {
                Sighting::First { cleared: false } => firsts += 1,
                Sighting::First { cleared: true } => break m(1000 + i),
                Sighting::Again => {}
            }
        };
        assert_eq!(firsts + 1, 50, "cleared by the 50th first sighting");
        assert!(d.contains(cleared_by), "the sighting that cleared is kept");
        assert!(!d.contains(m(0)), "forgotten after the clear");
        // Few false positives at the designed load (the capacity's worth of cached tokens
        // and of first sightings).
        let d = Doorkeeper::new(10_000);
        for i in 0..19_999 {
            d.record(d.mark(&tok(i)));
        }
        let false_positives = (100_000..110_000)
            .filter(|i| d.contains(d.mark(&tok(*i))))
            .count();
        assert!(false_positives < 250, "{false_positives}");
        // Two distinct bits of one word per mark, whatever the mark.
        for m in (0..10_000u64)
            .map(|i| i.wrapping_mul(0x9e37_79b9_7f4a_7c15))
            .chain([0, u64::MAX])
        {
            let (word, bits) = d.probe(m);
            assert!(word.is_some() && bits.count_ones() == 2, "{m:#x}");
        }
    }

    #[test]
    fn marks_are_keyed_and_read_the_last_sixteen_bytes() {
        let (a, b) = (Doorkeeper::new(10), Doorkeeper::new(10));
        let t = tok(7);
        assert_eq!(a.mark(&t), a.mark(&[b"x".as_slice(), &t].concat()));
        assert_ne!(a.mark(&t), a.mark(&tok(8)));
        assert_ne!(a.mark(&t), b.mark(&t), "per-process key");
        // Short inputs (never a valid token) are marked without panicking.
        for n in 0..17 {
            let _ = a.mark(&t[..n]);
        }
    }

    #[test]
    fn cached_tokens_are_still_looked_up_after_the_doorkeeper_clears() {
        let cache: TokenCache<u64> = TokenCache::new(64);
        for i in 0..10 {
            cache.admit(&tok(i), None, None, |_| i);
            assert!(cache.admit(&tok(i), None, None, |_| i));
        }
        // Enough first sightings of other tokens to clear the doorkeeper several times.
        for i in 1_000..1_200 {
            cache.admit(&tok(i), None, None, |_| i);
        }
        for i in 0..10 {
            assert!(
                cache.may_hold(cache.mark(&tok(i))),
                "token {i} is still looked up"
            );
            assert_eq!(cache.get(&sha256(&tok(i))), Some(i));
        }
    }

    #[test]
    fn a_full_cache_takes_one_in_sixteen_new_tokens() {
        let cache: TokenCache<u64> = TokenCache::new(64);
        let Some(e) = &cache.0 else {
            panic!("cache on")
        };
        // Filled (the doorkeeper forgets after `capacity` first sightings, so a token may
        // need a third sighting; while there is room, nothing else stops it).
        for i in 0..64 {
            let t = tok(i);
            assert!(
                (0..3).any(|_| cache.admit(&t, None, None, |_| i)),
                "room left: stored"
            );
        }
        e.map.run_pending_tasks();
        assert_eq!(e.map.entry_count(), 64);
        // Full: of the tokens seen for the second time, one attempt in FULL_ADMIT_EVERY is
        // offered (a doorkeeper false positive makes a first sighting an attempt too).
        let before = e.full_attempts.load(Ordering::Relaxed);
        let mut admitted = 0;
        for i in 1_000..1_160 {
            let t = tok(i);
            for _ in 0..2 {
                if cache.admit(&t, None, None, |_| i) {
                    admitted += 1;
                }
            }
        }
        let after = e.full_attempts.load(Ordering::Relaxed);
        assert!((160..170).contains(&(after - before)), "{}", after - before);
        let offered = (before..after)
            .filter(|n| n % FULL_ADMIT_EVERY == 0)
            .count();
        assert_eq!(admitted, offered);
        assert!(admitted <= 11, "{admitted}");
        // A token that keeps coming back gets in within FULL_ADMIT_EVERY more sightings.
        let hot = tok(5_000);
        cache.admit(&hot, None, None, |_| 5_000);
        let tries = (0..FULL_ADMIT_EVERY)
            .position(|_| cache.admit(&hot, None, None, |_| 5_000))
            .map(|p| p + 1);
        assert!(tries.is_some(), "a hot token is offered to a full cache");
    }

    #[test]
    fn the_cache_is_bounded() {
        let cache: TokenCache<u64> = TokenCache::new(64);
        for i in 0..1_000 {
            let t = tok(i);
            cache.admit(&t, None, None, |_| i);
            cache.admit(&t, None, None, |_| i);
        }
        let Some(e) = &cache.0 else {
            panic!("cache on")
        };
        e.map.run_pending_tasks();
        assert!(e.map.entry_count() <= 64, "{}", e.map.entry_count());
    }

    /// A verifier on the system clock (the test issuer's clock starts at the system time).
    async fn verifier(issuer: &TestIssuer) -> Auth0 {
        Auth0::builder()
            .issuer(issuer.issuer())
            .audience(issuer.audience())
            .build()
            .unwrap()
    }

    #[tokio::test]
    async fn a_verified_token_is_cached_on_its_second_sighting() {
        let issuer = TestIssuer::start().await;
        let auth0 = verifier(&issuer).await;
        let cache = auth0.token_cache();
        let token = issuer.token().sign();
        auth0.verify_access_token(&token).await.unwrap();
        assert!(!cache.contains(&token), "seen once: not cached");
        auth0.verify_access_token(&token).await.unwrap();
        assert!(cache.contains(&token), "seen twice: cached");
        assert!(!cache.is_recent(&token), "not yet a hit");
        auth0.verify_access_token(&token).await.unwrap();
        assert!(cache.is_recent(&token), "a hit: among the most recent");
        // A refused token is never remembered, however often it comes.
        let wrong = issuer.token().audience("https://other.example/").sign();
        for _ in 0..3 {
            assert!(auth0.verify_access_token(&wrong).await.is_err());
        }
        assert!(!cache.contains(&wrong));
    }

    /// The DPoP path's `ath` rests on this SHA-256: it must be the token's, whether the
    /// token was seen for the first time, looked up by its hash, or found whole among the
    /// recent hits (where it is taken from the entry instead of hashing the token).
    #[tokio::test]
    async fn the_sha256_given_for_ath_is_the_tokens_however_it_is_found() {
        let issuer = TestIssuer::start().await;
        for capacity in [10_000, 0] {
            let auth0 = Auth0::builder()
                .issuer(issuer.issuer())
                .audience(issuer.audience())
                .token_cache_capacity(capacity)
                .build()
                .unwrap();
            let tokens = auth0.inner_tokens();
            let (a, b) = (
                issuer.token().sub("a").sign(),
                issuer.token().sub("b").sign(),
            );
            let mut paths = Vec::new();
            for _ in 0..4 {
                for t in [&a, &b] {
                    let recent = tokens.cache.is_recent(t);
                    let (claims, sha) =
                        tokens.verify_inner(t.as_bytes(), true, None).await.unwrap();
                    assert_eq!(
                        sha,
                        Some(sha256(t.as_bytes())),
                        "capacity {capacity}, recent {recent}"
                    );
                    assert_eq!(claims.sub(), Some(if t == &a { "a" } else { "b" }));
                    paths.push(recent);
                }
            }
            // With the cache on, the last sightings were found whole among the recent hits.
            assert_eq!(paths.iter().any(|r| *r), capacity > 0, "{paths:?}");
        }
    }

    #[tokio::test]
    async fn a_tampered_token_never_hits() {
        let issuer = TestIssuer::start().await;
        let auth0 = verifier(&issuer).await;
        let token = issuer.token().sub("alice").sign();
        for _ in 0..4 {
            auth0.verify_access_token(&token).await.unwrap();
        }
        assert!(auth0.token_cache().contains(&token));
        assert!(
            auth0.token_cache().is_recent(&token),
            "a hit, then found whole"
        );
        let (head, sig) = token.rsplit_once('.').unwrap();
        let (h, p) = head.split_once('.').unwrap();
        let claims = crate::jose::b64_decode(p.as_bytes()).unwrap();
        let forged_claims = String::from_utf8(claims).unwrap().replace("alice", "admin");
        let forged = format!(
            "{h}.{}.{sig}",
            crate::jose::b64_encode(forged_claims.as_bytes())
        );
        let mut s = crate::jose::b64_decode(sig.as_bytes()).unwrap();
        s[3] ^= 1;
        let flipped = format!("{head}.{}", crate::jose::b64_encode(&s));
        assert!(
            auth0
                .token_cache()
                .may_hold(auth0.token_cache().mark(forged.as_bytes())),
            "the same signature: looked up by its SHA-256, and not found"
        );
        for bad in [forged, flipped] {
            for _ in 0..3 {
                assert_eq!(
                    auth0
                        .verify_access_token(&bad)
                        .await
                        .err()
                        .map(|e| e.kind()),
                    Some(ErrorKind::InvalidSignature)
                );
            }
        }
        assert_eq!(
            auth0.verify_access_token(&token).await.unwrap().sub(),
            Some("alice")
        );
        assert!(
            auth0.token_cache().is_recent(&token),
            "the forgeries left it in place"
        );
    }

    #[tokio::test]
    async fn an_accepted_header_is_checked_once_and_refused_ones_are_never_stored() {
        let issuer = TestIssuer::start().await;
        let auth0 = verifier(&issuer).await;
        let headers = &auth0.inner_tokens().headers;
        let (a, b) = (
            issuer.token().sub("a").sign(),
            issuer.token().sub("b").sign(),
        );
        let header_of = |t: &str| t.split('.').next().unwrap_or_default().as_bytes().to_vec();
        assert_eq!(header_of(&a), header_of(&b), "one key, one header text");
        auth0.verify_access_token(&a).await.unwrap();
        let first = headers.get(&header_of(&a)).expect("stored once accepted");
        auth0.verify_access_token(&b).await.unwrap();
        let second = headers.get(&header_of(&b)).expect("still stored");
        assert!(Arc::ptr_eq(&first, &second), "the second token was a hit");
        assert_eq!(headers.len(), 1);

        // Refused headers are reported as before and never stored, however often sent.
        let wrong_typ = issuer.token().header("typ", "dpop+jwt").sign();
        let numeric_kid = issuer.token().header("kid", 7).sign();
        for (token, kind) in [
            (&wrong_typ, ErrorKind::InvalidTokenType),
            (&numeric_kid, ErrorKind::MalformedToken),
        ] {
            for _ in 0..2 {
                let err = auth0.verify_access_token(token).await.unwrap_err();
                assert_eq!(err.kind(), kind);
            }
            assert!(headers.get(&header_of(token)).is_none());
        }
        assert_eq!(headers.len(), 1);

        // A header refused for its use is reported after a malformed payload, as the
        // checks without a cache report it.
        let bad_payload = format!(
            "{}.e30x.{}",
            String::from_utf8(header_of(&wrong_typ)).unwrap(),
            "AAAA"
        );
        let err = auth0.verify_access_token(&bad_payload).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::MalformedToken);

        // A cached header does not vouch for the token: another signature is still checked.
        let (head, _) = a.rsplit_once('.').unwrap();
        let forged = format!("{head}.{}", crate::jose::b64_encode(&[9u8; 256]));
        let err = auth0.verify_access_token(&forged).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidSignature);
    }
}
