//! "Restart and reconnect" at the desk: a client in a running session
//! takes a token, its connection goes (the restart), and a new connection
//! with the token is asked again by the same expert for the same
//! permissions, in a new session the expert is told resumes the old one.
//! A token works once; a client without a running session gets none; an
//! expert that left takes its tokens with it.

mod common;

use common::*;

async fn token_for(client: &mut Socket, session: &str) -> String {
    let reply = exchange(
        client,
        &format!(r#"{{"type":"hold_for_reconnect","session":"{session}"}}"#),
    )
    .await;
    assert_eq!(reply["type"], "reconnect_token", "{reply}");
    assert_eq!(reply["session"], session, "{reply}");
    assert_eq!(reply["expires_in_secs"], 900, "{reply}");
    reply["token"].as_str().unwrap().to_owned()
}

fn rejoin(token: &str) -> String {
    format!(r#"{{"type":"rejoin","token":"{token}"}}"#)
}

#[tokio::test]
async fn a_restarted_client_is_asked_again_by_its_expert() {
    let server = TestServer::start().await;
    server.add_expert("ann", "Ann").await;
    let (mut expert, _) = signed_in_expert(&server.url, "ann").await;
    let (mut client, id) = client_with_id(&server.url).await;
    let previous = accepted_session(&mut expert, &mut client, &id).await;
    let token = token_for(&mut client, &previous).await;

    // The restart: the client's connection goes, the expert hears it.
    drop(client);
    let left = recv(&mut expert).await;
    assert_eq!(left["type"], "peer_left", "{left}");

    let mut back = hello(&server.url, "client").await;
    send(&mut back, &rejoin(&token)).await;
    let request = recv(&mut back).await;
    assert_eq!(request["type"], "connect_request", "{request}");
    assert_eq!(request["expert"], "Ann", "{request}");
    assert_eq!(request["scopes"], serde_json::json!(["view", "control"]));
    assert_eq!(request["resumes"], previous.as_str(), "{request}");
    let session = request["session"].as_str().unwrap().to_owned();
    assert_ne!(session, previous);
    let told = recv(&mut expert).await;
    assert_eq!(told["type"], "reconnecting", "{told}");
    assert_eq!(told["previous"], previous.as_str(), "{told}");
    assert_eq!(told["session"], session.as_str(), "{told}");

    send(
        &mut back,
        &format!(r#"{{"type":"accept","session":"{session}","scopes":["view","control"]}}"#),
    )
    .await;
    let mut started = Vec::new();
    for side in [&mut back, &mut expert] {
        let message = recv(side).await;
        assert_eq!(message["type"], "session_started", "{message}");
        assert_eq!(message["session"], session.as_str(), "{message}");
        started.push(message);
    }
    // The expert's copy names the same computer as before the restart.
    assert_eq!(
        started[1]["client"]["computer"]["name"], "pc-7",
        "{}",
        started[1]
    );

    // Once only.
    let mut again = hello(&server.url, "client").await;
    let refused = exchange(&mut again, &rejoin(&token)).await;
    assert_eq!(refused["code"], "reconnect_failed", "{refused}");
}

#[tokio::test]
async fn no_token_without_a_session_or_after_the_expert_left() {
    let server = TestServer::start().await;
    server.add_expert("ann", "Ann").await;
    let (mut client, _) = client_with_id(&server.url).await;
    let refused = exchange(
        &mut client,
        r#"{"type":"hold_for_reconnect","session":"nope"}"#,
    )
    .await;
    assert_eq!(refused["code"], "reconnect_failed", "{refused}");

    let (mut expert, _) = signed_in_expert(&server.url, "ann").await;
    let (mut client, id) = client_with_id(&server.url).await;
    let previous = accepted_session(&mut expert, &mut client, &id).await;
    let token = token_for(&mut client, &previous).await;
    drop(expert);
    // The client hears its expert went: the desk has let it go.
    assert_eq!(recv(&mut client).await["type"], "peer_left");
    let mut back = hello(&server.url, "client").await;
    let refused = exchange(&mut back, &rejoin(&token)).await;
    assert_eq!(refused["code"], "reconnect_failed", "{refused}");
    // An expert cannot use it either.
    let (mut other, _) = signed_in_expert(&server.url, "ann").await;
    let refused = exchange(&mut other, &rejoin(&token)).await;
    assert_eq!(refused["code"], "wrong_role", "{refused}");
}
