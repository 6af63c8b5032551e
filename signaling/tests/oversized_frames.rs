//! A WebSocket message over the limit (64 KiB), in one frame or in
//! fragments, closes the sender's connection with close code 1009
//! ("message too big"), as the protocol documents.

mod common;

use std::time::Duration;

use common::*;
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{CloseCode, Data, OpCode};

/// The close frame the server sends, waiting at most five seconds.
async fn close_frame(ws: &mut Socket) -> Option<CloseFrame> {
    tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match ws.next().await {
                Some(Ok(Message::Close(frame))) => return frame,
                Some(Ok(_)) => continue,
                other => panic!("ended without a close frame: {other:?}"),
            }
        }
    })
    .await
    .expect("a close frame within 5 s")
}

fn big_request(bytes: usize) -> String {
    format!(
        r#"{{"type":"request_id","description":"{}"}}"#,
        "x".repeat(bytes)
    )
}

#[tokio::test]
async fn one_frame_over_the_limit_is_closed_with_1009() {
    let url = start().await;
    let mut ws = hello(&url, "client").await;
    // Just under the limit is fine (refused as too long a description, but
    // the connection lives).
    let reply = exchange(&mut ws, &big_request(60 * 1024)).await;
    assert_eq!(reply["type"], "error", "{reply}");

    ws.send(Message::text(big_request(70 * 1024)))
        .await
        .unwrap();
    let frame = close_frame(&mut ws).await.expect("a close code");
    assert_eq!(frame.code, CloseCode::Size, "{frame:?}");
    assert_eq!(u16::from(frame.code), 1009);
}

#[tokio::test]
async fn fragments_adding_up_over_the_limit_are_closed_with_1009() {
    let url = start().await;
    let mut ws = hello(&url, "client").await;
    let chunk = vec![b'x'; 20 * 1024];
    let first = Frame::message(
        br#"{"type":"request_id","description":""#.to_vec(),
        OpCode::Data(Data::Text),
        false,
    );
    ws.send(Message::Frame(first)).await.unwrap();
    for _ in 0..4 {
        let more = Frame::message(chunk.clone(), OpCode::Data(Data::Continue), false);
        if ws.send(Message::Frame(more)).await.is_err() {
            break;
        }
    }
    let frame = close_frame(&mut ws).await.expect("a close code");
    assert_eq!(frame.code, CloseCode::Size, "{frame:?}");
}
