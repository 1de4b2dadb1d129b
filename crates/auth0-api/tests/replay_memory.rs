//! The documented memory bound of `MemoryReplayStore`: at most about 150 bytes per entry of
//! capacity, whatever the clients send. Its own test binary, so that the process's peak
//! resident memory (Linux `/proc/self/status`) measures the store and little else.
#![cfg(target_os = "linux")]
#![allow(
    clippy::unwrap_used,
    reason = "test code: a failed expectation is a failed test"
)]

use std::time::Duration;

use auth0_api::{MemoryReplayStore, ReplayKey, ReplayStore, UnixTime};

/// The bound `MemoryReplayStore`'s documentation states, per entry of capacity.
const DOCUMENTED_BYTES_PER_ENTRY: usize = 150;

/// A `/proc/self/status` field in bytes (`VmRSS`: resident now, `VmHWM`: peak resident).
fn status_bytes(field: &str) -> usize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status
        .lines()
        .find(|l| l.starts_with(field))
        .unwrap_or_else(|| panic!("no {field} in /proc/self/status"));
    let kib: usize = line
        .trim_start_matches(field)
        .trim_start_matches(':')
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .unwrap();
    kib * 1024
}

#[tokio::test(flavor = "current_thread")]
async fn a_million_entries_stay_within_the_documented_bound() {
    const CAPACITY: usize = 1 << 20;
    const ENTRIES: usize = 1_000_000;
    let issuer = "https://issuer.example/";
    let now = UnixTime::from_secs(1_700_000_000);
    let expires = now.saturating_add(Duration::from_secs(330));

    let before = status_bytes("VmRSS");
    // The worst case for memory: a per-key quota (so the shards count entries per proof
    // key) and every entry from another proof key, so they count a million distinct keys.
    let store = MemoryReplayStore::with_capacity(CAPACITY).max_entries_per_key(CAPACITY);
    let mut jkt = String::new();
    for i in 0..ENTRIES {
        jkt.clear();
        std::fmt::Write::write_fmt(&mut jkt, format_args!("jkt-{i}")).unwrap();
        let key = ReplayKey::new(issuer, &jkt, "jti");
        let fresh = store.check_and_store(&key, now, expires).await;
        assert!(fresh.unwrap(), "entry {i} refused below the capacity");
    }
    assert_eq!(store.len(), ENTRIES);
    let filled = status_bytes("VmRSS").saturating_sub(before);

    // Beyond the capacity, a full shard forgets its soonest-expiring entries (here all of
    // them expire at once, so each full shard forgets them all and treats any key expiring
    // as early as them as seen), then takes later ones; memory stays put.
    let (mut seen, mut taken) = (0, 0);
    let later = expires.saturating_add(Duration::from_secs(1));
    for i in ENTRIES..ENTRIES + 400_000 {
        jkt.clear();
        std::fmt::Write::write_fmt(&mut jkt, format_args!("jkt-{i}")).unwrap();
        let key = ReplayKey::new(issuer, &jkt, "jti");
        let at = if i % 2 == 0 { expires } else { later };
        if store.check_and_store(&key, now, at).await.unwrap() {
            taken += 1;
        } else {
            seen += 1;
        }
    }
    assert!(seen > 0, "a key as old as the forgotten ones was accepted");
    assert!(taken > 0, "a later key was refused");
    assert!(
        store.len() <= CAPACITY,
        "{} entries over the capacity",
        store.len()
    );
    let peak = status_bytes("VmHWM").saturating_sub(before);
    let bound = DOCUMENTED_BYTES_PER_ENTRY * CAPACITY;
    eprintln!(
        "replay store: {ENTRIES} entries: {filled} bytes resident ({} per entry); \
         peak {peak} bytes with {seen} refused and {taken} taken past the capacity; bound {bound}",
        filled / ENTRIES
    );
    assert!(
        peak <= bound,
        "peak resident {peak} bytes over the bound {bound}"
    );

    // The first entries are live, remembered or forgotten: each one is a replay now.
    let key = ReplayKey::new(issuer, "jkt-0", "jti");
    assert!(!store.check_and_store(&key, now, expires).await.unwrap());
}
