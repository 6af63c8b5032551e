//! A connection must open with `hello` at the server's protocol version:
//! the right version is welcomed, a wrong one and anything before hello get
//! an error, and malformed frames get an error without closing the socket.

use futures_util::{SinkExt, StreamExt};
use lifeline_signaling::{Config, serve};
use tokio_tungstenite::tungstenite::Message;

async fn start() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(serve(listener, Config::default(), std::future::pending()));
    format!("ws://{addr}/ws")
}

async fn exchange(
    ws: &mut tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
    send: &str,
) -> serde_json::Value {
    ws.send(Message::text(send)).await.unwrap();
    loop {
        if let Message::Text(text) = ws.next().await.unwrap().unwrap() {
            return serde_json::from_str(&text).unwrap();
        }
    }
}

#[tokio::test]
async fn hello_then_ping() {
    let (mut ws, _) = tokio_tungstenite::connect_async(start().await)
        .await
        .unwrap();
    let reply = exchange(&mut ws, r#"{"type":"ping"}"#).await;
    assert_eq!(reply["code"], "hello_required");
    let reply = exchange(&mut ws, r#"{"type":"hello","version":99,"role":"client"}"#).await;
    assert_eq!(reply["code"], "unsupported_version");
    let reply = exchange(&mut ws, r#"{"type":"hello","version":1,"role":"client"}"#).await;
    assert_eq!(reply, serde_json::json!({"type":"welcome","version":1}));
    let reply = exchange(&mut ws, "{not json").await;
    assert_eq!(reply["code"], "malformed_message");
    let reply = exchange(&mut ws, r#"{"type":"ping"}"#).await;
    assert_eq!(reply["type"], "pong");
}
