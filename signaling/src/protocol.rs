//! The wire protocol between the app and the signaling server: one tagged
//! enum per direction, JSON text frames. The first message on a connection
//! is `hello` and carries [`PROTOCOL_VERSION`].

use serde::{Deserialize, Serialize};

pub const PROTOCOL_VERSION: u32 = 1;

/// Which side of a support session a connection speaks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Client,
    Expert,
}

/// App → server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum AppMessage {
    Hello { version: u32, role: Role },
    Ping,
}

/// Server → app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage {
    Welcome { version: u32 },
    Pong,
    Error { code: ErrorCode, message: String },
}

/// Stable error codes; the app picks its translated text by code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    MalformedMessage,
    UnsupportedVersion,
    HelloRequired,
}

impl ServerMessage {
    pub fn error(code: ErrorCode, message: impl Into<String>) -> Self {
        ServerMessage::Error {
            code,
            message: message.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json<T: Serialize>(value: &T) -> String {
        serde_json::to_string(value).unwrap()
    }

    #[test]
    fn golden_json() {
        assert_eq!(
            json(&AppMessage::Hello {
                version: 1,
                role: Role::Client
            }),
            r#"{"type":"hello","version":1,"role":"client"}"#
        );
        assert_eq!(json(&AppMessage::Ping), r#"{"type":"ping"}"#);
        assert_eq!(
            json(&ServerMessage::Welcome { version: 1 }),
            r#"{"type":"welcome","version":1}"#
        );
        assert_eq!(json(&ServerMessage::Pong), r#"{"type":"pong"}"#);
        assert_eq!(
            json(&ServerMessage::error(ErrorCode::UnsupportedVersion, "v9")),
            r#"{"type":"error","code":"unsupported_version","message":"v9"}"#
        );
    }

    #[test]
    fn unknown_types_do_not_parse() {
        assert!(serde_json::from_str::<AppMessage>(r#"{"type":"reboot_server"}"#).is_err());
    }
}
