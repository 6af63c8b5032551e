//! Tauri commands for a running session's chat, grants, remote input and
//! log, and for past sessions' transcripts. One line each into the engine.

use tauri::State;

use super::{AppError, AppState};
use crate::input::event::{BadInput, InputEvent};
use crate::recording::library::{self, RecordingEntry};
use crate::session::engine::{Command, LogItem};
use crate::session::log::{LogEntry, check_chat};
use crate::session::scopes::Scopes;
use crate::session::tabs::TabId;
use crate::session::transcript::{self, Header, Summary};
use crate::transfer::remote_fs::{FsError, Listing, RemoteFs};
use crate::transfer::wire::FsOp;

/// The most bytes one shell input may carry (a paste, say): it must fit
/// one message on the shell channel, with room for its envelope.
const MAX_SHELL_INPUT: usize = 32 * 1024;

/// Either side: sends a chat line.
#[tauri::command]
pub async fn session_chat(
    state: State<'_, AppState>,
    tab: Option<TabId>,
    text: String,
) -> Result<(), AppError> {
    check_chat(&text)?;
    Ok(state.session(tab)?.command(Command::Chat(text)).await?)
}

/// Expert: new notes for the session's record at the desk. The desk
/// refuses more than its limit with `notes_too_long`.
#[tauri::command]
pub async fn session_set_notes(
    state: State<'_, AppState>,
    tab: Option<TabId>,
    notes: String,
) -> Result<(), AppError> {
    Ok(state
        .session(tab)?
        .command(Command::SetNotes(notes))
        .await?)
}

/// Client: the permissions in force from now on (withdraw or re-grant).
#[tauri::command]
pub async fn session_set_grants(
    state: State<'_, AppState>,
    tab: Option<TabId>,
    scopes: Scopes,
) -> Result<(), AppError> {
    Ok(state
        .session(tab)?
        .command(Command::SetGrants(scopes))
        .await?)
}

/// Events the view may send in one batch; it sends what queued while the
/// batch before was on its way, which is a handful.
pub const MAX_INPUT_BATCH: usize = 256;

/// Expert: mouse and keyboard events for the client's screen, in the order
/// they happened. The view sends one batch at a time (`inputQueue.ts`):
/// two commands run as two tasks and could overtake each other.
#[tauri::command]
pub async fn remote_input(
    state: State<'_, AppState>,
    tab: Option<TabId>,
    events: Vec<InputEvent>,
) -> Result<(), AppError> {
    if events.len() > MAX_INPUT_BATCH {
        return Err(BadInput::TooMany(events.len()).into());
    }
    for event in &events {
        event.validate()?;
    }
    let session = state.session(tab)?;
    for event in events {
        session.command(Command::Input(event)).await?;
    }
    Ok(())
}

/// Sends this side's clipboard text to the other side once.
#[tauri::command]
pub async fn clipboard_send(
    state: State<'_, AppState>,
    tab: Option<TabId>,
) -> Result<(), AppError> {
    Ok(state.session(tab)?.command(Command::SendClipboard).await?)
}

/// Expert: asks for a new snapshot of the client's computer (the
/// `system_info` permission); it arrives in the session's view.
#[tauri::command]
pub async fn system_info_ask(
    state: State<'_, AppState>,
    tab: Option<TabId>,
) -> Result<(), AppError> {
    Ok(state.session(tab)?.command(Command::AskSystemInfo).await?)
}

/// Sends every clipboard change automatically (opt-in), or stops.
#[tauri::command]
pub async fn clipboard_sync(
    state: State<'_, AppState>,
    tab: Option<TabId>,
    on: bool,
) -> Result<(), AppError> {
    Ok(state
        .session(tab)?
        .command(Command::SetClipboardSync(on))
        .await?)
}

/// Expert: asks the client's computer to restart (the client sees a
/// countdown it can cancel), and (`reconnect`) the session to resume after
/// the restart.
#[tauri::command]
pub async fn reboot_request(
    state: State<'_, AppState>,
    tab: Option<TabId>,
    reconnect: Option<bool>,
) -> Result<(), AppError> {
    let command = Command::RequestReboot {
        reconnect: reconnect.unwrap_or(false),
    };
    Ok(state.session(tab)?.command(command).await?)
}

/// Expert: starts (`on`) or stops recording the client's screen, into a
/// WebM file beside the session's transcript.
#[tauri::command]
pub async fn session_record(
    state: State<'_, AppState>,
    tab: Option<TabId>,
    on: bool,
) -> Result<(), AppError> {
    Ok(state.session(tab)?.command(Command::Record(on)).await?)
}

/// Expert: starts (`on`) or stops showing this computer's screen to the
/// client (reverse view), within `reverse_view`.
#[tauri::command]
pub async fn session_show_my_screen(
    state: State<'_, AppState>,
    tab: Option<TabId>,
    on: bool,
) -> Result<(), AppError> {
    Ok(state
        .session(tab)?
        .command(Command::ShowMyScreen(on))
        .await?)
}

/// Expert: ends the session with the client's screen locked or its user
/// logged out (`lock` or `log_out`); the client confirms how it went.
#[tauri::command]
pub async fn session_end_with(
    state: State<'_, AppState>,
    tab: Option<TabId>,
    action: crate::session::end_action::EndAction,
) -> Result<(), AppError> {
    Ok(state
        .session(tab)?
        .command(Command::EndWith(action))
        .await?)
}

/// Expert: opens a command shell on the client (the `shell` permission),
/// in a terminal of `cols`×`rows`; it shows in the view's `shells`, and
/// what it prints arrives as `session-shell` events.
#[tauri::command]
pub async fn shell_open(
    state: State<'_, AppState>,
    tab: Option<TabId>,
    cols: u16,
    rows: u16,
) -> Result<(), AppError> {
    let command = Command::ShellOpen { cols, rows };
    Ok(state.session(tab)?.command(command).await?)
}

/// Expert: what was typed or pasted into shell `shell`.
#[tauri::command]
pub async fn shell_input(
    state: State<'_, AppState>,
    tab: Option<TabId>,
    shell: u32,
    text: String,
) -> Result<(), AppError> {
    if text.len() > MAX_SHELL_INPUT {
        return Err(BadInput::TooLarge(text.len()).into());
    }
    let command = Command::ShellInput { shell, text };
    Ok(state.session(tab)?.command(command).await?)
}

/// Expert: shell `shell`'s terminal is now `cols`×`rows`.
#[tauri::command]
pub async fn shell_resize(
    state: State<'_, AppState>,
    tab: Option<TabId>,
    shell: u32,
    cols: u16,
    rows: u16,
) -> Result<(), AppError> {
    let command = Command::ShellResize { shell, cols, rows };
    Ok(state.session(tab)?.command(command).await?)
}

/// Expert: ends shell `shell` and all it started.
#[tauri::command]
pub async fn shell_close(
    state: State<'_, AppState>,
    tab: Option<TabId>,
    shell: u32,
) -> Result<(), AppError> {
    Ok(state
        .session(tab)?
        .command(Command::ShellClose { shell })
        .await?)
}

/// Client: cancels the restart countdown.
#[tauri::command]
pub async fn reboot_cancel(state: State<'_, AppState>, tab: Option<TabId>) -> Result<(), AppError> {
    Ok(state.session(tab)?.command(Command::CancelReboot).await?)
}

/// Sends a file or a whole folder (by its path on this computer): into the
/// other side's Downloads, or (expert) `into` a folder of the client's
/// shared folder picked in the file browser.
#[tauri::command]
pub async fn files_send(
    state: State<'_, AppState>,
    tab: Option<TabId>,
    path: String,
    into: Option<String>,
) -> Result<(), AppError> {
    let command = Command::SendFiles {
        path: std::path::PathBuf::from(path),
        into,
    };
    Ok(state.session(tab)?.command(command).await?)
}

/// This computer's files, for the file browser's local pane (the expert
/// picks what to send there): a folder of `LIFELINE_SHARED_DIR`, else of
/// the user's home, and that folder's own path so a picked entry can be
/// sent. Only this app's own user sees this pane; what a peer may reach is
/// the transfer runner's shared folder, never the home.
#[derive(Debug, serde::Serialize)]
pub struct LocalFolder {
    root: String,
    listing: Listing,
}

#[tauri::command]
pub async fn files_local(
    state: State<'_, AppState>,
    path: String,
) -> Result<LocalFolder, AppError> {
    let root = state
        .config
        .shared
        .clone()
        .or_else(dirs::home_dir)
        .ok_or(FsError::Unavailable)?;
    let local = RemoteFs::new(root.clone());
    let listing = tokio::task::spawn_blocking(move || local.list(&path))
        .await
        .map_err(|error| FsError::Io(error.to_string()))??;
    Ok(LocalFolder {
        root: root.display().to_string(),
        listing,
    })
}

/// Expert: a file-browser request to the client's shared folder (list,
/// mkdir, rename, copy, delete, download); the answer arrives in the
/// session view's `remoteFiles`.
#[tauri::command]
pub async fn files_browse(
    state: State<'_, AppState>,
    tab: Option<TabId>,
    op: FsOp,
) -> Result<(), AppError> {
    Ok(state.session(tab)?.command(Command::Browse(op)).await?)
}

/// Cancels a file transfer, either way.
#[tauri::command]
pub async fn transfer_cancel(
    state: State<'_, AppState>,
    tab: Option<TabId>,
    id: u32,
) -> Result<(), AppError> {
    Ok(state
        .session(tab)?
        .command(Command::CancelTransfer(id))
        .await?)
}

/// The running session's log so far; new entries arrive as `session-log`
/// events.
#[tauri::command]
pub async fn session_log(
    state: State<'_, AppState>,
    tab: Option<TabId>,
) -> Result<Vec<LogItem>, AppError> {
    Ok(state.session(tab)?.log().await?)
}

/// Past sessions' transcripts, newest first.
#[tauri::command]
pub fn transcripts(state: State<'_, AppState>) -> Result<Vec<Summary>, AppError> {
    Ok(transcript::list(&state.config.transcripts_dir())
        .map_err(transcript::TranscriptError::from)?)
}

/// Expert: the recordings kept beside the transcripts, newest first.
#[tauri::command]
pub fn recordings(state: State<'_, AppState>) -> Result<Vec<RecordingEntry>, AppError> {
    let dir = state.config.transcripts_dir();
    let transcripts = transcript::list(&dir).unwrap_or_default();
    let mut recordings = library::list(&dir)?;
    for recording in &mut recordings {
        let of = library::transcript_of(&recording.name);
        recording.peer = transcripts
            .iter()
            .find(|t| Some(&t.name) == of.as_ref())
            .map(|t| t.header.peer.clone());
    }
    Ok(recordings)
}

/// Expert: one recording's bytes, for the app's player (raw bytes over
/// IPC, not JSON).
#[tauri::command]
pub fn recording(
    state: State<'_, AppState>,
    name: String,
) -> Result<tauri::ipc::Response, AppError> {
    let bytes = library::read(&state.config.transcripts_dir(), &name)?;
    Ok(tauri::ipc::Response::new(bytes))
}

#[derive(Debug, serde::Serialize)]
pub struct TranscriptView {
    header: Header,
    entries: Vec<LogEntry>,
}

#[tauri::command]
pub fn transcript(state: State<'_, AppState>, name: String) -> Result<TranscriptView, AppError> {
    let (header, entries) = transcript::read(&state.config.transcripts_dir(), &name)?;
    Ok(TranscriptView { header, entries })
}
