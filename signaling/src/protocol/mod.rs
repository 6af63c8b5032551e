//! The wire protocol between the app and the signaling server: one tagged
//! enum per direction, JSON text frames. The first message on a connection
//! is `hello` and carries [`PROTOCOL_VERSION`].

use serde::{Deserialize, Serialize};

pub mod client_card;
pub mod recording_name;
pub mod scopes;
pub mod session_id;
pub mod signal;

pub use recording_name::{BadRecordingName, RecordingName};
pub use scopes::{Scope, Scopes};
pub use session_id::{BadSessionId, MAX_SESSION_ID_CHARS, SessionId};
pub use signal::Signal;

pub const PROTOCOL_VERSION: u32 = 1;

/// The longest request description a client may attach (PANTHEON's limit).
pub const MAX_DESCRIPTION_CHARS: usize = 60;

/// The longest notes an expert may attach to a request or a session record.
pub const MAX_NOTES_CHARS: usize = 2000;
/// The longest reason or ticket number an expert may give with a request.
pub const MAX_REASON_CHARS: usize = 100;

/// The client's computer, as shown to the expert and kept in the records.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComputerInfo {
    pub name: String,
    pub os: String,
    pub user: String,
}

/// The longest computer name, OS or user name a client may report.
pub const MAX_COMPUTER_FIELD_CHARS: usize = 128;

impl ComputerInfo {
    /// How a person names this computer: its name, else its user's.
    pub fn display_name(&self) -> String {
        if self.name.is_empty() {
            self.user.clone()
        } else {
            self.name.clone()
        }
    }

    /// The first field over [`MAX_COMPUTER_FIELD_CHARS`], by name.
    pub fn overlong_field(&self) -> Option<&'static str> {
        [("name", &self.name), ("os", &self.os), ("user", &self.user)]
            .into_iter()
            .find(|(_, value)| value.chars().count() > MAX_COMPUTER_FIELD_CHARS)
            .map(|(field, _)| field)
    }
}

/// What the client told the desk about itself, which the expert learns
/// only once the client has accepted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientAbout {
    pub description: String,
    pub computer: ComputerInfo,
}

/// Which side of a support session a connection speaks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Client,
    Expert,
}

/// A STUN or TURN server for both peers, in `RTCIceServer`'s shape. TURN
/// entries carry time-limited credentials.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IceServer {
    pub urls: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential: Option<String>,
}

/// How many requests and sessions one expert's connection may hold at
/// once (a client's: one). A handful of tabs is what a person can follow.
pub const MAX_SESSIONS_PER_EXPERT: usize = 8;

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
    /// A client that reconnected takes its ID back with the secret it got.
    Reclaim {
        id: String,
        secret: String,
    },
    /// A client is done: its ID stops working now.
    ReleaseId,
    /// An expert signs in with the desk's account.
    Login {
        user: String,
        password: String,
        /// The second factor (a TOTP or recovery code), for an account that
        /// has one; without it such an account gets `code_required`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        code: Option<String>,
    },
    /// An expert signs in again with the token from an earlier `signed_in`.
    Resume {
        token: String,
    },
    /// An expert signs out; the token stops working.
    Logout,
    /// An expert asks to reach the client holding `id`. The ID is sent as
    /// typed, so that the server can tell an empty or malformed ID apart.
    Connect {
        id: String,
        #[serde(default)]
        notes: String,
        scopes: Scopes,
        /// The reason or ticket number, shown to the client and kept in the
        /// report; a desk may require one (its policy's `require_reason`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// Either side withdraws a request that is still waiting for an answer.
    Cancel {
        session: SessionId,
    },
    /// The client accepts, granting `scopes` (at most those requested).
    Accept {
        session: SessionId,
        scopes: Scopes,
    },
    /// The client declines.
    Decline {
        session: SessionId,
    },
    /// SDP or ICE for the other peer of an accepted session.
    Signal {
        session: SessionId,
        signal: Signal,
    },
    /// The expert's peer connection is up: the session record's start time.
    Connected {
        session: SessionId,
    },
    /// Either side reports the path its connection chose: the session
    /// record keeps each side's.
    Path {
        session: SessionId,
        path: SessionPath,
    },
    /// The client reports what captures its screen: the session record
    /// keeps it.
    ScreenBackend {
        session: SessionId,
        backend: CaptureBackend,
    },
    /// The expert saved a recording of the session, under `file` in its
    /// session records: the session record names it (each one, in order).
    Recorded {
        session: SessionId,
        file: RecordingName,
    },
    /// The expert amends the notes of a session, during it or after.
    SetNotes {
        session: SessionId,
        notes: String,
    },
    /// Client, before the restart its expert asked for with "restart and
    /// reconnect": a token to come back to this session's expert with.
    HoldForReconnect {
        session: SessionId,
    },
    /// Client, after that restart: the token. The desk asks it again, in
    /// a new session, for the same permissions from the same expert.
    Rejoin {
        token: String,
    },
    /// Either side, on a new connection after its link to the desk
    /// dropped: back in its running session, with the secret from that
    /// session's `session_started`. The desk carries the session's signals
    /// (an ICE restart's) on this connection from now on.
    Reattach {
        session: SessionId,
        secret: String,
    },
    /// Client: the permissions it keeps after withdrawing or re-granting
    /// some during the session; recorded in the desk's audit log.
    Grants {
        session: SessionId,
        scopes: Scopes,
    },
    /// Either side ends the session.
    Bye {
        session: SessionId,
    },
}

impl AppMessage {
    /// The session this message is about, if it names one.
    pub fn session(&self) -> Option<&SessionId> {
        match self {
            AppMessage::Cancel { session }
            | AppMessage::Accept { session, .. }
            | AppMessage::Decline { session }
            | AppMessage::Signal { session, .. }
            | AppMessage::Connected { session }
            | AppMessage::Path { session, .. }
            | AppMessage::ScreenBackend { session, .. }
            | AppMessage::Recorded { session, .. }
            | AppMessage::SetNotes { session, .. }
            | AppMessage::Grants { session, .. }
            | AppMessage::HoldForReconnect { session }
            | AppMessage::Bye { session } => Some(session),
            AppMessage::Hello { .. }
            | AppMessage::Ping
            | AppMessage::RequestId { .. }
            | AppMessage::Reclaim { .. }
            | AppMessage::ReleaseId
            | AppMessage::Login { .. }
            | AppMessage::Resume { .. }
            | AppMessage::Logout
            | AppMessage::Rejoin { .. }
            | AppMessage::Connect { .. } => None,
            AppMessage::Reattach { session, .. } => Some(session),
        }
    }
}

/// The way a session's packets go from one side: peer to peer or
/// through the desk's TURN relay, and over which transport (for a relay,
/// how this side reaches it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionPath {
    pub relayed: bool,
    pub transport: Transport,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Transport {
    Udp,
    Tcp,
    Tls,
}

impl std::fmt::Display for SessionPath {
    /// As the session record keeps it: `direct/udp`, `relay/tcp`, ...
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let how = if self.relayed { "relay" } else { "direct" };
        let transport = match self.transport {
            Transport::Udp => "udp",
            Transport::Tcp => "tcp",
            Transport::Tls => "tls",
        };
        write!(f, "{how}/{transport}")
    }
}

/// What captures a client's screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaptureBackend {
    X11,
    /// The desktop portal's ScreenCast, frames through PipeWire.
    Wayland,
}

impl CaptureBackend {
    /// As the session record keeps it.
    pub fn as_str(self) -> &'static str {
        match self {
            CaptureBackend::X11 => "x11",
            CaptureBackend::Wayland => "wayland",
        }
    }
}

/// Why an expert is no longer signed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignOutReason {
    /// The expert asked to.
    Requested,
    /// No activity for the desk's idle limit (8 hours by default).
    Inactivity,
    /// A desk admin disabled or removed the account or reset its password
    /// (or its owner changed it elsewhere): every sign-in ends at once.
    Revoked,
}

/// How the other side of a session went away.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LeaveReason {
    /// It sent `bye`: someone pressed Stop or Disconnect.
    Bye,
    /// Its connection to the server dropped.
    Disconnected,
}

/// The desk's policy as the apps are told it. The desk enforces it; the
/// apps show it (and a client never relies on the desk alone for its own
/// safety: its own settings can only add to it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeskPolicyInfo {
    /// The desk's name as its admin set it ("" if not set).
    #[serde(default)]
    pub desk_name: String,
    pub consent_timeout_secs: u64,
    /// Clients bind every session with a PIN.
    #[serde(default)]
    pub require_pin: bool,
    /// Every session is recorded.
    #[serde(default)]
    pub record_sessions: bool,
    /// Every request needs a reason or ticket number.
    #[serde(default)]
    pub require_reason: bool,
    /// The permissions an expert may ask for.
    pub allowed_scopes: Scopes,
}

/// Server → app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage {
    Welcome {
        version: u32,
    },
    /// The desk's policy: after `welcome`, and again whenever an admin
    /// changes it.
    Policy {
        policy: DeskPolicyInfo,
    },
    Pong,
    /// The client's new ID (six digits), how long it stays valid, and the
    /// secret that lets the client keep it across a reconnect.
    IdIssued {
        id: String,
        expires_in_secs: u64,
        secret: String,
    },
    /// The client's `reclaim` worked; the ID is on this connection now.
    IdReclaimed {
        id: String,
        expires_in_secs: u64,
    },
    /// The client's ID ended, as it asked.
    IdReleased,
    SignedIn {
        display_name: String,
        token: String,
        idle_timeout_secs: u64,
    },
    SignedOut {
        reason: SignOutReason,
    },
    /// To the expert: the ID belongs to a connected client, which has been
    /// asked. "Remote client located. Waiting for client's connection
    /// approval." Nothing about the client is told before it accepts.
    Located {
        session: SessionId,
        expires_in_secs: u64,
    },
    /// To the client: an expert asks to connect.
    ConnectRequest {
        session: SessionId,
        expert: String,
        notes: String,
        scopes: Scopes,
        expires_in_secs: u64,
        /// The session this one resumes after the client's restart (its
        /// `rejoin`): the same expert, for the same permissions.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        resumes: Option<SessionId>,
        /// The desk records every session (its policy): the expert's app
        /// will record what it sees of the screen.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        recorded: bool,
        /// The reason or ticket number the expert gave.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
        /// The desk's name as its admin set it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        desk: Option<String>,
    },
    /// To the client: the token for its `rejoin` after the restart, valid
    /// for `expires_in_secs` and once.
    ReconnectToken {
        session: SessionId,
        token: String,
        expires_in_secs: u64,
    },
    /// To the expert: the client of `previous` is back after its restart
    /// and is asked again, in `session`.
    Reconnecting {
        previous: SessionId,
        session: SessionId,
        expires_in_secs: u64,
    },
    /// To the expert: the client said no.
    Declined {
        session: SessionId,
    },
    /// To both: the client accepted; signals may flow. The expert's copy
    /// says who the client is (its description and computer).
    SessionStarted {
        session: SessionId,
        scopes: Scopes,
        ice_servers: Vec<IceServer>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        client: Option<ClientAbout>,
        /// This side's secret for `reattach`, should its link drop.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reattach: Option<String>,
        /// The desk records every session: the expert's app records from
        /// the first picture, and cannot stop.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        recorded: bool,
    },
    /// This connection carries `session` again, after a `reattach`.
    Reattached {
        session: SessionId,
    },
    /// The other side of `session` is back on the desk (on a new
    /// connection): signals reach it again.
    PeerBack {
        session: SessionId,
    },
    /// To both: nobody answered within the consent timeout.
    RequestTimedOut {
        session: SessionId,
    },
    /// To the other side: the request was withdrawn before an answer.
    RequestCancelled {
        session: SessionId,
    },
    /// From the other peer of the session.
    Signal {
        session: SessionId,
        signal: Signal,
    },
    /// The other side of the session is gone.
    PeerLeft {
        session: SessionId,
        reason: LeaveReason,
    },
    NotesSaved {
        session: SessionId,
    },
    Error {
        code: ErrorCode,
        message: String,
        /// For `rate_limited`: when trying again can succeed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retry_after_secs: Option<u64>,
        /// The session the refused message named, if it named one: an
        /// expert with several sessions knows which one the error is about.
        /// A refused `connect` names none (it has no session yet).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        session: Option<SessionId>,
    },
}

/// Defines [`ErrorCode`] with its wire names in one list, so `as_str`,
/// `ALL` and serde cannot drift apart.
macro_rules! error_codes {
    ($($(#[doc = $doc:literal])* $variant:ident => $wire:literal,)*) => {
        /// Stable error codes; the app picks its translated text by code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum ErrorCode {
            $($(#[doc = $doc])* #[serde(rename = $wire)] $variant,)*
        }

        impl ErrorCode {
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)*];

            /// The code as it appears on the wire.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $wire,)*
                }
            }
        }
    };
}

error_codes! {
    /// Not JSON, not an object of a known `type`, a binary frame, or a
    /// field out of bounds.
    MalformedMessage => "malformed_message",
    UnsupportedVersion => "unsupported_version",
    HelloRequired => "hello_required",
    /// The message is for the other role (an expert asking for a client ID).
    WrongRole => "wrong_role",
    /// The request description is over [`MAX_DESCRIPTION_CHARS`].
    DescriptionTooLong => "description_too_long",
    /// The notes are over [`MAX_NOTES_CHARS`].
    NotesTooLong => "notes_too_long",
    /// The desk requires a reason or ticket number with every request.
    ReasonRequired => "reason_required",
    /// The reason is too long or holds control characters.
    ReasonInvalid => "reason_invalid",
    /// The desk's policy does not let experts ask for one of the permissions.
    ScopeNotAllowed => "scope_not_allowed",
    /// The server cannot take the request now; try again shortly.
    Unavailable => "unavailable",
    /// The ID or secret of a `reclaim` does not match a live ID.
    ReclaimFailed => "reclaim_failed",
    /// A `rejoin` token is unknown, used or expired, or its expert has
    /// gone; or a `hold_for_reconnect` for no running session.
    ReconnectFailed => "reconnect_failed",
    /// The session to reattach to is over, or the secret is not its.
    ReattachFailed => "reattach_failed",
    /// Wrong user name or password (never says which).
    BadCredentials => "bad_credentials",
    /// The password was right; the account signs in with a second factor:
    /// send `login` again with its `code`.
    CodeRequired => "code_required",
    /// The authentication code is wrong, or was already used.
    BadCode => "bad_code",
    /// An admin disabled this account.
    AccountDisabled => "account_disabled",
    /// An admin reset the password: change it in the desk's console first.
    PasswordChangeRequired => "password_change_required",
    /// The desk requires two-factor sign-in and this account has none yet:
    /// set it up in the desk's console first.
    TwoFactorSetupRequired => "two_factor_setup_required",
    /// The token is unknown, revoked, or expired after inactivity.
    InvalidToken => "invalid_token",
    /// The message needs a signed-in expert.
    NotSignedIn => "not_signed_in",
    /// `connect` with an empty ID.
    IdEmpty => "id_empty",
    /// `connect` with something other than six digits.
    IdInvalid => "id_invalid",
    /// No client holds this ID.
    IdUnknown => "id_unknown",
    /// The ID was already used for a session.
    IdUsed => "id_used",
    /// The client has asked for a newer ID since.
    IdSuperseded => "id_superseded",
    /// The ID is more than an hour old.
    IdExpired => "id_expired",
    /// The client holding the ID is not connected right now.
    ClientOffline => "client_offline",
    /// The client is already answering another request or in a session.
    ClientBusy => "client_busy",
    /// This connection already has a request or session open.
    Busy => "busy",
    /// No such session on this connection (or not yours to touch).
    NoSuchSession => "no_such_session",
    /// The session is still waiting for the client's answer.
    NotAccepted => "not_accepted",
    /// Too many attempts; see `retry_after_secs`.
    RateLimited => "rate_limited",
    /// This address has too many open connections.
    TooManyConnections => "too_many_connections",
}

impl ServerMessage {
    pub fn error(code: ErrorCode, message: impl Into<String>) -> Self {
        ServerMessage::Error {
            code,
            message: message.into(),
            retry_after_secs: None,
            session: None,
        }
    }

    /// This reply answers a message about `session`: an error says so.
    pub fn about(mut self, session: Option<&SessionId>) -> Self {
        if let ServerMessage::Error { session: about, .. } = &mut self
            && about.is_none()
        {
            *about = session.cloned();
        }
        self
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
            json(&ServerMessage::Located {
                session: crate::protocol::SessionId::parse("s1").unwrap(),
                expires_in_secs: 300
            }),
            r#"{"type":"located","session":"s1","expires_in_secs":300}"#
        );
        assert_eq!(
            json(&ServerMessage::SessionStarted {
                session: crate::protocol::SessionId::parse("s1").unwrap(),
                scopes: Scopes::NONE,
                ice_servers: Vec::new(),
                client: Some(ClientAbout {
                    description: "printer".into(),
                    computer: ComputerInfo {
                        name: "pc1".into(),
                        os: "Linux".into(),
                        user: "ann".into()
                    },
                }),
                reattach: Some("5e".into()),
                recorded: false,
            }),
            r#"{"type":"session_started","session":"s1","scopes":[],"ice_servers":[],"client":{"description":"printer","computer":{"name":"pc1","os":"Linux","user":"ann"}},"reattach":"5e"}"#
        );
        assert_eq!(
            json(&ServerMessage::error(ErrorCode::UnsupportedVersion, "v9")),
            r#"{"type":"error","code":"unsupported_version","message":"v9"}"#
        );
    }

    #[test]
    fn golden_json_of_a_way_back() {
        assert_eq!(
            json(&AppMessage::Reattach {
                session: crate::protocol::SessionId::parse("s1").unwrap(),
                secret: "5e".into(),
            }),
            r#"{"type":"reattach","session":"s1","secret":"5e"}"#
        );
        assert_eq!(
            json(&ServerMessage::PeerBack {
                session: crate::protocol::SessionId::parse("s1").unwrap(),
            }),
            r#"{"type":"peer_back","session":"s1"}"#
        );
    }

    #[test]
    fn error_codes_print_as_they_serialise() {
        for &code in ErrorCode::ALL {
            assert_eq!(json(&code), format!("\"{}\"", code.as_str()));
        }
    }

    #[test]
    fn a_path_report_reads_as_the_record_keeps_it() {
        let message: AppMessage = serde_json::from_str(
            r#"{"type":"path","session":"s1","path":{"relayed":true,"transport":"tcp"}}"#,
        )
        .unwrap();
        let AppMessage::Path { session, path } = message else {
            panic!("not a path: {message:?}");
        };
        assert_eq!(session, "s1");
        assert_eq!(path.to_string(), "relay/tcp");
        let direct = SessionPath {
            relayed: false,
            transport: Transport::Udp,
        };
        assert_eq!(direct.to_string(), "direct/udp");
        assert!(
            serde_json::from_str::<SessionPath>(r#"{"relayed":true,"transport":"sctp"}"#).is_err()
        );
    }

    #[test]
    fn a_screen_backend_report_names_one_of_two() {
        let message: AppMessage =
            serde_json::from_str(r#"{"type":"screen_backend","session":"s1","backend":"wayland"}"#)
                .unwrap();
        let AppMessage::ScreenBackend { session, backend } = message else {
            panic!("not a screen backend: {message:?}");
        };
        assert_eq!(session, "s1");
        assert_eq!(backend.as_str(), "wayland");
        assert!(
            serde_json::from_str::<AppMessage>(
                r#"{"type":"screen_backend","session":"s1","backend":"vnc"}"#
            )
            .is_err()
        );
    }

    #[test]
    fn unknown_types_do_not_parse() {
        assert!(serde_json::from_str::<AppMessage>(r#"{"type":"reboot_server"}"#).is_err());
    }
}
