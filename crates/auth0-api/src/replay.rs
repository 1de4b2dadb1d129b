//! DPoP proof replay protection (RFC 9449 §11.1).
//!
//! Each proof carries a unique `jti`. A proof is accepted only if its `jti` has not been seen
//! before while the proof could still pass the `iat` window check; after that window, the
//! `iat` check itself rejects the proof, so the `jti` can be forgotten.
//!
//! [`ReplayStore`] is the storage contract; [`MemoryReplayStore`] is the default, for a single
//! instance. Several instances behind a load balancer must share one store (for example the
//! Redis store of the `auth0-api-redis` crate), or a proof replayed to another instance
//! would be accepted there.

use std::collections::HashMap;
use std::error::Error as StdError;
use std::fmt;
use std::future::Future;
use std::hash::{BuildHasherDefault, Hasher};
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};

use aws_lc_rs::digest;

use crate::time::UnixTime;

/// Storage for seen DPoP proof identifiers: accepts each `jti` at most once within its TTL.
///
/// The verifier calls [`check_and_store`](ReplayStore::check_and_store) once per DPoP proof,
/// after the proof's signature and claims were checked, with `expires_at` set to the end of
/// the window in which the proof's `iat` is acceptable.
///
/// Implementations must be atomic: of any number of concurrent calls with the same key, at
/// most one may return `Ok(true)` until the entry expires. An implementation that cannot
/// answer (store unreachable, full, timed out) returns an error, and the verifier refuses the
/// request with 503; it never accepts a proof it could not check.
pub trait ReplayStore: fmt::Debug + Send + Sync + 'static {
    /// Atomically records `key` until `expires_at`.
    ///
    /// Returns `Ok(true)` when the key was not seen before (accept the proof), `Ok(false)`
    /// when it was seen and has not expired yet (a replay), and `Err` when the store cannot
    /// answer (the caller fails closed). A bounded store may also answer `Ok(false)` for a
    /// key it can no longer prove unseen: [`MemoryReplayStore`] does for a key expiring no
    /// later than the entries it forgot to make room.
    fn check_and_store<'a>(
        &'a self,
        key: &'a ReplayKey<'a>,
        now: UnixTime,
        expires_at: UnixTime,
    ) -> Pin<Box<dyn Future<Output = Result<bool, ReplayStoreError>> + Send + 'a>>;
}

impl<T: ReplayStore + ?Sized> ReplayStore for Arc<T> {
    fn check_and_store<'a>(
        &'a self,
        key: &'a ReplayKey<'a>,
        now: UnixTime,
        expires_at: UnixTime,
    ) -> Pin<Box<dyn Future<Output = Result<bool, ReplayStoreError>> + Send + 'a>> {
        (**self).check_and_store(key, now, expires_at)
    }
}

/// The identity of one DPoP proof for replay detection: the access token's issuer, the
/// thumbprint of the proof key (`jkt`), and the proof's `jti`.
///
/// Scoping by issuer and key means that one client cannot block another's proofs by
/// guessing its `jti` values.
///
/// It borrows the three parts from the request being verified: building one allocates
/// nothing. A store keeps what it needs (a digest, an encoded key), never the borrow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ReplayKey<'a> {
    issuer: &'a str,
    jkt: &'a str,
    jti: &'a str,
}

impl<'a> ReplayKey<'a> {
    /// The key for a proof with `jti`, signed by the key with thumbprint `jkt`, sent with an
    /// access token from `issuer`.
    pub fn new(issuer: &'a str, jkt: &'a str, jti: &'a str) -> Self {
        Self { issuer, jkt, jti }
    }

    /// The access token's issuer.
    pub fn issuer(&self) -> &'a str {
        self.issuer
    }

    /// The RFC 7638 thumbprint of the proof's public key.
    pub fn jkt(&self) -> &'a str {
        self.jkt
    }

    /// The proof's `jti` claim.
    pub fn jti(&self) -> &'a str {
        self.jti
    }

    /// SHA-256 of the three parts, each prefixed with its length, so that distinct keys
    /// never share an encoding.
    fn digest(&self) -> [u8; 32] {
        length_prefixed_sha256(&[self.issuer, self.jkt, self.jti])
    }

    /// Identifies the proof key (issuer and `jkt`, not the `jti`) for the per-key quota of
    /// [`MemoryReplayStore`]: 64 bits of a SHA-256, which a client cannot choose without
    /// a new key and a token bound to it.
    fn owner(&self) -> u64 {
        let d = length_prefixed_sha256(&[self.issuer, self.jkt]);
        let mut first = [0u8; 8];
        first.copy_from_slice(&d[..8]);
        u64::from_be_bytes(first)
    }
}

/// SHA-256 of `parts`, each prefixed with its length as eight big-endian bytes.
fn length_prefixed_sha256(parts: &[&str]) -> [u8; 32] {
    let mut ctx = digest::Context::new(&digest::SHA256);
    for part in parts {
        ctx.update(&(part.len() as u64).to_be_bytes());
        ctx.update(part.as_bytes());
    }
    let mut out = [0u8; 32];
    out.copy_from_slice(ctx.finish().as_ref());
    out
}

/// A [`ReplayStore`] could not answer; the request is refused with 503. The reason is the
/// [`source`](StdError::source).
#[derive(Debug, thiserror::Error)]
#[error("replay store unavailable")]
pub struct ReplayStoreError {
    source: Box<dyn StdError + Send + Sync + 'static>,
}

impl ReplayStoreError {
    /// Wraps the reason the store could not answer.
    pub fn new(source: impl StdError + Send + Sync + 'static) -> Self {
        Self {
            source: Box::new(source),
        }
    }
}

/// Number of independently locked shards of [`MemoryReplayStore`].
const SHARDS: usize = 64;
/// Default capacity of [`MemoryReplayStore`]: about 2^20 entries, enough for several
/// thousand DPoP requests per second with a five-minute `iat` window before the window
/// shrinks.
const DEFAULT_CAPACITY: usize = 1 << 20;
/// A full shard forgets about this fraction (1/8) of its entries at a time.
const EVICT_SHARE: usize = 8;

/// The default [`ReplayStore`]: in memory, for a single instance.
///
/// Entries are spread over 64 independently locked shards by a hash of the key, so
/// concurrent requests almost never wait on each other. Expired entries are purged
/// incrementally while new ones are stored.
///
/// # Bounds
///
/// The store is bounded, and it stays correct when full. When the shard a new key falls in
/// is full of entries that have not expired yet, the shard forgets the eighth of its
/// entries that expire soonest (the proofs with the oldest `iat`) and from then on treats
/// every key that expires no later than them as seen: its
/// [`check_and_store`](ReplayStore::check_and_store) returns `Ok(false)` and the proof is
/// refused as a replay. A forgotten proof can therefore never be replayed, and fresh proofs
/// (an `iat` of now, as clients send them) are still accepted. Under more traffic than the
/// capacity holds for the whole `iat` window, the store in effect shortens the window: a
/// proof older than the shard's oldest remembered one is refused with 401, and the client
/// retries with a fresh proof. Nothing is answered with 503 for want of room.
///
/// Size the capacity for the peak rate of DPoP requests times the proof `iat` window (the
/// default, 2^20, holds 3,000 proofs per second for the default 330 s, and keeps a window
/// of 100 s at 10,000 per second).
///
/// # Per-key quota (opt-in)
///
/// One client with a valid DPoP-bound token that sends proofs faster than others only
/// shortens the window as above; it cannot make the store refuse anyone with 503. It can,
/// though, aim its proofs at one shard (the shard comes from a hash of the `jti` it
/// chooses) and, with proofs dated up to the `iat` leeway ahead, keep that shard's floor
/// above the expiry of other clients' fresh proofs: at the default capacity that takes
/// about 550 proofs a second (each one verified), and refuses the 1/64 of other clients'
/// proofs that land in that shard as replays (401; a client retries with a new proof and
/// `jti`). Without eviction, the same flood from a few keys would have filled the shard
/// and had its proofs refused with 503.
/// [`max_entries_per_key`](Self::max_entries_per_key) sets a hard limit per proof key (the
/// access token's issuer and the proof key's thumbprint, `jkt`) instead: a proof beyond its
/// key's quota is refused with 503 (failing closed), and other keys are unaffected. The
/// quota is then also a rate limit for one client: a quota of `m` entries with a
/// five-minute window lets one key send about `m / 330` DPoP requests per second to one
/// instance.
///
/// # Memory
///
/// An entry is a 32-byte SHA-256 of the key, an expiry and the id of its proof key: 48 bytes
/// plus one control byte in a hash table. With a quota, each shard also counts its entries
/// per proof key (16 bytes plus one control byte per key present). Tables grow in powers of
/// two up to the shard's limit and are not shrunk, so the store takes at most about 150
/// bytes per entry of capacity: about 140 MiB for the default 2^20 entries, whatever the
/// clients send (measured: 137 MiB resident with a million entries from a million proof
/// keys).
pub struct MemoryReplayStore {
    shards: Box<[Mutex<Shard>]>,
    shard_capacity: usize,
    /// Live entries one proof key may hold in one shard, when limited.
    key_quota: Option<usize>,
}

/// One stored proof identifier.
#[derive(Clone, Copy)]
struct Entry {
    /// Expiry in milliseconds since the epoch.
    expires: u64,
    /// [`ReplayKey::owner`] of the proof key it belongs to (0 without a quota).
    owner: u64,
}

#[derive(Default)]
struct Shard {
    /// SHA-256 of the key → expiry and proof key.
    entries: HashMap<[u8; 32], Entry, BuildHasherDefault<DigestHasher>>,
    /// With a quota: number of entries in `entries` per proof key; keys without entries
    /// are absent. Empty without a quota.
    per_owner: HashMap<u64, u64, BuildHasherDefault<OwnerHasher>>,
    /// No entry expires before this instant (milliseconds); a sweep before it finds nothing.
    earliest_expiry: u64,
    /// Keys that expire at or before this instant (milliseconds) are treated as seen: the
    /// shard forgot live entries up to it to make room. Never decreases.
    floor: u64,
    /// Inserts since the last sweep, to amortize sweeping over insertions.
    inserts_since_sweep: usize,
}

impl Shard {
    /// Drops the entries `keep` refuses, with their per-key counts.
    fn retain(&mut self, mut keep: impl FnMut(&Entry) -> bool) {
        let per_owner = &mut self.per_owner;
        self.entries.retain(|_, entry| {
            let kept = keep(entry);
            if !kept && !per_owner.is_empty() {
                if let Some(count) = per_owner.get_mut(&entry.owner) {
                    *count = count.saturating_sub(1);
                    if *count == 0 {
                        per_owner.remove(&entry.owner);
                    }
                }
            }
            kept
        });
        self.earliest_expiry = self
            .entries
            .values()
            .map(|e| e.expires)
            .min()
            .unwrap_or(u64::MAX);
    }

    /// Drops the entries that expired by `now_ms`.
    fn sweep(&mut self, now_ms: u64) {
        self.retain(|entry| entry.expires > now_ms);
        self.inserts_since_sweep = 0;
    }

    /// Forgets the live entries that expire soonest (at least one in [`EVICT_SHARE`]) and
    /// raises the floor to their latest expiry, so that none of them can be replayed.
    fn evict_soonest(&mut self) {
        let mut expiries: Vec<u64> = self.entries.values().map(|e| e.expires).collect();
        if expiries.is_empty() {
            return;
        }
        // The (len / 8)-th soonest expiry; everything expiring no later goes.
        let nth = expiries.len() / EVICT_SHARE;
        let (_, &mut cutoff, _) = expiries.select_nth_unstable(nth);
        self.floor = self.floor.max(cutoff);
        let before = self.entries.len();
        self.retain(|entry| entry.expires > cutoff);
        let forgotten = before.saturating_sub(self.entries.len());
        crate::telemetry::replay_store_evicted(u64::try_from(forgotten).unwrap_or(u64::MAX));
        tracing::debug!(
            forgotten,
            "in-memory replay store shard full: forgot its oldest proofs"
        );
    }

    fn owned_by(&self, owner: u64) -> usize {
        self.per_owner
            .get(&owner)
            .map_or(0, |n| usize::try_from(*n).unwrap_or(usize::MAX))
    }
}

/// The proof key already holds its quota of entries that have not expired.
#[derive(Debug, thiserror::Error)]
#[error("in-memory replay store quota of this proof key is used up")]
struct KeyQuotaExceeded;

impl MemoryReplayStore {
    /// A store for up to about a million entries.
    pub fn new() -> Self {
        Self::with_capacity(DEFAULT_CAPACITY)
    }

    /// A store for up to `max_entries` entries (at least one per shard).
    ///
    /// The limit applies per shard (`max_entries / 64`, rounded up), so a shard may start
    /// forgetting its oldest entries (see [Bounds](Self#bounds)) while others have room.
    pub fn with_capacity(max_entries: usize) -> Self {
        let shards = (0..SHARDS)
            .map(|_| {
                Mutex::new(Shard {
                    earliest_expiry: u64::MAX,
                    ..Shard::default()
                })
            })
            .collect();
        Self {
            shards,
            shard_capacity: max_entries.div_ceil(SHARDS).max(1),
            key_quota: None,
        }
    }

    /// Limits each proof key (issuer and `jkt`) to about `max_entries` live entries; a
    /// proof beyond it is refused with 503. Off by default. Like the capacity, it applies
    /// per shard: a key may hold `max_entries / 64` (rounded up, at least one) entries in
    /// each shard, and never more than the shard holds. Its proofs spread over the shards
    /// by a hash, so a client sending random `jti`s reaches its first shard limit somewhat
    /// before `max_entries`.
    pub fn max_entries_per_key(mut self, max_entries: usize) -> Self {
        self.key_quota = Some(max_entries.div_ceil(SHARDS).clamp(1, self.shard_capacity));
        self
    }

    /// Number of stored entries, including expired ones not yet purged.
    pub fn len(&self) -> usize {
        self.shards.iter().map(|s| lock(s).entries.len()).sum()
    }

    /// Whether the store holds no entries.
    pub fn is_empty(&self) -> bool {
        self.shards.iter().all(|s| lock(s).entries.is_empty())
    }

    fn insert(
        &self,
        key: &ReplayKey<'_>,
        now: UnixTime,
        expires_at: UnixTime,
    ) -> Result<bool, ReplayStoreError> {
        let digest = key.digest();
        let shard = &self.shards[usize::from(digest[0]) % SHARDS];
        let now_ms = now.as_millis();
        let expires_ms = expires_at.as_millis();
        let mut shard = lock(shard);

        // A key expiring no later than a forgotten entry may be that entry.
        if expires_ms <= shard.floor {
            return Ok(false);
        }
        if let Some(existing) = shard.entries.get_mut(&digest) {
            if existing.expires > now_ms {
                return Ok(false);
            }
            // Seen before, but expired: accept and record again. The entry stays counted
            // for its proof key.
            existing.expires = expires_ms;
            shard.earliest_expiry = shard.earliest_expiry.min(expires_ms);
            return Ok(true);
        }

        let owner = self.key_quota.map_or(0, |_| key.owner());
        let len = shard.entries.len();
        let full = len >= self.shard_capacity;
        let at_quota = self
            .key_quota
            .is_some_and(|quota| shard.owned_by(owner) >= quota);
        // Sweep when full or at the quota, or after as many inserts as there are entries (so
        // the cost of a sweep is spread over the inserts that grew the shard), and only when
        // something can have expired.
        if (full || at_quota || shard.inserts_since_sweep >= len.max(64))
            && now_ms >= shard.earliest_expiry
        {
            shard.sweep(now_ms);
        }
        if let Some(quota) = self.key_quota {
            if shard.owned_by(owner) >= quota {
                return Err(ReplayStoreError::new(KeyQuotaExceeded));
            }
        }
        if shard.entries.len() >= self.shard_capacity {
            // This key is not among the forgotten ones: those expire no later than the old
            // floor (refused above) or are still stored (found above).
            shard.evict_soonest();
        }
        shard.entries.insert(
            digest,
            Entry {
                expires: expires_ms,
                owner,
            },
        );
        if self.key_quota.is_some() {
            let count = shard.per_owner.entry(owner).or_insert(0);
            *count = count.saturating_add(1);
        }
        shard.earliest_expiry = shard.earliest_expiry.min(expires_ms);
        shard.inserts_since_sweep += 1;
        Ok(true)
    }
}

impl Default for MemoryReplayStore {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for MemoryReplayStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryReplayStore")
            .field("shards", &self.shards.len())
            .field("capacity", &(self.shard_capacity * self.shards.len()))
            .field("per_key", &self.key_quota.map(|q| q * self.shards.len()))
            .finish_non_exhaustive()
    }
}

impl ReplayStore for MemoryReplayStore {
    fn check_and_store<'a>(
        &'a self,
        key: &'a ReplayKey<'a>,
        now: UnixTime,
        expires_at: UnixTime,
    ) -> Pin<Box<dyn Future<Output = Result<bool, ReplayStoreError>> + Send + 'a>> {
        Box::pin(std::future::ready(self.insert(key, now, expires_at)))
    }
}

/// Locks a shard. Nothing that can panic runs while the lock is held (map operations and
/// arithmetic on counts that cannot overflow), so a poisoned lock is used as is.
fn lock(shard: &Mutex<Shard>) -> std::sync::MutexGuard<'_, Shard> {
    shard.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Hashes the map keys, which are already uniformly distributed SHA-256 outputs, by taking
/// eight of their bytes.
#[derive(Default)]
struct DigestHasher(u64);

impl Hasher for DigestHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Bytes 8..16 of the digest; byte 0 already chose the shard.
        for &b in bytes.iter().skip(8).take(8) {
            self.0 = (self.0 << 8) | u64::from(b);
        }
    }
}

/// Hashes proof key ids, which are already 64 bits of a SHA-256, as themselves.
#[derive(Default)]
struct OwnerHasher(u64);

impl Hasher for OwnerHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | u64::from(b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn key(jti: &str) -> ReplayKey<'_> {
        ReplayKey::new("https://issuer.example/", "jkt-abc", jti)
    }

    async fn store(s: &dyn ReplayStore, k: &ReplayKey<'_>, now_ms: u64, exp_ms: u64) -> bool {
        s.check_and_store(
            k,
            UnixTime::from_millis(now_ms),
            UnixTime::from_millis(exp_ms),
        )
        .await
        .expect("store failed")
    }

    #[tokio::test]
    async fn first_use_accepted_replay_rejected() {
        let s = MemoryReplayStore::new();
        assert!(s.is_empty());
        assert!(store(&s, &key("a"), 1_000, 61_000).await);
        assert!(!store(&s, &key("a"), 1_001, 61_000).await);
        assert!(!store(&s, &key("a"), 60_999, 61_000).await);
        assert!(store(&s, &key("b"), 1_002, 61_000).await);
        assert_eq!(s.len(), 2);
    }

    #[tokio::test]
    async fn accepted_again_after_expiry() {
        let s = MemoryReplayStore::new();
        assert!(store(&s, &key("a"), 1_000, 2_000).await);
        assert!(!store(&s, &key("a"), 1_999, 3_000).await);
        assert!(store(&s, &key("a"), 2_000, 3_000).await);
        // Re-recorded with the new expiry.
        assert!(!store(&s, &key("a"), 2_999, 4_000).await);
        assert!(store(&s, &key("a"), 3_000, 4_000).await);
    }

    #[tokio::test]
    async fn key_parts_are_scoped() {
        let s = MemoryReplayStore::new();
        let parts = [
            ReplayKey::new("iss", "jkt", "jti"),
            ReplayKey::new("iss2", "jkt", "jti"),
            ReplayKey::new("iss", "jkt2", "jti"),
            ReplayKey::new("iss", "jkt", "jti2"),
            // Same concatenation, different split: must not collide.
            ReplayKey::new("issj", "kt", "jti"),
            ReplayKey::new("is", "sjkt", "jti"),
            ReplayKey::new("", "issjkt", "jti"),
        ];
        for k in &parts {
            assert!(store(&s, k, 0, 10_000).await, "{k:?}");
        }
        for k in &parts {
            assert!(!store(&s, k, 1, 10_000).await, "{k:?}");
        }
    }

    #[test]
    fn replay_key_accessors_and_digest() {
        let k = ReplayKey::new("i", "k", "j");
        assert_eq!((k.issuer(), k.jkt(), k.jti()), ("i", "k", "j"));
        assert_eq!(k.digest(), ReplayKey::new("i", "k", "j").digest());
        assert_ne!(k.digest(), ReplayKey::new("i", "kj", "").digest());
    }

    #[tokio::test]
    async fn a_full_shard_forgets_its_oldest_entries_and_refuses_them_as_replays() {
        // One entry per shard.
        let s = MemoryReplayStore::with_capacity(1);
        assert_eq!(s.shard_capacity, 1);
        let jtis: Vec<String> = (0..2_000).map(|i| format!("jti-{i}")).collect();
        // Each proof fresher than the last: every one is accepted, none refused for room.
        for (i, jti) in jtis.iter().enumerate() {
            assert!(store(&s, &key(jti), 0, 60_000 + i as u64).await, "{jti}");
        }
        assert!(s.len() <= SHARDS);
        // Every accepted key is refused again, remembered or forgotten.
        for jti in &jtis {
            assert!(!store(&s, &key(jti), 1, 60_000).await, "{jti}");
        }
        // A key never seen, but expiring no later than what its shard forgot: refused.
        assert!(!store(&s, &key("never-sent"), 1, 60_000).await);
        // A fresher one is accepted.
        assert!(store(&s, &key("fresh"), 1, 70_000).await);
        // Once the remembered entries expire, the shard is swept and its floor stays: a key
        // expiring later is accepted.
        assert!(store(&s, &key("much-later"), 70_000, 130_000).await);
        assert!(!store(&s, &key("much-later"), 70_001, 130_000).await);
    }

    /// The property the store exists for, under random traffic far beyond its capacity: a
    /// proof (a key with its expiry, which comes from the proof's signed `iat`) accepted once
    /// is never accepted again before it expires, and a proof fresher than every proof
    /// before it is always accepted.
    #[tokio::test]
    async fn past_its_capacity_the_store_never_accepts_a_live_key_twice() {
        let s = MemoryReplayStore::with_capacity(64 * 4);
        let mut accepted: HashMap<u32, u64> = HashMap::new();
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            // xorshift64*: deterministic, so a failure replays.
            seed ^= seed >> 12;
            seed ^= seed << 25;
            seed ^= seed >> 27;
            seed.wrapping_mul(0x2545_f491_4f6c_dd1d)
        };
        let mut latest = 0u64;
        let mut fresh_id = 1_000_000u32;
        for step in 0..60_000u64 {
            let now = step * 10;
            let r = next();
            let (id, expires) = if r % 4 == 0 {
                // A key fresher than all before it.
                fresh_id += 1;
                (fresh_id, latest.max(now) + 1 + r % 7)
            } else {
                // A proof from a pool of 5,000 (so, many replays), each with its own expiry.
                let id = u32::try_from(r % 5_000).unwrap();
                (id, u64::from(id) * 7_919 % 630_000)
            };
            let jti = id.to_string();
            let got = store(&s, &key(&jti), now, expires).await;
            if let Some(&until) = accepted.get(&id) {
                assert!(!(got && until > now), "key {id} accepted twice at {now}");
            }
            if id > 1_000_000 {
                assert!(got, "fresh key {id} refused at {now}");
            }
            if got {
                accepted.insert(id, expires);
            }
            latest = latest.max(expires);
            if step % 1_000 == 0 {
                assert!(s.len() <= 64 * 4);
            }
        }
    }

    #[tokio::test]
    async fn capacity_is_total_across_shards() {
        let s = MemoryReplayStore::with_capacity(64 * 100);
        for i in 0..64 * 200u64 {
            let jti = i.to_string();
            // Fresher and fresher: all accepted, the oldest forgotten shard by shard.
            assert!(store(&s, &key(&jti), 0, 1_000 + i).await, "{i}");
        }
        assert!(s.len() <= 64 * 100);
        for shard in s.shards.iter() {
            assert!(lock(shard).entries.len() <= 100);
        }
        // Hash imbalance fills some shards before others, but most entries are kept.
        assert!(s.len() > 64 * 70, "{}", s.len());
    }

    fn shard_of(k: &ReplayKey<'_>) -> usize {
        usize::from(k.digest()[0]) % SHARDS
    }

    /// One client chooses `jti`s that all land in one shard and keeps sending them: a
    /// client with another proof key whose proof lands in that shard is still accepted, as
    /// long as its proof is as fresh as the flood's, and the flood's proofs are never
    /// accepted twice.
    #[tokio::test]
    async fn a_flood_into_one_shard_only_shortens_its_window() {
        let iss = "https://issuer.example/";
        let s = MemoryReplayStore::with_capacity(64 * 64);
        let victim_jtis: Vec<String> = (0..100_000).map(|i| format!("victim-{i}")).collect();
        let target = shard_of(&ReplayKey::new(iss, "victim-jkt", &victim_jtis[0]));
        let mut victims = victim_jtis
            .iter()
            .map(|j| ReplayKey::new(iss, "victim-jkt", j))
            .filter(|k| shard_of(k) == target);
        let mut flood = Vec::new();
        for i in 0..50_000u64 {
            let jti = format!("a-{i}");
            if shard_of(&ReplayKey::new(iss, "attacker-jkt", &jti)) == target {
                flood.push(jti);
            }
        }
        // The flood: 32 proofs a second into a shard of 64 entries.
        for (i, jti) in flood.iter().enumerate() {
            let second = i as u64 / 32;
            let k = ReplayKey::new(iss, "attacker-jkt", jti);
            assert!(store(&s, &k, second * 1_000, 300_000 + second * 1_000).await);
            if i % 32 == 31 {
                let victim = victims.next().unwrap();
                assert!(store(&s, &victim, second * 1_000, 300_000 + second * 1_000).await);
                assert!(!store(&s, &victim, second * 1_000, 300_000 + second * 1_000).await);
            }
        }
        for jti in &flood {
            let k = ReplayKey::new(iss, "attacker-jkt", jti);
            assert!(!store(&s, &k, 0, 300_000).await, "{jti} accepted twice");
        }
        assert!(lock(&s.shards[target]).entries.len() <= 64);
    }

    /// With a quota, one client's proofs beyond it are refused with 503 while another
    /// client gets in.
    #[tokio::test]
    async fn a_proof_key_at_its_quota_is_refused_and_the_others_are_not() {
        let iss = "https://issuer.example/";
        // 64 entries per shard; each key may hold 8 of them.
        let s = MemoryReplayStore::with_capacity(64 * 64).max_entries_per_key(64 * 8);
        let victim = ReplayKey::new(iss, "victim-jkt", "victim-1");
        let target = shard_of(&victim);
        let (mut accepted, mut refused) = (0usize, 0usize);
        for i in 0..100_000 {
            let jti = format!("a-{i}");
            let k = ReplayKey::new(iss, "attacker-jkt", &jti);
            if shard_of(&k) != target && i < 50_000 {
                continue;
            }
            match s
                .check_and_store(&k, UnixTime::from_millis(0), UnixTime::from_millis(300_000))
                .await
            {
                Ok(true) => accepted += 1,
                Ok(false) => panic!("fresh key reported as replay"),
                Err(e) => {
                    assert_eq!(
                        e.source().map(ToString::to_string).as_deref(),
                        Some("in-memory replay store quota of this proof key is used up")
                    );
                    refused += 1;
                }
            }
        }
        assert!(refused > 0, "the flood was cut off");
        assert!(accepted <= 64 * 8, "{accepted} entries for one key");
        assert_eq!(
            lock(&s.shards[target]).owned_by(ReplayKey::new(iss, "attacker-jkt", "").owner()),
            8
        );
        // Failing closed still holds for the flooding key, and the victim gets in.
        assert!(store(&s, &victim, 1, 300_000).await);
        assert!(!store(&s, &victim, 2, 300_000).await);
        // Once the flood's entries expire, the flooding key is accepted again.
        assert!(
            store(
                &s,
                &ReplayKey::new(iss, "attacker-jkt", "later"),
                300_000,
                600_000
            )
            .await
        );
    }

    #[tokio::test]
    async fn per_key_quota_is_configurable_and_bounded_by_the_shard() {
        assert_eq!(MemoryReplayStore::with_capacity(64 * 64).key_quota, None);
        let s = MemoryReplayStore::with_capacity(64 * 64).max_entries_per_key(64 * 64 * 10);
        assert_eq!(s.key_quota, Some(64));
        let s = MemoryReplayStore::with_capacity(64 * 64).max_entries_per_key(0);
        assert_eq!(s.key_quota, Some(1));
        let s = MemoryReplayStore::with_capacity(64 * 64).max_entries_per_key(64 * 20);
        assert_eq!(s.key_quota, Some(20));
        let mut ok = 0;
        for i in 0..10_000 {
            let jti = i.to_string();
            let k = key(&jti);
            if s.check_and_store(&k, UnixTime::from_millis(0), UnixTime::from_millis(1_000))
                .await
                .is_ok()
            {
                ok += 1;
            }
        }
        assert_eq!(ok, 64 * 20);
    }

    /// However the store is flooded, no shard holds more than its share of entries and,
    /// with a quota, the per-key counts agree with the entries (the basis of the
    /// documented memory bound).
    #[tokio::test]
    async fn flooding_stays_within_the_bounds() {
        for quota in [None, Some(64 * 8)] {
            let mut s = MemoryReplayStore::with_capacity(64 * 32);
            if let Some(q) = quota {
                s = s.max_entries_per_key(q);
            }
            for i in 0..20_000u64 {
                // Some keys with many jtis, many keys with one, and expiries that overlap.
                let jkt = if i % 3 == 0 {
                    format!("k{}", i % 7)
                } else {
                    format!("k{i}")
                };
                let jti = i.to_string();
                let k = ReplayKey::new("iss", &jkt, &jti);
                let now = i * 10;
                let _ = s
                    .check_and_store(
                        &k,
                        UnixTime::from_millis(now),
                        UnixTime::from_millis(now + 30_000 + (i % 5) * 1_000),
                    )
                    .await;
            }
            for shard in s.shards.iter() {
                let shard = lock(shard);
                assert!(shard.entries.len() <= s.shard_capacity);
                let Some(quota) = s.key_quota else {
                    assert!(shard.per_owner.is_empty());
                    continue;
                };
                assert!(shard.per_owner.len() <= shard.entries.len());
                assert!(
                    shard
                        .per_owner
                        .values()
                        .all(|n| *n > 0 && *n as usize <= quota)
                );
                let counted: u64 = shard.per_owner.values().sum();
                assert_eq!(counted as usize, shard.entries.len());
                for e in shard.entries.values() {
                    assert!(shard.per_owner.contains_key(&e.owner));
                }
            }
        }
    }

    #[tokio::test]
    async fn expired_entries_are_purged_incrementally() {
        let s = MemoryReplayStore::with_capacity(1 << 20);
        for i in 0..20_000 {
            assert!(store(&s, &key(&format!("old-{i}")), 0, 1_000).await);
        }
        assert_eq!(s.len(), 20_000);
        // Later traffic sweeps the expired entries without the store being full.
        for i in 0..20_000 {
            assert!(store(&s, &key(&format!("new-{i}")), 5_000, 6_000).await);
        }
        assert!(s.len() < 30_000, "{}", s.len());
        // A sweep never drops live entries.
        for i in 0..20_000 {
            assert!(!store(&s, &key(&format!("new-{i}")), 5_001, 6_000).await);
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_inserts_of_one_key_accept_exactly_once() {
        let s = Arc::new(MemoryReplayStore::new());
        let accepted = Arc::new(AtomicUsize::new(0));
        let k = Arc::new(key("contended"));
        let tasks: Vec<_> = (0..10_000)
            .map(|_| {
                let (s, accepted, k) = (s.clone(), accepted.clone(), k.clone());
                tokio::spawn(async move {
                    tokio::task::yield_now().await;
                    if store(&*s, &k, 1_000, 60_000).await {
                        accepted.fetch_add(1, Ordering::SeqCst);
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(accepted.load(Ordering::SeqCst), 1);
        assert_eq!(s.len(), 1);
    }

    #[tokio::test]
    async fn works_through_arc_dyn() {
        let s: Arc<dyn ReplayStore> = Arc::new(MemoryReplayStore::new());
        assert!(store(&s, &key("a"), 0, 1_000).await);
        assert!(!store(&s, &key("a"), 0, 1_000).await);
    }

    #[test]
    fn debug_shows_no_entries() {
        let debug = format!("{:?}", MemoryReplayStore::with_capacity(640));
        assert_eq!(
            debug,
            "MemoryReplayStore { shards: 64, capacity: 640, per_key: None, .. }"
        );
        assert!(format!("{:?}", key("j")).contains("\"j\""));
    }

    #[test]
    fn error_display_and_source() {
        let e = ReplayStoreError::new(std::io::Error::other("connection refused"));
        assert_eq!(
            e.to_string(),
            "replay store unavailable",
            "the source is not repeated"
        );
        assert_eq!(
            e.source().map(|s| s.to_string()).as_deref(),
            Some("connection refused")
        );
    }
}
