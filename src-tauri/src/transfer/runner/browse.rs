//! The file browser on the `files` channel. The client serves requests
//! against its shared folder while `files` is granted, logging every change
//! it makes; the expert asks, gathers listing pages, and lists the folder
//! again after each change so the browser always shows what is there.

use crate::session::log::EventCode;
use std::collections::HashMap;
use std::path::PathBuf;

use super::{Report, Runner};
use crate::transfer::remote_fs::{FsError, Listing, MAX_ENTRIES, RemoteFs};
use crate::transfer::wire::{FileMessage, FsOp, listing_pages};

/// The expert's requests in flight and the folder on show.
#[derive(Debug, Default)]
pub(super) struct Browsing {
    next_request: u32,
    pending: HashMap<u32, FsOp>,
    /// Listings still arriving, page by page.
    pages: HashMap<u32, Listing>,
    /// The folder the browser shows, relisted after every change.
    shown: String,
    /// Asked before the channel opened.
    queued: Vec<FsOp>,
}

/// What serving a request comes to.
enum Served {
    Listed(Listing),
    Done(String),
    /// A download: this file or folder goes to the expert.
    Send(PathBuf),
}

fn serve_blocking(shared: &RemoteFs, op: &FsOp) -> Result<Served, FsError> {
    match op {
        FsOp::List { path } => shared.list(path).map(Served::Listed),
        FsOp::Mkdir { path } => shared.mkdir(path).map(|()| Served::Done(String::new())),
        FsOp::Rename { from, to } => shared
            .rename(from, to)
            .map(|()| Served::Done(String::new())),
        FsOp::Copy { from, to } => shared.copy(from, to).map(Served::Done),
        FsOp::Delete { path } => shared.delete(path).map(|()| Served::Done(String::new())),
        FsOp::Download { path } => shared.source(path).map(Served::Send),
    }
}

impl Runner {
    /// Expert: sends a request to the client's shared folder.
    pub(super) async fn ask(&mut self, op: FsOp) {
        if !self.allowed {
            return (self.report)(Report::BrowseFailed {
                code: "not_granted".into(),
                message: "the files permission is not granted".into(),
            });
        }
        if !self.open {
            return self.browsing.queued.push(op);
        }
        let request = self.browsing.next_request;
        self.browsing.next_request = request.wrapping_add(1);
        self.browsing.pending.insert(request, op.clone());
        self.say(FileMessage::Fs { request, op }).await;
    }

    /// Expert: sends what was asked before the channel opened.
    pub(super) async fn ask_queued(&mut self) {
        for op in std::mem::take(&mut self.browsing.queued) {
            self.ask(op).await;
        }
    }

    /// Client: carries out a request from the expert's file browser.
    pub(super) async fn serve(&mut self, request: u32, op: FsOp) {
        let shared = match &self.shared {
            Ok(shared) => shared.clone(),
            Err(why) => return self.say(failed(request, why)).await,
        };
        if !self.allowed {
            self.note(
                EventCode::TransferRefused,
                format!("not_granted: {}", op.describe()),
            );
            return self
                .say(FileMessage::FsFailed {
                    request,
                    code: "not_granted".into(),
                    message: "the files permission is not granted".into(),
                })
                .await;
        }
        if matches!(op, FsOp::Download { .. }) {
            // A download starts a transfer, which only the runner can do.
            let found = {
                let op = op.clone();
                tokio::task::spawn_blocking(move || serve_blocking(&shared, &op)).await
            };
            return match found {
                Ok(Ok(Served::Send(source))) => {
                    self.note(EventCode::FilesChanged, op.describe());
                    self.start_sending(source, None).await;
                    self.say(FileMessage::FsDone {
                        request,
                        detail: String::new(),
                    })
                    .await;
                }
                Ok(Ok(_)) => {}
                Ok(Err(error)) => self.say(failed(request, &error)).await,
                Err(error) => tracing::warn!(%error, "download lookup failed"),
            };
        }
        // Copies and deletes of large folders take time: they run aside so
        // transfers keep moving, and answer when done.
        let channel = self.channel.clone();
        let report = std::sync::Arc::clone(&self.report);
        tokio::spawn(async move {
            let served = {
                let op = op.clone();
                tokio::task::spawn_blocking(move || serve_blocking(&shared, &op)).await
            };
            let replies = match served {
                Ok(Ok(Served::Listed(listing))) => listing_pages(request, listing),
                Ok(Ok(Served::Send(_))) => Vec::new(), // handled above
                Ok(Ok(Served::Done(detail))) => {
                    report(Report::Note {
                        code: EventCode::FilesChanged,
                        detail: op.describe(),
                    });
                    vec![FileMessage::FsDone { request, detail }]
                }
                Ok(Err(error)) => {
                    tracing::info!(code = error.code(), %error, ?op, "file browser request refused");
                    vec![failed(request, &error)]
                }
                Err(error) => {
                    tracing::warn!(%error, "file browser request panicked");
                    vec![failed(request, &FsError::Io("internal error".into()))]
                }
            };
            for reply in replies {
                if let Err(error) = channel.send_text(&reply.to_json()).await {
                    tracing::debug!(%error, "file browser reply not sent");
                    break;
                }
            }
        });
    }

    /// Expert: an answer from the client's shared folder.
    pub(super) async fn answered(&mut self, message: FileMessage) {
        match message {
            FileMessage::Listing {
                request,
                path,
                entries,
                truncated,
                last,
            } => {
                if !self.browsing.pending.contains_key(&request) {
                    return;
                }
                let listing = self.browsing.pages.entry(request).or_default();
                listing.path = path;
                listing.truncated |= truncated;
                let room = MAX_ENTRIES.saturating_sub(listing.entries.len());
                listing.truncated |= entries.len() > room;
                listing.entries.extend(entries.into_iter().take(room));
                if last {
                    self.browsing.pending.remove(&request);
                    if let Some(listing) = self.browsing.pages.remove(&request) {
                        self.browsing.shown = listing.path.clone();
                        (self.report)(Report::Listing(listing));
                    }
                }
            }
            FileMessage::FsDone { request, .. } => {
                let Some(op) = self.browsing.pending.remove(&request) else {
                    return;
                };
                self.note(EventCode::FilesChanged, op.describe());
                if !matches!(op, FsOp::Download { .. }) {
                    let shown = self.browsing.shown.clone();
                    self.ask(FsOp::List { path: shown }).await;
                }
            }
            FileMessage::FsFailed {
                request,
                code,
                message,
            } => {
                if self.browsing.pending.remove(&request).is_none() {
                    return;
                }
                self.browsing.pages.remove(&request);
                (self.report)(Report::BrowseFailed { code, message });
            }
            _ => {}
        }
    }

    /// Where an incoming transfer goes: Downloads, or a folder of the shared
    /// folder the expert picked (client only).
    pub(super) async fn destination(
        &self,
        into: Option<String>,
    ) -> Result<PathBuf, (&'static str, String)> {
        let Some(into) = into else {
            return Ok(self.downloads.clone());
        };
        let shared = match &self.shared {
            Ok(shared) => shared.clone(),
            Err(why) => return Err((why.code(), why.to_string())),
        };
        match tokio::task::spawn_blocking(move || shared.folder(&into)).await {
            Ok(Ok(folder)) => Ok(folder),
            Ok(Err(error)) => Err((error.code(), error.to_string())),
            Err(error) => Err(("io_error", error.to_string())),
        }
    }
}

fn failed(request: u32, error: &FsError) -> FileMessage {
    FileMessage::FsFailed {
        request,
        code: error.code().into(),
        message: error.to_string(),
    }
}
