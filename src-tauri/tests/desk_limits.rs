//! A hostile desk cannot make the app buffer a huge message. A small
//! WebSocket server stands in for the desk: it greets the app, sends a
//! message just under the 64 KiB limit (delivered), then one over it. The
//! link drops that connection, reports why in its status, and links up
//! again; nothing panics.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use lifeline_lib::desk::DeskStatus;
use lifeline_lib::desk::link::{self, MAX_DESK_MESSAGE};
use lifeline_signaling::protocol::{Role, ServerMessage, Signal};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;

fn offer_of(len: usize) -> ServerMessage {
    ServerMessage::Signal {
        session: lifeline_signaling::protocol::SessionId::parse("s").unwrap(),
        signal: Signal::Offer {
            sdp: "v".repeat(len),
        },
    }
}

/// Serves every connection: hello, welcome, then (the first time only) a
/// message that fits and one that does not. Counts the connections.
async fn hostile_desk() -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}/ws", listener.local_addr().unwrap());
    let accepted = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&accepted);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let first = counter.fetch_add(1, Ordering::SeqCst) == 0;
            tokio::spawn(async move {
                let mut ws = tokio_tungstenite::accept_async(stream).await.unwrap();
                let _hello = ws.next().await;
                let welcome = ServerMessage::Welcome { version: 1 };
                let text = |m: &ServerMessage| Message::text(serde_json::to_string(m).unwrap());
                ws.send(text(&welcome)).await.unwrap();
                if first {
                    let fits = offer_of(MAX_DESK_MESSAGE - 100);
                    ws.send(text(&fits)).await.unwrap();
                    let huge = offer_of(4 * MAX_DESK_MESSAGE);
                    // The app may hang up while this is still being written.
                    let _ = ws.send(text(&huge)).await;
                }
                // Stay open: what ends the connection is the app.
                while let Some(Ok(_)) = ws.next().await {}
            });
        }
    });
    (url, accepted)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_desk_message_ends_the_link_and_it_links_up_again() {
    let (url, accepted) = hostile_desk().await;
    let (link, mut events) = link::spawn(url, Role::Client);
    let mut status = link.subscribe();

    let delivered = tokio::time::timeout(Duration::from_secs(10), events.recv())
        .await
        .expect("the message under the limit arrives")
        .unwrap();
    assert!(matches!(delivered, ServerMessage::Signal { .. }));

    let dropped = tokio::time::timeout(
        Duration::from_secs(10),
        status.wait_for(|s| matches!(s, DeskStatus::Offline { .. })),
    )
    .await
    .expect("the link drops the connection")
    .unwrap()
    .clone();
    let DeskStatus::Offline { reason, .. } = dropped else {
        unreachable!()
    };
    assert!(
        reason.contains("over the 65536-byte limit"),
        "the status says why: {reason}"
    );
    assert!(
        events.try_recv().is_err(),
        "nothing of the huge message reaches the engine"
    );

    tokio::time::timeout(
        Duration::from_secs(10),
        status.wait_for(|s| *s == DeskStatus::Connected),
    )
    .await
    .expect("the link links up again")
    .unwrap();
    assert_eq!(accepted.load(Ordering::SeqCst), 2);
}
