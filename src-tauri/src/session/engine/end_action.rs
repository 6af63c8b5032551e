//! Ending a session with the client's screen locked or its user logged
//! out. The expert asks; the client (within `control` or `reboot`, checked
//! with every control message) runs the command and tells the expert how
//! it went; the expert ends the session on that word, and both records say
//! what happened.

use std::time::{Duration, Instant};

use super::Engine;
use super::channels::ChannelEvent;
use crate::session::control::ControlMessage;
use crate::session::deadlines::Due;
use crate::session::end_action::EndAction;
use crate::session::log::EventCode;
use crate::session::notice::NoticeCode;
use crate::session::view::Notice;

/// How long the client waits for the expert to end the session after the
/// end action, before ending it itself.
const END_GRACE: Duration = Duration::from_secs(3);

impl Engine {
    /// Client: runs the action's command off the engine's task.
    pub(super) fn run_end_action(&mut self, action: EndAction) {
        let Some(live) = &self.live else { return };
        let (reports, session) = (self.channel_tx.clone(), live.session.clone());
        let actions = self.backends.end_actions.clone();
        tracing::info!(%action, "the expert ends the session with an action");
        tokio::spawn(async move {
            let result = actions.run(action).await;
            let _ = reports
                .send((session, ChannelEvent::EndActionDone { action, result }))
                .await;
        });
    }

    /// Client: the command ran. The expert hears how it went and ends the
    /// session (so that the word arrives before the end, which the desk
    /// could otherwise bring sooner); a client whose expert does not, ends
    /// it after [`END_GRACE`].
    pub(super) async fn end_action_done(&mut self, action: EndAction, result: Result<(), String>) {
        let notice = self.record_end_action(action, result.as_ref().err().cloned());
        self.tell_peer(ControlMessage::EndedWith {
            action,
            error: result.err(),
        })
        .await;
        let Some(live) = &mut self.live else { return };
        live.deadlines
            .set(Due::EndAfterAction, Instant::now() + END_GRACE);
        if let Some(client) = live.client_mut() {
            client.ended_with = Some(notice);
        }
    }

    /// Expert: the client ran the action and ends the session.
    pub(super) async fn ended_with(&mut self, action: EndAction, error: Option<String>) {
        let notice = self.record_end_action(action, error);
        self.end(false, Some(notice)).await;
    }

    /// Both sides: the record of how the action went, and the notice the
    /// session ends with.
    fn record_end_action(&mut self, action: EndAction, error: Option<String>) -> Notice {
        let (event, code, detail) = match (action, error) {
            (EndAction::Lock, None) => (EventCode::Locked, NoticeCode::Locked, String::new()),
            (EndAction::LogOut, None) => {
                (EventCode::LoggedOut, NoticeCode::LoggedOut, String::new())
            }
            (_, Some(error)) => (
                EventCode::EndActionFailed,
                NoticeCode::EndActionFailed,
                format!("{action}: {error}"),
            ),
        };
        self.log_event(event, detail.clone());
        Notice::new(code, detail)
    }
}
