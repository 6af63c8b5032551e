//! One task per session that owns the `files` channel: it sends what the
//! user picks (each pick is one transfer, its files one after another,
//! pumped by a task of its own), receives what the peer sends into the
//! download folder, and publishes every transfer's progress.
//!
//! Only while `files` is allowed: an offer that arrives otherwise is
//! refused with `not_granted`, and withdrawing the grant stops every
//! transfer. Nothing a peer sends can make this panic, write outside the
//! download folder (or the shared folder it named), reach a hidden or
//! protected place, or write through a link: names go through `safe_path`
//! and `protected`, files are written through `partial`, chunks must
//! extend the file exactly where it ends, and sizes are what was announced.

use crate::session::log::EventCode;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::error::TransferError;
use super::paced::Paced;
pub use super::progress::{Direction, State, TransferView};
use super::pump::{PumpReport, pump};
use super::remote_fs::{FsError, Listing, RemoteFs};
use super::send::{Item, plan};
use super::wire::{FileMessage, FsOp};
use super::writer::Writer;
use crate::clipboard::content::ClipContent;
use crate::peer::{self, Channel, RoundTrip};

mod browse;
mod clips;
mod incoming;

/// How often progress is published while bytes move.
const PUBLISH_EVERY: Duration = Duration::from_millis(250);
/// The receiver's replies waiting for a sending transfer: it answers one
/// step at a time, so a few are plenty; more are dropped.
const REPLY_QUEUE: usize = 8;
/// The pumps' reports waiting for the runner (bytes sent, files verified).
const PUMP_QUEUE: usize = 64;

/// What the runner tells the engine.
#[derive(Debug, Clone, PartialEq)]
pub enum Report {
    /// Every transfer of the session, newest last.
    Progress(Vec<TransferView>),
    /// For the running log: `code` (`files_sent`, `files_received`,
    /// `transfer_failed`, `transfer_cancelled`, `files_changed`, …) and a
    /// detail.
    Note { code: EventCode, detail: String },
    /// Expert: the client's folder the file browser shows, freshly listed.
    Listing(Listing),
    /// Expert: a file-browser request failed (`code`, `message`).
    BrowseFailed { code: String, message: String },
    /// Clipboard content from the peer, checked, within `clipboard`.
    Clip(ClipContent),
    /// Clipboard content from the peer was refused (`code`, why); the
    /// peer was told.
    ClipRefused { code: String, message: String },
    /// This side's clipboard content did not go, or the peer refused it.
    ClipNotSent { code: String, message: String },
}

enum Request {
    Send {
        picked: PathBuf,
        into: Option<String>,
    },
    Cancel(u32),
    Allow(bool),
    AllowClipboard(bool),
    Browse(FsOp),
    Clip(ClipContent),
}

/// Where an incoming transfer's files go, and the one being written.
struct Receiving {
    destination: PathBuf,
    /// The file being written, once it was offered.
    file: Option<Writer>,
}

/// The engine's handle; dropping it stops the runner and its pumps.
#[derive(Debug)]
pub struct Transfers {
    requests: mpsc::Sender<Request>,
    task: JoinHandle<()>,
}

impl Drop for Transfers {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Transfers {
    /// `first_id`: 0 for the expert, 1 for the client (numbers step by 2).
    /// `shared`: the client's folder the expert may browse (`None` on the
    /// expert's side, or when the client shares none). The home folder, or
    /// a folder above it or inside a protected place, is not shared: every
    /// request to it is answered with why ([`RemoteFs::shared`]).
    /// `round_trip`: the connection's, which paces what is sent.
    pub fn start(
        channel: Channel,
        round_trip: RoundTrip,
        first_id: u32,
        downloads: PathBuf,
        shared: Option<PathBuf>,
        allowed: bool,
        report: impl Fn(Report) + Send + Sync + 'static,
    ) -> Self {
        let (requests, inbox) = mpsc::channel(32);
        let (pump_reports, pumped) = mpsc::channel(PUMP_QUEUE);
        let runner = Runner {
            paced: Paced::new(channel.clone(), round_trip),
            channel,
            next_id: first_id,
            downloads,
            shared: match shared {
                Some(root) => RemoteFs::shared(root, dirs::home_dir().as_deref()),
                None => Err(FsError::Unavailable),
            },
            browsing: browse::Browsing::default(),
            allowed,
            clips: clips::Clips::default(),
            report: Arc::new(report),
            views: Vec::new(),
            pumps: HashMap::new(),
            pump_reports,
            receiving: HashMap::new(),
            dirty: false,
            open: false,
            waiting: Vec::new(),
        };
        let task = tokio::spawn(runner.run(inbox, pumped));
        Self { requests, task }
    }

    /// Sends a file or folder: into the peer's Downloads, or (expert) into
    /// `into`, a folder of the client's shared folder.
    pub fn send(&self, picked: PathBuf, into: Option<String>) {
        let _ = self.requests.try_send(Request::Send { picked, into });
    }

    /// Expert: asks the client's shared folder; the answer comes as a
    /// [`Report::Listing`] or [`Report::BrowseFailed`].
    pub fn browse(&self, op: FsOp) {
        let _ = self.requests.try_send(Request::Browse(op));
    }

    pub fn cancel(&self, id: u32) {
        let _ = self.requests.try_send(Request::Cancel(id));
    }

    pub fn allow(&self, allowed: bool) {
        let _ = self.requests.try_send(Request::Allow(allowed));
    }

    /// Sends clipboard content too large for the control channel, or an
    /// image.
    pub fn send_clip(&self, content: ClipContent) {
        let _ = self.requests.try_send(Request::Clip(content));
    }

    /// Clipboard content goes and comes only while this is on (off at
    /// the start).
    pub fn allow_clipboard(&self, allowed: bool) {
        let _ = self.requests.try_send(Request::AllowClipboard(allowed));
    }
}

/// An outgoing transfer's pump and its mailbox for the peer's replies.
struct Pump {
    replies: mpsc::Sender<FileMessage>,
    task: JoinHandle<()>,
}

struct Runner {
    channel: Channel,
    /// The same channel as the pumps send on it.
    paced: Paced,
    next_id: u32,
    downloads: PathBuf,
    /// Client: the folder the expert's file browser works in, or why there
    /// is none (none given, or one that may not be shared).
    shared: Result<RemoteFs, FsError>,
    /// Expert: the file browser's requests in flight.
    browsing: browse::Browsing,
    allowed: bool,
    /// Clipboard content on this channel, within `clipboard`.
    clips: clips::Clips,
    report: Arc<dyn Fn(Report) + Send + Sync>,
    /// Every transfer of the session: written here only.
    views: Vec<TransferView>,
    pumps: HashMap<u32, Pump>,
    /// Where the pumps report; the runner reads the other end.
    pump_reports: mpsc::Sender<PumpReport>,
    receiving: HashMap<u32, Receiving>,
    /// A view changed since the last report.
    dirty: bool,
    /// Whether the channel is open; picks wait in `waiting` until it is.
    open: bool,
    waiting: Vec<(PathBuf, Option<String>)>,
}

impl Runner {
    async fn run(
        mut self,
        mut inbox: mpsc::Receiver<Request>,
        mut pumped: mpsc::Receiver<PumpReport>,
    ) {
        self.open = self.channel.is_open().await;
        let mut tick = tokio::time::interval(PUBLISH_EVERY);
        loop {
            tokio::select! {
                request = inbox.recv() => match request {
                    Some(request) => self.on_request(request).await,
                    None => break,
                },
                event = self.channel.next() => match event {
                    peer::Incoming::Message { text: true, data } => match FileMessage::parse(&data) {
                        Ok(parsed) => self.on_message(parsed).await,
                        Err(error) => tracing::warn!(%error, "transfer message dropped"),
                    },
                    peer::Incoming::Message { text: false, data } => self.on_chunk(&data).await,
                    peer::Incoming::Open => {
                        self.open = true;
                        for (picked, into) in std::mem::take(&mut self.waiting) {
                            self.start_sending(picked, into).await;
                        }
                        self.ask_queued().await;
                    }
                    peer::Incoming::Closed => break,
                },
                Some(report) = pumped.recv() => self.on_pump(report),
                _ = tick.tick() => self.publish(false),
            }
        }
        for pump in self.pumps.values() {
            pump.task.abort();
        }
        for view in &mut self.views {
            view.end(
                State::Failed,
                Some(TransferError::connection_lost("the connection closed")),
            );
        }
        self.publish(true);
    }

    fn view_mut(&mut self, id: u32, direction: Direction) -> Option<&mut TransferView> {
        self.views
            .iter_mut()
            .find(|v| v.id == id && v.direction == direction)
    }

    /// Reports the transfers when one changed, and while any runs (its
    /// speed and time left move on).
    fn publish(&mut self, force: bool) {
        let running = self.views.iter().any(|v| v.state == State::Running);
        if !force && !self.dirty && !running {
            return;
        }
        self.dirty = false;
        for view in &mut self.views {
            view.refresh_rate();
        }
        (self.report)(Report::Progress(self.views.clone()));
    }

    /// A pump's news about its transfer.
    fn on_pump(&mut self, report: PumpReport) {
        self.dirty = true;
        match report {
            PumpReport::Bytes { transfer, bytes } => {
                if let Some(view) = self.view_mut(transfer, Direction::Outgoing) {
                    view.bytes_done += bytes;
                }
            }
            PumpReport::FileDone { transfer } => {
                if let Some(view) = self.view_mut(transfer, Direction::Outgoing) {
                    view.files_done += 1;
                }
            }
            PumpReport::Ended { transfer, outcome } => self.pump_ended(transfer, outcome),
        }
    }

    /// A pump stopped: the transfer ends, and the log says how. (A pump
    /// cancelled or stopped here was aborted and reports nothing.)
    fn pump_ended(&mut self, transfer: u32, outcome: Result<(), TransferError>) {
        if self.pumps.remove(&transfer).is_none() {
            return;
        }
        let (state, error, code) = match outcome {
            Ok(()) => (State::Done, None, EventCode::FilesSent),
            Err(error) if error.is_cancelled() => {
                (State::Cancelled, Some(error), EventCode::TransferCancelled)
            }
            Err(error) => (State::Failed, Some(error), EventCode::TransferFailed),
        };
        let Some(view) = self.view_mut(transfer, Direction::Outgoing) else {
            return;
        };
        view.end(state, error.clone());
        let (name, files, bytes) = (view.name.clone(), view.files, view.bytes);
        let detail = match error {
            Some(error) => format!("{name}: {error}"),
            None => format!("{name} ({files} files, {bytes} bytes)"),
        };
        self.note(code, detail);
    }

    fn note(&self, code: EventCode, detail: String) {
        (self.report)(Report::Note { code, detail });
    }

    async fn say(&self, message: FileMessage) {
        if let Err(error) = self.channel.send_text(&message.to_json()).await {
            tracing::debug!(%error, "transfer message not sent");
        }
    }

    async fn on_request(&mut self, request: Request) {
        match request {
            Request::Send { picked, into } if !self.open => self.waiting.push((picked, into)),
            Request::Send { picked, into } => self.start_sending(picked, into).await,
            Request::Browse(op) => self.ask(op).await,
            Request::Cancel(id) => {
                if let Some(pump) = self.pumps.remove(&id) {
                    pump.task.abort();
                    self.end(id, Direction::Outgoing, State::Cancelled, None);
                } else if let Some(receiving) = self.receiving.remove(&id) {
                    if let Some(writer) = receiving.file {
                        writer.discard().await;
                    }
                    self.end(id, Direction::Incoming, State::Cancelled, None);
                } else {
                    return;
                }
                self.say(FileMessage::Cancel { transfer: id }).await;
                self.note(EventCode::TransferCancelled, id.to_string());
            }
            Request::Clip(content) => self.send_clip(content),
            Request::AllowClipboard(allowed) => self.allow_clipboard(allowed),
            Request::Allow(allowed) => {
                self.allowed = allowed;
                if !allowed {
                    self.stop_all("not_granted", "the files permission was withdrawn")
                        .await;
                }
            }
        }
    }

    async fn stop_all(&mut self, code: &str, message: &str) {
        let ids: Vec<u32> = self
            .pumps
            .keys()
            .chain(self.receiving.keys())
            .copied()
            .collect();
        for (_, pump) in self.pumps.drain() {
            pump.task.abort();
        }
        self.receiving.clear(); // partial files stay, for resuming
        for id in ids {
            for direction in [Direction::Outgoing, Direction::Incoming] {
                self.end(
                    id,
                    direction,
                    State::Failed,
                    Some(TransferError::new(code, message)),
                );
            }
            self.say(FileMessage::Failed {
                transfer: id,
                code: code.into(),
                message: message.into(),
            })
            .await;
        }
    }

    fn end(&mut self, id: u32, direction: Direction, state: State, error: Option<TransferError>) {
        if let Some(view) = self.view_mut(id, direction) {
            view.end(state, error);
            self.dirty = true;
        }
    }

    async fn start_sending(&mut self, picked: PathBuf, into: Option<String>) {
        let id = self.next_id;
        self.next_id = self.next_id.wrapping_add(2);
        let name = picked
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let planned = tokio::task::spawn_blocking(move || plan(&picked))
            .await
            .map_err(std::io::Error::other)
            .and_then(|r| r);
        let (files, bytes) = match &planned {
            Ok(items) => items.iter().fold((0u32, 0u64), |(n, b), item| match item {
                Item::File { size, .. } => (n + 1, b + size),
                Item::Folder { .. } => (n, b),
            }),
            Err(_) => (0, 0),
        };
        let mut view = TransferView::new(id, Direction::Outgoing, name.clone(), files, bytes);
        self.dirty = true;
        let refused = match &planned {
            Ok(_) if self.allowed => None,
            Ok(_) => Some(TransferError::new(
                "not_granted",
                "the files permission is not granted",
            )),
            Err(error) => Some(TransferError::unreadable(error)),
        };
        let (Ok(items), None) = (planned, refused.clone()) else {
            view.end(State::Failed, refused);
            self.views.push(view);
            return;
        };
        self.views.push(view);
        let (replies, mailbox) = mpsc::channel(REPLY_QUEUE);
        let channel = self.paced.clone();
        let progress = self.pump_reports.clone();
        let start = FileMessage::Start {
            transfer: id,
            name: name.clone(),
            files,
            bytes,
            into,
        };
        let task = tokio::spawn(async move {
            let outcome = pump(&channel, id, start, items, mailbox, &progress).await;
            let ended = PumpReport::Ended {
                transfer: id,
                outcome,
            };
            let _ = progress.send(ended).await;
        });
        self.pumps.insert(id, Pump { replies, task });
    }

    async fn on_message(&mut self, message: FileMessage) {
        match message {
            FileMessage::Resume { transfer, .. }
            | FileMessage::Verified { transfer, .. }
            | FileMessage::Failed { transfer, .. }
            | FileMessage::Cancel { transfer }
                if self.pumps.contains_key(&transfer) =>
            {
                // The protocol has one reply in flight per file; a peer that
                // piles them up is refused, not buffered.
                if let Some(pump) = self.pumps.get(&transfer)
                    && pump.replies.try_send(message).is_err()
                {
                    tracing::warn!(transfer, "a reply beyond the transfer's protocol dropped");
                }
            }
            FileMessage::Failed {
                transfer,
                code,
                message,
            } if self.clips.sending(transfer) => self.clip_refused(transfer, code, message),
            FileMessage::Clip { clip, mime, bytes } => self.on_clip(clip, mime, bytes).await,
            FileMessage::ClipDone { clip, sha256 } => self.on_clip_done(clip, sha256).await,
            FileMessage::Start {
                transfer,
                name,
                files,
                bytes,
                into,
            } => self.on_start(transfer, name, files, bytes, into).await,
            FileMessage::Folder { transfer, path } => self.on_folder(transfer, path).await,
            FileMessage::Offer {
                transfer,
                path,
                size,
                modified_ms,
            } => self.on_offer(transfer, path, size, modified_ms).await,
            FileMessage::Done { transfer, sha256 } => self.on_done(transfer, sha256).await,
            FileMessage::Cancel { transfer } => self.on_cancel(transfer).await,
            FileMessage::Failed {
                transfer,
                code,
                message,
            } => self.on_failed(transfer, code, message),
            FileMessage::Fs { request, op } => self.serve(request, op).await,
            FileMessage::Listing { .. }
            | FileMessage::FsDone { .. }
            | FileMessage::FsFailed { .. } => self.answered(message).await,
            other => tracing::debug!(?other, "transfer message for no transfer ignored"),
        }
    }

    async fn refuse(&mut self, transfer: u32, code: &str, message: &str) {
        tracing::warn!(transfer, code, "incoming transfer refused");
        self.note(EventCode::TransferRefused, format!("{code}: {message}"));
        self.say(FileMessage::Failed {
            transfer,
            code: code.into(),
            message: message.into(),
        })
        .await;
    }

    /// An incoming transfer stops here, failed; a partial file stays for
    /// resuming.
    fn stop_incoming(&mut self, transfer: u32, error: TransferError) {
        self.receiving.remove(&transfer);
        self.end(transfer, Direction::Incoming, State::Failed, Some(error));
    }

    async fn fail_incoming(&mut self, transfer: u32, code: &str, message: &str) {
        tracing::warn!(transfer, code, message, "incoming file failed");
        self.stop_incoming(transfer, TransferError::new(code, message));
        self.note(EventCode::TransferFailed, format!("{code}: {message}"));
        self.say(FileMessage::Failed {
            transfer,
            code: code.into(),
            message: message.into(),
        })
        .await;
    }
}
