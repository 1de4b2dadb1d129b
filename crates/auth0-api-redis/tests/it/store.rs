//! `RedisReplayStore` against a live server.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use auth0_api::{ReplayKey, ReplayStore, UnixTime};
use auth0_api_redis::RedisReplayStore;

use crate::server::{RedisServer, redis_or_skip};

const NOW: UnixTime = UnixTime::from_secs(1_700_000_000);

fn in_ms(ms: u64) -> UnixTime {
    NOW.saturating_add(Duration::from_millis(ms))
}

async fn connect(server: &RedisServer) -> RedisReplayStore {
    RedisReplayStore::connect(&server.url())
        .await
        .expect("connect")
}

async fn check(store: &RedisReplayStore, key: &ReplayKey<'_>, ttl_ms: u64) -> bool {
    store
        .check_and_store(key, NOW, in_ms(ttl_ms))
        .await
        .expect("check_and_store")
}

async fn raw_connection(server: &RedisServer) -> redis::aio::MultiplexedConnection {
    redis::Client::open(server.url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap()
}

#[tokio::test]
async fn replay_is_rejected_across_two_instances() {
    let server = redis_or_skip!();
    let first = connect(&server).await;
    let second = connect(&server).await;
    let key = ReplayKey::new("https://issuer.example/", "jkt-1", "jti-1");

    assert!(check(&first, &key, 60_000).await);
    assert!(!check(&second, &key, 60_000).await);
    assert!(!check(&first, &key, 60_000).await);

    // Other jti, other key, other issuer: independent.
    assert!(
        check(
            &second,
            &ReplayKey::new("https://issuer.example/", "jkt-1", "jti-2"),
            60_000
        )
        .await
    );
    assert!(
        check(
            &first,
            &ReplayKey::new("https://issuer.example/", "jkt-2", "jti-1"),
            60_000
        )
        .await
    );
    assert!(
        check(
            &first,
            &ReplayKey::new("https://other.example/", "jkt-1", "jti-1"),
            60_000
        )
        .await
    );
}

#[tokio::test]
async fn prefixes_separate_stores_and_keys_carry_the_ttl() {
    let server = redis_or_skip!();
    let a = connect(&server).await.prefix("api-a:");
    let b = connect(&server).await.prefix("api-b:");
    let key = ReplayKey::new("iss", "jkt", "jti");
    assert!(check(&a, &key, 60_000).await);
    assert!(check(&b, &key, 60_000).await);
    assert!(!check(&a, &key, 60_000).await);

    let mut raw = raw_connection(&server).await;
    let pttl: i64 = redis::cmd("PTTL")
        .arg("api-a:iss:jkt:jti")
        .query_async(&mut raw)
        .await
        .unwrap();
    assert!(pttl > 50_000 && pttl <= 60_000, "{pttl}");

    let default = connect(&server).await;
    assert!(check(&default, &key, 1_000).await);
    let exists: i64 = redis::cmd("EXISTS")
        .arg("auth0:dpop:iss:jkt:jti")
        .query_async(&mut raw)
        .await
        .unwrap();
    assert_eq!(exists, 1);
}

#[tokio::test]
async fn entry_expires_after_its_ttl() {
    let server = redis_or_skip!();
    let store = connect(&server).await;
    let mut raw = raw_connection(&server).await;
    let key = ReplayKey::new("iss", "jkt", "short-lived");
    assert!(check(&store, &key, 300_000).await);
    assert!(!check(&store, &key, 300_000).await);
    // Redis expires the entry itself, after the time left until `expires_at`...
    let name = "auth0:dpop:iss:jkt:short-lived";
    let pttl: i64 = redis::cmd("PTTL")
        .arg(name)
        .query_async(&mut raw)
        .await
        .unwrap();
    assert!(pttl > 0 && pttl <= 300_000, "{pttl}");
    // ...and once it has (here: made to expire now, not waited for), the jti is new again.
    let expired: i64 = redis::cmd("PEXPIRE")
        .arg(name)
        .arg(0)
        .query_async(&mut raw)
        .await
        .unwrap();
    assert_eq!(expired, 1);
    assert!(check(&store, &key, 300_000).await);
    assert!(!check(&store, &key, 300_000).await);

    // An already-closed window still counts as seen for a moment, never fails.
    let closed = ReplayKey::new("iss", "jkt", "closed");
    assert!(
        store
            .check_and_store(&closed, NOW, NOW)
            .await
            .unwrap_or(false)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_checks_of_one_key_accept_exactly_once() {
    let server = redis_or_skip!();
    let store = Arc::new(connect(&server).await.timeout(Duration::from_secs(20)));
    let other = Arc::new(connect(&server).await.timeout(Duration::from_secs(20)));
    let key = Arc::new(ReplayKey::new("iss", "jkt", "contended"));
    let accepted = Arc::new(AtomicUsize::new(0));

    let tasks: Vec<_> = (0..10_000)
        .map(|i| {
            // Half the calls go through a second connection, as from another instance.
            let store = if i % 2 == 0 {
                store.clone()
            } else {
                other.clone()
            };
            let (key, accepted) = (key.clone(), accepted.clone());
            tokio::spawn(async move {
                if check(&store, &key, 60_000).await {
                    accepted.fetch_add(1, Ordering::SeqCst);
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    assert_eq!(accepted.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn dead_redis_fails_fast_and_recovers_when_back() {
    let mut server = redis_or_skip!();
    let timeout = Duration::from_millis(500);
    let store = connect(&server).await.timeout(timeout);
    let seen = ReplayKey::new("iss", "jkt", "before-crash");
    assert!(check(&store, &seen, 60_000).await);

    server.kill();
    for i in 0..5 {
        let started = Instant::now();
        let result = store
            .check_and_store(
                &ReplayKey::new("iss", "jkt", &format!("down-{i}")),
                NOW,
                in_ms(60_000),
            )
            .await;
        let elapsed = started.elapsed();
        let err = match result {
            Err(e) => e,
            Ok(accepted) => panic!("answered {accepted} with redis down"),
        };
        assert!(
            err.to_string() == "replay store unavailable"
                && std::error::Error::source(&err).is_some(),
            "{err}"
        );
        // Bounded by the check's timeout, not by the 30 s response timeout or a reconnect:
        // the margin is for a busy machine, far below either.
        assert!(
            elapsed < timeout + Duration::from_secs(3),
            "took {elapsed:?}"
        );
    }

    server.restart();
    let deadline = Instant::now() + Duration::from_secs(15);
    let key = ReplayKey::new("iss", "jkt", "after-restart");
    let accepted = loop {
        match store.check_and_store(&key, NOW, in_ms(60_000)).await {
            Ok(accepted) => break accepted,
            Err(e) if Instant::now() < deadline => {
                eprintln!("waiting for reconnect: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => panic!("store did not recover: {e}"),
        }
    };
    assert!(accepted);
    assert!(!check(&store, &key, 60_000).await);
}

#[tokio::test]
async fn connect_fails_when_nothing_listens() {
    // A port bound by this test without listening: nothing else can take it, and every
    // connection to it is refused.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let port = socket.local_addr().unwrap().port();
    let started = Instant::now();
    let err = RedisReplayStore::connect(&format!("redis://127.0.0.1:{port}/"))
        .await
        .expect_err("connected to nothing");
    assert!(err.is_unreachable(), "{err}");
    assert_eq!(err.to_string(), "cannot connect to redis");
    assert!(started.elapsed() < Duration::from_secs(6));
}

#[tokio::test]
async fn lazy_store_works_once_redis_is_up() {
    let server = redis_or_skip!();
    let store = RedisReplayStore::connect_lazy(&server.url()).unwrap();
    let key = ReplayKey::new("iss", "jkt", "lazy");
    assert!(check(&store, &key, 60_000).await);
    assert!(!check(&store, &key, 60_000).await);
}
