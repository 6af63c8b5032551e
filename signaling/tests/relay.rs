//! SDP/ICE flows only between the two peers of an accepted pairing, in the
//! right direction; strangers can neither inject nor read; `bye` and
//! dropped connections are reported to the other side.

mod common;

use std::time::Duration;

use common::*;

fn signal(session: &str, signal: &str) -> String {
    format!(r#"{{"type":"signal","session":"{session}","signal":{signal}}}"#)
}

const OFFER: &str = r#"{"kind":"offer","sdp":"v=0 offer"}"#;
const ANSWER: &str = r#"{"kind":"answer","sdp":"v=0 answer"}"#;
const ICE: &str = r#"{"kind":"ice","candidate":"candidate:1 1 udp 1 127.0.0.1 5000 typ host","sdpMid":"0","sdpMLineIndex":0}"#;

#[tokio::test]
async fn signals_flow_only_after_accept_and_only_between_the_pair() {
    let server = TestServer::start().await;
    server.add_expert("ann", "Ann").await;
    server.add_expert("mallory", "Mallory").await;
    let (mut client, id) = client_with_id(&server.url).await;
    let (mut expert, _) = signed_in_expert(&server.url, "ann").await;
    let session = request(&mut expert, &mut client, &id, r#"["view"]"#).await;

    // Before the client's Accept nothing is relayed.
    let early = exchange(&mut expert, &signal(&session, OFFER)).await;
    assert_eq!(early["code"], "not_accepted", "{early}");

    send(
        &mut client,
        &format!(r#"{{"type":"accept","session":"{session}","scopes":["view"]}}"#),
    )
    .await;
    assert_eq!(recv(&mut client).await["type"], "session_started");
    assert_eq!(recv(&mut expert).await["type"], "session_started");

    // A stranger expert and a stranger client, each with their own
    // connection, try to inject into the session.
    let (mut mallory, _) = signed_in_expert(&server.url, "mallory").await;
    let (mut eve, _) = client_with_id(&server.url).await;
    for stranger in [&mut mallory, &mut eve] {
        for s in [OFFER, ANSWER, ICE] {
            let refused = exchange(stranger, &signal(&session, s)).await;
            assert_eq!(refused["code"], "no_such_session", "{refused}");
        }
        let refused = exchange(
            stranger,
            &format!(r#"{{"type":"bye","session":"{session}"}}"#),
        )
        .await;
        assert_eq!(refused["code"], "no_such_session");
    }

    // The pair's own signals go across, in the right directions only.
    send(&mut expert, &signal(&session, OFFER)).await;
    let got = recv(&mut client).await;
    assert_eq!(got["type"], "signal");
    assert_eq!(got["session"], session.as_str());
    assert_eq!(got["signal"]["sdp"], "v=0 offer");
    send(&mut client, &signal(&session, ANSWER)).await;
    assert_eq!(recv(&mut expert).await["signal"]["kind"], "answer");
    send(&mut client, &signal(&session, ICE)).await;
    assert_eq!(recv(&mut expert).await["signal"]["kind"], "ice");
    send(&mut expert, &signal(&session, ICE)).await;
    assert_eq!(recv(&mut client).await["signal"]["kind"], "ice");

    let wrong = exchange(&mut client, &signal(&session, OFFER)).await;
    assert_eq!(
        wrong["code"], "wrong_role",
        "a client never offers: {wrong}"
    );
    let wrong = exchange(&mut expert, &signal(&session, ANSWER)).await;
    assert_eq!(
        wrong["code"], "wrong_role",
        "an expert never answers: {wrong}"
    );

    // The strangers read nothing of it.
    assert_silent(&mut mallory, Duration::from_millis(100)).await;
    assert_silent(&mut eve, Duration::from_millis(100)).await;
}

#[tokio::test]
async fn oversized_sdp_is_refused() {
    let server = TestServer::start().await;
    server.add_expert("ann", "Ann").await;
    let (mut client, id) = client_with_id(&server.url).await;
    let (mut expert, _) = signed_in_expert(&server.url, "ann").await;
    let session = accepted_session(&mut expert, &mut client, &id).await;
    let candidate = format!(r#"{{"kind":"ice","candidate":"{}"}}"#, "a".repeat(2000));
    let refused = exchange(&mut expert, &signal(&session, &candidate)).await;
    assert_eq!(refused["code"], "malformed_message", "{refused}");
    assert_silent(&mut client, Duration::from_millis(100)).await;
}

#[tokio::test]
async fn bye_and_disconnects_reach_the_other_side() {
    let server = TestServer::start().await;
    server.add_expert("ann", "Ann").await;
    let (mut client, id) = client_with_id(&server.url).await;
    let (mut expert, _) = signed_in_expert(&server.url, "ann").await;
    let session = accepted_session(&mut expert, &mut client, &id).await;
    send(
        &mut client,
        &format!(r#"{{"type":"bye","session":"{session}"}}"#),
    )
    .await;
    let left = recv(&mut expert).await;
    assert_eq!(left["type"], "peer_left", "{left}");
    assert_eq!(left["reason"], "bye");
    let after = exchange(&mut expert, &signal(&session, OFFER)).await;
    assert_eq!(
        after["code"], "no_such_session",
        "a closed session relays nothing"
    );

    let (mut client, id) = client_with_id(&server.url).await;
    let session = accepted_session(&mut expert, &mut client, &id).await;
    drop(client);
    let left = recv(&mut expert).await;
    assert_eq!(left["type"], "peer_left");
    assert_eq!(left["session"], session.as_str());
    assert_eq!(left["reason"], "disconnected");
}
