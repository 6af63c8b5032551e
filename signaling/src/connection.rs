//! One task per WebSocket. It parses and bounds each frame, answers what it
//! can itself, and asks the hub for everything shared. A peer's input never
//! panics it, and one connection's failure never touches another.

use std::time::Instant;

use axum::extract::ws::{Message, WebSocket};

use crate::hub::{ConnId, HubHandle};
use crate::protocol::{
    AppMessage, ErrorCode, MAX_DESCRIPTION_CHARS, PROTOCOL_VERSION, Role, ServerMessage,
};

pub async fn run(mut socket: WebSocket, conn: ConnId, hub: HubHandle) {
    let mut role: Option<Role> = None;
    while let Some(Ok(frame)) = socket.recv().await {
        let reply = match frame {
            Message::Text(text) => handle(&mut role, conn, &hub, text.as_str()).await,
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
    hub.disconnected(conn).await;
}

async fn handle(
    role: &mut Option<Role>,
    conn: ConnId,
    hub: &HubHandle,
    text: &str,
) -> Option<ServerMessage> {
    let message = match serde_json::from_str::<AppMessage>(text) {
        Ok(message) => message,
        Err(error) => {
            return Some(ServerMessage::error(
                ErrorCode::MalformedMessage,
                error.to_string(),
            ));
        }
    };
    match (message, *role) {
        (AppMessage::Hello { version, .. }, _) if version != PROTOCOL_VERSION => {
            Some(ServerMessage::error(
                ErrorCode::UnsupportedVersion,
                format!("this server speaks protocol {PROTOCOL_VERSION}, not {version}"),
            ))
        }
        (
            AppMessage::Hello {
                role: hello_role, ..
            },
            _,
        ) => {
            *role = Some(hello_role);
            Some(ServerMessage::Welcome {
                version: PROTOCOL_VERSION,
            })
        }
        (_, None) => Some(ServerMessage::error(
            ErrorCode::HelloRequired,
            "the first message must be hello",
        )),
        (AppMessage::Ping, Some(_)) => Some(ServerMessage::Pong),
        (AppMessage::RequestId { description, .. }, Some(Role::Client)) => {
            let chars = description.chars().count();
            if chars > MAX_DESCRIPTION_CHARS {
                return Some(ServerMessage::error(
                    ErrorCode::DescriptionTooLong,
                    format!(
                        "the description has {chars} characters; at most {MAX_DESCRIPTION_CHARS} are allowed"
                    ),
                ));
            }
            Some(match hub.issue_id(conn).await {
                Some(issued) => ServerMessage::IdIssued {
                    id: issued.id.to_string(),
                    expires_in_secs: issued
                        .expires_at
                        .saturating_duration_since(Instant::now())
                        .as_secs(),
                    secret: issued.secret,
                },
                None => ServerMessage::error(
                    ErrorCode::Unavailable,
                    "no client ID is available; try again shortly",
                ),
            })
        }
        (AppMessage::RequestId { .. }, Some(Role::Expert)) => Some(ServerMessage::error(
            ErrorCode::WrongRole,
            "only clients ask for client IDs",
        )),
    }
}
