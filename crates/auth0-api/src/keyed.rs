//! A keyed hash for choosing where client-chosen bytes go (a header cache slot, the
//! token doorkeeper's bits): fast, and unpredictable to clients.
//!
//! A client that could compute the hash could aim every header it sends at the slot of
//! another client's header, or fill the doorkeeper's bits for tokens it never sent. The
//! hash is foldhash (made for hash tables: a few multiplications per 16 bytes, where
//! SipHash-1-3 takes several rounds per 8) under a 64-bit key drawn once per instance from
//! the operating system's randomness (through std's `RandomState`). Its output is never
//! shown to clients; a collision only costs a cache slot or a lookup, never a wrong answer
//! (every user compares the whole text, or treats the result as "maybe").

use std::hash::{BuildHasher, RandomState};

use foldhash::fast::FixedState;

/// A hash of byte strings under a random per-instance key (no `Debug`: the key stays
/// inside).
pub(crate) struct KeyedHash(FixedState);

impl KeyedHash {
    /// A hash under a new random key.
    pub(crate) fn new() -> Self {
        Self(FixedState::with_seed(
            RandomState::new().hash_one(0x006b_6579_6564_u64),
        ))
    }

    /// The hash of `bytes`.
    pub(crate) fn hash(&self, bytes: &[u8]) -> u64 {
        self.0.hash_one(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_bytes_hash_equal_and_keys_differ() {
        let (a, b) = (KeyedHash::new(), KeyedHash::new());
        assert_eq!(a.hash(b"header"), a.hash(b"header"));
        assert_ne!(a.hash(b"header"), a.hash(b"headex"));
        // Two instances hash under different keys (2^-64 to collide by chance).
        let differ = (0..8u8).any(|i| a.hash(&[i]) != b.hash(&[i]));
        assert!(differ);
    }

    #[test]
    fn the_low_bits_spread_over_slots() {
        // 64 slots (a header cache), 6,400 distinct texts: every slot is used, none by more
        // than three times its share.
        let h = KeyedHash::new();
        let mut counts = [0u32; 64];
        for i in 0..6_400u32 {
            let text = format!(r#"{{"alg":"RS256","kid":"key-{i}","typ":"at+jwt"}}"#);
            counts[usize::try_from(h.hash(text.as_bytes()) % 64).unwrap()] += 1;
        }
        assert!(counts.iter().all(|&c| (1..=300).contains(&c)), "{counts:?}");
    }
}
