//! One expert, several clients: each request and session is its own, with
//! its signals relayed between its own pair only, an error about one of
//! them naming it, and the expert's connection dropping ending them all.
//! A client still takes one session at a time, and an expert has a limit.

mod common;

use common::*;
use lifeline_signaling::pairings::MAX_PER_EXPERT;

fn offer(session: &str, sdp: &str) -> String {
    format!(
        r#"{{"type":"signal","session":"{session}","signal":{{"kind":"offer","sdp":"{sdp}"}}}}"#
    )
}

#[tokio::test]
async fn an_expert_holds_two_sessions_and_each_signal_reaches_its_own_client() {
    let server = TestServer::start().await;
    server.add_expert("ann", "Ann").await;
    let (mut expert, _) = signed_in_expert(&server.url, "ann").await;
    let (mut a, id_a) = client_with_id(&server.url).await;
    let (mut b, id_b) = client_with_id(&server.url).await;

    let first = accepted_session(&mut expert, &mut a, &id_a).await;
    // A second request while the first session runs is not "busy".
    let second = accepted_session(&mut expert, &mut b, &id_b).await;
    assert_ne!(first, second);

    send(&mut expert, &offer(&second, "v=0 for b")).await;
    send(&mut expert, &offer(&first, "v=0 for a")).await;
    let got = recv(&mut b).await;
    assert_eq!(got["session"], second.as_str(), "{got}");
    assert_eq!(got["signal"]["sdp"], "v=0 for b", "{got}");
    let got = recv(&mut a).await;
    assert_eq!(got["session"], first.as_str(), "{got}");
    assert_eq!(got["signal"]["sdp"], "v=0 for a", "{got}");

    // An error about one session says which.
    let refused = exchange(
        &mut expert,
        r#"{"type":"signal","session":"nope","signal":{"kind":"offer","sdp":"x"}}"#,
    )
    .await;
    assert_eq!(refused["code"], "no_such_session", "{refused}");
    assert_eq!(refused["session"], "nope", "{refused}");
    // A refused connect names none: it has no session yet.
    let refused = exchange(
        &mut expert,
        r#"{"type":"connect","id":"000000","notes":"","scopes":["view"]}"#,
    )
    .await;
    assert_eq!(refused["type"], "error", "{refused}");
    assert!(refused.get("session").is_none(), "{refused}");

    // Ending one leaves the other.
    send(&mut a, &format!(r#"{{"type":"bye","session":"{first}"}}"#)).await;
    let left = recv(&mut expert).await;
    assert_eq!(left["type"], "peer_left", "{left}");
    assert_eq!(left["session"], first.as_str(), "{left}");
    send(&mut expert, &offer(&second, "v=0 still")).await;
    assert_eq!(recv(&mut b).await["signal"]["sdp"], "v=0 still");

    // The expert's connection dropping ends what is left, for its client.
    drop(expert);
    let left = recv(&mut b).await;
    assert_eq!(left["type"], "peer_left", "{left}");
    assert_eq!(left["session"], second.as_str(), "{left}");
    assert_eq!(left["reason"], "disconnected", "{left}");
}

#[tokio::test]
async fn an_expert_has_a_limit_and_a_client_takes_one_request() {
    let server = TestServer::start().await;
    server.add_expert("ann", "Ann").await;
    let (mut expert, _) = signed_in_expert(&server.url, "ann").await;
    let mut clients = Vec::new();
    for _ in 0..MAX_PER_EXPERT {
        let (mut client, id) = client_with_id(&server.url).await;
        request(&mut expert, &mut client, &id, r#"["view"]"#).await;
        clients.push(client);
    }
    let (_spare, id) = client_with_id(&server.url).await;
    let reply = exchange(
        &mut expert,
        &format!(r#"{{"type":"connect","id":"{id}","notes":"","scopes":["view"]}}"#),
    )
    .await;
    assert_eq!(reply["code"], "busy", "{reply}");
}
