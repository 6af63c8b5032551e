//! Expert sign-in: argon2id-checked passwords, revocable tokens that lapse
//! after inactivity, and accounts that survive a restart.

mod common;

use std::time::Duration;

use common::*;

#[tokio::test]
async fn sign_in_resume_and_sign_out() {
    let server = TestServer::start().await;
    server.add_expert("ann", "Ann from the Help Desk").await;

    let mut expert = hello(&server.url, "expert").await;
    for (user, password) in [("ann", "wrong password"), ("nobody", PASSWORD)] {
        let reply = exchange(
            &mut expert,
            &format!(r#"{{"type":"login","user":"{user}","password":"{password}"}}"#),
        )
        .await;
        assert_eq!(reply["code"], "bad_credentials", "{reply}");
    }

    let (mut expert, token) = signed_in_expert(&server.url, "ann").await;
    assert_eq!(token.len(), 64, "a 256-bit token in hex");

    // A second connection signs in with the token alone.
    let mut again = hello(&server.url, "expert").await;
    let resumed = exchange(
        &mut again,
        &format!(r#"{{"type":"resume","token":"{token}"}}"#),
    )
    .await;
    assert_eq!(resumed["type"], "signed_in", "{resumed}");
    assert_eq!(resumed["display_name"], "Ann from the Help Desk");
    assert_eq!(resumed["idle_timeout_secs"], 8 * 3600);

    let out = exchange(&mut expert, r#"{"type":"logout"}"#).await;
    assert_eq!(
        out,
        serde_json::json!({"type":"signed_out","reason":"requested"})
    );
    let mut third = hello(&server.url, "expert").await;
    let refused = exchange(
        &mut third,
        &format!(r#"{{"type":"resume","token":"{token}"}}"#),
    )
    .await;
    assert_eq!(
        refused["code"], "invalid_token",
        "logout revokes the token: {refused}"
    );
    let refused = exchange(
        &mut again,
        r#"{"type":"connect","id":"123456","notes":"","scopes":[]}"#,
    )
    .await;
    assert_eq!(
        refused["code"], "invalid_token",
        "other connections lose it too: {refused}"
    );
}

#[tokio::test]
async fn an_idle_sign_in_expires() {
    let server = TestServer::start_with(|c| c.token_idle = Duration::from_millis(600)).await;
    server.add_expert("ann", "Ann").await;
    let (mut expert, token) = signed_in_expert(&server.url, "ann").await;

    // The connection tells the expert when the idle limit passes.
    let out = recv(&mut expert).await;
    assert_eq!(
        out,
        serde_json::json!({"type":"signed_out","reason":"inactivity"})
    );
    let refused = exchange(
        &mut expert,
        r#"{"type":"connect","id":"123456","notes":"","scopes":[]}"#,
    )
    .await;
    assert_eq!(refused["code"], "not_signed_in", "{refused}");

    // And the token itself no longer works anywhere.
    let mut again = hello(&server.url, "expert").await;
    let refused = exchange(
        &mut again,
        &format!(r#"{{"type":"resume","token":"{token}"}}"#),
    )
    .await;
    assert_eq!(refused["code"], "invalid_token", "{refused}");
}

#[tokio::test]
async fn accounts_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let config = lifeline_signaling::Config {
        database_url: database::fresh_url(dir.path()).await,
        ..Default::default()
    };
    let mut first = TestServer::start_config(config.clone(), None).await;
    first.add_expert("ann", "Ann").await;
    let (ws, token) = signed_in_expert(&first.url, "ann").await;
    drop(ws);
    first.stop().await;

    let second = TestServer::start_config(config, None).await;
    let (_ws, _) = signed_in_expert(&second.url, "ann").await;
    let mut again = hello(&second.url, "expert").await;
    let resumed = exchange(
        &mut again,
        &format!(r#"{{"type":"resume","token":"{token}"}}"#),
    )
    .await;
    assert_eq!(
        resumed["type"], "signed_in",
        "tokens survive too: {resumed}"
    );
}
