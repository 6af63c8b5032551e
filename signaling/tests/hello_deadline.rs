//! A WebSocket must say a valid `hello` within the configured deadline: one
//! that says nothing, or only other things, is closed when it passes; one
//! that said hello stays open past it.

mod common;

use std::time::{Duration, Instant};

use common::*;
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;

const DEADLINE: Duration = Duration::from_millis(800);

/// Waits (at most 5 s) until the server ends `ws`; returns when it did.
async fn ended(ws: &mut Socket) -> Instant {
    tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match ws.next().await {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return Instant::now(),
                Some(Ok(_)) => continue,
            }
        }
    })
    .await
    .expect("the server closes the connection")
}

#[tokio::test]
async fn a_websocket_without_hello_is_closed_at_the_deadline() {
    let server = TestServer::start_with(|c| c.hello_timeout = DEADLINE).await;
    let started = Instant::now();
    let mut silent = connect(&server.url).await;
    let mut chatty = connect(&server.url).await;
    let mut greeted = hello(&server.url, "client").await;

    // The chatty one keeps sending, but never hello: every frame is
    // refused, and activity does not buy it time.
    let chatter = tokio::spawn(async move {
        let mut replies = 0;
        loop {
            if chatty
                .send(Message::text(r#"{"type":"ping"}"#))
                .await
                .is_err()
            {
                return (chatty, replies);
            }
            match tokio::time::timeout(Duration::from_millis(150), chatty.next()).await {
                Ok(Some(Ok(Message::Text(text)))) => {
                    assert!(text.contains("hello_required"), "{text}");
                    replies += 1;
                }
                Ok(Some(Ok(_))) | Err(_) => {}
                Ok(None | Some(Err(_))) => return (chatty, replies),
            }
        }
    });

    let silent_end = ended(&mut silent).await.duration_since(started);
    assert!(
        silent_end >= DEADLINE - Duration::from_millis(50) && silent_end < DEADLINE * 3,
        "closed after {silent_end:?}"
    );
    let (_, replies) = tokio::time::timeout(Duration::from_secs(3), chatter)
        .await
        .expect("the chatty connection is closed too")
        .unwrap();
    assert!(replies >= 2, "it was answered while it lasted ({replies})");

    // The one that said hello is still served after the deadline.
    tokio::time::sleep(DEADLINE).await;
    let pong = exchange(&mut greeted, r#"{"type":"ping"}"#).await;
    assert_eq!(pong["type"], "pong");
}
