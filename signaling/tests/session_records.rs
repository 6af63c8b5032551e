//! The Session Usage Report: every request becomes a row with its outcome
//! and times, notes can be amended, the expert's recordings are named, `/api/sessions` serves JSON or CSV to
//! signed-in experts only, and the rows survive a restart.

mod common;

use std::time::Duration;

use common::*;
use serde_json::Value;

#[tokio::test]
async fn requests_become_rows_that_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let config = lifeline_signaling::Config {
        database_url: database::fresh_url(dir.path()).await,
        ..Default::default()
    };
    let mut server = TestServer::start_config(config.clone(), None).await;
    server.add_expert("ann", "Ann").await;
    let (mut expert, token) = signed_in_expert(&server.url, "ann").await;

    // One declined request.
    let (mut client, id) = client_with_id(&server.url).await;
    let declined = request(&mut expert, &mut client, &id, r#"["view"]"#).await;
    send(
        &mut client,
        &format!(r#"{{"type":"decline","session":"{declined}"}}"#),
    )
    .await;
    assert_eq!(recv(&mut expert).await["type"], "declined");

    // One accepted session, connected, with notes amended, ended by bye.
    let accepted = accepted_session(&mut expert, &mut client, &id).await;
    send(
        &mut expert,
        &format!(r#"{{"type":"connected","session":"{accepted}"}}"#),
    )
    .await;
    let saved = exchange(
        &mut expert,
        &format!(r#"{{"type":"set_notes","session":"{accepted}","notes":"fixed the printer, \"quoted\""}}"#),
    )
    .await;
    assert_eq!(saved["type"], "notes_saved", "{saved}");
    // Two recordings the expert saved; the client cannot report one, and
    // a name that is a path is not even a message.
    for file in ["1-expert-s.recording-2.webm", "1-expert-s.recording-3.webm"] {
        send(
            &mut expert,
            &format!(r#"{{"type":"recorded","session":"{accepted}","file":"{file}"}}"#),
        )
        .await;
    }
    let refused = exchange(
        &mut client,
        &format!(r#"{{"type":"recorded","session":"{accepted}","file":"x.webm"}}"#),
    )
    .await;
    assert_eq!(refused["code"], "wrong_role", "{refused}");
    let refused = exchange(
        &mut expert,
        &format!(r#"{{"type":"recorded","session":"{accepted}","file":"../../etc/x.webm"}}"#),
    )
    .await;
    assert_eq!(refused["type"], "error", "{refused}");
    send(
        &mut expert,
        &format!(r#"{{"type":"bye","session":"{accepted}"}}"#),
    )
    .await;
    assert_eq!(recv(&mut client).await["type"], "peer_left");

    // Notes of somebody else's or an unknown session are refused.
    let refused = exchange(
        &mut expert,
        r#"{"type":"set_notes","session":"0123456789abcdef0123456789abcdef","notes":"x"}"#,
    )
    .await;
    assert_eq!(refused["code"], "no_such_session");

    let (status, body) = server.get("/api/sessions", None).await;
    assert_eq!(status, 401, "{body}");
    let (status, _) = server.get("/api/sessions", Some("not-a-token")).await;
    assert_eq!(status, 401);

    let check = |rows: &Value| {
        let rows = rows.as_array().unwrap();
        assert_eq!(rows.len(), 2, "{rows:?}");
        let row = |session: &str| rows.iter().find(|r| r["session_id"] == session).unwrap();
        let d = row(&declined);
        assert_eq!(d["outcome"], "declined");
        assert_eq!(d["client_id"], id.as_str());
        assert_eq!(d["description"], "Printer does not print");
        assert_eq!(d["computer_name"], "pc-7");
        assert_eq!(d["expert"], "ann");
        assert!(d["answered_at_ms"].is_i64() && d["ended_at_ms"].is_i64());
        assert!(d["started_at_ms"].is_null());
        let a = row(&accepted);
        assert_eq!(a["outcome"], "accepted");
        assert_eq!(a["scopes_granted"], "view control");
        assert_eq!(a["notes"], "fixed the printer, \"quoted\"");
        assert_eq!(a["end_reason"], "expert_bye");
        assert_eq!(
            a["recordings"],
            "1-expert-s.recording-2.webm 1-expert-s.recording-3.webm"
        );
        assert!(d["recordings"].is_null());
        let times: Vec<i64> = [
            "requested_at_ms",
            "answered_at_ms",
            "started_at_ms",
            "ended_at_ms",
        ]
        .iter()
        .map(|k| a[*k].as_i64().unwrap())
        .collect();
        assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
    };
    // The writer task is asynchronous; give it a moment.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (status, body) = server.get("/api/sessions", Some(&token)).await;
    assert_eq!(status, 200, "{body}");
    check(&serde_json::from_str(&body).unwrap());

    let (status, csv) = server.get("/api/sessions?format=csv", Some(&token)).await;
    assert_eq!(status, 200);
    let lines: Vec<&str> = csv.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 3, "{csv}");
    assert!(lines[0].starts_with("session_id,client_id,requested_at,"));
    assert!(
        csv.contains("\"fixed the printer, \"\"quoted\"\"\""),
        "{csv}"
    );

    let (status, body) = server
        .get("/api/sessions?from=2000-01-01&to=2000-01-31", Some(&token))
        .await;
    assert_eq!((status, body.as_str()), (200, "[]"));
    let (status, _) = server
        .get("/api/sessions?from=yesterday", Some(&token))
        .await;
    assert_eq!(status, 400);

    drop((expert, client));
    server.stop().await;
    let server = TestServer::start_config(config, None).await;
    let (_expert, token) = signed_in_expert(&server.url, "ann").await;
    let (status, body) = server.get("/api/sessions", Some(&token)).await;
    assert_eq!(status, 200);
    check(&serde_json::from_str(&body).unwrap());

    let (_, metrics) = server.get("/metrics", None).await;
    assert!(
        metrics.contains("lifeline_connections_open 1\n"),
        "{metrics}"
    );
}
