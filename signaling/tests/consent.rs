//! The client's answer: accept (with at most the scopes requested),
//! decline, cancel from either side, and the consent timeout.

mod common;

use std::time::Duration;

use common::*;

async fn pair(server: &TestServer) -> (Socket, Socket, String) {
    server.add_expert("ann", "Ann").await;
    let (mut client, id) = client_with_id(&server.url).await;
    let (mut expert, _) = signed_in_expert(&server.url, "ann").await;
    let session = request(&mut expert, &mut client, &id, r#"["view","control"]"#).await;
    (expert, client, session)
}

#[tokio::test]
async fn accepting_grants_at_most_what_was_asked() {
    let server = TestServer::start().await;
    let (mut expert, mut client, session) = pair(&server).await;
    send(
        &mut client,
        &format!(r#"{{"type":"accept","session":"{session}","scopes":["view","files","reboot"]}}"#),
    )
    .await;
    for side in [&mut client, &mut expert] {
        let started = recv(side).await;
        assert_eq!(started["type"], "session_started", "{started}");
        assert_eq!(started["session"], session.as_str());
        assert_eq!(started["scopes"], serde_json::json!(["view"]));
        assert_eq!(started["ice_servers"], serde_json::json!([]));
    }
}

#[tokio::test]
async fn only_the_client_answers() {
    let server = TestServer::start().await;
    let (mut expert, _client, session) = pair(&server).await;
    let reply = exchange(
        &mut expert,
        &format!(r#"{{"type":"accept","session":"{session}","scopes":["view"]}}"#),
    )
    .await;
    assert_eq!(reply["code"], "wrong_role", "{reply}");
}

#[tokio::test]
async fn declining_tells_the_expert() {
    let server = TestServer::start().await;
    let (mut expert, mut client, session) = pair(&server).await;
    send(
        &mut client,
        &format!(r#"{{"type":"decline","session":"{session}"}}"#),
    )
    .await;
    let declined = recv(&mut expert).await;
    assert_eq!(declined["type"], "declined", "{declined}");
    assert_eq!(declined["session"], session.as_str());
    assert_silent(&mut client, Duration::from_millis(100)).await;
}

#[tokio::test]
async fn either_side_can_cancel_while_pending() {
    let server = TestServer::start().await;
    let (mut expert, mut client, session) = pair(&server).await;
    send(
        &mut expert,
        &format!(r#"{{"type":"cancel","session":"{session}"}}"#),
    )
    .await;
    let cancelled = recv(&mut client).await;
    assert_eq!(cancelled["type"], "request_cancelled", "{cancelled}");
    let late = exchange(
        &mut client,
        &format!(r#"{{"type":"accept","session":"{session}","scopes":["view"]}}"#),
    )
    .await;
    assert_eq!(late["code"], "no_such_session", "{late}");

    let server = TestServer::start().await;
    let (mut expert, mut client, session) = pair(&server).await;
    send(
        &mut client,
        &format!(r#"{{"type":"cancel","session":"{session}"}}"#),
    )
    .await;
    assert_eq!(recv(&mut expert).await["type"], "request_cancelled");
}

#[tokio::test]
async fn no_answer_times_out_on_both_sides() {
    let server = TestServer::start_with(|c| c.consent_timeout = Duration::from_millis(300)).await;
    let (mut expert, mut client, session) = pair(&server).await;
    for side in [&mut expert, &mut client] {
        let timed_out = recv(side).await;
        assert_eq!(timed_out["type"], "request_timed_out", "{timed_out}");
        assert_eq!(timed_out["session"], session.as_str());
    }
    let late = exchange(
        &mut client,
        &format!(r#"{{"type":"accept","session":"{session}","scopes":["view"]}}"#),
    )
    .await;
    assert_eq!(late["code"], "no_such_session");
}

#[tokio::test]
async fn a_dropped_expert_withdraws_the_request() {
    let server = TestServer::start().await;
    let (expert, mut client, _session) = pair(&server).await;
    drop(expert);
    assert_eq!(recv(&mut client).await["type"], "request_cancelled");
}
