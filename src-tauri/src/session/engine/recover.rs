//! A connected session's way back after its path went quiet: most often a
//! network changed under one side. Each side's desk link is made again
//! (the desk keeps its place for a while), and the expert restarts ICE
//! once both can hear each other through the desk: a new offer with new
//! credentials, candidates gathered anew on sockets bound anew. The client
//! answers it like the first; the channels and the video go on.

use std::time::{Duration, Instant};

use lifeline_signaling::protocol::{AppMessage, Role};

use super::Engine;
use crate::session::log::EventCode;
use crate::session::negotiation::Input;

/// How long a restart's offer may go unanswered before another may take
/// its place (it went to a link that was dying).
const ANSWER_WITHIN: Duration = Duration::from_secs(5);

/// Where the running session's path stands, as the engine sees it.
#[derive(Debug, Default)]
pub(super) struct Recovery {
    /// ICE has heard nothing from the other side since it went quiet.
    quiet: bool,
    /// Expert: when the restart's offer went, until its answer comes.
    offered_at: Option<Instant>,
}

impl Engine {
    /// The desk carries the running session again: the other side is back
    /// on it (`other_side`), or this side's new link is.
    pub(super) async fn on_desk_again(&mut self, other_side: bool) {
        if other_side {
            self.negotiate(Input::PeerOnDesk).await;
        }
        // An offer sent before this went through a dead link, maybe.
        if let Some(live) = &mut self.live {
            live.recovery.offered_at = None;
        }
        self.restart_path("back on the desk").await;
    }

    /// The path went quiet (`failed`: for good, unless restarted).
    pub(super) async fn path_quiet(&mut self, failed: bool) {
        let Some(live) = &mut self.live else { return };
        if !std::mem::replace(&mut live.recovery.quiet, true) {
            self.view.send_modify(|view| view.reconnecting = true);
            self.log_event(EventCode::PathLost, "");
        }
        self.negotiate(Input::Reachable(false)).await;
        if failed {
            self.restart_path("the path failed").await;
        }
    }

    /// The path answers again.
    pub(super) fn path_back(&mut self) {
        let Some(live) = &mut self.live else { return };
        if std::mem::take(&mut live.recovery).quiet {
            // The picture sent while the path was quiet was lost, and a
            // still screen would not send another for seconds.
            if let Some(share) = live.client().and_then(|client| client.share.as_ref()) {
                share.request_keyframe();
            }
            self.view.send_modify(|view| view.reconnecting = false);
            self.log_event(EventCode::PathBack, "");
        }
    }

    /// Expert: an answer the connection could not take. When both sides
    /// come back to the desk at once, each return brings a restart, so two
    /// offers can cross: the answer to the first is taken as the second's,
    /// and the second's, arriving after, is refused. The credentials then
    /// match on neither side, and only a fresh offer brings the path back.
    pub(super) async fn answer_refused(&mut self) {
        if let Some(live) = &mut self.live {
            live.recovery.offered_at = None;
        }
        self.restart_path("an answer crossed another offer").await;
    }

    /// The restart's answer arrived.
    pub(super) fn restart_answered(&mut self) {
        if let Some(live) = &mut self.live {
            live.recovery.offered_at = None;
        }
    }

    /// Expert, while the path is quiet: an ICE restart, unless one waits
    /// for its answer.
    async fn restart_path(&mut self, why: &str) {
        if self.role != Role::Expert {
            return;
        }
        let Some(live) = &mut self.live else { return };
        let waiting = live
            .recovery
            .offered_at
            .is_some_and(|at| at.elapsed() < ANSWER_WITHIN);
        if !live.recovery.quiet || waiting {
            return;
        }
        live.recovery.offered_at = Some(Instant::now());
        let session = live.session.clone();
        match live.peer.restart_offer().await {
            Ok(signal) => {
                tracing::info!(why, "restarting ICE");
                self.send(AppMessage::Signal { session, signal }).await;
            }
            Err(error) => tracing::warn!(%error, "cannot restart ICE"),
        }
    }
}
