//! The control channel in the engine: the outbox that waits for the peer's
//! hello, and every incoming message checked against the client's grants
//! before it does anything.

use crate::clipboard::content::ClipContent;
use crate::media::capture::CaptureProblem;
use crate::session::log::EventCode;
use crate::session::scopes::Scope;
use lifeline_signaling::protocol::{AppMessage, Role, SessionId};

use super::channels::ChannelEvent;
use super::{Engine, Live, OUTBOX_LIMIT};
use crate::session::control::{ControlMessage, PROTOCOL_VERSION};
use crate::session::grants::{needed_for, or_instead};
use crate::session::notice::NoticeCode;
use crate::session::view::{Notice, ScreenInfo};

impl Engine {
    /// Sends on the control channel. Messages wait in the outbox until
    /// the channel is there and the peer's hello shows it open both ways
    /// (the client's channel arrives from the expert, after the
    /// connection: what is said before that is said once it is open).
    pub(super) async fn tell_peer(&mut self, message: ControlMessage) {
        let Some(live) = &mut self.live else { return };
        let (Some(control), true) = (&live.control, live.peer_ready) else {
            if live.outbox.len() < OUTBOX_LIMIT {
                live.outbox.push(message);
            } else {
                tracing::warn!("control outbox full; message dropped");
            }
            return;
        };
        if let Err(error) = control.send_text(&message.to_json()).await {
            tracing::debug!(%error, "control message not sent");
        }
    }

    /// The peer said hello: the channel is open, send what waited.
    pub(super) async fn on_peer_ready(&mut self) {
        let Some(live) = &mut self.live else { return };
        live.peer_ready = true;
        for message in std::mem::take(&mut live.outbox) {
            self.tell_peer(message).await;
        }
    }

    pub(super) async fn on_channel(&mut self, session: &SessionId, event: ChannelEvent) {
        if self.live.as_ref().map(|l| &l.session) != Some(session) {
            return;
        }
        match event {
            // As with the connection's close (see `closed_during_pin`).
            ChannelEvent::ControlClosed if self.pin_open() => self.closed_during_pin(),
            ChannelEvent::ControlClosed => {
                self.end(
                    false,
                    Some(Notice::new(
                        NoticeCode::PeerLeft,
                        "the other side ended the session",
                    )),
                )
                .await;
            }
            ChannelEvent::Control(message) => self.on_control(message).await,
            ChannelEvent::Input(event) => self.on_input(event).await,
            ChannelEvent::LocalClipboard(content) => self.on_local_clipboard(content).await,
            ChannelEvent::Transfer(report) => self.on_transfer(report),
            ChannelEvent::Path(path) => self.on_path(session.clone(), path).await,
            ChannelEvent::ScreenProblem(problem) => self.on_screen_problem(problem).await,
            ChannelEvent::ControlUnavailable { attempt, reason } => {
                self.control_unavailable(attempt, reason).await
            }
            ChannelEvent::SystemInfoTaken(snapshot) => self.send_system_info(snapshot).await,
            ChannelEvent::Shell(message) => self.on_shell(message).await,
            ChannelEvent::ShellReady => self.shell_ready().await,
            ChannelEvent::ShellEnded { shell, code } => self.shell_ended(shell, code),
            ChannelEvent::EndActionDone { action, result } => {
                self.end_action_done(action, result).await
            }
            ChannelEvent::FirstFrame { at_ms } => self.view.send_modify(|view| {
                if let Some(first) = &mut view.first_frame {
                    first.arrived_ms.get_or_insert(at_ms);
                }
            }),
        }
    }

    /// The path the connection chose: shown, logged, kept in the desk's
    /// record of the session, and our end told to the peer. Again when the
    /// peer's word about its end changes it.
    /// Client: the screen could not be captured, or can be again: both
    /// sides' views say so, and the running log says why.
    async fn on_screen_problem(&mut self, problem: Option<CaptureProblem>) {
        if let Some(problem) = &problem {
            tracing::warn!(problem = %problem.reason, "the screen cannot be shared");
            self.log_event(EventCode::ScreenUnavailable, problem.reason.clone());
        }
        self.tell_screen().await;
        if problem.is_some_and(|p| p.stopped) {
            self.view_stopped_from_the_desktop().await;
        }
    }

    /// Expert: what the client shares now. A new problem goes in the
    /// session's record too, so that the expert can read later why there
    /// was no picture.
    fn on_screen(&mut self, screen: ScreenInfo) {
        let before = self
            .view
            .borrow()
            .screen
            .as_ref()
            .and_then(|s| s.problem.clone());
        if let Some(problem) = &screen.problem
            && before.as_ref() != Some(problem)
        {
            self.log_event(EventCode::ScreenUnavailable, problem.clone());
        }
        self.view.send_modify(|view| view.screen = Some(screen));
    }

    /// Client: the person stopped sharing from their desktop (its own
    /// indicator). That is their answer to "may the expert see the
    /// screen?": view is withdrawn, as if from the session bar, so the
    /// expert is told at once and nothing asks the desktop again until
    /// the person allows view again.
    async fn view_stopped_from_the_desktop(&mut self) {
        let Some(live) = &self.live else { return };
        let current = live.grants.current();
        if !current.contains(Scope::View) {
            return;
        }
        let rest = current.iter().filter(|s| *s != Scope::View).collect();
        self.set_grants(rest).await;
        self.notice(
            NoticeCode::ScreenStopped,
            "sharing was stopped from the desktop",
        );
    }

    async fn on_path(&mut self, session: SessionId, path: crate::peer::path::NetworkPath) {
        let peer_end = self.live.as_ref().and_then(|l| l.peer_end);
        let path = path.seen_with(peer_end);
        if self.view.borrow().path.as_ref() == Some(&path) {
            return;
        }
        tracing::info!(%path, "the connection's path");
        self.tell_peer(ControlMessage::PathEnd { local: path.local })
            .await;
        let report = path.report();
        let code = if report.relayed {
            EventCode::PathRelayed
        } else {
            EventCode::PathDirect
        };
        self.log_event(code, format!("{:?}", report.transport).to_uppercase());
        self.view.send_modify(|view| view.path = Some(path));
        self.send(AppMessage::Path {
            session,
            path: report,
        })
        .await;
    }

    /// Client: the scope `message` needs and the client has not granted,
    /// if any.
    fn not_granted(&self, message: &ControlMessage) -> Option<Scope> {
        let live = self.live.as_ref()?;
        let denied = |scope| live.grants.check(scope).is_err();
        let scope = needed_for(message)?;
        (self.role == Role::Client && denied(scope) && or_instead(message).is_none_or(denied))
            .then_some(scope)
    }

    pub(super) async fn on_control(&mut self, message: ControlMessage) {
        // The client checks each request against its grants.
        if let Some(scope) = self.not_granted(&message) {
            self.refuse(scope, refused_what(scope)).await;
            return;
        }
        match (message, self.role) {
            (ControlMessage::Hello { version }, _) => {
                if version == PROTOCOL_VERSION {
                    self.on_peer_ready().await;
                } else {
                    let detail = format!("peer protocol {version}, ours {PROTOCOL_VERSION}");
                    self.log_event(EventCode::Incompatible, detail.clone());
                    self.end(true, Some(Notice::new(NoticeCode::Incompatible, detail)))
                        .await;
                }
            }
            (ControlMessage::Bye, _) => {
                self.end(
                    false,
                    Some(Notice::new(
                        NoticeCode::PeerLeft,
                        "the other side ended the session",
                    )),
                )
                .await;
            }
            (ControlMessage::Chat { text, .. }, _) => self.on_chat(text),
            (ControlMessage::Clipboard { text }, _) => {
                self.on_peer_clipboard(ClipContent::Text(text))
            }
            (ControlMessage::Reboot { reconnect }, Role::Client) => {
                self.schedule_reboot(reconnect).await
            }
            (
                news @ (ControlMessage::RebootScheduled { .. } | ControlMessage::RebootCancelled),
                Role::Expert,
            ) => self.on_reboot_news(news),
            (ControlMessage::Screen(screen), Role::Expert) => self.on_screen(screen),
            (ControlMessage::Recording { on }, Role::Client) => self.on_recording(on),
            (ControlMessage::Grants { scopes }, Role::Expert) => self.on_new_grants(scopes).await,
            (ControlMessage::Refused { scope, what }, Role::Expert) => self.on_refused(scope, what),
            (ControlMessage::ControlUnavailable { reason }, Role::Expert) => {
                self.on_control_unavailable(reason)
            }
            (ControlMessage::AskSystemInfo, Role::Client) => self.take_system_info().await,
            (ControlMessage::EndWith { action }, Role::Client) => self.run_end_action(action),
            (ControlMessage::EndedWith { action, error }, Role::Expert) => {
                self.ended_with(action, error).await
            }
            (ControlMessage::SystemInfo(snapshot), Role::Expert) => self.on_system_info(*snapshot),
            (
                steer @ (ControlMessage::SelectMonitor { .. } | ControlMessage::SetQuality { .. }),
                Role::Client,
            ) => self.steer_screen(steer).await,
            (ControlMessage::ReverseView { on }, Role::Client) => self.on_reverse_view(on),
            (ControlMessage::ReverseViewClosed, Role::Expert) => {
                self.on_reverse_view_closed().await
            }
            (ControlMessage::PathEnd { local }, _) => self.on_peer_end(local).await,
            (message, _) => {
                tracing::warn!(?message, "control message not for this side ignored");
            }
        }
    }

    /// Client: the expert picked another monitor or quality.
    async fn steer_screen(&mut self, steer: ControlMessage) {
        let Some(share) = self
            .live
            .as_mut()
            .and_then(Live::client_mut)
            .and_then(|c| c.share.as_mut())
        else {
            return;
        };
        match steer {
            ControlMessage::SelectMonitor { monitor } => share.select_monitor(monitor),
            ControlMessage::SetQuality { quality } => share.set_quality(quality),
            _ => return,
        }
        self.announce_screen().await;
    }

    /// Expert: the client's grants changed. A recording of a screen no
    /// longer shared ends with it, and so does showing this screen when
    /// that is no longer allowed.
    async fn on_new_grants(&mut self, scopes: crate::session::scopes::Scopes) {
        self.on_grants(scopes);
        if scopes.contains(Scope::View) {
            self.record_as_the_desk_requires().await;
        } else {
            self.stop_recording().await;
        }
        if !scopes.contains(Scope::ReverseView) {
            self.stop_showing(false, EventCode::ReverseViewStopped)
                .await;
        }
    }

    /// Expert: the client refused a request for want of `scope`.
    fn on_refused(&mut self, scope: Scope, what: String) {
        self.log_event(EventCode::Refused, format!("{scope}: {what}"));
        if scope == Scope::SystemInfo {
            self.system_info_refused();
        }
    }

    /// The peer told how its end of the path was found.
    async fn on_peer_end(&mut self, end: crate::peer::path::Reach) {
        let Some(live) = &mut self.live else { return };
        live.peer_end = Some(end);
        let session = live.session.clone();
        let known = self.view.borrow().path.clone();
        if let Some(path) = known {
            self.on_path(session, path).await;
        }
    }
}

/// What a refused control message asked for, in the log's words.
fn refused_what(scope: Scope) -> &'static str {
    match scope {
        Scope::View => "screen settings",
        Scope::Clipboard => "clipboard text",
        Scope::Reboot => "a restart",
        Scope::SystemInfo => "system information",
        Scope::ReverseView => "the expert's screen",
        Scope::Control | Scope::Files | Scope::Shell => "a request",
    }
}
