//! Hostile input never panics the server and never touches other
//! connections: a 10 MB frame closes only the sender's socket, binary and
//! garbage frames get error replies, and a bystander keeps being served.

mod common;

use common::{exchange, hello, start};
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;

#[tokio::test]
async fn hostile_frames_hurt_only_their_sender() {
    let url = start().await;
    let mut bystander = hello(&url, "client").await;
    let mut attacker = hello(&url, "client").await;

    for junk in [
        "",
        "null",
        "[]",
        "42",
        r#"{"type":42}"#,
        r#"{"type":"hello"}"#,
        "\u{0}\u{1}",
    ] {
        let reply = exchange(&mut attacker, junk).await;
        assert_eq!(reply["code"], "malformed_message", "{junk:?} → {reply}");
    }
    attacker
        .send(Message::binary(vec![0xff, 0xfe, 0x00]))
        .await
        .unwrap();
    let reply = attacker.next().await.unwrap().unwrap();
    assert!(
        reply.to_text().unwrap().contains("malformed_message"),
        "{reply:?}"
    );

    // Ten megabytes: the server drops this connection instead of buffering it.
    let huge = format!(
        r#"{{"type":"request_id","description":"{}"}}"#,
        "x".repeat(10 * 1024 * 1024)
    );
    let _ = attacker.send(Message::text(huge)).await;
    let closed = tokio::time::timeout(std::time::Duration::from_secs(5), async {
        loop {
            match attacker.next().await {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return true,
                Some(Ok(_)) => continue,
            }
        }
    })
    .await
    .unwrap_or(false);
    assert!(closed, "the oversized sender is disconnected");

    let pong = exchange(&mut bystander, r#"{"type":"ping"}"#).await;
    assert_eq!(pong["type"], "pong", "the bystander is still served");
    let id = exchange(&mut bystander, r#"{"type":"request_id"}"#).await;
    assert_eq!(id["type"], "id_issued");
}

#[tokio::test]
async fn invalid_utf8_and_unknown_types_are_refused() {
    use tokio_tungstenite::tungstenite::protocol::frame::Frame;
    use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};

    let url = start().await;
    let mut client = hello(&url, "client").await;
    for unknown in [
        r#"{"type":"reboot_server"}"#,
        r#"{"type":"signal","session":"x","signal":{"kind":"exploit"}}"#,
        r#"{"type":"accept","session":"x","scopes":["root"]}"#,
    ] {
        let reply = exchange(&mut client, unknown).await;
        assert_eq!(reply["code"], "malformed_message", "{unknown} → {reply}");
    }

    // A text frame that is not UTF-8 breaks the WebSocket protocol: the
    // server closes this connection, and only this one.
    let mut bystander = hello(&url, "client").await;
    let frame = Frame::message(vec![b'{', 0xc3, 0x28, b'}'], OpCode::Data(Data::Text), true);
    let _ = client.send(Message::Frame(frame)).await;
    let closed = tokio::time::timeout(std::time::Duration::from_secs(5), async {
        loop {
            match client.next().await {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return true,
                Some(Ok(_)) => continue,
            }
        }
    })
    .await
    .unwrap_or(false);
    assert!(closed);
    let pong = exchange(&mut bystander, r#"{"type":"ping"}"#).await;
    assert_eq!(pong["type"], "pong");
}
