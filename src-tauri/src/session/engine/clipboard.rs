//! Clipboard text in the engine, both ways, only within the `clipboard`
//! scope: sent on request ("Send clipboard") or, when the user opts in, on
//! every local copy. One [`ClipboardOwner`] per session holds the clipboard.

use crate::session::log::EventCode;
use std::sync::Arc;

use lifeline_signaling::protocol::Role;

use super::super::control::ControlMessage;
use super::super::scopes::Scope;
use super::channels::ChannelEvent;
use super::{Engine, Live};
use crate::clipboard::MAX_CLIPBOARD_BYTES;
use crate::clipboard::owner::ClipboardOwner;
use crate::session::notice::NoticeCode;

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

    /// Sends this side's clipboard text once.
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
            Ok(text) => self.share_clipboard(text).await,
            Err(error) => self.notice(NoticeCode::ClipboardUnavailable, error.to_string()),
        }
    }

    async fn share_clipboard(&mut self, text: String) {
        let chars = text.chars().count();
        self.tell_peer(ControlMessage::Clipboard { text }).await;
        self.log_event(EventCode::ClipboardSent, chars.to_string());
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
            Box::new(move |text: String| {
                let report = (session.clone(), ChannelEvent::LocalClipboard(text));
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
    pub(super) async fn on_local_clipboard(&mut self, text: String) {
        let syncing = self.live.as_ref().is_some_and(|live| live.clipboard_sync);
        if self.clipboard_allowed() && syncing {
            self.share_clipboard(text).await;
        }
    }

    /// The peer's clipboard text. The client's check already ran in
    /// `on_control`; the expert takes it only while the grant stands.
    pub(super) fn on_peer_clipboard(&mut self, text: String) {
        if self.role == Role::Expert && !self.clipboard_allowed() {
            tracing::warn!("clipboard text outside the grant ignored");
            return;
        }
        if text.is_empty() || text.len() > MAX_CLIPBOARD_BYTES {
            tracing::warn!(bytes = text.len(), "clipboard text from the peer refused");
            return;
        }
        let chars = text.chars().count();
        let Some(live) = &mut self.live else { return };
        live.clipboard(&self.backends).set(text);
        self.log_event(EventCode::ClipboardReceived, chars.to_string());
    }
}
