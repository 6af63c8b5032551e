//! The wire protocol between the app and the signaling server: one tagged
//! enum per direction, JSON text frames. The first message on a connection
//! is `hello` and carries [`PROTOCOL_VERSION`].

use serde::{Deserialize, Serialize};

pub const PROTOCOL_VERSION: u32 = 1;

/// The longest request description a client may attach (PANTHEON's limit).
pub const MAX_DESCRIPTION_CHARS: usize = 60;

/// The client's computer, as shown to the expert and kept in the records.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComputerInfo {
    pub name: String,
    pub os: String,
    pub user: String,
}

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
    Hello {
        version: u32,
        role: Role,
    },
    Ping,
    /// A client asks for a one-time ID; any earlier ID it held stops working.
    RequestId {
        #[serde(default)]
        description: String,
        #[serde(default)]
        computer: ComputerInfo,
    },
}

/// Server → app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage {
    Welcome {
        version: u32,
    },
    Pong,
    /// The client's new ID (six digits), how long it stays valid, and the
    /// secret that lets the client keep it across a reconnect.
    IdIssued {
        id: String,
        expires_in_secs: u64,
        secret: String,
    },
    Error {
        code: ErrorCode,
        message: String,
    },
}

/// Stable error codes; the app picks its translated text by code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    MalformedMessage,
    UnsupportedVersion,
    HelloRequired,
    /// The message is for the other role (an expert asking for a client ID).
    WrongRole,
    /// The request description is over [`MAX_DESCRIPTION_CHARS`].
    DescriptionTooLong,
    /// The server cannot take the request now; try again shortly.
    Unavailable,
}

impl ErrorCode {
    /// The code as it appears on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::MalformedMessage => "malformed_message",
            ErrorCode::UnsupportedVersion => "unsupported_version",
            ErrorCode::HelloRequired => "hello_required",
            ErrorCode::WrongRole => "wrong_role",
            ErrorCode::DescriptionTooLong => "description_too_long",
            ErrorCode::Unavailable => "unavailable",
        }
    }
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
            json(&AppMessage::RequestId {
                description: "printer".into(),
                computer: ComputerInfo {
                    name: "pc1".into(),
                    os: "Linux".into(),
                    user: "ann".into()
                },
            }),
            r#"{"type":"request_id","description":"printer","computer":{"name":"pc1","os":"Linux","user":"ann"}}"#
        );
        assert_eq!(
            serde_json::from_str::<AppMessage>(r#"{"type":"request_id"}"#).unwrap(),
            AppMessage::RequestId {
                description: String::new(),
                computer: ComputerInfo::default()
            }
        );
        assert_eq!(
            json(&ServerMessage::IdIssued {
                id: "048213".into(),
                expires_in_secs: 3600,
                secret: "ab".into()
            }),
            r#"{"type":"id_issued","id":"048213","expires_in_secs":3600,"secret":"ab"}"#
        );
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
    fn error_codes_print_as_they_serialise() {
        for code in [
            ErrorCode::MalformedMessage,
            ErrorCode::UnsupportedVersion,
            ErrorCode::HelloRequired,
            ErrorCode::WrongRole,
            ErrorCode::DescriptionTooLong,
            ErrorCode::Unavailable,
        ] {
            assert_eq!(json(&code), format!("\"{}\"", code.as_str()));
        }
    }

    #[test]
    fn unknown_types_do_not_parse() {
        assert!(serde_json::from_str::<AppMessage>(r#"{"type":"reboot_server"}"#).is_err());
    }
}
