//! The audit log: sign-in attempts (good, bad), connect attempts (located,
//! missed), consent outcomes and a client's permission changes are each
//! recorded with the time and the source address, and `/api/audit` serves
//! them to signed-in admins only.

mod common;

use common::*;
use serde_json::Value;

fn find<'a>(entries: &'a [Value], event: &str, detail: &str) -> &'a Value {
    entries
        .iter()
        .find(|e| e["event"] == event && e["detail"].as_str().unwrap().contains(detail))
        .unwrap_or_else(|| panic!("no {event} {detail:?} in {entries:#?}"))
}

#[tokio::test]
async fn attempts_outcomes_and_changes_are_recorded_with_their_source() {
    let server = TestServer::start().await;
    server.add_admin("ann", "Ann").await;

    let mut stranger = hello(&server.url, "expert").await;
    let refused = exchange(
        &mut stranger,
        r#"{"type":"login","user":"ann","password":"guess"}"#,
    )
    .await;
    assert_eq!(refused["code"], "bad_credentials");

    let (mut expert, token) = signed_in_expert(&server.url, "ann").await;
    let missed = exchange(
        &mut expert,
        r#"{"type":"connect","id":"000000","scopes":["view"]}"#,
    )
    .await;
    assert_eq!(missed["type"], "error");

    let (mut client, id) = client_with_id(&server.url).await;
    let declined = request(&mut expert, &mut client, &id, r#"["view"]"#).await;
    send(
        &mut client,
        &format!(r#"{{"type":"decline","session":"{declined}"}}"#),
    )
    .await;
    assert_eq!(recv(&mut expert).await["type"], "declined");
    let accepted = accepted_session(&mut expert, &mut client, &id).await;
    send(
        &mut client,
        &format!(r#"{{"type":"grants","session":"{accepted}","scopes":["view"]}}"#),
    )
    .await;
    // A change for a session the client is not in is refused, not logged.
    let foreign = exchange(
        &mut client,
        r#"{"type":"grants","session":"0123456789abcdef0123456789abcdef","scopes":[]}"#,
    )
    .await;
    assert_eq!(foreign["code"], "no_such_session");

    let (status, _) = server.get("/api/audit", None).await;
    assert_eq!(status, 401);
    let entries = loop {
        let (status, body) = server.get("/api/audit", Some(&token)).await;
        assert_eq!(status, 200, "{body}");
        let entries: Vec<Value> = serde_json::from_str(&body).unwrap();
        if entries.iter().any(|e| e["event"] == "scopes") {
            break entries;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    for entry in &entries {
        assert_eq!(entry["ip"], "127.0.0.1", "{entry}");
        assert!(entry["at_ms"].as_i64().unwrap() > 1_700_000_000_000);
    }
    assert_eq!(find(&entries, "sign_in", "bad_credentials")["actor"], "ann");
    assert_eq!(find(&entries, "sign_in", "ok")["actor"], "ann");
    find(&entries, "connect", "ID 000000: id_unknown");
    find(&entries, "connect", &format!("ID {id}: located"));
    assert_eq!(
        find(&entries, "consent", "declined")["session_id"],
        declined.as_str()
    );
    assert_eq!(
        find(&entries, "consent", "accepted view control")["session_id"],
        accepted.as_str()
    );
    assert_eq!(
        find(&entries, "scopes", "view")["session_id"],
        accepted.as_str()
    );
    assert_eq!(entries.iter().filter(|e| e["event"] == "scopes").count(), 1);
}
