//! Stats add up exactly under concurrent clients; the record stays bounded.

use super::{T, config};
use crate::EmulatorConfig;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn stats_add_up_under_16_concurrent_clients() {
    const CLIENTS: u64 = 16;
    const PER_CLIENT: u64 = 40;
    let t = std::sync::Arc::new(T::start(config()));
    let token = t.token().await;
    let mut tasks = Vec::new();
    for c in 0..CLIENTS {
        let t = t.clone();
        let token = token.clone();
        tasks.push(tokio::spawn(async move {
            // Each client has its own connection pool.
            let http = super::http_client();
            for i in 0..PER_CLIENT {
                let users: &[&str] = if (c + i) % 2 == 0 { &["u1", "u2", "ghost", "u3"] } else { &["u1"] };
                let r = http
                    .post(t.url("/v1.0/robot/oToMessages/batchSend"))
                    .header("x-acs-dingtalk-access-token", &token)
                    .json(&super::text_message(users))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 200);
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let total = CLIENTS * PER_CLIENT;
    let s = t.emu.stats();
    assert_eq!(s.batch_send_requests, total);
    // Half the sends reach 2 users, half reach 1.
    assert_eq!(s.messages, total / 2 * 2 + total / 2);
    assert_eq!(s.throttled, 0);
    assert_eq!(t.emu.delivered().len() as u64, total);
    assert_eq!(t.emu.requests().len() as u64, total + 1);
    let delivered: u64 = t.emu.delivered().iter().map(|d| d.user_ids.len() as u64).sum();
    assert_eq!(delivered, s.messages);
}

#[tokio::test]
async fn records_are_bounded() {
    let t = T::start(EmulatorConfig { max_recorded: 3, ..config() });
    let token = t.token().await;
    for _ in 0..5 {
        assert_eq!(t.send(&token, &["u1"]).await.status, 200);
    }
    assert_eq!(t.emu.requests().len(), 3);
    assert_eq!(t.emu.delivered().len(), 3);
    assert_eq!(t.emu.stats().messages, 5);
}

#[test]
fn starts_and_stops_outside_any_runtime() {
    let emu = crate::Emulator::start(config()).unwrap();
    let port = emu.port();
    assert_eq!(emu.url(), format!("http://127.0.0.1:{port}"));
    emu.shutdown();
    // The port is free again.
    let again = crate::Emulator::start(EmulatorConfig { port, ..config() }).unwrap();
    assert_eq!(again.port(), port);
    // The same port cannot be taken twice.
    assert!(matches!(
        crate::Emulator::start(EmulatorConfig { port, ..config() }),
        Err(crate::EmulatorError::Bind { .. })
    ));
}

#[test]
fn duplicate_apps_are_refused() {
    let mut cfg = config();
    cfg.apps.push(cfg.apps[0].clone());
    assert!(matches!(crate::Emulator::start(cfg), Err(crate::EmulatorError::Config(_))));
}
