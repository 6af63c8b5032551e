//! Readers for the peers' data channels. Each runs on its own task, parses
//! and validates what arrives, and reports to the engine; the engine alone
//! decides what a message may do. Malformed messages are logged and dropped
//! here: they never reach the engine and never end the session.

use lifeline_signaling::protocol::SessionId;
use std::sync::Arc;

use tokio::sync::mpsc;

use super::super::control::{ControlMessage, PROTOCOL_VERSION};
use crate::cursor::{CursorMessage, CursorView};
use crate::input::event::InputEvent;
use crate::peer::{Channel, Incoming};
use crate::shell::ShellMessage;
use crate::transfer::runner::Report;

/// The reliable, ordered channel for control and chat.
pub const CONTROL_CHANNEL: &str = "control";
/// The reliable, ordered channel for the expert's mouse and keyboard.
pub const INPUT_CHANNEL: &str = "input";
/// The reliable, ordered channel for file transfers, both ways.
pub const FILES_CHANNEL: &str = "files";

/// The reliable, ordered channel for command shells (only when the expert
/// asks for `shell`).
pub const SHELL_CHANNEL: &str = "shell";

/// The unordered, never-retransmitted channel for the client's pointer
/// (client → expert; see `cursor`).
pub const CURSOR_CHANNEL: &str = "cursor";

/// What a channel reader reports, tagged with its session.
#[derive(Debug)]
pub enum ChannelEvent {
    Control(ControlMessage),
    ControlClosed,
    Input(InputEvent),
    /// Automatic sync saw a new copy on this side's clipboard.
    LocalClipboard(crate::clipboard::content::ClipContent),
    /// News from the file transfers.
    Transfer(Report),
    /// Expert: the screen's first frame went to the sink (Unix ms).
    FirstFrame {
        at_ms: u64,
    },
    /// The path the connection chose, once the statistics show it.
    Path(crate::peer::path::NetworkPath),
    /// Client: the screen cannot be captured (`Some`: why), or can again.
    ScreenProblem(Option<crate::media::capture::CaptureProblem>),
    /// Client: remote control number `attempt` cannot reach the desktop's
    /// input; the reason says why.
    ControlUnavailable {
        attempt: u64,
        reason: String,
    },
    /// Client: the snapshot of the computer the expert asked for, taken.
    SystemInfoTaken(Box<crate::system_info::SystemSnapshot>),
    /// A message on the shell channel, from the other side.
    Shell(crate::shell::ShellMessage),
    /// Expert: the shell channel opened; what waited can be sent.
    ShellReady,
    /// Client: one of its shells ended (`code`: its exit status).
    ShellEnded {
        shell: crate::shell::protocol::ShellId,
        code: Option<u32>,
    },
    /// Client: the end action the expert chose ran (`Err`: why not).
    EndActionDone {
        action: crate::session::end_action::EndAction,
        result: Result<(), String>,
    },
}

pub type ChannelReports = mpsc::Sender<(SessionId, ChannelEvent)>;

/// Sends this side's hello on `channel`.
pub async fn say_hello(channel: &Channel) {
    let hello = ControlMessage::Hello {
        version: PROTOCOL_VERSION,
    };
    if let Err(error) = channel.send_text(&hello.to_json()).await {
        tracing::debug!(%error, "hello not sent");
    }
}

/// Reads the control channel. `hello_on_open`: the side that created the
/// channel says hello once it opens (the other side does on receiving it).
pub fn watch_control(
    reports: ChannelReports,
    session: SessionId,
    channel: Channel,
    hello_on_open: bool,
) {
    tokio::spawn(async move {
        loop {
            let event = match channel.next().await {
                Incoming::Open if hello_on_open => {
                    say_hello(&channel).await;
                    continue;
                }
                Incoming::Message { data, .. } => match ControlMessage::parse(&data) {
                    Ok(message) => ChannelEvent::Control(message),
                    Err(error) => {
                        tracing::warn!(%error, "malformed control message dropped");
                        continue;
                    }
                },
                Incoming::Closed => ChannelEvent::ControlClosed,
                Incoming::Open => continue,
            };
            let closed = matches!(event, ChannelEvent::ControlClosed);
            if reports.send((session.clone(), event)).await.is_err() || closed {
                break;
            }
        }
    });
}

/// Reads the input channel (client side).
pub fn watch_input(reports: ChannelReports, session: SessionId, channel: Channel) {
    tokio::spawn(async move {
        loop {
            match channel.next().await {
                Incoming::Message { data, .. } => match InputEvent::parse(&data) {
                    Ok(event) => {
                        let report = (session.clone(), ChannelEvent::Input(event));
                        if reports.send(report).await.is_err() {
                            break;
                        }
                    }
                    Err(error) => tracing::warn!(%error, "input message dropped"),
                },
                Incoming::Closed => break,
                Incoming::Open => {}
            }
        }
    });
}

/// Expert: reads the cursor channel and shows each valid message at once
/// (no trip through the engine: a pointer position is stale in
/// milliseconds). What the client sends there is its business: it sends
/// only while `view` is granted. Bad messages are dropped, never fatal.
pub fn watch_cursor(channel: Channel, view: Arc<dyn CursorView>) {
    view.forget();
    tokio::spawn(async move {
        let mut refused = 0u64;
        loop {
            match channel.next().await {
                Incoming::Message { data, .. } => {
                    match CursorMessage::parse(&data) {
                        Ok(message) => view.show(&message),
                        Err(error) => {
                            refused += 1;
                            // The first few say why; the rest are counted.
                            if refused <= 3 {
                                tracing::warn!(%error, "cursor message dropped");
                            }
                        }
                    }
                }
                Incoming::Closed => break,
                Incoming::Open => {}
            }
        }
        if refused > 0 {
            tracing::info!(refused, "cursor messages dropped in this session");
        }
    });
}

/// Client: a writer for the cursor channel; messages sent to the returned
/// sender go out in order until the channel closes. Whatever the expert
/// sends on it is read and ignored.
pub fn send_cursor(channel: Channel) -> mpsc::Sender<CursorMessage> {
    let (sender, mut messages) = mpsc::channel::<CursorMessage>(crate::cursor::share::QUEUE);
    tokio::spawn(async move {
        loop {
            tokio::select! {
                message = messages.recv() => {
                    let Some(message) = message else { break };
                    if let Err(error) = channel.send_text(&message.to_json()).await {
                        tracing::debug!(%error, "cursor message not sent");
                    }
                }
                event = channel.next() => {
                    if event == Incoming::Closed {
                        break;
                    }
                }
            }
        }
    });
    sender
}

/// Reads the shell channel, either side. Malformed messages are dropped.
pub fn watch_shell(reports: ChannelReports, session: SessionId, channel: Channel) {
    tokio::spawn(async move {
        loop {
            match channel.next().await {
                Incoming::Message { data, .. } => match ShellMessage::parse(&data) {
                    Ok(message) => {
                        let report = (session.clone(), ChannelEvent::Shell(message));
                        if reports.send(report).await.is_err() {
                            break;
                        }
                    }
                    Err(error) => tracing::warn!(%error, "shell message dropped"),
                },
                Incoming::Closed => break,
                Incoming::Open => {
                    if reports
                        .send((session.clone(), ChannelEvent::ShellReady))
                        .await
                        .is_err()
                    {
                        break;
                    }
                }
            }
        }
    });
}

/// Client: writes what its shells print, and their answers, to the shell
/// channel in order; tells the engine when a shell ended.
pub fn write_shell(
    reports: ChannelReports,
    session: SessionId,
    channel: Channel,
    mut out: mpsc::Receiver<ShellMessage>,
) {
    tokio::spawn(async move {
        while let Some(message) = out.recv().await {
            if let ShellMessage::Exited { shell, code } = message {
                let ended = ChannelEvent::ShellEnded { shell, code };
                let _ = reports.send((session.clone(), ended)).await;
            }
            if let Err(error) = channel.send_text(&message.to_json()).await {
                tracing::debug!(%error, "shell message not sent");
            }
        }
    });
}
