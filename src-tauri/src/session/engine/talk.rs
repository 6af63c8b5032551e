//! The engine's conversation with the other side: the running log, chat,
//! and the client's grants as they change during the session.

use crate::session::log::EventCode;
use lifeline_signaling::protocol::{AppMessage, Role};

use super::super::control::ControlMessage;
use super::super::log::{Author, LogEntry, check_chat};
use super::super::scopes::{Scope, Scopes};
use super::{Engine, Live, LogItem, scope_list};
use crate::clock::unix_ms;
use crate::session::negotiation::Input;
use crate::session::notice::NoticeCode;

impl Engine {
    /// Adds `entry` to the running session's log and tells the UI.
    pub(super) fn log_entry(&mut self, entry: LogEntry) {
        let Some(live) = &mut self.live else { return };
        live.log.push(entry.clone());
        let item = LogItem {
            session: live.session.clone(),
            seq: live.log.entries().len() - 1,
            entry,
        };
        // No receiver (no window open) is fine: the snapshot has it.
        let _ = self.log.send(item);
    }

    pub(super) fn log_event(&mut self, code: EventCode, detail: impl Into<String>) {
        self.log_entry(LogEntry::Event {
            at_ms: unix_ms(),
            code,
            detail: detail.into(),
        });
    }

    pub(super) fn log_items(&self) -> Vec<LogItem> {
        let Some(live) = &self.live else {
            return Vec::new();
        };
        live.log
            .entries()
            .iter()
            .enumerate()
            .map(|(seq, entry)| LogItem {
                session: live.session.clone(),
                seq,
                entry: entry.clone(),
            })
            .collect()
    }

    /// Sends a chat line to the other side and logs it.
    pub(super) async fn chat(&mut self, text: String) {
        if let Err(error) = check_chat(&text) {
            self.notice(NoticeCode::BadChat, error.to_string());
            return;
        }
        let has_channel = self.live.as_ref().is_some_and(|l| l.control.is_some());
        if !has_channel {
            self.notice(
                NoticeCode::ChatUnavailable,
                "the chat opens with the connection",
            );
            return;
        }
        let sent_ms = unix_ms();
        self.tell_peer(ControlMessage::Chat {
            text: text.clone(),
            sent_ms,
        })
        .await;
        self.log_entry(LogEntry::Chat {
            at_ms: sent_ms,
            from: Author::Me,
            text,
        });
    }

    /// A chat line from the other side. The time is ours: the peer's clock
    /// is not trusted for the record.
    pub(super) fn on_chat(&mut self, text: String) {
        if let Err(error) = check_chat(&text) {
            tracing::warn!(%error, "chat message from the peer dropped");
            return;
        }
        self.log_entry(LogEntry::Chat {
            at_ms: unix_ms(),
            from: Author::Peer,
            text,
        });
    }

    /// Client: withdraws or re-grants permissions, stops what a withdrawn
    /// scope allowed, and tells the expert at once.
    pub(super) async fn set_grants(&mut self, scopes: Scopes) {
        debug_assert_eq!(self.role, Role::Client);
        let Some(live) = &mut self.live else { return };
        let change = match live.grants.set(scopes) {
            Ok(change) => change,
            Err(error) => {
                self.notice(NoticeCode::GrantRefused, error.to_string());
                return;
            }
        };
        let current = live.grants.current();
        if let Some(client) = live.client_mut() {
            client.refused = false;
            if change.withdrawn.contains(Scope::Control) {
                // Dropping it lets go of every key and button held.
                client.remote = None;
            }
        }
        if change.withdrawn.contains(Scope::Clipboard) {
            self.stop_clipboard_sync();
        }
        if change.withdrawn.contains(Scope::Reboot) {
            self.cancel_reboot().await;
        }
        if change.withdrawn.contains(Scope::Shell) {
            self.close_shells();
        }
        if change.withdrawn.contains(Scope::ReverseView) {
            self.on_reverse_view(false);
        }
        self.allow_transfers(current);
        let Some(live) = &mut self.live else { return };
        if change.withdrawn.contains(Scope::View)
            && let Some(client) = live.client_mut()
        {
            client.share = None;
            client.pointer = None;
            self.view.send_modify(|view| view.screen = None);
        }
        let session = live.session.clone();
        self.show_scopes(current);
        self.tell_peer(ControlMessage::Grants { scopes: current })
            .await;
        // For the desk's audit log; the session does not depend on it.
        self.send(AppMessage::Grants {
            session,
            scopes: current,
        })
        .await;
        if !change.withdrawn.is_empty() {
            self.log_event(EventCode::Withdrawn, scope_list(change.withdrawn));
        }
        if !change.granted.is_empty() {
            self.log_event(EventCode::Granted, scope_list(change.granted));
        }
        if change.granted.contains(Scope::View) {
            self.start_sharing().await;
        }
    }

    /// Expert: the client changed what it allows.
    pub(super) fn on_grants(&mut self, scopes: Scopes) {
        let Some(live) = &mut self.live else { return };
        let before = live.grants.current();
        live.grants = super::Grants::new(scopes, scopes);
        let withdrawn: Scopes = before.iter().filter(|s| !scopes.contains(*s)).collect();
        let granted: Scopes = scopes.iter().filter(|s| !before.contains(*s)).collect();
        if withdrawn.contains(Scope::View) {
            self.view.send_modify(|view| view.screen = None);
        }
        if withdrawn.contains(Scope::Clipboard) {
            self.stop_clipboard_sync();
        }
        self.allow_transfers(scopes);
        self.show_scopes(scopes);
        if !withdrawn.is_empty() {
            self.log_event(EventCode::Withdrawn, scope_list(withdrawn));
        }
        if !granted.is_empty() {
            self.log_event(EventCode::Granted, scope_list(granted));
        }
    }

    /// Client: a request outside the grants. Logged every time; the expert
    /// and the log hear of it once per grant change, not once per event.
    pub(super) async fn refuse(&mut self, scope: Scope, what: &str) {
        tracing::warn!(%scope, what, "request outside the granted permissions refused");
        let Some(client) = self.live.as_mut().and_then(Live::client_mut) else {
            return;
        };
        if client.refused {
            return;
        }
        client.refused = true;
        self.log_event(EventCode::Refused, format!("{scope}: {what}"));
        self.tell_peer(ControlMessage::Refused {
            scope,
            what: what.to_owned(),
        })
        .await;
    }

    /// Puts the current scopes in the phase the UI shows.
    fn show_scopes(&mut self, current: Scopes) {
        self.step(Input::Scopes(current));
    }
}
