//! The session engine: one task per app around the session's
//! [negotiation](crate::session::negotiation). The negotiation decides
//! (where the request and the consent stand, when a peer may start, what
//! the view's phase is); the engine owns what does I/O (the desk link, the
//! WebRTC peer, its channels and the session's media) and carries out the
//! negotiation's effects. It publishes a [`SessionView`] on every change.
//!
//! Consent is enforced by the negotiation: a client's peer starts only for
//! a session whose request its user accepted, and every signal for any
//! other session is ignored here, so no offer is ever answered without the
//! client's Accept. Once the peers are connected nothing depends on the
//! desk: the session ends on Stop, on the peer's `bye` over the control
//! channel, or when the connection fails, and survives the desk going away.

mod channels;
mod clipboard;
mod control_in;
mod desk;
mod end_action;
mod files;
mod peer_events;
mod pin;
mod pointer;
mod reboot;
mod recording;
mod recover;
mod remote;
mod reverse;
mod shell;
mod system_info;
mod talk;

use crate::session::log::EventCode;
use std::path::PathBuf;
use std::sync::Arc;

use lifeline_signaling::protocol::{AppMessage, Role, Scopes, SessionId};
use tokio::sync::{broadcast, mpsc, oneshot, watch};
use tokio::task::JoinHandle;

use self::channels::ChannelEvent;
pub use self::channels::{
    CONTROL_CHANNEL, CURSOR_CHANNEL, FILES_CHANNEL, INPUT_CHANNEL, SHELL_CHANNEL,
};
use super::control::ControlMessage;
use super::deadlines::{Deadlines, Due};
use super::grants::Grants;
use super::log::{LogEntry, SessionLog};
pub use super::negotiation::Answer;
use super::negotiation::{Effect, Input, Negotiation, Now};
use super::reboot::RebootPlan;
use super::screen_share::{CapturerFactory, ScreenShare};
use super::screen_view;
use super::view::{Notice, Phase, SessionNotes, SessionView};
use crate::clipboard::backend::ClipboardFactory;
use crate::clipboard::owner::ClipboardOwner;
use crate::desk::link::{DeskClient, DeskEvents};
use crate::input::event::InputEvent;
use crate::input::injector::InjectorFactory;
use crate::input::remote_control::RemoteControl;
use crate::input::sender::InputSender;
use crate::media::capture::MonitorInfo;
use crate::media::quality::Quality;
use crate::media::sink::FrameSink;
use crate::peer::{Peer, PeerEvent, PeerSettings};
use crate::session::notice::NoticeCode;
use crate::transfer::wire::FsOp;
pub use shell::ShellOutput;

/// What the UI asks the engine to do.
#[derive(Debug)]
pub enum Command {
    Login {
        user: String,
        password: String,
        /// The second factor, once the desk asked for it.
        code: Option<String>,
    },
    Logout,
    Connect {
        id: String,
        notes: String,
        /// The reason or ticket number (a desk may require one).
        reason: Option<String>,
        scopes: Scopes,
        /// The client's PIN, when its screen shows one.
        pin: Option<String>,
    },
    /// Client: the PIN shown with the ID just issued (`None`: none).
    UsePin(Option<String>),
    /// Withdraw the pending request (expert) or close the dialog (client).
    Cancel,
    /// Client: the answer to the request the person read, named by its
    /// session; refused with [`SessionError::RequestChanged`] when another
    /// request has taken its place (see `answer.rs`).
    Answer {
        session: String,
        answer: Answer,
        reply: oneshot::Sender<Result<(), SessionError>>,
    },
    /// End the running session.
    Stop,
    /// Expert: show another of the client's monitors.
    SelectMonitor(usize),
    /// Expert: another quality preset.
    SetQuality(Quality),
    /// The viewer's decoder needs a keyframe (it fell behind, failed, or
    /// frames were lost on the way to it): the expert's of the client's
    /// screen, the client's of the expert's.
    RequestKeyframe,
    /// A viewer opened: the frames since the newest keyframe at once, then
    /// a keyframe.
    CatchUp,
    /// Either side: a chat line (already checked with `check_chat`).
    Chat(String),
    /// Client: the permissions in force from now on (withdraw or re-grant).
    SetGrants(Scopes),
    /// Expert: mouse or keyboard input for the client's screen.
    Input(InputEvent),
    /// The running session's log so far.
    Log(oneshot::Sender<Vec<LogItem>>),
    /// Sends this side's clipboard text once.
    SendClipboard,
    /// Expert: asks for a snapshot of the client's computer.
    AskSystemInfo,
    /// Expert: ends the session with the client's screen locked or its
    /// user logged out.
    EndWith(crate::session::end_action::EndAction),
    /// Expert: opens a command shell on the client, `cols`×`rows`.
    ShellOpen {
        cols: u16,
        rows: u16,
    },
    /// Expert: types `text` into shell `shell`.
    ShellInput {
        shell: crate::shell::protocol::ShellId,
        text: String,
    },
    /// Expert: shell `shell`'s terminal is now `cols`×`rows`.
    ShellResize {
        shell: crate::shell::protocol::ShellId,
        cols: u16,
        rows: u16,
    },
    /// Expert: starts (`true`) or stops recording the screen.
    Record(bool),
    /// Expert: starts (`true`) or stops showing its own screen to the
    /// client (reverse view).
    ShowMyScreen(bool),
    /// Client: the window with the expert's screen closed.
    CloseExpertScreen,
    /// Expert: ends shell `shell`.
    ShellClose {
        shell: crate::shell::protocol::ShellId,
    },
    /// Expert: asks the client's computer to restart, and (`reconnect`)
    /// the session to resume after it.
    RequestReboot {
        reconnect: bool,
    },
    /// Client: cancels the restart countdown.
    CancelReboot,
    /// Sends a file or a whole folder to the other side: into its Downloads,
    /// or (expert) `into` a folder of the client's shared folder.
    SendFiles {
        path: PathBuf,
        into: Option<String>,
    },
    /// Expert: a file-browser request to the client's shared folder.
    Browse(FsOp),
    /// Cancels a transfer, either way.
    CancelTransfer(u32),
    /// Sends clipboard changes automatically, or stops.
    SetClipboardSync(bool),
    /// Where received files go, from the next session on.
    SetDownloads(PathBuf),
    /// Client: the folder shared from the next transfer session on.
    SetShared(PathBuf),
    /// Expert: new notes for the session's record at the desk.
    SetNotes(String),
}

/// A log entry as the UI receives it: numbered within its session, so a
/// snapshot and the live events can be merged without duplicates.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LogItem {
    pub session: SessionId,
    pub seq: usize,
    #[serde(flatten)]
    pub entry: LogEntry,
}

/// What the engine reaches the system through: where the client's images
/// come from and its input goes, where the expert's frames go, and where
/// transcripts are kept.
#[derive(Clone)]
pub struct Backends {
    pub capturers: CapturerFactory,
    pub sink: Arc<dyn FrameSink>,
    pub injector: InjectorFactory,
    pub clipboard: ClipboardFactory,
    /// Client: how to restart the computer.
    pub reboot: RebootPlan,
    /// Client: how to lock the screen or log out as a session ends.
    pub end_actions: crate::session::end_action::EndActions,
    /// Client: where "restart and reconnect" keeps its grant through the
    /// restart (`None`: it cannot; a restart is then only a restart).
    pub reconnect: Option<Arc<crate::session::reconnect::ReconnectStore>>,
    /// Where received files are saved.
    pub downloads: PathBuf,
    /// Client: the folder the expert's file browser may work in (`None`:
    /// none).
    pub shared: Option<PathBuf>,
    /// `None`: keep no transcripts.
    pub transcripts: Option<PathBuf>,
    /// Client: where its pointer comes from; expert: where it is shown.
    pub pointer: crate::cursor::PointerBackends,
}

impl std::fmt::Debug for Backends {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Backends")
            .field("transcripts", &self.transcripts)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    #[error("the session engine has stopped")]
    Stopped,
    /// The answer named a request that is no longer the one waiting: it
    /// was withdrawn, timed out or replaced. The UI shows what is pending
    /// now; nothing was accepted.
    #[error("the request on screen is no longer the one waiting for an answer")]
    RequestChanged,
}

/// The UI's handle to the engine. Dropping it ends the engine, which
/// closes any running session.
#[derive(Debug)]
pub struct SessionHandle {
    commands: mpsc::Sender<Command>,
    view: watch::Receiver<SessionView>,
    log: broadcast::Sender<LogItem>,
    shell: broadcast::Sender<ShellOutput>,
}

impl SessionHandle {
    pub async fn command(&self, command: Command) -> Result<(), SessionError> {
        self.commands
            .send(command)
            .await
            .map_err(|_| SessionError::Stopped)
    }

    pub fn view(&self) -> SessionView {
        self.view.borrow().clone()
    }

    pub fn subscribe(&self) -> watch::Receiver<SessionView> {
        self.view.clone()
    }

    /// Every new entry of the running session's log.
    pub fn subscribe_log(&self) -> broadcast::Receiver<LogItem> {
        self.log.subscribe()
    }

    /// Expert: what the client's shells print.
    pub fn subscribe_shell(&self) -> broadcast::Receiver<ShellOutput> {
        self.shell.subscribe()
    }

    /// Client: accepts the request for `session` with `scopes` (at most
    /// what was asked); refused when that request is no longer pending.
    pub async fn accept(&self, session: &str, scopes: Scopes) -> Result<(), SessionError> {
        self.answer(session, Answer::Accept(scopes)).await
    }

    /// Client: declines the request for `session`; refused when that
    /// request is no longer pending.
    pub async fn decline(&self, session: &str) -> Result<(), SessionError> {
        self.answer(session, Answer::Decline).await
    }

    async fn answer(&self, session: &str, answer: Answer) -> Result<(), SessionError> {
        let (reply, outcome) = oneshot::channel();
        self.command(Command::Answer {
            session: session.to_owned(),
            answer,
            reply,
        })
        .await?;
        outcome.await.map_err(|_| SessionError::Stopped)?
    }

    /// The running session's log so far (empty without a session).
    pub async fn log(&self) -> Result<Vec<LogItem>, SessionError> {
        let (reply, answer) = oneshot::channel();
        self.command(Command::Log(reply)).await?;
        answer.await.map_err(|_| SessionError::Stopped)
    }
}

/// Starts the engine for `role`, speaking through `desk` and hearing the
/// desk through `events`.
pub fn spawn(
    role: Role,
    desk: DeskClient,
    events: DeskEvents,
    settings: PeerSettings,
    backends: Backends,
) -> SessionHandle {
    // Input commands arrive as fast as the expert moves the mouse.
    let (commands, inbox) = mpsc::channel(256);
    // A tab opened after the desk said its policy starts with it.
    let (view, view_rx) = watch::channel(SessionView {
        desk_policy: desk.policy(),
        ..SessionView::default()
    });
    let (channel_tx, channel_rx) = mpsc::channel(256);
    let (log, _) = broadcast::channel(256);
    let (shell, _) = broadcast::channel(1024);
    let mut engine = Engine {
        role,
        desk,
        settings,
        backends,
        view,
        live: None,
        channel_tx,
        log: log.clone(),
        shell: shell.clone(),
        pin: None,
        negotiation: Negotiation::new(role),
        resume: None,
        resumed: None,
    };
    if role == Role::Client
        && let Some(store) = &engine.backends.reconnect
    {
        engine.resume = store.load(crate::clock::unix_ms());
    }
    tokio::spawn(engine.run(inbox, events, channel_rx));
    SessionHandle {
        commands,
        view: view_rx,
        log,
        shell,
    }
}

/// A session with a peer connection.
struct Live {
    session: SessionId,
    peer: Peer,
    events: mpsc::Receiver<PeerEvent>,
    control: Option<crate::peer::Channel>,
    /// Client: what it allows, checked on every message. Expert: a mirror
    /// of what the client announced.
    grants: Grants,
    /// The chat and event log, and its transcript.
    log: SessionLog,
    /// The file transfers' task, once the files channel is there.
    transfers: Option<crate::transfer::runner::Transfers>,
    /// The session's timers (the restart countdown, the PIN check).
    deadlines: Deadlines,
    /// The clipboard's owner for this session, once it is used.
    clipboard: Option<ClipboardOwner>,
    /// Clipboard copies go to the other side as they are made.
    clipboard_sync: bool,
    /// The peer's hello arrived: the control channel is open both ways.
    peer_ready: bool,
    /// Control messages waiting for `peer_ready`.
    outbox: Vec<ControlMessage>,
    /// How the peer says its end of the chosen path was found.
    peer_end: Option<crate::peer::path::Reach>,
    /// The shell channel, when the expert asked for `shell`.
    shell: Option<crate::peer::Channel>,
    /// The PIN check, when this side holds a PIN.
    pin: Option<crate::session::pin::PinCheck>,
    /// Peer events waiting for the PIN check to pass.
    held: Vec<PeerEvent>,
    /// Whether the path is quiet, and the restart that brings it back.
    recovery: recover::Recovery,
    /// What only this side's role has.
    side: Side,
}

enum Side {
    Client(ClientLive),
    Expert(ExpertLive),
}

/// The client's own part of a session: what it shares and what it lets in.
#[derive(Default)]
struct ClientLive {
    /// The screen being shared (boxed: it is large, the expert's side
    /// small).
    share: Option<Box<ScreenShare>>,
    /// The desk's record was told what captures the screen.
    backend_told: bool,
    /// The monitors, for aiming input.
    monitors: Vec<MonitorInfo>,
    /// The input being injected, while `control` is granted.
    remote: Option<RemoteControl>,
    /// How many times `remote` was started: a report names its attempt,
    /// so a late one from a control already gone is ignored.
    remote_attempt: u64,
    /// A refusal was already reported since the last grant change.
    refused: bool,
    /// The writer for the cursor channel, once it is there.
    cursor_out: Option<mpsc::Sender<crate::cursor::CursorMessage>>,
    /// The pointer being watched, while `view` is granted.
    pointer: Option<crate::cursor::share::PointerShare>,
    /// Where the restart the expert asked for stands.
    reboot: reboot::Stage,
    /// The end action the expert asked for ran: the session ends with
    /// this notice.
    ended_with: Option<Notice>,
    /// The command shells, once the shell channel is there.
    shells: Option<crate::shell::host::ShellHost>,
    /// The expert's own screen, when it shows it (reverse view).
    expert_screen: reverse::ExpertScreen,
}

/// The expert's own part of a session: what it sends and what it shows.
#[derive(Default)]
struct ExpertLive {
    /// Sends mouse and keyboard on the input channel.
    input: Option<InputSender>,
    /// The task reading the screen track, and what the view asks of it.
    viewer: Option<JoinHandle<()>>,
    /// The frames' way to the view, which a recording taps.
    tap: Option<Arc<crate::recording::tap::RecordingTap>>,
    /// The command shells' transcripts, by shell; the last number given.
    shells: std::collections::HashMap<
        crate::shell::protocol::ShellId,
        Option<crate::shell::transcript::ShellTranscript>,
    >,
    last_shell: crate::shell::protocol::ShellId,
    /// Shell messages sent before the shell channel opened, and whether
    /// it has.
    shell_outbox: Vec<crate::shell::ShellMessage>,
    shell_ready: bool,
    wants: Arc<screen_view::ViewerWants>,
    /// This computer's screen, while shown to the client (reverse view;
    /// boxed: it is large).
    showing: Option<Box<ScreenShare>>,
    /// The desk records every session: a recording runs whenever the
    /// screen is shared, and cannot be stopped.
    must_record: bool,
}

impl Drop for ExpertLive {
    fn drop(&mut self) {
        if let Some(viewer) = self.viewer.take() {
            viewer.abort();
        }
    }
}

impl Side {
    fn new(role: Role) -> Self {
        match role {
            Role::Client => Self::Client(ClientLive::default()),
            Role::Expert => Self::Expert(ExpertLive::default()),
        }
    }
}

impl Live {
    fn client(&self) -> Option<&ClientLive> {
        match &self.side {
            Side::Client(client) => Some(client),
            Side::Expert(_) => None,
        }
    }

    fn client_mut(&mut self) -> Option<&mut ClientLive> {
        match &mut self.side {
            Side::Client(client) => Some(client),
            Side::Expert(_) => None,
        }
    }

    fn expert(&self) -> Option<&ExpertLive> {
        match &self.side {
            Side::Expert(expert) => Some(expert),
            Side::Client(_) => None,
        }
    }

    fn expert_mut(&mut self) -> Option<&mut ExpertLive> {
        match &mut self.side {
            Side::Expert(expert) => Some(expert),
            Side::Client(_) => None,
        }
    }
}

struct Engine {
    role: Role,
    desk: DeskClient,
    settings: PeerSettings,
    backends: Backends,
    view: watch::Sender<SessionView>,
    live: Option<Live>,
    channel_tx: channels::ChannelReports,
    log: broadcast::Sender<LogItem>,
    /// Expert: what the client's shells print, for the UI.
    shell: broadcast::Sender<ShellOutput>,
    /// Client: the PIN shown with the current ID. Expert: the PIN typed
    /// for the current request. `None`: no PIN check.
    pin: Option<String>,
    /// Where the request or session stands, and its deadlines: the phase
    /// the view shows is derived from it (never read back from the view).
    negotiation: Negotiation,
    /// Client: the session it agreed, before a restart, to come back to.
    resume: Option<crate::session::reconnect::ReconnectGrant>,
    /// Client: the session that resumed it, until it starts.
    resumed: Option<SessionId>,
}

/// Sleeps until `at`, or for ever without a deadline.
async fn sleep_until(at: Option<std::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at.into()).await,
        None => std::future::pending().await,
    }
}

async fn next_peer_event(live: &mut Option<Live>) -> Option<PeerEvent> {
    match live {
        Some(live) => live.events.recv().await,
        None => std::future::pending().await,
    }
}

impl Engine {
    async fn run(
        mut self,
        mut commands: mpsc::Receiver<Command>,
        mut desk_events: DeskEvents,
        mut channels: mpsc::Receiver<(SessionId, ChannelEvent)>,
    ) {
        loop {
            let session = self.live.as_ref().and_then(|live| live.deadlines.next());
            let deadline = match (session, self.negotiation.poll_timeout()) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            tokio::select! {
                command = commands.recv() => match command {
                    Some(command) => self.on_command(command).await,
                    None => break,
                },
                message = desk_events.recv() => match message {
                    Some(message) => self.on_desk(message).await,
                    None => break,
                },
                Some(event) = next_peer_event(&mut self.live) => self.on_peer(event).await,
                Some((session, event)) = channels.recv() => self.on_channel(&session, event).await,
                () = sleep_until(deadline) => self.on_deadlines().await,
            }
        }
        self.end(true, None).await;
    }

    fn phase(&self) -> Phase {
        self.negotiation.phase()
    }

    /// Feeds the negotiation and shows what it says at once (its phase and
    /// notices); the effects that act are returned, in order.
    fn step(&mut self, input: Input) -> Vec<Effect> {
        let now = Now {
            at: std::time::Instant::now(),
            unix_ms: crate::clock::unix_ms(),
        };
        let mut acts = Vec::new();
        for effect in self.negotiation.handle(now, input) {
            match effect {
                Effect::Phase(notice) => {
                    let phase = self.negotiation.phase();
                    self.view.send_modify(|view| {
                        view.phase = phase;
                        if notice.is_some() {
                            view.notice = notice;
                        }
                    });
                }
                Effect::Notice(notice) => {
                    self.view.send_modify(|view| view.notice = Some(notice));
                }
                act => acts.push(act),
            }
        }
        acts
    }

    /// Feeds the negotiation and carries out its effects: the reply to an
    /// answer, if the input was one.
    async fn negotiate(&mut self, input: Input) -> Option<Result<(), SessionError>> {
        let mut answered = None;
        for effect in self.step(input) {
            match effect {
                Effect::Desk(message) => {
                    let request = matches!(message, AppMessage::Connect { .. });
                    if let Err(error) = self.desk.send(message).await {
                        self.notice(NoticeCode::DeskOffline, error.to_string());
                        if request {
                            self.step(Input::RequestLost);
                        }
                    }
                }
                Effect::Requested { pin, notes } => self.requested(pin, notes),
                Effect::StartPeer(start) => self.start_peer(start).await,
                Effect::End(notice) => self.end(true, Some(notice)).await,
                Effect::Answered(result) => answered = Some(result),
                Effect::Phase(_) | Effect::Notice(_) => {}
            }
        }
        answered
    }

    fn notice(&self, code: NoticeCode, message: impl Into<String>) {
        let notice = Notice::new(code, message);
        self.view.send_modify(|view| view.notice = Some(notice));
    }

    async fn send(&self, message: AppMessage) {
        if let Err(error) = self.desk.send(message).await {
            self.notice(NoticeCode::DeskOffline, error.to_string());
        }
    }

    async fn on_command(&mut self, command: Command) {
        match (command, self.phase()) {
            (
                Command::Login {
                    user,
                    password,
                    code,
                },
                _,
            ) => {
                self.send(AppMessage::Login {
                    user,
                    password,
                    code,
                })
                .await;
            }
            (Command::Logout, _) => {
                self.send(AppMessage::Logout).await;
                self.view.send_modify(|view| view.signed_in_as = None);
            }
            (Command::UsePin(pin), _) => self.pin = pin,
            (
                Command::Connect {
                    id,
                    notes,
                    reason,
                    scopes,
                    pin,
                },
                _,
            ) => {
                let request = Input::Connect {
                    id,
                    notes,
                    reason,
                    scopes,
                    pin,
                };
                self.negotiate(request).await;
            }
            (Command::Cancel, _) => {
                self.negotiate(Input::Cancel).await;
            }
            (
                Command::Answer {
                    session,
                    answer,
                    reply,
                },
                _,
            ) => {
                // A name that is not a session's cannot be the pending one.
                let answered = match SessionId::parse(session) {
                    Ok(session) => self.negotiate(Input::Answer { session, answer }).await,
                    Err(_) => None,
                };
                let _ = reply.send(answered.unwrap_or(Err(SessionError::RequestChanged)));
            }
            (Command::SetDownloads(folder), _) => self.backends.downloads = folder,
            (Command::SetShared(folder), _) => self.backends.shared = Some(folder),
            (Command::Log(reply), _) => {
                let _ = reply.send(self.log_items());
            }
            (command, phase) => self.on_session_command(command, phase).await,
        }
    }

    /// The commands for a running session.
    async fn on_session_command(&mut self, command: Command, phase: Phase) {
        match (command, phase) {
            (Command::Stop, Phase::Connecting { .. } | Phase::Active { .. }) => {
                self.end(
                    true,
                    Some(Notice::new(NoticeCode::Ended, "the session was ended here")),
                )
                .await;
            }
            (Command::SelectMonitor(monitor), Phase::Active { .. }) => {
                self.tell_peer(ControlMessage::SelectMonitor { monitor })
                    .await;
            }
            (Command::SetQuality(quality), Phase::Active { .. }) => {
                self.tell_peer(ControlMessage::SetQuality { quality }).await;
            }
            (Command::RequestKeyframe, _) => {
                if let Some(wants) = self.viewer_wants() {
                    wants.keyframe();
                }
            }
            (Command::CatchUp, _) => {
                if let Some(wants) = self.viewer_wants() {
                    wants.catch_up();
                }
            }
            (Command::ShowMyScreen(on), Phase::Active { .. }) if self.role == Role::Expert => {
                self.show_my_screen(on).await;
            }
            (Command::CloseExpertScreen, _) => self.close_expert_screen().await,
            (Command::Chat(text), Phase::Connecting { .. } | Phase::Active { .. }) => {
                self.chat(text).await;
            }
            (Command::SetGrants(scopes), Phase::Active { .. }) if self.role == Role::Client => {
                self.set_grants(scopes).await;
            }
            (Command::Input(event), Phase::Active { .. }) => self.send_input(event),
            (Command::SendClipboard, Phase::Active { .. }) => self.send_clipboard().await,
            (Command::AskSystemInfo, Phase::Active { .. }) if self.role == Role::Expert => {
                self.ask_system_info().await
            }
            (Command::Record(on), Phase::Active { .. }) if self.role == Role::Expert => {
                self.record(on).await
            }
            (Command::EndWith(action), Phase::Active { .. }) if self.role == Role::Expert => {
                self.tell_peer(ControlMessage::EndWith { action }).await
            }
            (
                command @ (Command::ShellOpen { .. }
                | Command::ShellInput { .. }
                | Command::ShellResize { .. }
                | Command::ShellClose { .. }),
                Phase::Active { .. },
            ) if self.role == Role::Expert => self.shell_command(command).await,
            (Command::RequestReboot { reconnect }, Phase::Active { .. })
                if self.role == Role::Expert =>
            {
                self.tell_peer(ControlMessage::Reboot { reconnect }).await;
            }
            (Command::CancelReboot, Phase::Active { .. }) => self.cancel_reboot().await,
            (Command::SendFiles { path, into }, Phase::Active { .. }) => {
                self.send_files(path, into)
            }
            (Command::Browse(op), Phase::Active { .. }) => self.browse(op),
            (Command::CancelTransfer(id), Phase::Active { .. }) => self.cancel_transfer(id),
            (Command::SetClipboardSync(on), Phase::Active { .. }) => self.set_clipboard_sync(on),
            (
                Command::SetNotes(notes),
                Phase::Waiting { session, .. }
                | Phase::Connecting { session, .. }
                | Phase::Active { session, .. },
            ) if self.role == Role::Expert => self.set_notes(session, notes).await,
            (command, phase) => {
                tracing::debug!(?command, ?phase, "command does not apply now");
            }
        }
    }

    /// Expert: a request goes out, with this PIN and these notes.
    fn requested(&mut self, pin: Option<String>, notes: String) {
        self.pin = pin;
        self.view.send_modify(|view| {
            view.notice = None;
            view.notes = SessionNotes {
                text: notes,
                saved_at_ms: None,
            };
        });
    }

    /// Expert: the session's notes, shown at once and saved to the desk's
    /// record.
    async fn set_notes(&mut self, session: SessionId, notes: String) {
        self.view.send_modify(|view| {
            view.notes = SessionNotes {
                text: notes.clone(),
                saved_at_ms: None,
            }
        });
        self.send(AppMessage::SetNotes { session, notes }).await;
    }

    /// The session's deadlines that have passed, each handled once. One
    /// that ends the session (the PIN check) drops the rest with it.
    async fn on_deadlines(&mut self) {
        let now = std::time::Instant::now();
        if self.negotiation.poll_timeout().is_some_and(|at| at <= now) {
            self.negotiate(Input::Tick).await;
        }
        let Some(live) = &mut self.live else { return };
        for due in live.deadlines.take_due(now) {
            if self.live.is_none() {
                break;
            }
            match due {
                Due::Reboot => self.reboot_now().await,
                Due::PinCheck => self.pin_deadline().await,
                Due::EndAfterAction => self.end(true, None).await,
            }
        }
    }

    /// Ends the session: tells the other side when `tell` (over the control
    /// channel, and through the desk if it is there), closes the peer, and
    /// returns to idle.
    async fn end(&mut self, tell: bool, notice: Option<Notice>) {
        // A client that ran the expert's end action ends with its word,
        // whichever side ends first.
        let ended_with = self.live.as_mut().and_then(Live::client_mut);
        let notice = ended_with.and_then(|c| c.ended_with.take()).or(notice);
        // A recording ends with its session, finished and in the record.
        self.stop_recording().await;
        let session = self.phase().session().cloned();
        let was_live = self.live.is_some();
        if was_live {
            let code = notice.as_ref().map_or("ended", |n| n.code.as_str());
            self.log_event(EventCode::Ended, code.to_owned());
        }
        if let Some(mut live) = self.live.take() {
            if tell && let Some(control) = &live.control {
                let _ = control.send_text(&ControlMessage::Bye.to_json()).await;
            }
            // Nobody reads the peer's events any more: a callback waiting
            // for room must not hold up the close.
            live.events.close();
            live.peer.close().await;
        }
        // Either side reports an end the other made too: the desk keeps
        // a side whose link dropped in its session for a while, and a
        // desk that restarted during the session ends its record on the
        // expert's word (a desk that ended it already says so, quietly).
        let report = tell || was_live;
        if report && let Some(session) = session {
            // Best effort: the session must end even with the desk gone.
            let _ = self.desk.send(AppMessage::Bye { session }).await;
        }
        self.view.send_modify(|view| {
            view.screen = None;
            view.first_frame = None;
            view.path = None;
            view.reconnecting = false;
            view.grantable = Scopes::NONE;
            view.clipboard_sync = false;
            view.reboot_at_ms = None;
            view.reboot_reconnect = false;
            view.transfers.clear();
            view.remote_files = None;
            view.system_info = None;
            view.shells.clear();
            view.recording = false;
            view.recording_required = false;
            view.reverse_view = false;
        });
        self.step(Input::Ended(notice));
    }
}

/// How many control messages may wait for the channel to open.
const OUTBOX_LIMIT: usize = 256;

/// Scopes as the log shows them: `view, control`.
fn scope_list(scopes: Scopes) -> String {
    scopes
        .iter()
        .map(|s| s.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}
