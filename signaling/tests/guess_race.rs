//! Guessing IDs cannot be raced: twenty wrong guesses fired at once on
//! twenty connections of one account get exactly the back-off's free
//! misses through (four), the rest are refused with `rate_limited`; an
//! offline or busy client counts as a miss too; and once the desk-wide
//! budget of misses is spent, an account or address that has missed
//! before is refused while a clean one still connects.

mod common;

use common::*;
use futures_util::StreamExt;
use futures_util::future::join_all;

fn connect(id: &str) -> String {
    format!(r#"{{"type":"connect","id":"{id}","scopes":["view"]}}"#)
}

/// A number no client holds on a desk where `live` is the one live ID.
fn unknown_next_to(live: &str) -> String {
    if live == "000000" { "000001" } else { "000000" }.to_owned()
}

#[tokio::test]
async fn simultaneous_guesses_on_many_connections_get_only_the_free_misses() {
    let server = TestServer::start().await;
    server.add_expert("ann", "Ann").await;
    let (_client, live) = client_with_id(&server.url).await;
    let wrong = unknown_next_to(&live);
    let mut sockets = Vec::new();
    for n in 0..20u8 {
        // Each from its own address, so only the account's limit binds.
        let mut ws = hello_from(&server.url, [127, 0, 1, n + 1], "expert").await;
        assert_eq!(login(&mut ws, "ann", PASSWORD).await["type"], "signed_in");
        sockets.push(ws);
    }
    let message = connect(&wrong);
    let replies = join_all(sockets.iter_mut().map(|ws| exchange(ws, &message))).await;
    let count = |code: &str| replies.iter().filter(|r| r["code"] == code).count();
    assert_eq!(count("id_unknown"), 4, "{replies:#?}");
    assert_eq!(count("rate_limited"), 16, "{replies:#?}");
    assert!(
        replies
            .iter()
            .filter(|r| r["code"] == "rate_limited")
            .all(|r| r["retry_after_secs"].as_u64().unwrap() >= 1)
    );
}

#[tokio::test]
async fn offline_and_busy_clients_count_as_misses() {
    let server = TestServer::start().await;
    server.add_expert("ann", "Ann").await;
    server.add_expert("bob", "Bob").await;
    let (mut client, id) = client_with_id(&server.url).await;
    let (mut ann, _) = signed_in_expert(&server.url, "ann").await;
    request(&mut ann, &mut client, &id, r#"["view"]"#).await;

    let mut bob = hello_from(&server.url, [127, 0, 2, 1], "expert").await;
    assert_eq!(login(&mut bob, "bob", PASSWORD).await["type"], "signed_in");
    for _ in 0..4 {
        assert_eq!(
            exchange(&mut bob, &connect(&id)).await["code"],
            "client_busy"
        );
    }
    let limited = exchange(&mut bob, &connect(&id)).await;
    assert_eq!(limited["code"], "rate_limited", "{limited}");

    // An offline client: its connection closed, within the grace period.
    // The server tells the hub before it lets the socket go, so once this
    // side sees the end, every later connect finds the client offline.
    let (mut leaving, offline) = client_with_id(&server.url).await;
    leaving.close(None).await.unwrap();
    while let Some(Ok(_)) = leaving.next().await {}
    let mut carl = hello_from(&server.url, [127, 0, 2, 2], "expert").await;
    assert_eq!(login(&mut carl, "ann", PASSWORD).await["type"], "signed_in");
    for _ in 0..4 {
        assert_eq!(
            exchange(&mut carl, &connect(&offline)).await["code"],
            "client_offline"
        );
    }
    let limited = exchange(&mut carl, &connect(&offline)).await;
    assert_eq!(limited["code"], "rate_limited", "{limited}");
}

#[tokio::test]
async fn a_spent_desk_budget_refuses_whoever_missed_before() {
    let server = TestServer::start_with(|c| c.limits.desk_misses_per_hour = 3).await;
    for user in ["u1", "u2", "u3", "u4"] {
        server.add_expert(user, user).await;
    }
    let (mut client, live) = client_with_id(&server.url).await;
    let wrong = unknown_next_to(&live);
    let mut experts = Vec::new();
    for (n, user) in ["u1", "u2", "u3"].iter().enumerate() {
        let mut ws = hello_from(&server.url, [127, 0, 3, n as u8 + 1], "expert").await;
        assert_eq!(login(&mut ws, user, PASSWORD).await["type"], "signed_in");
        assert_eq!(
            exchange(&mut ws, &connect(&wrong)).await["code"],
            "id_unknown"
        );
        experts.push(ws);
    }
    // The budget is spent: u1 has a miss on record, so it waits, even for
    // a live ID, though its own back-off would allow it.
    let refused = exchange(&mut experts[0], &connect(&live)).await;
    assert_eq!(refused["code"], "rate_limited", "{refused}");
    assert!(
        refused["retry_after_secs"].as_u64().unwrap() > 3000,
        "{refused}"
    );
    // A clean account at a clean address still reaches its client.
    let mut fresh = hello_from(&server.url, [127, 0, 3, 9], "expert").await;
    assert_eq!(login(&mut fresh, "u4", PASSWORD).await["type"], "signed_in");
    request(&mut fresh, &mut client, &live, r#"["view"]"#).await;
}
