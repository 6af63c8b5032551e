//! The desk stops during a session and starts again: the stop leaves the
//! session's record open (the peers go on without the desk), and after the
//! restart the session's own expert, signed in again, ends it with `bye`;
//! another expert cannot.

mod common;

use common::*;

#[tokio::test]
async fn a_record_left_open_by_a_restart_is_ended_by_its_expert() {
    let mut first = TestServer::start().await;
    first.add_expert("ann", "Ann").await;
    first.add_expert("bob", "Bob").await;
    let (mut client, id) = client_with_id(&first.url).await;
    let (mut expert, _) = signed_in_expert(&first.url, "ann").await;
    let session = accepted_session(&mut expert, &mut client, &id).await;
    send(
        &mut expert,
        &format!(r#"{{"type":"connected","session":"{session}"}}"#),
    )
    .await;
    // The desk answers in order: once it has, `connected` was handled.
    assert_eq!(
        exchange(&mut expert, r#"{"type":"ping"}"#).await["type"],
        "pong"
    );
    drop((client, expert));
    first.stop().await;

    let again = TestServer::start_config(first.config.clone(), Some(first.addr)).await;
    let bye = format!(r#"{{"type":"bye","session":"{session}"}}"#);
    let (mut bob, _) = signed_in_expert(&again.url, "bob").await;
    let refused = exchange(&mut bob, &bye).await;
    assert_eq!(refused["code"], "no_such_session", "{refused}");

    let (mut ann, _) = signed_in_expert(&again.url, "ann").await;
    send(&mut ann, &bye).await;
    assert_eq!(
        exchange(&mut ann, r#"{"type":"ping"}"#).await["type"],
        "pong"
    );
    let (_, token) = signed_in_expert(&again.url, "ann").await;
    let (status, body) = again.get("/api/sessions", Some(&token)).await;
    assert_eq!(status, 200, "{body}");
    let rows: serde_json::Value = serde_json::from_str(&body).unwrap();
    let row = &rows[0];
    assert_eq!(row["session_id"], session.as_str(), "{rows}");
    assert!(!row["started_at_ms"].is_null(), "{row}");
    assert!(!row["ended_at_ms"].is_null(), "{row}");
    assert_eq!(row["end_reason"], "expert_bye", "{row}");
    // Its end was once: a second bye is refused.
    let refused = exchange(&mut ann, &bye).await;
    assert_eq!(refused["code"], "no_such_session", "{refused}");
}
