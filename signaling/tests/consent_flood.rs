//! No client can be flooded with consent dialogs: one client ID takes a
//! few connect requests at once, then one per refill period; the rest are
//! refused with `rate_limited` and never reach the client.

mod common;

use common::*;

#[tokio::test]
async fn a_client_id_is_asked_a_few_times_then_the_desk_refuses() {
    let server = TestServer::start().await;
    server.add_expert("ann", "Ann").await;
    let (mut client, id) = client_with_id(&server.url).await;
    let (mut expert, _) = signed_in_expert(&server.url, "ann").await;
    for _ in 0..3 {
        let session = request(&mut expert, &mut client, &id, r#"["view"]"#).await;
        send(
            &mut expert,
            &format!(r#"{{"type":"cancel","session":"{session}"}}"#),
        )
        .await;
        assert_eq!(recv(&mut client).await["type"], "request_cancelled");
    }
    let refused = exchange(
        &mut expert,
        &format!(r#"{{"type":"connect","id":"{id}","scopes":["view"]}}"#),
    )
    .await;
    assert_eq!(refused["code"], "rate_limited", "{refused}");
    let wait = refused["retry_after_secs"].as_u64().unwrap();
    assert!((1..=20).contains(&wait), "{refused}");
    // The client saw nothing of it: its next message is the reply to its
    // own ping.
    assert_eq!(
        exchange(&mut client, r#"{"type":"ping"}"#).await["type"],
        "pong"
    );
}
