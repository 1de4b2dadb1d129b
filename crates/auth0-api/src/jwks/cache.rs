//! The key cache: an immutable snapshot of parsed keys read without locks, refreshed by one
//! fetch at a time (single-flight), ahead of expiry, on an unknown `kid` (rate-limited), and
//! kept through issuer outages (stale-if-error).
//!
//! No lock is held across a network call: the fetch runs in its own task and concurrent
//! callers share its result through a [`Shared`] future. The task clears its in-flight marker
//! from a drop guard, so a fetch that panics or is cancelled counts as a failed fetch instead
//! of leaving every later caller waiting on it.
//!
//! # Failed fetches
//!
//! After a failed fetch no new one starts until a retry time: 1 s after the first failure,
//! doubling with each consecutive failure up to 5 min, each delay drawn uniformly from its
//! upper half (`[d/2, d]`) so that a fleet does not retry in step. Meanwhile the last good
//! keys stay in use (stale-if-error); a successful fetch resets the delay.
//!
//! # Fetch limits
//!
//! What limits an issuer's fetches (the unknown-`kid` cooldown, the retry delay after
//! failures, when its keys were last loaded) lives in a [`FetchGate`]. An issuer of a fixed
//! list has one cache and one gate for the life of the verifier. An issuer a domains
//! resolver allowed gets its gate from a bounded map that outlives its key cache, so a cache
//! that was evicted and is created again starts with the limits of its predecessor: within
//! the unknown-`kid` cooldown after its keys were last loaded it does not fetch them again,
//! and it waits out the retry delay of the failures before it.
//!
//! On top of that, every fetch of one verifier, for any issuer, takes a token from one
//! [`FetchBudget`] (a cap on fetches per second).
//!
//! # What a JWKS must look like
//!
//! A JWKS with more entries than the key count cap (64) is refused as a whole and counts as a
//! failed fetch: the last good keys stay in use. It is never cut to its first entries, since
//! the signing keys may be the ones past the cap. Unusable entries within the cap are skipped.
//!
//! Several keys may share one `kid` (an issuer moving a `kid` to a new key type, for
//! example). All are kept; a token naming that `kid` is checked with the first of them, in
//! document order, that can verify the token's `alg`, or else the first of the right key type.
//! Two keys with the same `kid` that can both verify the same `alg` are ambiguous: the first
//! one is used and the other one never verifies tokens that name that `kid`.

use std::fmt;
#[cfg(test)]
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::Duration;

use arc_swap::ArcSwapOption;
use futures_util::FutureExt as _;
use futures_util::future::{BoxFuture, Shared};
use serde_json::Value;
use url::Url;

use super::discovery::{Metadata, discover};
use super::fetch::{FetchError, Fetcher};
use crate::issuer::Issuer;
use crate::jwk::{AlgSet, Algorithm, PublicKey};
use crate::telemetry::{Document, FetchTimer};
use crate::time::{Clock, UnixTime};

/// Timing and size rules for the cache.
#[derive(Clone, Debug)]
pub(crate) struct CachePolicy {
    /// Bounds applied to the issuer's `Cache-Control: max-age`.
    pub(crate) min_ttl: Duration,
    pub(crate) max_ttl: Duration,
    /// TTL when the issuer sends no `max-age`.
    pub(crate) default_ttl: Duration,
    /// At most one refetch per this interval is caused by unknown `kid`s.
    pub(crate) unknown_kid_cooldown: Duration,
    /// How long past expiry the last good keys stay usable while the issuer fails.
    pub(crate) stale_if_error: Duration,
    /// After a first failed fetch, no new fetch starts for up to this long; the delay
    /// doubles with each consecutive failure.
    pub(crate) retry_backoff: Duration,
    /// The longest delay between retries after consecutive failures.
    pub(crate) max_retry_backoff: Duration,
    /// A JWKS with more entries than this is refused as a whole.
    pub(crate) max_keys: usize,
    /// Refuse a discovered `jwks_uri` on another host than the issuer's.
    pub(crate) jwks_on_issuer_host: bool,
}

impl Default for CachePolicy {
    fn default() -> Self {
        Self {
            min_ttl: Duration::from_secs(60),
            max_ttl: Duration::from_secs(24 * 3600),
            default_ttl: Duration::from_secs(600),
            unknown_kid_cooldown: Duration::from_secs(30),
            stale_if_error: Duration::from_secs(24 * 3600),
            retry_backoff: Duration::from_secs(1),
            max_retry_backoff: Duration::from_secs(300),
            max_keys: 64,
            jwks_on_issuer_host: false,
        }
    }
}

/// One loaded JWKS: parsed keys plus the issuer they verify for. Immutable.
pub(crate) struct Snapshot {
    /// The issuer tokens must carry (discovery's value, canonical).
    pub(crate) issuer: Arc<str>,
    keys: Vec<Arc<PublicKey>>,
    refresh_at: UnixTime,
    expires_at: UnixTime,
    stale_until: UnixTime,
    generation: u64,
}

impl fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Snapshot")
            .field("issuer", &self.issuer)
            .field("keys", &self.keys)
            .field("expires_at", &self.expires_at)
            .field("generation", &self.generation)
            .finish()
    }
}

impl Snapshot {
    /// The key for `kid`; without a `kid`, the only key whose type fits `alg`.
    ///
    /// When several keys share `kid`, the first one that can verify `alg` is chosen, else the
    /// first one of the key type `alg` needs, else the first one (which then fails the
    /// caller's algorithm check).
    pub(crate) fn find(&self, kid: Option<&str>, alg: Algorithm) -> Option<&Arc<PublicKey>> {
        match kid {
            Some(kid) => {
                let named = || self.keys.iter().filter(move |k| k.kid() == Some(kid));
                named()
                    .find(|k| k.supports(alg))
                    .or_else(|| named().find(|k| k.fits_type(alg)))
                    .or_else(|| named().next())
            }
            None => {
                let mut fitting = self.keys.iter().filter(|k| k.fits_type(alg));
                let only = fitting.next()?;
                fitting.next().is_none().then_some(only)
            }
        }
    }

    /// Whether `key` (the very same parsed key) is still in this JWKS.
    pub(crate) fn contains(&self, key: &Arc<PublicKey>) -> bool {
        self.keys.iter().any(|k| Arc::ptr_eq(k, key))
    }

    pub(crate) fn generation(&self) -> u64 {
        self.generation
    }
}

type SharedFetch = Shared<BoxFuture<'static, Result<Arc<Snapshot>, FetchError>>>;

struct State {
    /// The fetch running now, with the id its drop guard clears it by.
    inflight: Option<(u64, SharedFetch)>,
    next_fetch_id: u64,
    jitter: Jitter,
}

/// What limits one issuer's fetches. Shared by every key cache the issuer gets in turn: with
/// a domains resolver, a cache may be evicted and created again, and the new one must not
/// start without the limits of the old one.
#[derive(Default)]
pub(crate) struct FetchGate {
    state: Mutex<GateState>,
    /// The issuer's current key cache, while anything (a verified-token cache entry, a
    /// request in progress) keeps it alive; reused instead of a new, empty one.
    cache: Mutex<Weak<KeyCache>>,
}

#[derive(Default)]
struct GateState {
    /// The last fetch caused by an unknown `kid`.
    last_forced: Option<UnixTime>,
    /// The last fetch that failed, while no fetch succeeded since.
    failure: Option<Failure>,
    /// When the issuer's keys were last loaded.
    loaded_at: Option<UnixTime>,
}

impl FetchGate {
    fn state(&self) -> MutexGuard<'_, GateState> {
        // Plain data, never held across an await or a call that can panic.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// From this instant on the gate limits nothing: forgetting it changes no decision.
    pub(crate) fn idle_from(&self, policy: &CachePolicy) -> UnixTime {
        let st = self.state();
        let after_cooldown = |t: Option<UnixTime>| {
            t.map_or(UnixTime::from_secs(0), |t| {
                t.saturating_add(policy.unknown_kid_cooldown)
            })
        };
        after_cooldown(st.last_forced)
            .max(after_cooldown(st.loaded_at))
            .max(
                st.failure
                    .as_ref()
                    .map_or(UnixTime::from_secs(0), |f| f.retry_at),
            )
    }

    /// The issuer's key cache if one is still alive, else a new one, which becomes the
    /// gate's current cache.
    pub(crate) fn cache(
        self: &Arc<Self>,
        issuer: &Issuer,
        settings: &KeySettings,
    ) -> Arc<KeyCache> {
        let mut current = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(alive) = current.upgrade() {
            return alive;
        }
        let fresh = Arc::new(KeyCache::with_gate(
            issuer.clone(),
            None,
            settings.clone(),
            Arc::clone(self),
        ));
        *current = Arc::downgrade(&fresh);
        fresh
    }
}

/// A cap on key fetches per second, shared by every issuer of one verifier: a token bucket
/// that holds up to one second's worth and refills continuously, by the verifier's clock.
#[derive(Debug)]
pub(crate) struct FetchBudget {
    per_second: u64,
    /// Thousandths of a token, and when they were counted.
    state: Mutex<(u64, Option<UnixTime>)>,
}

impl FetchBudget {
    pub(crate) fn new(per_second: u32) -> Self {
        let per_second = u64::from(per_second.max(1));
        Self {
            per_second,
            state: Mutex::new((per_second.saturating_mul(1000), None)),
        }
    }

    /// Takes one fetch from the budget; `false` when none is left now.
    fn take(&self, now: UnixTime) -> bool {
        let full = self.per_second.saturating_mul(1000);
        let mut st = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let (milli, last) = &mut *st;
        if let Some(last) = *last {
            // Thousandths of a token per millisecond = tokens per second; a clock that
            // went back refills nothing.
            let elapsed_ms = now.as_millis().saturating_sub(last.as_millis());
            *milli = milli
                .saturating_add(elapsed_ms.saturating_mul(self.per_second))
                .min(full);
        }
        *last = Some(now);
        if *milli >= 1000 {
            *milli -= 1000;
            true
        } else {
            false
        }
    }
}

/// The last fetch failed: why, how many failed in a row, and when the next may start.
struct Failure {
    error: FetchError,
    consecutive: u32,
    retry_at: UnixTime,
}

/// A small PRNG (SplitMix64) for retry jitter, seeded from the system's secure random
/// source. Jitter only spreads retries over time; it protects no secret.
struct Jitter(u64);

impl Jitter {
    fn seeded() -> Self {
        use aws_lc_rs::rand::{SecureRandom as _, SystemRandom};
        let mut seed = [0u8; 8];
        // Without system randomness the retries are merely less spread out.
        let _ = SystemRandom::new().fill(&mut seed);
        Self(u64::from_le_bytes(seed))
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// The delay before the next fetch after `consecutive` failures in a row: `base` doubled
/// per failure after the first, capped at `cap`, then drawn from `[d/2, d]` by `random`.
fn retry_delay(base: Duration, cap: Duration, consecutive: u32, random: u64) -> Duration {
    let doublings = consecutive.saturating_sub(1).min(31);
    let full = base.saturating_mul(1u32 << doublings).min(cap.max(base));
    let half = full / 2;
    let span = u64::try_from((full - half).as_millis()).unwrap_or(u64::MAX);
    half.saturating_add(Duration::from_millis(random % span.saturating_add(1)))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Reason {
    /// No usable keys: the caller waits.
    Required,
    /// Keys are due for refresh; nobody waits.
    Background,
    /// A token names a `kid` the snapshot lacks.
    UnknownKid,
}

enum Started {
    Ready(Arc<Snapshot>),
    Pending(SharedFetch),
    Refused(Option<FetchError>),
}

/// Discovery metadata with its expiry.
struct CachedMetadata {
    metadata: Metadata,
    expires_at: UnixTime,
}

/// What every issuer's key cache shares: how to fetch, the clock, the algorithms keys are
/// parsed for, and the timing rules.
#[derive(Clone)]
pub(crate) struct KeySettings {
    pub(crate) fetcher: Fetcher,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) algs: AlgSet,
    pub(crate) policy: CachePolicy,
    /// The cap on fetches per second, for all issuers.
    pub(crate) budget: Arc<FetchBudget>,
}

/// Keys and metadata of one issuer.
pub(crate) struct KeyCache {
    issuer: Issuer,
    fixed_jwks_uri: Option<Url>,
    settings: KeySettings,
    snapshot: ArcSwapOption<Snapshot>,
    metadata: ArcSwapOption<CachedMetadata>,
    state: Mutex<State>,
    gate: Arc<FetchGate>,
    /// Makes the next fetch panic, to test that a panicking fetch is cleaned up.
    #[cfg(test)]
    panic_next_fetch: AtomicBool,
}

impl fmt::Debug for KeyCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyCache")
            .field("issuer", &self.issuer)
            .field(
                "fixed_jwks_uri",
                &self.fixed_jwks_uri.as_ref().map(Url::as_str),
            )
            .field("policy", &self.settings.policy)
            .finish_non_exhaustive()
    }
}

impl KeyCache {
    /// A cache with its own fetch limits, for an issuer that keeps this one cache.
    pub(crate) fn new(issuer: Issuer, fixed_jwks_uri: Option<Url>, settings: KeySettings) -> Self {
        Self::with_gate(issuer, fixed_jwks_uri, settings, Arc::default())
    }

    /// A cache whose fetch limits are `gate`, shared with the issuer's earlier caches.
    fn with_gate(
        issuer: Issuer,
        fixed_jwks_uri: Option<Url>,
        settings: KeySettings,
        gate: Arc<FetchGate>,
    ) -> Self {
        Self {
            issuer,
            fixed_jwks_uri,
            settings,
            snapshot: ArcSwapOption::empty(),
            metadata: ArcSwapOption::empty(),
            state: Mutex::new(State {
                inflight: None,
                next_fetch_id: 0,
                jitter: Jitter::seeded(),
            }),
            gate,
            #[cfg(test)]
            panic_next_fetch: AtomicBool::new(false),
        }
    }

    pub(crate) fn issuer(&self) -> &Issuer {
        &self.issuer
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // The lock guards plain data and is never held across an await or a call that can
        // panic, so a poisoned lock still holds consistent data.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The current snapshot when it is usable at `now` (fresh, or within stale-if-error; a
    /// refresh is started in the background when due); `None` when a fetch is needed. The
    /// caller gives the time, read once for the request and also used for its claims.
    pub(crate) fn ready_snapshot(self: &Arc<Self>, now: UnixTime) -> Option<Arc<Snapshot>> {
        // Borrowed, not cloned: the one clone is the one returned.
        let seen = self.snapshot.load();
        let s = seen.as_ref().filter(|s| now < s.stale_until)?;
        if now >= s.refresh_at && tokio::runtime::Handle::try_current().is_ok() {
            // Spawned: runs to completion without anyone waiting.
            let _ = self.start(Reason::Background, Some(s.generation));
        }
        Some(Arc::clone(s))
    }

    /// A usable snapshot: the current one while it is fresh or within stale-if-error (a
    /// refresh is started in the background when due), else the result of a fetch.
    pub(crate) async fn snapshot(self: &Arc<Self>) -> Result<Arc<Snapshot>, FetchError> {
        if let Some(s) = self.ready_snapshot(self.settings.clock.now()) {
            return Ok(s);
        }
        let generation = self.snapshot.load().as_ref().map(|s| s.generation);
        match self.start(Reason::Required, generation) {
            Started::Ready(s) => Ok(s),
            Started::Pending(f) => f.await,
            Started::Refused(e) => Err(e.unwrap_or(FetchError::Aborted)),
        }
    }

    /// Refreshes because a token named a `kid` that `seen` lacks. Returns the new snapshot,
    /// or `None` when the cooldown forbids a fetch now or the fetch failed.
    pub(crate) async fn refresh_for_unknown_kid(
        self: &Arc<Self>,
        seen: u64,
    ) -> Option<Arc<Snapshot>> {
        match self.start(Reason::UnknownKid, Some(seen)) {
            Started::Ready(s) => Some(s),
            Started::Pending(f) => f.await.ok(),
            Started::Refused(_) => None,
        }
    }

    fn start(self: &Arc<Self>, reason: Reason, seen: Option<u64>) -> Started {
        let now = self.settings.clock.now();
        let mut st = self.state();
        // Someone else refreshed since the caller looked: that result is the answer.
        if let Some(current) = self.snapshot.load_full() {
            if Some(current.generation) != seen && reason != Reason::Background {
                return Started::Ready(current);
            }
        }
        if let Some((_, f)) = &st.inflight {
            return Started::Pending(f.clone());
        }
        let cooldown = self.settings.policy.unknown_kid_cooldown;
        let mut gate = self.gate.state();
        if let Some(failure) = gate.failure.as_ref().filter(|f| now < f.retry_at) {
            return Started::Refused(Some(failure.error.clone()));
        }
        if reason == Reason::Required
            && self.snapshot.load().is_none()
            && gate
                .loaded_at
                .is_some_and(|at| now < at.saturating_add(cooldown))
        {
            // The issuer's keys were loaded moments ago by a cache that is gone (evicted,
            // nothing kept it alive): loading them again now is what requests rotating
            // over many issuers would make every request do.
            return Started::Refused(Some(FetchError::RateLimited));
        }
        if reason == Reason::UnknownKid
            && gate
                .last_forced
                .is_some_and(|at| now < at.saturating_add(cooldown))
        {
            return Started::Refused(None);
        }
        if !self.settings.budget.take(now) {
            tracing::debug!(issuer = %self.issuer, "key fetch refused: fetches per second cap reached");
            return Started::Refused(Some(FetchError::RateLimited));
        }
        if reason == Reason::UnknownKid {
            gate.last_forced = Some(now);
        }
        drop(gate);

        let id = st.next_fetch_id;
        st.next_fetch_id = st.next_fetch_id.wrapping_add(1);
        // Created before the task and moved into it: whether the task completes, panics or
        // is dropped unpolled, the guard clears the in-flight marker.
        let guard = FetchGuard {
            cache: Arc::clone(self),
            id,
            done: false,
        };
        let Ok(rt) = tokio::runtime::Handle::try_current() else {
            // No runtime to spawn on: the callers drive the fetch by awaiting it.
            let task = async move {
                let guard = guard;
                let result = guard.cache.fetch().await.map(Arc::new);
                guard.complete(&result);
                result
            };
            let shared = task.boxed().shared();
            st.inflight = Some((id, shared.clone()));
            return Started::Pending(shared);
        };
        // Callers wait on a channel, not on the task: the task is spawned only after the
        // lock is released, because a runtime that is shutting down drops it inside
        // `spawn`, and its guard then takes the lock.
        let (tx, rx) = tokio::sync::oneshot::channel();
        let waiter: BoxFuture<'static, Result<Arc<Snapshot>, FetchError>> =
            async move { rx.await.unwrap_or(Err(FetchError::Aborted)) }.boxed();
        let shared = waiter.shared();
        st.inflight = Some((id, shared.clone()));
        drop(st);
        rt.spawn(async move {
            let guard = guard;
            let result = guard.cache.fetch().await.map(Arc::new);
            guard.complete(&result);
            // Nobody may be waiting (a background refresh): that is fine.
            let _ = tx.send(result);
        });
        Started::Pending(shared)
    }

    /// Records the outcome of fetch `id` and clears its in-flight marker.
    fn finish_fetch(&self, id: u64, result: Result<&Arc<Snapshot>, &FetchError>) {
        let now = self.settings.clock.now();
        let mut st = self.state();
        let mut gate = self.gate.state();
        match result {
            Ok(s) => {
                self.snapshot.store(Some(Arc::clone(s)));
                gate.failure = None;
                gate.loaded_at = Some(now);
            }
            Err(e) => {
                let consecutive = gate
                    .failure
                    .as_ref()
                    .map_or(1, |f| f.consecutive.saturating_add(1));
                let random = st.jitter.next();
                let policy = &self.settings.policy;
                let delay = retry_delay(
                    policy.retry_backoff,
                    policy.max_retry_backoff,
                    consecutive,
                    random,
                );
                tracing::warn!(issuer = %self.issuer, error = %e, consecutive, retry_in_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX), "signing keys could not be fetched");
                gate.failure = Some(Failure {
                    error: e.clone(),
                    consecutive,
                    retry_at: now.saturating_add(delay),
                });
            }
        }
        drop(gate);
        let finished = if st
            .inflight
            .as_ref()
            .is_some_and(|(current, _)| *current == id)
        {
            st.inflight.take()
        } else {
            None
        };
        drop(st);
        // Dropped without the lock: it may hold the last reference to a task whose guard
        // takes the lock when dropped.
        drop(finished);
    }

    /// The issuer's metadata, from cache while fresh; stale metadata is kept when
    /// discovery fails.
    pub(crate) async fn metadata(&self) -> Result<Metadata, FetchError> {
        let now = self.settings.clock.now();
        let cached = self.metadata.load_full();
        if let Some(c) = &cached {
            if now < c.expires_at {
                return Ok(c.metadata.clone());
            }
        }
        let timer = FetchTimer::start(Document::Discovery);
        let discovered = discover(
            &self.settings.fetcher,
            &self.issuer,
            self.settings.policy.jwks_on_issuer_host,
        )
        .await;
        timer.finish(&discovered);
        match discovered {
            Ok((metadata, max_age)) => {
                let ttl = self.ttl(max_age);
                self.metadata.store(Some(Arc::new(CachedMetadata {
                    metadata: metadata.clone(),
                    expires_at: now.saturating_add(ttl),
                })));
                Ok(metadata)
            }
            Err(e) => match cached {
                Some(c) => {
                    tracing::warn!(issuer = %self.issuer, error = %e, "discovery failed; keeping the last metadata");
                    Ok(c.metadata.clone())
                }
                None => Err(e),
            },
        }
    }

    fn ttl(&self, max_age: Option<Duration>) -> Duration {
        max_age
            .unwrap_or(self.settings.policy.default_ttl)
            .clamp(self.settings.policy.min_ttl, self.settings.policy.max_ttl)
    }

    async fn fetch(&self) -> Result<Snapshot, FetchError> {
        #[cfg(test)]
        if self.panic_next_fetch.swap(false, Ordering::SeqCst) {
            panic!("injected panic in the key fetch");
        }
        let (issuer, jwks_uri): (Arc<str>, Url) = match &self.fixed_jwks_uri {
            Some(uri) => (Arc::from(self.issuer.as_str()), uri.clone()),
            None => {
                let m = self.metadata().await?;
                (m.issuer, m.jwks_uri)
            }
        };
        let timer = FetchTimer::start(Document::Jwks);
        let loaded = self.load_jwks(issuer, &jwks_uri).await;
        timer.finish(&loaded);
        loaded
    }

    /// Fetches and parses the JWKS at `jwks_uri`, for tokens of `issuer`.
    async fn load_jwks(&self, issuer: Arc<str>, jwks_uri: &Url) -> Result<Snapshot, FetchError> {
        let fetched = self.settings.fetcher.get_json(jwks_uri).await?;
        let now = self.settings.clock.now();
        let Some(Value::Array(entries)) = fetched.json.get("keys") else {
            return Err(FetchError::MissingMember("keys"));
        };
        if entries.len() > self.settings.policy.max_keys {
            tracing::warn!(issuer = %self.issuer, count = entries.len(), cap = self.settings.policy.max_keys, "JWKS has too many keys; refused as a whole");
            return Err(FetchError::TooManyKeys);
        }
        let previous = self.snapshot.load_full();
        let mut keys: Vec<Arc<PublicKey>> = Vec::with_capacity(entries.len());
        for entry in entries {
            let Value::Object(jwk) = entry else {
                tracing::warn!(issuer = %self.issuer, "JWKS entry is not an object; skipped");
                continue;
            };
            let key = match PublicKey::from_jwk(jwk, self.settings.algs) {
                Ok(k) => k,
                Err(e) => {
                    let kid = jwk.get("kid").and_then(Value::as_str).unwrap_or("");
                    tracing::warn!(issuer = %self.issuer, kid, reason = %e, "unusable JWK skipped");
                    continue;
                }
            };
            let mut same_kid = keys
                .iter()
                .filter(|k| k.kid().is_some() && k.kid() == key.kid())
                .peekable();
            if same_kid.peek().is_some() {
                let kid = key.kid().unwrap_or("");
                let ambiguous = same_kid.any(|k| {
                    Algorithm::ALL
                        .into_iter()
                        .any(|a| k.supports(a) && key.supports(a))
                });
                if ambiguous {
                    tracing::warn!(issuer = %self.issuer, kid, "several keys with this kid verify the same alg; only the first is used for it");
                } else {
                    tracing::debug!(issuer = %self.issuer, kid, "several keys share a kid; all are kept");
                }
            }
            // Keep the already-parsed key when it did not change, so that verified-token
            // cache entries made with it stay valid.
            let reused = previous
                .as_ref()
                .and_then(|p| p.keys.iter().find(|old| old.same_key(&key)).cloned());
            keys.push(reused.unwrap_or_else(|| Arc::new(key)));
        }
        if keys.is_empty() {
            return Err(FetchError::NoUsableKeys);
        }
        let ttl = self.ttl(fetched.max_age);
        let expires_at = now.saturating_add(ttl);
        tracing::debug!(issuer = %self.issuer, keys = keys.len(), ttl_secs = ttl.as_secs(), "JWKS loaded");
        Ok(Snapshot {
            issuer,
            keys,
            refresh_at: now.saturating_add(ttl.mul_f64(0.75)),
            expires_at,
            stale_until: expires_at.saturating_add(self.settings.policy.stale_if_error),
            generation: previous.map_or(1, |p| p.generation + 1),
        })
    }
}

/// Owned by one fetch task: records its outcome and clears the in-flight marker exactly once,
/// also when the task panics or is dropped before it completes (recorded as
/// [`FetchError::Aborted`], so the retry delay applies).
struct FetchGuard {
    cache: Arc<KeyCache>,
    id: u64,
    done: bool,
}

impl FetchGuard {
    fn complete(mut self, result: &Result<Arc<Snapshot>, FetchError>) {
        self.done = true;
        self.cache.finish_fetch(self.id, result.as_ref());
    }
}

impl Drop for FetchGuard {
    fn drop(&mut self) {
        if !self.done {
            self.cache.finish_fetch(self.id, Err(&FetchError::Aborted));
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicU64;

    use auth0_api_testing::{Endpoint, TestIssuer};

    use super::*;

    #[derive(Debug)]
    struct ManualClock(AtomicU64);

    impl ManualClock {
        fn advance(&self, d: Duration) {
            let ms = u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
            self.0.fetch_add(ms, Ordering::SeqCst);
        }
    }

    impl Clock for ManualClock {
        fn now(&self) -> UnixTime {
            UnixTime::from_millis(self.0.load(Ordering::SeqCst))
        }
    }

    fn cache(jwks_uri: &str, clock: &Arc<ManualClock>) -> Arc<KeyCache> {
        let issuer = Issuer::parse("https://issuer.example/").expect("issuer");
        let uri = Url::parse(jwks_uri).expect(jwks_uri);
        let settings = KeySettings {
            fetcher: Fetcher::new(
                std::sync::Arc::new(
                    crate::http::ReqwestClient::new(Duration::from_secs(5)).expect("client"),
                ),
                Duration::from_secs(5),
                1 << 20,
            ),
            clock: Arc::clone(clock) as Arc<dyn Clock>,
            algs: AlgSet::all(),
            policy: CachePolicy::default(),
            budget: Arc::new(FetchBudget::new(100)),
        };
        Arc::new(KeyCache::new(issuer, Some(uri), settings))
    }

    #[test]
    fn retry_delay_doubles_up_to_the_cap_within_the_upper_half() {
        let base = Duration::from_secs(1);
        let cap = Duration::from_secs(300);
        let bounds = |n: u32| {
            let lo = (0..200u64)
                .map(|r| retry_delay(base, cap, n, r.wrapping_mul(0x9E37_79B9_7F4A_7C15)))
                .min();
            let hi = (0..200u64)
                .map(|r| retry_delay(base, cap, n, r.wrapping_mul(0x9E37_79B9_7F4A_7C15)))
                .max();
            (lo, hi)
        };
        for (n, full) in [(1, 1), (2, 2), (3, 4), (9, 256), (10, 300), (40, 300)] {
            let full = Duration::from_secs(full);
            let (lo, hi) = bounds(n);
            assert!(lo >= Some(full / 2), "{n}: {lo:?}");
            assert!(hi <= Some(full), "{n}: {hi:?}");
            assert!(lo < hi, "{n}: jittered");
        }
        assert_eq!(retry_delay(base, cap, 0, 0), Duration::from_millis(500));
        assert_eq!(
            retry_delay(base, cap, u32::MAX, u64::MAX),
            retry_delay(base, cap, 40, u64::MAX)
        );
        assert!(retry_delay(Duration::MAX, Duration::MAX, 5, u64::MAX) <= Duration::MAX);
        let mut j = Jitter(1);
        assert_ne!(j.next(), j.next());
    }

    #[test]
    fn the_fetch_budget_holds_one_second_and_refills_by_the_clock() {
        let t = |ms: u64| UnixTime::from_millis(1_700_000_000_000 + ms);
        let budget = FetchBudget::new(4);
        assert_eq!((0..10).filter(|_| budget.take(t(0))).count(), 4);
        assert!(
            !budget.take(t(200)),
            "a quarter second refills 1000 milli-tokens only at 250 ms"
        );
        assert!(budget.take(t(250)));
        assert!(!budget.take(t(250)));
        // A long pause refills one second's worth, no more.
        assert_eq!((0..10).filter(|_| budget.take(t(60_000))).count(), 4);
        // A clock that goes back refills nothing.
        assert!(!budget.take(t(0)));
        assert!(!budget.take(t(100)));
    }

    #[test]
    fn consecutive_failures_back_off_and_a_success_resets() {
        let clock = Arc::new(ManualClock(AtomicU64::new(1_700_000_000_000)));
        let keys = cache("https://issuer.example/jwks", &clock);
        let retry_in = |keys: &KeyCache| {
            let st = keys.gate.state();
            st.failure.as_ref().map(|f| {
                (
                    f.consecutive,
                    f.retry_at.as_duration() - clock.now().as_duration(),
                )
            })
        };
        let mut last = Duration::ZERO;
        for n in 1..=12u32 {
            keys.finish_fetch(0, Err(&FetchError::Status(500)));
            let Some((consecutive, delay)) = retry_in(&keys) else {
                panic!("failure recorded")
            };
            assert_eq!(consecutive, n);
            assert!(
                delay >= last.min(Duration::from_secs(150)),
                "{n}: {delay:?}"
            );
            assert!(delay <= Duration::from_secs(300), "{n}: {delay:?}");
            last = delay;
        }
        assert!(last >= Duration::from_secs(150));
        let snapshot = Arc::new(Snapshot {
            issuer: Arc::from("https://issuer.example/"),
            keys: Vec::new(),
            refresh_at: clock.now(),
            expires_at: clock.now(),
            stale_until: clock.now(),
            generation: 1,
        });
        keys.finish_fetch(0, Ok(&snapshot));
        assert!(retry_in(&keys).is_none(), "reset by a success");
        keys.finish_fetch(0, Err(&FetchError::Network));
        let Some((1, delay)) = retry_in(&keys) else {
            panic!("counting starts over")
        };
        assert!(delay <= Duration::from_secs(1));
    }

    /// A fetch task that panics is counted as a failed fetch and the next fetch runs after
    /// the retry delay, instead of every caller getting the dead fetch's result forever.
    #[tokio::test]
    async fn a_panicking_fetch_does_not_leave_the_cache_waiting() {
        let issuer = TestIssuer::start().await;
        let clock = Arc::new(ManualClock(AtomicU64::new(1_700_000_000_000)));
        let keys = cache(&issuer.jwks_uri(), &clock);
        keys.panic_next_fetch.store(true, Ordering::SeqCst);
        assert_eq!(keys.snapshot().await.err(), Some(FetchError::Aborted));
        assert!(keys.state().inflight.is_none(), "in-flight marker cleared");
        assert_eq!(issuer.requests(Endpoint::Jwks), 0);
        clock.advance(Duration::from_secs(1));
        let snapshot = keys.snapshot().await;
        assert!(snapshot.is_ok(), "{snapshot:?}");
        assert_eq!(issuer.requests(Endpoint::Jwks), 1);
    }

    /// A fetch spawned on a runtime that has shut down is dropped inside `spawn`; its
    /// guard still clears the marker and records the failure, and waiters get an error.
    #[test]
    fn a_fetch_dropped_by_a_stopped_runtime_does_not_leave_the_cache_waiting() {
        let clock = Arc::new(ManualClock(AtomicU64::new(1_700_000_000_000)));
        let keys = cache("https://issuer.example/jwks", &clock);
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        let handle = rt.handle().clone();
        drop(rt);
        let _entered = handle.enter();
        let Started::Pending(fetch) = keys.start(Reason::Required, None) else {
            panic!("a fetch starts")
        };
        assert!(keys.state().inflight.is_none(), "in-flight marker cleared");
        assert_eq!(
            keys.gate.state().failure.as_ref().map(|f| f.error.clone()),
            Some(FetchError::Aborted)
        );
        assert_eq!(
            fetch.now_or_never().map(|r| r.err()),
            Some(Some(FetchError::Aborted))
        );
    }
}
