//! Every way an expert's connect can end before consent, each with its own
//! error code, and the success path: "Remote client located", which tells
//! the expert nothing about the client until the client accepts.

mod common;

use std::time::Duration;

use common::*;

fn connect(id: &str) -> String {
    format!(r#"{{"type":"connect","id":"{id}","notes":"","scopes":["view"]}}"#)
}

#[tokio::test]
async fn a_live_id_locates_the_client_and_asks_it() {
    let server = TestServer::start().await;
    server.add_expert("ann", "Ann from the Help Desk").await;
    let (mut client, id) = client_with_id(&server.url).await;
    let (mut expert, _) = signed_in_expert(&server.url, "ann").await;

    // Pasted with a space, as read over the phone: "482 913".
    let spaced = format!("{} {}", &id[..3], &id[3..]);
    let located = exchange(
        &mut expert,
        &format!(
            r#"{{"type":"connect","id":"{spaced}","notes":"ticket 4711","scopes":["view","control","files"]}}"#
        ),
    )
    .await;
    assert_eq!(located["type"], "located", "{located}");
    assert!(
        located.get("description").is_none() && located.get("computer").is_none(),
        "nothing about the client before Accept: {located}"
    );
    assert_eq!(
        located["expires_in_secs"], 300,
        "the five-minute consent timeout"
    );

    let request = recv(&mut client).await;
    assert_eq!(request["type"], "connect_request");
    assert_eq!(request["session"], located["session"]);
    assert_eq!(request["expert"], "Ann from the Help Desk");
    assert_eq!(request["notes"], "ticket 4711");
    assert_eq!(
        request["scopes"],
        serde_json::json!(["view", "control", "files"])
    );

    let session = request["session"].as_str().unwrap();
    send(
        &mut client,
        &format!(r#"{{"type":"accept","session":"{session}","scopes":["view"]}}"#),
    )
    .await;
    let started = recv(&mut expert).await;
    assert_eq!(started["type"], "session_started", "{started}");
    assert_eq!(started["client"]["description"], "Printer does not print");
    assert_eq!(started["client"]["computer"]["name"], "pc-7");
    let own = recv(&mut client).await;
    assert_eq!(own["type"], "session_started", "{own}");
    assert!(
        own.get("client").is_none(),
        "the client is not told about itself"
    );
}

#[tokio::test]
async fn malformed_ids_are_told_apart() {
    let server = TestServer::start().await;
    server.add_expert("ann", "Ann").await;
    let (mut expert, _) = signed_in_expert(&server.url, "ann").await;
    for (id, code) in [
        ("", "id_empty"),
        ("   ", "id_empty"),
        ("12345", "id_invalid"),
        ("1234567", "id_invalid"),
        ("12a456", "id_invalid"),
        ("１２３４５６", "id_invalid"),
    ] {
        let reply = exchange(&mut expert, &connect(id)).await;
        assert_eq!(reply["code"], code, "{id:?} → {reply}");
    }
}

#[tokio::test]
async fn unknown_used_superseded_and_offline_ids() {
    let server = TestServer::start_with(|c| c.limits.failures.free_failures = 100).await;
    server.add_expert("ann", "Ann").await;
    let (mut expert, _) = signed_in_expert(&server.url, "ann").await;

    // Unknown: a number nobody holds.
    let (mut client, id) = client_with_id(&server.url).await;
    let unknown = if id == "000000" { "000001" } else { "000000" };
    let reply = exchange(&mut expert, &connect(unknown)).await;
    assert_eq!(reply["code"], "id_unknown", "{reply}");

    // Superseded: the client asked for a new ID.
    let newer = exchange(&mut client, r#"{"type":"request_id"}"#).await;
    let reply = exchange(&mut expert, &connect(&id)).await;
    assert_eq!(reply["code"], "id_superseded", "{reply}");

    // Used: the newer ID started a session.
    let newer = newer["id"].as_str().unwrap();
    let session = accepted_session(&mut expert, &mut client, newer).await;
    send(
        &mut expert,
        &format!(r#"{{"type":"bye","session":"{session}"}}"#),
    )
    .await;
    assert_eq!(recv(&mut client).await["type"], "peer_left");
    let reply = exchange(&mut expert, &connect(newer)).await;
    assert_eq!(reply["code"], "id_used", "{reply}");

    // Offline: the client's connection dropped, within the grace period.
    let (client2, id2) = client_with_id(&server.url).await;
    drop(client2);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let reply = exchange(&mut expert, &connect(&id2)).await;
    assert_eq!(reply["code"], "client_offline", "{reply}");
}

#[tokio::test]
async fn an_id_expires_after_its_lifetime() {
    let server = TestServer::start_with(|c| c.id_lifetime = Duration::from_millis(300)).await;
    server.add_expert("ann", "Ann").await;
    let (mut expert, _) = signed_in_expert(&server.url, "ann").await;
    let (_client, id) = client_with_id(&server.url).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    let reply = exchange(&mut expert, &connect(&id)).await;
    assert_eq!(reply["code"], "id_expired", "{reply}");
}

#[tokio::test]
async fn connecting_needs_a_signed_in_expert() {
    let server = TestServer::start().await;
    let (_client, id) = client_with_id(&server.url).await;
    let mut anonymous = hello(&server.url, "expert").await;
    let reply = exchange(&mut anonymous, &connect(&id)).await;
    assert_eq!(reply["code"], "not_signed_in", "{reply}");

    let (mut client, _) = client_with_id(&server.url).await;
    let reply = exchange(&mut client, &connect(&id)).await;
    assert_eq!(reply["code"], "wrong_role", "{reply}");
}

#[tokio::test]
async fn a_client_answers_one_request_at_a_time() {
    let server = TestServer::start().await;
    server.add_expert("ann", "Ann").await;
    server.add_expert("bob", "Bob").await;
    let (mut client, id) = client_with_id(&server.url).await;
    let (mut ann, _) = signed_in_expert(&server.url, "ann").await;
    let (mut bob, _) = signed_in_expert(&server.url, "bob").await;
    request(&mut ann, &mut client, &id, r#"["view"]"#).await;
    let reply = exchange(&mut bob, &connect(&id)).await;
    assert_eq!(reply["code"], "client_busy", "{reply}");
    // Asking the same client twice is no better.
    let reply = exchange(&mut ann, &connect(&id)).await;
    assert_eq!(reply["code"], "client_busy", "{reply}");
}
