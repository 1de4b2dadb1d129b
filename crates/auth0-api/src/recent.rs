//! The verified tokens that hit the token cache most recently, found by their whole text.
//!
//! A repeated token (one client, one token, many requests: the common case of a busy API)
//! is otherwise found by the SHA-256 of its compact form and a lookup in the general cache,
//! which together cost more than the rest of the request's checks. Here it is found by a
//! slot chosen from its last bytes (the end of its signature, which varies between tokens)
//! and a comparison of the whole text against the token stored in that slot: no hash of the
//! token, no lock, no allocation.
//!
//! Safety rests on the comparison, not on the slot: a token differing from the stored one
//! in any byte never matches, whatever slot it lands in. The comparison takes time that
//! depends only on the length, so the time a lookup takes says nothing about how much of a
//! stored token a guess got right. Only tokens that verified and then hit the general cache
//! are offered here; what a hit still checks (expiry, the key still published, the domains
//! resolver) is checked by the caller exactly as for a hit in the general cache.

use std::hash::{BuildHasher, RandomState};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use arc_swap::ArcSwapOption;
use aws_lc_rs::constant_time;

/// A small, fixed set of slots, each holding at most one verified token and its value.
pub(crate) struct Recent<V> {
    slots: Box<[ArcSwapOption<Slot<V>>]>,
    /// Per-process random key of the slot choice.
    seed: u64,
    /// Offers declined because their slot held another token.
    declined: AtomicU64,
}

struct Slot<V> {
    token: Box<[u8]>,
    value: V,
    /// Hit since the slot was filled or since another token last asked for the slot.
    used: AtomicBool,
}

impl<V: Clone> Recent<V> {
    /// Number of slots: the hot tokens of a busy API (one per active client).
    pub(crate) const SLOTS: usize = 256;
    /// Longer tokens are not kept here (they still hit the general cache): bounds the
    /// memory to [`Self::SLOTS`] × this many bytes.
    pub(crate) const MAX_TOKEN: usize = 2048;
    /// Another token takes an occupied slot whose token was not hit since the last such
    /// request on one offer in this many: when more tokens are hot than there are slots,
    /// the slots do not change hands on every request.
    pub(crate) const REPLACE_EVERY: u64 = 8;

    pub(crate) fn new() -> Self {
        Self {
            slots: (0..Self::SLOTS).map(|_| ArcSwapOption::empty()).collect(),
            seed: RandomState::new().hash_one(0x5eed_u64),
            declined: AtomicU64::new(0),
        }
    }

    /// The slot of `token`: its last eight bytes (the end of the signature) under the
    /// process's random key, spread by a multiplication whose high bits depend on every
    /// input bit.
    fn slot(&self, token: &[u8]) -> &ArcSwapOption<Slot<V>> {
        let mixed =
            (u64::from_le_bytes(tail(token)) ^ self.seed).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        // The top bits of the product (SLOTS is a power of two): always below SLOTS.
        let index = mixed >> (64 - Self::SLOTS.trailing_zeros());
        &self.slots[usize::try_from(index).unwrap_or(0)]
    }

    /// The value stored with exactly `token`, if it is here.
    pub(crate) fn get(&self, token: &[u8]) -> Option<V> {
        let guard = self.slot(token).load();
        let slot = guard.as_ref()?;
        if !same(&slot.token, token) {
            return None;
        }
        if !slot.used.load(Ordering::Relaxed) {
            slot.used.store(true, Ordering::Relaxed);
        }
        Some(slot.value.clone())
    }

    /// Offers a token that just hit the general cache; returns whether it was stored.
    /// An empty slot takes it; an occupied one keeps a token hit since the last offer
    /// (and forgets that hit: a second chance), and otherwise gives way on one offer in
    /// [`Self::REPLACE_EVERY`].
    pub(crate) fn offer(&self, token: &[u8], value: impl FnOnce() -> V) -> bool {
        if token.len() > Self::MAX_TOKEN {
            return false;
        }
        let cell = self.slot(token);
        if let Some(slot) = cell.load().as_ref() {
            if same(&slot.token, token) || slot.used.swap(false, Ordering::Relaxed) {
                return false;
            }
            if self.declined.fetch_add(1, Ordering::Relaxed) % Self::REPLACE_EVERY != 0 {
                return false;
            }
        }
        cell.store(Some(Arc::new(Slot {
            token: token.into(),
            value: value(),
            used: AtomicBool::new(false),
        })));
        true
    }

    /// Drops `token` if it is here (its key left the JWKS).
    pub(crate) fn remove(&self, token: &[u8]) {
        let cell = self.slot(token);
        let current = cell.load();
        if current.as_ref().is_some_and(|s| same(&s.token, token)) {
            cell.compare_and_swap(&*current, None);
        }
    }

    /// Number of tokens held.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.slots.iter().filter(|s| s.load().is_some()).count()
    }
}

/// The last `N` bytes of `token` (in a token whose signature verified, signature bytes,
/// which differ between tokens), zero-filled after them when it is shorter.
pub(crate) fn tail<const N: usize>(token: &[u8]) -> [u8; N] {
    // A fixed-size copy (two loads for 16 bytes) rather than a call to `memcpy`.
    if let Some(last) = token.last_chunk::<N>() {
        return *last;
    }
    let mut last = [0u8; N];
    let n = token.len().min(N);
    last[..n].copy_from_slice(&token[token.len() - n..]);
    last
}

/// Whether `a` and `b` are equal, in a time that depends only on their lengths (aws-lc's
/// constant-time comparison, as for DPoP nonces; as fast as a vectorized fold here).
fn same(a: &[u8], b: &[u8]) -> bool {
    constant_time::verify_slices_are_equal(a, b).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(i: usize) -> Vec<u8> {
        format!("header.payload-{i}.signature-{i:08}").into_bytes()
    }

    #[test]
    fn tail_is_the_last_bytes_zero_filled_after_a_short_token() {
        let bytes: Vec<u8> = (1..=40).collect();
        for len in 0..=40 {
            let t = &bytes[..len];
            let mut want = [0u8; 16];
            let n = len.min(16);
            want[..n].copy_from_slice(&t[len - n..]);
            assert_eq!(tail::<16>(t), want, "length {len}");
            assert_eq!(
                tail::<8>(t)[..len.min(8)],
                t[len - len.min(8)..],
                "length {len}"
            );
        }
    }

    #[test]
    fn same_compares_every_byte() {
        assert!(same(b"", b""));
        assert!(same(b"abc.def.ghi", b"abc.def.ghi"));
        assert!(!same(b"abc", b"abcd"));
        let a = vec![b'x'; 1000];
        for i in [0, 1, 15, 16, 31, 500, 998, 999] {
            let mut b = a.clone();
            b[i] ^= 0x20;
            assert!(!same(&a, &b), "byte {i}");
        }
    }

    #[test]
    fn only_the_exact_token_hits() {
        let recent: Recent<u32> = Recent::new();
        let t = token(1);
        assert_eq!(recent.get(&t), None);
        assert!(recent.offer(&t, || 7));
        assert_eq!(recent.get(&t), Some(7));
        // The same tail (same slot), another payload: never a hit.
        let mut forged = t.clone();
        forged[7] = b'P';
        assert_eq!(recent.get(&forged), None);
        // A prefix or an extension of the token: never a hit.
        assert_eq!(recent.get(&t[1..]), None);
        let mut longer = b"x".to_vec();
        longer.extend_from_slice(&t);
        assert_eq!(recent.get(&longer), None);
        recent.remove(&forged);
        assert_eq!(recent.get(&t), Some(7), "removing another token leaves it");
        recent.remove(&t);
        assert_eq!(recent.get(&t), None);
        assert_eq!(recent.len(), 0);
    }

    #[test]
    fn long_tokens_are_not_kept() {
        let recent: Recent<u32> = Recent::new();
        let long = vec![b'a'; Recent::<u32>::MAX_TOKEN + 1];
        assert!(!recent.offer(&long, || 1));
        assert_eq!(recent.get(&long), None);
        assert_eq!(recent.len(), 0);
    }

    #[test]
    fn the_slots_are_bounded_and_a_hit_token_keeps_its_slot() {
        let recent: Recent<usize> = Recent::new();
        for i in 0..10_000 {
            let t = token(i);
            recent.offer(&t, || i);
            if let Some(v) = recent.get(&t) {
                assert_eq!(v, i);
            }
        }
        assert!(recent.len() <= Recent::<usize>::SLOTS);
        assert!(
            recent.len() > Recent::<usize>::SLOTS / 2,
            "{}",
            recent.len()
        );

        // A token hit between offers keeps its slot against any number of others.
        let recent: Recent<usize> = Recent::new();
        let hot = token(0);
        assert!(recent.offer(&hot, || 0));
        let rivals: Vec<_> = (1..100_000)
            .map(token)
            .filter(|t| std::ptr::eq(recent.slot(t), recent.slot(&hot)))
            .take(50)
            .collect();
        assert!(rivals.len() >= 10, "{}", rivals.len());
        for rival in &rivals {
            assert_eq!(recent.get(&hot), Some(0));
            assert!(!recent.offer(rival, || 1), "a hit token keeps its slot");
        }
        // Once it stops being hit, a rival takes the slot within REPLACE_EVERY offers
        // (the first offer only takes back its second chance).
        let tries =
            (0..=Recent::<usize>::REPLACE_EVERY).position(|_| recent.offer(&rivals[0], || 1));
        assert!(tries.is_some(), "an idle token gives way");
        assert_eq!(recent.get(&hot), None);
        assert_eq!(recent.get(&rivals[0]), Some(1));
    }
}
