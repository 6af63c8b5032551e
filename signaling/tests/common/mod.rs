//! Shared by the integration tests: a real server on port 0 and a raw
//! WebSocket client that speaks JSON to it.

// Each test binary uses its own subset of these helpers.
#![allow(dead_code)]

use futures_util::{SinkExt, StreamExt};
use lifeline_signaling::{Config, serve};
use tokio_tungstenite::tungstenite::Message;

pub type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Starts a server on a free loopback port; returns its WebSocket URL.
pub async fn start() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(serve(listener, Config::default(), std::future::pending()));
    format!("ws://{addr}/ws")
}

pub async fn connect(url: &str) -> Socket {
    tokio_tungstenite::connect_async(url).await.unwrap().0
}

/// Sends one text frame and returns the next JSON reply.
pub async fn exchange(ws: &mut Socket, send: &str) -> serde_json::Value {
    ws.send(Message::text(send)).await.unwrap();
    loop {
        if let Message::Text(text) = ws.next().await.unwrap().unwrap() {
            return serde_json::from_str(&text).unwrap();
        }
    }
}

/// Connects and completes the hello as `role`.
pub async fn hello(url: &str, role: &str) -> Socket {
    let mut ws = connect(url).await;
    let reply = exchange(
        &mut ws,
        &format!(r#"{{"type":"hello","version":1,"role":"{role}"}}"#),
    )
    .await;
    assert_eq!(reply["type"], "welcome");
    ws
}
