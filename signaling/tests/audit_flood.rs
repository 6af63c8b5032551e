//! Nobody can forge or flood the audit log: answers to sessions that do
//! not exist write no consent row; a flood of rate-limited sign-ins writes
//! one row, not hundreds; and a hostile user name is stored escaped and
//! cut short. The log is read straight from the desk's database, after a
//! later, legitimate row shows everything before it was written.

mod common;

use std::time::Duration;

use common::*;
use lifeline_signaling::audit::{self, AuditEntry};

async fn entries(server: &TestServer) -> Vec<AuditEntry> {
    let pool = lifeline_signaling::db::open(&server.config.database_url)
        .await
        .unwrap();
    audit::list(&pool, 0, i64::MAX).await.unwrap()
}

/// Waits until the writer has written the decline of `session`: the
/// writer keeps order, so everything recorded before it is written too.
async fn written_up_to(server: &TestServer, session: &str) -> Vec<AuditEntry> {
    for _ in 0..100 {
        let all = entries(server).await;
        if all
            .iter()
            .any(|e| e.session_id.as_deref() == Some(session) && e.detail == "declined")
        {
            return all;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the marker row never arrived: {:#?}", entries(server).await);
}

/// A real request, declined: a row the writer must write.
async fn marker(server: &TestServer) -> String {
    let (mut client, id) = client_with_id(&server.url).await;
    let (mut expert, _) = signed_in_expert(&server.url, "ann").await;
    let session = request(&mut expert, &mut client, &id, r#"["view"]"#).await;
    send(
        &mut client,
        &format!(r#"{{"type":"decline","session":"{session}"}}"#),
    )
    .await;
    assert_eq!(recv(&mut expert).await["type"], "declined");
    session
}

#[tokio::test]
async fn answers_to_sessions_that_do_not_exist_are_not_audited() {
    let server = TestServer::start().await;
    server.add_expert("ann", "Ann").await;
    let mut forger = hello(&server.url, "client").await;
    for n in 0..50 {
        let session = format!("{n:032x}");
        let accept = exchange(
            &mut forger,
            &format!(
                r#"{{"type":"accept","session":"{session}","scopes":["view","control","files"]}}"#
            ),
        )
        .await;
        assert_eq!(accept["code"], "no_such_session", "{accept}");
        let decline = exchange(
            &mut forger,
            &format!(r#"{{"type":"decline","session":"{session}"}}"#),
        )
        .await;
        assert_eq!(decline["code"], "no_such_session", "{decline}");
    }
    let session = marker(&server).await;
    let all = written_up_to(&server, &session).await;
    let consent: Vec<_> = all.iter().filter(|e| e.event == "consent").collect();
    assert_eq!(consent.len(), 1, "only the real decline: {consent:#?}");
}

#[tokio::test]
async fn a_flood_of_refused_sign_ins_is_one_row() {
    let server = TestServer::start_with(|c| c.limits.logins_per_minute = 1).await;
    server.add_expert("ann", "Ann").await;
    let mut flooder = hello_from(&server.url, [127, 0, 8, 1], "expert").await;
    let hostile = format!(
        "mallory\n2026-01-01 INFO forged\u{1b}[2J{}",
        "x".repeat(500)
    );
    let hostile_json = serde_json::to_string(&hostile).unwrap();
    for _ in 0..300 {
        send(
            &mut flooder,
            &format!(r#"{{"type":"login","user":{hostile_json},"password":"x"}}"#),
        )
        .await;
    }
    let mut refused = 0;
    while refused < 300 {
        let reply = recv(&mut flooder).await;
        assert!(reply["type"] == "error", "{reply}");
        refused += 1;
    }
    let session = marker(&server).await;
    let all = written_up_to(&server, &session).await;
    let sign_ins: Vec<_> = all
        .iter()
        .filter(|e| e.event == "sign_in" && e.ip == "127.0.8.1")
        .collect();
    assert!(
        sign_ins.len() <= 2,
        "one bad password and one rate-limited row: {sign_ins:#?}"
    );
    for entry in sign_ins {
        assert!(!entry.actor.contains('\n') && !entry.actor.contains('\u{1b}'));
        assert!(entry.actor.chars().count() <= 65, "{}", entry.actor);
        assert!(
            entry.actor.starts_with("mallory\\u{a}2026"),
            "{}",
            entry.actor
        );
    }
}
