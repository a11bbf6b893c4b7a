//! The fleet against a real `redis-server` (Debian's package), started on a free loopback port
//! with no persistence and stopped at the end; skipped, saying so, when the binary is missing
//! (unless `CI=true`).

use super::rate::Slot;
use super::token::Shared;
use super::*;
use crate::test_redis::TestRedis;

#[test]
fn urls_are_checked_and_shown_without_their_password() {
    assert_eq!(check_url("redis://:hunter2@cache.example:6380/0"), Ok("redis://:******@cache.example:6380/0".into()));
    assert!(check_url("rediss://user:pw@cache.example").is_ok_and(|s| !s.contains("pw@")));
    assert_eq!(check_url("http://cache.example"), Err(UrlProblem::Scheme));
    assert_eq!(check_url("not a url"), Err(UrlProblem::Unreadable));
    let fleet = Fleet::shared(&Secret::new("redis://:hunter2@127.0.0.1:1")).unwrap();
    assert!(!format!("{fleet:?}").contains("hunter2"));
}

#[test]
fn keys_hold_no_secret_and_differ_by_secret() {
    let a = key("token", &["https://api", "appkey", "secret-one"]);
    let b = key("token", &["https://api", "appkey", "secret-two"]);
    assert_ne!(a, b);
    assert!(!a.contains("secret") && !a.contains("appkey"), "{a}");
    assert_eq!(a, key("token", &["https://api", "appkey", "secret-one"]));
}

/// Grants of `limit` slots per second to `tasks` tasks taking `each` slots, holding each 10 ms:
/// the local times they were granted.
async fn grants(fleet: &Arc<Fleet>, set: &str, limits: &[u32], each: usize) -> Vec<Instant> {
    let mut tasks = Vec::new();
    for &limit in limits {
        let (fleet, set) = (fleet.clone(), set.to_string());
        tasks.push(tokio::spawn(async move {
            let call = Call::new();
            let mut got = Vec::new();
            for _ in 0..each {
                let deadline = Instant::now() + Duration::from_secs(30);
                let hold = Duration::from_secs(31);
                match fleet.acquire(&call, &set, limit, Duration::from_secs(1), hold, deadline).await {
                    Slot::Granted(permit) => {
                        got.push(Instant::now());
                        tokio::time::sleep(Duration::from_millis(10)).await;
                        drop(permit);
                    }
                    _ => panic!("no slot: {:?}", call.take_lines()),
                }
            }
            got
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    all.sort();
    all
}

/// The most grants within any one second.
fn most_in_a_second(sent: &[Instant]) -> usize {
    (0..sent.len())
        .map(|i| sent[i..].iter().take_while(|t| **t < sent[i] + Duration::from_secs(1)).count())
        .max()
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_budget_holds_across_callers_at_the_smallest_limit() {
    let Some(redis) = TestRedis::start(None) else { return };
    let fleet = Fleet::shared(&Secret::new(redis.url(None))).unwrap();
    let sent = grants(&fleet, "dingtalk-robot:test:budget", &[5, 5, 5], 8).await;
    assert_eq!(sent.len(), 24);
    assert!(most_in_a_second(&sent) <= 5, "{} in a second", most_in_a_second(&sent));
    // 24 calls at 5 per (1 s + the 10 ms hold): the last ones start after four windows.
    assert!(sent[23] - sent[0] >= Duration::from_secs(4), "{:?}", sent[23] - sent[0]);
    // One caller asking for 3 lowers the app's limit for all.
    let sent = grants(&fleet, "dingtalk-robot:test:lowest", &[5, 3], 6).await;
    assert!(most_in_a_second(&sent) <= 3, "{} in a second", most_in_a_second(&sent));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_caller_fetches_the_token_the_others_wait_for_it() {
    let Some(redis) = TestRedis::start(None) else { return };
    let fleet = Fleet::shared(&Secret::new(redis.url(None))).unwrap();
    let (call, key) = (Call::new(), "dingtalk-robot:token:test");
    let deadline = || Instant::now() + Duration::from_secs(5);
    let Shared::Fetch(lock) = fleet.token(&call, key, Duration::from_secs(5), deadline()).await else {
        panic!("the first caller fetches")
    };
    let waiter = {
        let fleet = fleet.clone();
        tokio::spawn(async move { fleet.token(&Call::new(), key, Duration::from_secs(5), deadline()).await })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!waiter.is_finished(), "the second waits while the first fetches");
    fleet.store_token(&call, key, &Secret::new("tok-1"), Duration::from_secs(60), &lock, deadline()).await;
    match waiter.await.unwrap() {
        Shared::Cached(t, ttl) => assert!(t.expose() == "tok-1" && ttl > Duration::from_secs(50)),
        _ => panic!("the second gets the first one's token"),
    }
    fleet.forget_token(&call, key, &Secret::new("tok-1"), deadline()).await;
    assert!(matches!(fleet.token(&call, key, Duration::from_secs(5), deadline()).await, Shared::Fetch(_)));
}

#[tokio::test]
async fn an_unreachable_redis_falls_back_and_warns_once() {
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let fleet = Fleet::shared(&Secret::new(format!("redis://:pw-secret@127.0.0.1:{port}"))).unwrap();
    let call = Call::new();
    let deadline = Instant::now() + Duration::from_secs(5);
    assert!(!fleet.check(&call, Duration::from_secs(2)).await);
    assert!(matches!(
        fleet.acquire(&call, "k", 5, Duration::from_secs(1), Duration::from_secs(6), deadline).await,
        Slot::Local
    ));
    assert!(matches!(fleet.token(&call, "t", Duration::from_secs(5), deadline).await, Shared::Local));
    let lines = call.take_lines();
    let warnings: Vec<_> = lines.iter().filter(|(l, _)| *l == Level::Warn).collect();
    assert_eq!(warnings.len(), 1, "{lines:?}");
    assert!(warnings[0].1.contains("Redis") && warnings[0].1.contains("this process goes on"), "{}", warnings[0].1);
    assert!(!lines.iter().any(|(_, l)| l.contains("pw-secret")), "{lines:?}");
    assert!(!fleet.is_up());
}

#[tokio::test]
async fn a_wrong_password_says_so_without_showing_it() {
    let Some(redis) = TestRedis::start(Some("right-pass")) else { return };
    let fleet = Fleet::shared(&Secret::new(redis.url(Some("wrong-pass")))).unwrap();
    let call = Call::new();
    assert!(!fleet.check(&call, Duration::from_secs(3)).await);
    let lines = call.take_lines();
    assert!(lines.iter().any(|(l, t)| *l == Level::Warn && t.contains("authentication failed")), "{lines:?}");
    assert!(!lines.iter().any(|(_, t)| t.contains("wrong-pass")), "{lines:?}");
    let good = Fleet::shared(&Secret::new(redis.url(Some("right-pass")))).unwrap();
    assert!(good.check(&call, Duration::from_secs(3)).await, "{:?}", call.take_lines());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_coming_back_is_used_again() {
    let Some(mut redis) = TestRedis::start(None) else { return };
    let fleet = Fleet::shared(&Secret::new(redis.url(None))).unwrap();
    let call = Call::new();
    assert!(fleet.check(&call, Duration::from_secs(3)).await);
    redis.kill();
    let deadline = || Instant::now() + Duration::from_secs(5);
    let window = Duration::from_secs(1);
    let slot = fleet.acquire(&call, "dingtalk-robot:test:back", 5, window, window, deadline()).await;
    assert!(matches!(slot, Slot::Local), "Redis is gone");
    redis.restart();
    let started = std::time::Instant::now();
    let mut back = false;
    while !back && started.elapsed() < Duration::from_secs(15) {
        tokio::time::sleep(RETRY_AFTER).await;
        back = matches!(
            fleet.acquire(&call, "dingtalk-robot:test:back", 5, window, window, deadline()).await,
            Slot::Granted(_)
        );
    }
    assert!(back, "{:?}", call.take_lines());
    let lines = call.take_lines();
    assert_eq!(lines.iter().filter(|(l, _)| *l == Level::Warn).count(), 1, "{lines:?}");
    assert!(lines.iter().any(|(_, t)| t.contains("answers again")), "{lines:?}");
}
