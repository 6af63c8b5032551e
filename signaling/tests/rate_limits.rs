//! Abuse limits trigger and then recover: back-off after failed sign-ins
//! and after connect attempts that miss, and per-minute rates. (The caps on
//! connections are in `connection_caps.rs`.)

mod common;

use std::time::Duration;

use common::*;
use lifeline_signaling::backoff::BackoffPolicy;

const FAST_BACKOFF: BackoffPolicy = BackoffPolicy {
    free_failures: 2,
    first_wait: Duration::from_millis(400),
    max_wait: Duration::from_secs(10),
    forget_after: Duration::from_secs(60),
};

fn login(user: &str, password: &str) -> String {
    format!(r#"{{"type":"login","user":"{user}","password":"{password}"}}"#)
}

#[tokio::test]
async fn failed_sign_ins_back_off_then_recover() {
    let server = TestServer::start_with(|c| c.limits.failures = FAST_BACKOFF).await;
    server.add_expert("ann", "Ann").await;
    let mut ws = hello(&server.url, "expert").await;
    for _ in 0..3 {
        let reply = exchange(&mut ws, &login("ann", "guess")).await;
        assert_eq!(reply["code"], "bad_credentials", "{reply}");
    }
    // Even the right password waits now: the attacker cannot tell.
    let limited = exchange(&mut ws, &login("ann", PASSWORD)).await;
    assert_eq!(limited["code"], "rate_limited", "{limited}");
    assert_eq!(limited["retry_after_secs"], 1);

    tokio::time::sleep(Duration::from_millis(450)).await;
    let reply = exchange(&mut ws, &login("ann", PASSWORD)).await;
    assert_eq!(
        reply["type"], "signed_in",
        "recovered after the wait: {reply}"
    );
}

#[tokio::test]
async fn missed_connects_back_off_then_recover() {
    let server = TestServer::start_with(|c| c.limits.failures = FAST_BACKOFF).await;
    server.add_expert("ann", "Ann").await;
    let (mut expert, _) = signed_in_expert(&server.url, "ann").await;
    let (_client, id) = client_with_id(&server.url).await;
    let miss = if id == "000000" { "000001" } else { "000000" };
    let connect = |id: &str| format!(r#"{{"type":"connect","id":"{id}","scopes":["view"]}}"#);
    for _ in 0..3 {
        let reply = exchange(&mut expert, &connect(miss)).await;
        assert_eq!(reply["code"], "id_unknown", "{reply}");
    }
    let limited = exchange(&mut expert, &connect(&id)).await;
    assert_eq!(limited["code"], "rate_limited", "{limited}");

    tokio::time::sleep(Duration::from_millis(450)).await;
    let reply = exchange(&mut expert, &connect(&id)).await;
    assert_eq!(reply["type"], "located", "recovered: {reply}");
}

#[tokio::test]
async fn the_per_minute_rate_applies_without_failures() {
    let server = TestServer::start_with(|c| c.limits.logins_per_minute = 2).await;
    server.add_expert("ann", "Ann").await;
    let mut ws = hello(&server.url, "expert").await;
    for _ in 0..2 {
        assert_eq!(
            exchange(&mut ws, &login("ann", PASSWORD)).await["type"],
            "signed_in"
        );
    }
    let limited = exchange(&mut ws, &login("ann", PASSWORD)).await;
    assert_eq!(limited["code"], "rate_limited", "{limited}");
    assert!(limited["retry_after_secs"].as_u64().unwrap() <= 30);
}
