//! File transfers in the engine: one runner per session on the `files`
//! channel, allowed while the client grants `files`, reporting progress into
//! the session view and outcomes into the running log.

use lifeline_signaling::protocol::Role;
use lifeline_signaling::protocol::SessionId;
use std::path::PathBuf;

use super::super::scopes::{Scope, Scopes};
use super::Engine;
use super::channels::ChannelEvent;
use crate::session::log::EventCode;
use crate::session::notice::NoticeCode;
use crate::session::view::RemoteFolder;
use crate::transfer::error::TransferError;
use crate::transfer::runner::{Report, Transfers};
use crate::transfer::wire::FsOp;

impl Engine {
    /// Starts the runner on the files channel (the expert's transfers are
    /// numbered even, the client's odd), within the grants `allowed`.
    pub(super) fn start_transfers(
        &self,
        session: &SessionId,
        allowed: Scopes,
        channel: crate::peer::Channel,
        round_trip: crate::peer::RoundTrip,
    ) -> Transfers {
        let reports = self.channel_tx.clone();
        let session = session.clone();
        let (first_id, shared) = match self.role {
            Role::Expert => (0, None),
            Role::Client => (1, self.backends.shared.clone()),
        };
        let transfers = Transfers::start(
            channel,
            round_trip,
            first_id,
            self.backends.downloads.clone(),
            shared,
            allowed.contains(Scope::Files),
            move |report| {
                if reports
                    .try_send((session.clone(), ChannelEvent::Transfer(report)))
                    .is_err()
                {
                    tracing::debug!("a transfer report was dropped");
                }
            },
        );
        transfers.allow_clipboard(allowed.contains(Scope::Clipboard));
        transfers
    }

    pub(super) fn send_files(&mut self, path: PathBuf, into: Option<String>) {
        if let Some(transfers) = self.files_runner() {
            transfers.send(path, into);
        }
    }

    pub(super) fn browse(&mut self, op: FsOp) {
        if self.role != Role::Expert {
            return self.notice(
                NoticeCode::ExpertOnly,
                "only the expert browses the other computer",
            );
        }
        if let Some(transfers) = self.files_runner() {
            transfers.browse(op);
        }
    }

    /// The files runner, if files may move now; otherwise says why not.
    fn files_runner(&mut self) -> Option<&Transfers> {
        let live = self.live.as_ref()?;
        if live.grants.check(Scope::Files).is_err() {
            self.notice(
                NoticeCode::NotGranted,
                "the files permission is not granted",
            );
            return None;
        }
        if live.transfers.is_none() {
            self.notice(
                NoticeCode::FilesUnavailable,
                "the files channel is not open yet",
            );
        }
        self.live.as_ref()?.transfers.as_ref()
    }

    pub(super) fn cancel_transfer(&self, id: u32) {
        if let Some(transfers) = self.live.as_ref().and_then(|l| l.transfers.as_ref()) {
            transfers.cancel(id);
        }
    }

    /// The files channel follows the grants: files, and clipboard content
    /// too large for the control channel.
    pub(super) fn allow_transfers(&self, allowed: Scopes) {
        if let Some(transfers) = self.live.as_ref().and_then(|l| l.transfers.as_ref()) {
            transfers.allow(allowed.contains(Scope::Files));
            transfers.allow_clipboard(allowed.contains(Scope::Clipboard));
        }
    }

    pub(super) fn on_transfer(&mut self, report: Report) {
        match report {
            Report::Progress(list) => self.view.send_modify(|view| view.transfers = list),
            Report::Note { code, detail } => self.log_event(code, detail),
            Report::Listing(listing) => self.view.send_modify(|view| {
                view.remote_files = Some(RemoteFolder {
                    listing,
                    error: None,
                })
            }),
            Report::BrowseFailed { code, message } => self.view.send_modify(|view| {
                view.remote_files
                    .get_or_insert_with(RemoteFolder::default)
                    .error = Some(TransferError::new(code, message))
            }),
            Report::Clip(content) => self.on_peer_clipboard(content),
            Report::ClipRefused { code, message } => self.log_event(
                EventCode::Refused,
                format!("clipboard content: {code}: {message}"),
            ),
            Report::ClipNotSent { message, .. } => {
                self.notice(NoticeCode::ClipboardUnavailable, message)
            }
        }
    }
}
