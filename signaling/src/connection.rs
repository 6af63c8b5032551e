//! One task per WebSocket. It owns nothing shared: it parses each frame,
//! answers it, and never panics on what a peer sends.

use axum::extract::ws::{Message, WebSocket};

use crate::protocol::{AppMessage, ErrorCode, PROTOCOL_VERSION, ServerMessage};

pub async fn run(mut socket: WebSocket) {
    let mut greeted = false;
    while let Some(Ok(frame)) = socket.recv().await {
        let reply = match frame {
            Message::Text(text) => handle(&mut greeted, text.as_str()),
            Message::Binary(_) => Some(ServerMessage::error(
                ErrorCode::MalformedMessage,
                "messages are JSON text frames",
            )),
            Message::Close(_) => break,
            Message::Ping(_) | Message::Pong(_) => None,
        };
        if let Some(reply) = reply {
            // Serialising our own enum of strings and numbers cannot fail.
            let json = serde_json::to_string(&reply).expect("server message serialises");
            if socket.send(Message::Text(json.into())).await.is_err() {
                break;
            }
        }
    }
}

fn handle(greeted: &mut bool, text: &str) -> Option<ServerMessage> {
    let message = match serde_json::from_str::<AppMessage>(text) {
        Ok(message) => message,
        Err(error) => {
            return Some(ServerMessage::error(
                ErrorCode::MalformedMessage,
                error.to_string(),
            ));
        }
    };
    match message {
        AppMessage::Hello { version, .. } if version != PROTOCOL_VERSION => {
            Some(ServerMessage::error(
                ErrorCode::UnsupportedVersion,
                format!("this server speaks protocol {PROTOCOL_VERSION}, not {version}"),
            ))
        }
        AppMessage::Hello { .. } => {
            *greeted = true;
            Some(ServerMessage::Welcome {
                version: PROTOCOL_VERSION,
            })
        }
        _ if !*greeted => Some(ServerMessage::error(
            ErrorCode::HelloRequired,
            "the first message must be hello",
        )),
        AppMessage::Ping => Some(ServerMessage::Pong),
    }
}
