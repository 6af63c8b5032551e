//! A running session's side whose link to the desk drops (its network
//! changed) takes its place back from a new connection with the secret it
//! got at the start, and the desk carries the session's signals there: an
//! ICE restart's offer and answer. Only that side's secret opens it, and
//! only within the grace; after it the session ends as the side's leaving.
//! The audit log has every attempt, with the address it came from.

mod common;

use std::time::Duration;

use common::*;
use serde_json::Value;

/// An accepted session and each side's secret: (session, expert's, client's).
async fn started(expert: &mut Socket, client: &mut Socket, id: &str) -> (String, String, String) {
    let session = request(expert, client, id, r#"["view","control"]"#).await;
    send(
        client,
        &format!(r#"{{"type":"accept","session":"{session}","scopes":["view"]}}"#),
    )
    .await;
    let mut secrets = Vec::new();
    for side in [&mut *expert, &mut *client] {
        let message = recv(side).await;
        assert_eq!(message["type"], "session_started", "{message}");
        secrets.push(message["reattach"].as_str().unwrap().to_owned());
    }
    assert_ne!(secrets[0], secrets[1]);
    (session, secrets.remove(0), secrets.remove(0))
}

fn reattach(session: &str, secret: &str) -> String {
    format!(r#"{{"type":"reattach","session":"{session}","secret":"{secret}"}}"#)
}

fn offer(session: &str, sdp: &str) -> String {
    format!(
        r#"{{"type":"signal","session":"{session}","signal":{{"kind":"offer","sdp":"{sdp}"}}}}"#
    )
}

fn answer(session: &str, sdp: &str) -> String {
    format!(
        r#"{{"type":"signal","session":"{session}","signal":{{"kind":"answer","sdp":"{sdp}"}}}}"#
    )
}

fn sdp_of(message: &Value) -> &str {
    assert_eq!(message["type"], "signal", "{message}");
    message["signal"]["sdp"].as_str().unwrap()
}

#[tokio::test]
async fn a_client_whose_link_dropped_comes_back_and_signals_reach_it() {
    let server = TestServer::start().await;
    server.add_expert("ann", "Ann").await;
    server.add_admin("boss", "Boss").await;
    let (mut expert, _) = signed_in_expert(&server.url, "ann").await;
    let (mut client, id) = client_with_id(&server.url).await;
    let (session, expert_secret, client_secret) = started(&mut expert, &mut client, &id).await;

    drop(client);
    let left = recv(&mut expert).await;
    assert_eq!(left["type"], "peer_left", "{left}");
    assert_eq!(left["reason"], "disconnected", "{left}");

    // Only the client's own secret, from a client, for that session; it
    // comes back from another address (its new network).
    let mut back = hello_from(&server.url, [127, 0, 0, 7], "client").await;
    for wrong in [
        reattach(&session, &expert_secret),
        reattach(&session, "00"),
        reattach("0123456789abcdef0123456789abcdef", &client_secret),
    ] {
        let refused = exchange(&mut back, &wrong).await;
        assert_eq!(refused["code"], "reattach_failed", "{refused}");
    }
    let mut impostor = hello(&server.url, "expert").await;
    let refused = exchange(&mut impostor, &reattach(&session, &client_secret)).await;
    assert_eq!(refused["code"], "reattach_failed", "{refused}");

    let welcomed = exchange(&mut back, &reattach(&session, &client_secret)).await;
    assert_eq!(welcomed["type"], "reattached", "{welcomed}");
    assert_eq!(welcomed["session"], session.as_str(), "{welcomed}");
    let told = recv(&mut expert).await;
    assert_eq!(told["type"], "peer_back", "{told}");

    // The ICE restart's offer and answer cross on the new connection.
    send(&mut expert, &offer(&session, "restart")).await;
    assert_eq!(sdp_of(&recv(&mut back).await), "restart");
    send(&mut back, &answer(&session, "restarted")).await;
    assert_eq!(sdp_of(&recv(&mut expert).await), "restarted");

    send(
        &mut back,
        &format!(r#"{{"type":"bye","session":"{session}"}}"#),
    )
    .await;
    let left = recv(&mut expert).await;
    assert_eq!(left["reason"], "bye", "{left}");

    // The audit log: the refusals (repeats of one from one address within a
    // minute are counted in one row), and the way back from the new address.
    let (_, token) = signed_in_expert(&server.url, "boss").await;
    let reattaches = loop {
        let (status, body) = server.get("/api/audit", Some(&token)).await;
        assert_eq!(status, 200, "{body}");
        let entries: Vec<Value> = serde_json::from_str(&body).unwrap();
        let reattaches: Vec<Value> = entries
            .into_iter()
            .filter(|e| e["event"] == "reattach")
            .collect();
        if reattaches.iter().any(|e| e["detail"] == "ok") {
            break reattaches;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let refused = |actor: &str, ip: &str| {
        reattaches
            .iter()
            .any(|e| e["detail"] == "reattach_failed" && e["actor"] == actor && e["ip"] == ip)
    };
    assert!(refused("client", "127.0.0.7"), "{reattaches:#?}");
    assert!(refused("expert", "127.0.0.1"), "{reattaches:#?}");
    let ok = reattaches.iter().find(|e| e["detail"] == "ok").unwrap();
    assert_eq!(ok["actor"], "client", "{ok}");
    assert_eq!(ok["ip"], "127.0.0.7", "{ok}");
    assert_eq!(ok["session_id"], session.as_str(), "{ok}");
}

#[tokio::test]
async fn an_expert_back_before_the_desk_saw_its_link_drop_takes_the_session_over() {
    let server = TestServer::start().await;
    server.add_expert("ann", "Ann").await;
    let (mut expert, _) = signed_in_expert(&server.url, "ann").await;
    let (mut client, id) = client_with_id(&server.url).await;
    let (session, expert_secret, _) = started(&mut expert, &mut client, &id).await;

    // The old link is still open (its death not seen yet) when the new
    // one comes: the new one has the session, the old one no longer.
    let mut back = hello(&server.url, "expert").await;
    let welcomed = exchange(&mut back, &reattach(&session, &expert_secret)).await;
    assert_eq!(welcomed["type"], "reattached", "{welcomed}");
    assert_eq!(recv(&mut client).await["type"], "peer_back");
    let refused = exchange(&mut expert, &offer(&session, "stale")).await;
    assert_eq!(refused["code"], "no_such_session", "{refused}");
    send(&mut back, &offer(&session, "fresh")).await;
    assert_eq!(sdp_of(&recv(&mut client).await), "fresh");

    // The old link's end no longer touches the session.
    drop(expert);
    send(&mut client, &answer(&session, "still here")).await;
    assert_eq!(sdp_of(&recv(&mut back).await), "still here");
}

#[tokio::test]
async fn a_side_away_past_its_grace_ends_the_session() {
    let server = TestServer::start_with(|config| {
        config.reconnect_grace = Duration::from_millis(300);
    })
    .await;
    server.add_expert("ann", "Ann").await;
    let (mut expert, token) = signed_in_expert(&server.url, "ann").await;
    let (mut client, id) = client_with_id(&server.url).await;
    let (session, _, client_secret) = started(&mut expert, &mut client, &id).await;

    drop(client);
    // Told at once, and again when the desk lets the session go.
    for _ in 0..2 {
        let left = recv(&mut expert).await;
        assert_eq!(left["type"], "peer_left", "{left}");
    }
    let mut late = hello(&server.url, "client").await;
    let refused = exchange(&mut late, &reattach(&session, &client_secret)).await;
    assert_eq!(refused["code"], "reattach_failed", "{refused}");

    let (_, body) = server.get("/api/sessions", Some(&token)).await;
    let rows: Value = serde_json::from_str(&body).unwrap();
    let row = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["session_id"] == session.as_str())
        .unwrap();
    assert_eq!(row["end_reason"], "client_disconnected", "{row}");
    assert!(row["ended_at_ms"].is_i64(), "{row}");
}
