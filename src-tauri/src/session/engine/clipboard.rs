//! The clipboard in the engine, both ways, only within the `clipboard`
//! scope: sent on request ("Send clipboard") or, when the user opts in, on
//! every local copy. One [`ClipboardOwner`] per session holds the clipboard.
//!
//! Text up to 32 KiB goes on the control channel, as it always has; larger
//! text and images go on the files channel ([`crate::transfer::runner`]),
//! which checks them the same way before they reach
//! [`Engine::on_peer_clipboard`].

use crate::session::log::EventCode;
use std::sync::Arc;

use super::super::control::ControlMessage;
use super::super::scopes::Scope;
use super::channels::ChannelEvent;
use super::{Engine, Live};
use crate::clipboard::content::{ClipContent, MAX_CLIP_BYTES, MAX_CONTROL_TEXT_BYTES};
use crate::clipboard::owner::ClipboardOwner;
use crate::session::notice::NoticeCode;

/// Which way clipboard content went, for the log.
enum Direction {
    Sent,
    Received,
}

/// The log's code for content that went `direction`.
fn logged_as(content: &ClipContent, direction: Direction) -> EventCode {
    match (content, direction) {
        (ClipContent::Text(_), Direction::Sent) => EventCode::ClipboardSent,
        (ClipContent::Text(_), Direction::Received) => EventCode::ClipboardReceived,
        (ClipContent::Png(_), Direction::Sent) => EventCode::ClipboardImageSent,
        (ClipContent::Png(_), Direction::Received) => EventCode::ClipboardImageReceived,
    }
}

impl Live {
    /// The session's clipboard owner, started on first use.
    fn clipboard(&mut self, engine: &super::Backends) -> &ClipboardOwner {
        self.clipboard
            .get_or_insert_with(|| ClipboardOwner::start(Arc::clone(&engine.clipboard)))
    }
}

impl Engine {
    fn clipboard_allowed(&self) -> bool {
        self.live
            .as_ref()
            .is_some_and(|l| l.grants.check(Scope::Clipboard).is_ok())
    }

    /// Sends this side's clipboard content once.
    pub(super) async fn send_clipboard(&mut self) {
        if !self.clipboard_allowed() {
            self.notice(
                NoticeCode::NotGranted,
                "the clipboard permission is not granted",
            );
            return;
        }
        let Some(live) = &mut self.live else { return };
        let read = live.clipboard(&self.backends).get().await;
        match read {
            Ok(content) => self.share_clipboard(content).await,
            Err(error) => self.notice(NoticeCode::ClipboardUnavailable, error.to_string()),
        }
    }

    async fn share_clipboard(&mut self, content: ClipContent) {
        let (sent, size) = (logged_as(&content, Direction::Sent), content.describe());
        match content {
            ClipContent::Text(text) if text.len() <= MAX_CONTROL_TEXT_BYTES => {
                self.tell_peer(ControlMessage::Clipboard { text }).await;
            }
            content => {
                let Some(transfers) = self.live.as_ref().and_then(|l| l.transfers.as_ref()) else {
                    let why =
                        "the files channel, which carries large clipboard content, is not open yet";
                    return self.notice(NoticeCode::ClipboardUnavailable, why);
                };
                transfers.send_clip(content);
            }
        }
        self.log_event(sent, size);
    }

    /// Turns automatic sync on or off.
    pub(super) fn set_clipboard_sync(&mut self, on: bool) {
        if on && !self.clipboard_allowed() {
            self.notice(
                NoticeCode::NotGranted,
                "the clipboard permission is not granted",
            );
            return;
        }
        let reports = self.channel_tx.clone();
        let Some(live) = &mut self.live else { return };
        let session = live.session.clone();
        let changes = on.then(|| {
            Box::new(move |content: ClipContent| {
                let report = (session.clone(), ChannelEvent::LocalClipboard(content));
                if reports.try_send(report).is_err() {
                    tracing::debug!("a clipboard change was not reported");
                }
            }) as crate::clipboard::owner::Changes
        });
        live.clipboard(&self.backends).watch(changes);
        live.clipboard_sync = on;
        self.view.send_modify(|view| view.clipboard_sync = on);
    }

    pub(super) fn stop_clipboard_sync(&mut self) {
        if let Some(live) = &mut self.live {
            live.clipboard_sync = false;
            if let Some(owner) = &live.clipboard {
                owner.watch(None);
            }
        }
        self.view.send_modify(|view| view.clipboard_sync = false);
    }

    /// Automatic sync saw a local copy.
    pub(super) async fn on_local_clipboard(&mut self, content: ClipContent) {
        let syncing = self.live.as_ref().is_some_and(|live| live.clipboard_sync);
        if self.clipboard_allowed() && syncing {
            self.share_clipboard(content).await;
        }
    }

    /// The peer's clipboard content, from either channel; taken only while
    /// the grant stands (the client's `on_control` checked the control
    /// channel's already).
    pub(super) fn on_peer_clipboard(&mut self, content: ClipContent) {
        if !self.clipboard_allowed() {
            tracing::warn!("clipboard content outside the grant ignored");
            return;
        }
        if content.is_empty() || content.len() > MAX_CLIP_BYTES {
            tracing::warn!(
                bytes = content.len(),
                "clipboard content from the peer refused"
            );
            return;
        }
        let code = logged_as(&content, Direction::Received);
        let detail = content.describe();
        let Some(live) = &mut self.live else { return };
        live.clipboard(&self.backends).set(content);
        self.log_event(code, detail);
    }
}
