//! Errors as the UI sees them: `{"code": "...", "message": "..."}`. The code is
//! stable and machine-readable (the UI picks its translated text by code);
//! the message is English detail for the "details" line and the logs.

use serde::ser::{Serialize, SerializeStruct, Serializer};

use crate::desk::DeskError;
use crate::input::event::BadInput;
use crate::launch::held::LaunchError;
use crate::local_view::socket::ViewSocketError;
use crate::recording::library::LibraryError;
use crate::session::engine::SessionError;
use crate::session::log::BadChat;
use crate::session::pin::PinError;
use crate::session::tabs::TabsError;
use crate::session::transcript::TranscriptError;
use crate::settings::SettingsError;
use crate::transfer::remote_fs::FsError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Settings(#[from] SettingsError),
    #[error(transparent)]
    Desk(#[from] DeskError),
    #[error(transparent)]
    Session(#[from] SessionError),
    #[error("chat message refused: {0}")]
    Chat(#[from] BadChat),
    #[error(transparent)]
    Input(#[from] BadInput),
    #[error(transparent)]
    Transcript(#[from] TranscriptError),
    #[error(transparent)]
    Files(#[from] FsError),
    #[error(transparent)]
    Pin(#[from] PinError),
    #[error(transparent)]
    ScreenSocket(#[from] ViewSocketError),
    /// The window is gone, or its main thread no longer takes work.
    #[error("the window cannot hold the keyboard: {0}")]
    Window(#[from] tauri::Error),
    #[error("finish the current request or session first")]
    Busy,
    #[error(transparent)]
    Tabs(#[from] TabsError),
    #[error(transparent)]
    Recording(#[from] LibraryError),
    #[error(transparent)]
    Launch(#[from] LaunchError),
}

impl AppError {
    /// The stable code the UI switches on.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Settings(SettingsError::Write { .. }) => "settings_write_failed",
            AppError::Settings(SettingsError::UnknownLanguage(_)) => "unknown_language",
            AppError::Settings(SettingsError::Preference(bad)) => bad.code,
            AppError::Busy => "busy",
            AppError::Desk(DeskError::Offline) => "desk_offline",
            AppError::Desk(DeskError::Timeout) => "desk_timeout",
            AppError::Desk(DeskError::NotLinked) => "desk_not_linked",
            // The desk's own code, so the UI shows the matching message.
            AppError::Desk(DeskError::Refused { code, .. }) => code.as_str(),
            AppError::Session(SessionError::Stopped) => "session_stopped",
            AppError::Session(SessionError::RequestChanged) => "request_changed",
            AppError::Chat(BadChat::Empty) => "chat_empty",
            AppError::Chat(BadChat::TooLong) => "chat_too_long",
            AppError::Input(_) => "bad_input",
            AppError::Transcript(TranscriptError::NotFound(_)) => "transcript_not_found",
            AppError::Transcript(TranscriptError::NotATranscript(_)) => "not_a_transcript",
            AppError::Transcript(TranscriptError::Io(_)) => "transcript_unreadable",
            AppError::Files(error) => error.code(),
            AppError::Pin(error) => error.code(),
            AppError::ScreenSocket(_) => "screen_socket",
            AppError::Window(_) => "window_unavailable",
            AppError::Tabs(TabsError::Session(SessionError::Stopped)) => "session_stopped",
            AppError::Tabs(TabsError::Session(SessionError::RequestChanged)) => "request_changed",
            AppError::Tabs(TabsError::NoSuchTab) => "no_such_tab",
            AppError::Tabs(TabsError::OneOnly) => "one_session_only",
            AppError::Tabs(TabsError::TooMany) => "too_many_sessions",
            AppError::Tabs(TabsError::LastTab) => "last_tab",
            AppError::Tabs(TabsError::RequestInFlight) => "request_in_flight",
            AppError::Recording(error) => error.code(),
            AppError::Launch(error) => error.code(),
        }
    }
}

impl Serialize for AppError {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("AppError", 2)?;
        s.serialize_field("code", self.code())?;
        s.serialize_field("message", &self.to_string())?;
        s.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crosses_to_the_ui_as_code_and_message() {
        let error = AppError::from(SettingsError::UnknownLanguage("xx".into()));
        assert_eq!(
            serde_json::to_string(&error).unwrap(),
            r#"{"code":"unknown_language","message":"unsupported language \"xx\""}"#
        );
    }

    #[test]
    fn the_desks_refusals_keep_the_desks_code() {
        let error = AppError::from(DeskError::Refused {
            code: lifeline_signaling::protocol::ErrorCode::DescriptionTooLong,
            message: "61 characters".into(),
        });
        assert_eq!(
            serde_json::to_string(&error).unwrap(),
            r#"{"code":"description_too_long","message":"the support desk refused: 61 characters"}"#
        );
        assert_eq!(
            serde_json::to_value(AppError::from(DeskError::Offline)).unwrap()["code"],
            "desk_offline"
        );
    }

    #[test]
    fn an_answer_to_a_replaced_request_says_so() {
        assert_eq!(
            serde_json::to_string(&AppError::from(SessionError::RequestChanged)).unwrap(),
            r#"{"code":"request_changed","message":"the request on screen is no longer the one waiting for an answer"}"#
        );
    }

    #[test]
    fn write_failures_name_the_file() {
        let error = AppError::from(SettingsError::Write {
            path: "/ro/settings.json".into(),
            source: std::io::Error::from(std::io::ErrorKind::PermissionDenied),
        });
        let json: serde_json::Value = serde_json::to_value(&error).unwrap();
        assert_eq!(json["code"], "settings_write_failed");
        assert!(
            json["message"]
                .as_str()
                .unwrap()
                .contains("/ro/settings.json")
        );
    }
}
