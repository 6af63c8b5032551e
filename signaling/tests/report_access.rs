//! Who reads what: an expert's `/api/sessions` holds only their own
//! sessions, an admin's everyone's; `/api/audit` is for admins only (403 with
//! a `{code, message}` body for an expert); and every read of either, and
//! every refusal, is itself in the audit log with who, from where and
//! which days.

mod common;

use std::time::Duration;

use common::*;
use serde_json::{Value, json};

/// One session between `expert` and a fresh client, declined at once.
async fn one_session(url: &str, expert: &mut Socket) -> String {
    let (mut client, id) = client_with_id(url).await;
    let session = request(expert, &mut client, &id, r#"["view"]"#).await;
    send(
        &mut client,
        &format!(r#"{{"type":"decline","session":"{session}"}}"#),
    )
    .await;
    assert_eq!(recv(expert).await["type"], "declined");
    session
}

fn sessions_of(body: &str) -> Vec<(String, String)> {
    let rows: Vec<Value> = serde_json::from_str(body).unwrap();
    rows.iter()
        .map(|r| {
            (
                r["expert"].as_str().unwrap().to_owned(),
                r["session_id"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn experts_read_their_own_sessions_and_admins_everything() {
    let server = TestServer::start().await;
    server.add_expert("ann", "Ann").await;
    server.add_expert("bob", "Bob").await;
    server.add_admin("boss", "The Boss").await;
    let (mut ann, ann_token) = signed_in_expert(&server.url, "ann").await;
    let (mut bob, bob_token) = signed_in_expert(&server.url, "bob").await;
    let (_boss, boss_token) = signed_in_expert(&server.url, "boss").await;
    let ann_session = one_session(&server.url, &mut ann).await;
    let bob_session = one_session(&server.url, &mut bob).await;
    tokio::time::sleep(Duration::from_millis(200)).await;

    let (status, body) = server.get("/api/sessions", Some(&ann_token)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        sessions_of(&body),
        [("ann".to_owned(), ann_session.clone())]
    );
    let (status, csv) = server
        .get("/api/sessions?format=csv", Some(&bob_token))
        .await;
    assert_eq!(status, 200);
    assert!(
        csv.contains(&bob_session) && !csv.contains(&ann_session),
        "{csv}"
    );

    let (status, body) = server.get("/api/sessions", Some(&boss_token)).await;
    assert_eq!(status, 200, "{body}");
    let mut all = sessions_of(&body);
    all.sort();
    assert_eq!(
        all,
        [
            ("ann".to_owned(), ann_session),
            ("bob".to_owned(), bob_session)
        ]
    );
}

#[tokio::test]
async fn only_admins_read_the_audit_log_and_every_read_is_audited() {
    let server = TestServer::start().await;
    server.add_expert("ann", "Ann").await;
    server.add_admin("boss", "The Boss").await;
    let (_ann, ann_token) = signed_in_expert(&server.url, "ann").await;
    let (_boss, boss_token) = signed_in_expert(&server.url, "boss").await;

    let (status, body) = get_from(
        [127, 0, 0, 7],
        server.addr,
        "/api/audit",
        &format!("Authorization: Bearer {ann_token}\r\n"),
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap(),
        json!({"code": "forbidden", "message": "only a desk admin may read this"})
    );
    let (status, _) = get_from(
        [127, 0, 0, 7],
        server.addr,
        "/api/sessions?from=2026-01-01&to=2026-01-31&format=csv",
        &format!("Authorization: Bearer {ann_token}\r\n"),
    )
    .await;
    assert_eq!(status, 200);

    let entries = loop {
        let (status, body) = server.get("/api/audit", Some(&boss_token)).await;
        assert_eq!(status, 200, "{body}");
        let entries: Vec<Value> = serde_json::from_str(&body).unwrap();
        let reads = entries.iter().filter(|e| e["event"] == "report").count();
        if reads >= 2 {
            break entries;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let find = |detail: &str| {
        entries
            .iter()
            .find(|e| e["event"] == "report" && e["detail"].as_str().unwrap().contains(detail))
            .unwrap_or_else(|| panic!("no report read {detail:?} in {entries:#?}"))
    };
    let refused = find("refused: not admin");
    assert_eq!(refused["actor"], "ann");
    assert_eq!(refused["ip"], "127.0.0.7");
    assert!(
        refused["detail"].as_str().unwrap().starts_with("audit "),
        "{refused}"
    );
    let export = find("sessions 2026-01-01..2026-01-31 csv, own");
    assert_eq!(export["actor"], "ann");
    assert_eq!(export["ip"], "127.0.0.7");

    // The admin's own read is recorded too, on the next look.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let (_, body) = server.get("/api/audit", Some(&boss_token)).await;
    let entries: Vec<Value> = serde_json::from_str(&body).unwrap();
    assert!(
        entries.iter().any(|e| e["event"] == "report"
            && e["actor"] == "boss"
            && e["detail"].as_str().unwrap().ends_with(" json")),
        "{entries:#?}"
    );
}
