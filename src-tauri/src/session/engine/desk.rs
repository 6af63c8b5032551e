//! The engine and the desk: sign-in, the request and the consent as the
//! desk reports them, and the peer connection set up once a session is
//! accepted, with its offer, answer and candidates relayed through the desk.

use std::sync::Arc;

use lifeline_signaling::protocol::{
    AppMessage, IceServer as DeskIceServer, LeaveReason, Role, Scopes, ServerMessage, SessionId,
    SignOutReason, Signal,
};
use tokio::sync::mpsc;

use super::channels::{self, watch_control};
use super::{
    CONTROL_CHANNEL, CURSOR_CHANNEL, Engine, FILES_CHANNEL, INPUT_CHANNEL, Live, SHELL_CHANNEL,
    Side,
};
use crate::clock::unix_ms;
use crate::input::sender::InputSender;
use crate::peer::{self, Delivery, Peer, PeerEvent, PeerSettings};
use crate::session::deadlines::Deadlines;
use crate::session::grants::Grants;
use crate::session::log::{EventCode, SessionLog};
use crate::session::negotiation::{Input, Start};
use crate::session::notice::NoticeCode;
use crate::session::scopes::Scope;
use crate::session::transcript::{self, Header};
use crate::session::view::{FirstFrame, Notice, Phase};

impl Engine {
    /// A message from the desk: sign-in and the running session's here;
    /// a request's, a consent's and a session's start go to the
    /// negotiation.
    pub(super) async fn on_desk(&mut self, message: ServerMessage) {
        let current = self.phase();
        let ours = |session: &SessionId| current.session() == Some(session);
        match message {
            ServerMessage::SignedIn { display_name, .. } => {
                self.view.send_modify(|view| {
                    view.signed_in_as = Some(display_name);
                    view.notice = None;
                });
            }
            ServerMessage::SignedOut { reason } => self.signed_out(reason),
            ServerMessage::Policy { policy } => {
                self.view
                    .send_modify(|view| view.desk_policy = Some(policy));
            }
            ServerMessage::NotesSaved { session } if ours(&session) => {
                let now = unix_ms();
                self.view
                    .send_modify(|view| view.notes.saved_at_ms = Some(now));
            }
            ServerMessage::Signal { session, signal } => self.on_signal(&session, signal).await,
            ServerMessage::PeerLeft { session, reason } if ours(&session) => {
                self.on_peer_left(&current, reason).await;
            }
            ServerMessage::PeerBack { session } if ours(&session) => {
                self.on_desk_again(true).await;
            }
            ServerMessage::Reattached { session } if ours(&session) => {
                self.on_desk_again(false).await;
            }
            // The client of the running session is back from its restart
            // before this side noticed it go: that session is over.
            ServerMessage::Reconnecting { ref previous, .. } if ours(previous) => {
                let gone = "the client's computer restarted";
                self.end(false, Some(Notice::new(NoticeCode::PeerLeft, gone)))
                    .await;
                self.negotiate(Input::Desk(message)).await;
            }
            ServerMessage::ReconnectToken {
                session,
                token,
                expires_in_secs,
            } => self.reconnect_token(&session, token, expires_in_secs).await,
            ServerMessage::ConnectRequest {
                ref expert,
                scopes,
                resumes: Some(ref previous),
                ..
            } if self
                .resume
                .as_ref()
                .is_some_and(|grant| grant.covers(expert, scopes, previous)) =>
            {
                self.resume_session(message).await;
            }
            other => {
                self.negotiate(Input::Desk(other)).await;
            }
        }
    }

    /// Client, back from the restart its expert asked for: that expert's
    /// request for what the person allowed before is accepted, as agreed
    /// then; the grant is used up.
    async fn resume_session(&mut self, request: ServerMessage) {
        let ServerMessage::ConnectRequest {
            ref session,
            scopes,
            ..
        } = request
        else {
            return;
        };
        let session = session.clone();
        self.negotiate(Input::Desk(request)).await;
        if let Some(store) = &self.backends.reconnect {
            store.clear();
        }
        self.resume = None;
        self.resumed = Some(session.clone());
        let accept = Input::Answer {
            session,
            answer: crate::session::negotiation::Answer::Accept(scopes),
        };
        self.negotiate(accept).await;
    }

    fn signed_out(&self, reason: SignOutReason) {
        self.view.send_modify(|view| view.signed_in_as = None);
        match reason {
            SignOutReason::Inactivity => self.notice(
                NoticeCode::SignedOut,
                "signed out after a long time without activity",
            ),
            SignOutReason::Revoked => self.notice(
                NoticeCode::SignedOutByDesk,
                "the desk ended this sign-in (account disabled, removed or its password changed)",
            ),
            SignOutReason::Requested => {}
        }
    }

    /// The other side left the desk. Peer to peer, a connected session
    /// does not need the desk and goes on (unless the direct path has gone
    /// quiet too: the negotiation then ends it); otherwise it ends. Leaving while
    /// the PIN check is open is the other side's check failing (it ends the
    /// session the moment the PINs differ, and its proof may reach this
    /// side after its goodbye): that is what this side says too.
    async fn on_peer_left(&mut self, current: &Phase, reason: LeaveReason) {
        let connected = matches!(current, Phase::Active { .. });
        if reason == LeaveReason::Disconnected && connected {
            tracing::info!("the other side lost the desk; the session goes on while it answers");
            self.negotiate(Input::PeerOffDesk).await;
        } else if self.pin_open() {
            let message = "the other side ended the session during the PIN check";
            self.end(false, Some(Notice::new(NoticeCode::PinMismatch, message)))
                .await;
        } else {
            self.end(
                false,
                Some(Notice::new(NoticeCode::PeerLeft, "the other side left")),
            )
            .await;
        }
    }

    /// Accepted: the peer connection for `session`, its channels and, on
    /// the expert's side, the offer.
    pub(super) async fn start_peer(&mut self, start: Start) {
        let peer_role = match self.role {
            Role::Expert => peer::Role::Offerer,
            Role::Client => peer::Role::Answerer,
        };
        let settings = self.peer_settings(start.scopes, &start.ice_servers);
        let (peer, events) = match Peer::new(peer_role, &settings).await {
            Ok(created) => created,
            Err(error) => {
                tracing::error!(%error, "cannot create the peer connection");
                self.send(AppMessage::Bye {
                    session: start.session,
                })
                .await;
                let failed = Notice::new(NoticeCode::ConnectionFailed, error.to_string());
                self.step(Input::Ended(Some(failed)));
                return;
            }
        };
        let (session, scopes, offered) = (start.session.clone(), start.scopes, start.offered);
        let session_of_start = session.clone();
        let live = self.new_live(peer, events, start);
        self.wait_for_first_frame(scopes);
        if self.role == Role::Expert {
            self.offer(live, session, scopes, offered).await;
        } else {
            self.live = Some(live);
        }
        self.start_pin().await;
        if self.resumed.take().as_ref() == Some(&session_of_start) {
            self.log_event(EventCode::Resumed, String::new());
            self.notice(NoticeCode::Resumed, "the session resumed after the restart");
        }
    }

    /// This side's peer settings for a session with `scopes`, with the
    /// desk's ICE servers.
    fn peer_settings(&self, scopes: Scopes, ice_servers: &[DeskIceServer]) -> PeerSettings {
        PeerSettings {
            ice_servers: ice_servers
                .iter()
                .map(|s| peer::IceServer {
                    urls: s.urls.clone(),
                    username: s.username.clone().unwrap_or_default(),
                    credential: s.credential.clone().unwrap_or_default(),
                })
                .collect(),
            share_screen: self.role == Role::Client && scopes.contains(Scope::View),
            ..self.settings.clone()
        }
    }

    /// The session's state from its start: the grants, and the log with
    /// its transcript.
    fn new_live(&self, peer: Peer, events: mpsc::Receiver<PeerEvent>, start: Start) -> Live {
        let Start {
            session,
            scopes,
            offered,
            peer: name,
            recorded,
            ..
        } = start;
        let grants = Grants::new(offered, scopes);
        let header = Header {
            format: transcript::FORMAT,
            session: session.to_string(),
            role: match self.role {
                Role::Client => "client",
                Role::Expert => "expert",
            }
            .into(),
            peer: name,
            started_ms: unix_ms(),
        };
        if self.role == Role::Client {
            let grantable = grants.grantable();
            self.view.send_modify(|view| view.grantable = grantable);
        }
        let mut side = Side::new(self.role);
        if let Side::Expert(expert) = &mut side {
            expert.must_record = recorded;
            self.view
                .send_modify(|view| view.recording_required = recorded);
        }
        Live {
            session,
            peer,
            events,
            control: None,
            grants,
            log: SessionLog::start(self.backends.transcripts.as_deref(), header),
            clipboard: None,
            clipboard_sync: false,
            transfers: None,
            deadlines: Deadlines::default(),
            peer_ready: false,
            outbox: Vec::new(),
            peer_end: None,
            shell: None,
            pin: None,
            held: Vec::new(),
            recovery: Default::default(),
            side,
        }
    }

    /// Expert, when it may view: the view says when the wait for the
    /// first picture began.
    fn wait_for_first_frame(&mut self, scopes: Scopes) {
        if self.role == Role::Expert && scopes.contains(Scope::View) {
            let started = FirstFrame {
                session_started_ms: unix_ms(),
                arrived_ms: None,
            };
            self.view
                .send_modify(|view| view.first_frame = Some(started));
        }
    }

    /// Expert: opens the session's channels, starts their readers and
    /// writers, and sends the offer; a failure ends the session.
    async fn offer(&mut self, mut live: Live, session: SessionId, scopes: Scopes, asked: Scopes) {
        match open_channels(&live.peer, scopes, asked).await {
            Ok(opened) => {
                if let (Some(cursor), Some(view)) = (opened.cursor, &self.backends.pointer.view) {
                    channels::watch_cursor(cursor, Arc::clone(view));
                }
                let reports = self.channel_tx.clone();
                watch_control(reports, session.clone(), opened.control.clone(), true);
                live.control = Some(opened.control);
                if let Some(shell) = opened.shell {
                    let reports = self.channel_tx.clone();
                    channels::watch_shell(reports, session.clone(), shell.clone());
                    live.shell = Some(shell);
                }
                if let Some(expert) = live.expert_mut() {
                    expert.input = Some(InputSender::start(opened.input));
                }
                let allowed = live.grants.current();
                let round_trip = live.peer.round_trip();
                let transfers = self.start_transfers(&session, allowed, opened.files, round_trip);
                live.transfers = Some(transfers);
                self.live = Some(live);
                let signal = opened.offer;
                self.send(AppMessage::Signal { session, signal }).await;
            }
            Err(error) => {
                self.live = Some(live);
                self.end(
                    true,
                    Some(Notice::new(NoticeCode::ConnectionFailed, error.to_string())),
                )
                .await;
            }
        }
    }

    pub(super) async fn on_signal(&mut self, session: &SessionId, signal: Signal) {
        // Only the live session's peer takes signals: a client that has not
        // accepted has no peer, so an offer goes nowhere.
        let Some(live) = self.live.as_ref().filter(|l| l.session == *session) else {
            tracing::warn!(%session, "signal for no live session ignored");
            return;
        };
        if matches!(signal, Signal::Pake { .. } | Signal::PinProof { .. }) {
            return self.on_pin_signal(signal).await;
        }
        let description = matches!(signal, Signal::Offer { .. } | Signal::Answer { .. });
        let answer = matches!(signal, Signal::Answer { .. });
        match live.peer.handle_signal(signal).await {
            Ok(Some(reply)) => {
                self.send(AppMessage::Signal {
                    session: session.clone(),
                    signal: reply,
                })
                .await;
                // The client answered: capture and encode while ICE runs,
                // unless a PIN check still has to pass first.
                let pin_pending = self
                    .live
                    .as_ref()
                    .and_then(|l| l.pin.as_ref())
                    .is_some_and(|pin| !pin.verified());
                if self.role == Role::Client && !pin_pending {
                    self.start_sharing().await;
                }
            }
            Ok(None) if answer => self.restart_answered(),
            Ok(None) => {}
            // Without the other side's description the connection can never
            // come up: the attempt ends now, on both sides, instead of
            // leaving this side connecting for ever. Once connected, a stray
            // description changes nothing and the session goes on.
            Err(error) if description && matches!(self.phase(), Phase::Connecting { .. }) => {
                tracing::warn!(%error, "the peer's session description was refused");
                let code = match self.role {
                    Role::Client => NoticeCode::BadOffer,
                    Role::Expert => NoticeCode::BadAnswer,
                };
                let message = format!("the other side's connection details were refused: {error}");
                self.end(true, Some(Notice::new(code, message))).await;
            }
            Err(error) if answer && self.role == Role::Expert => {
                tracing::info!(%error, "an answer was refused");
                self.answer_refused().await;
            }
            // A candidate that cannot be used is one path less; others may
            // still connect, and ICE failing ends the session anyway.
            Err(error) => tracing::warn!(%error, "the peer's signal was refused"),
        }
    }
}

/// The channels the expert opens, and the offer that carries them.
struct Opened {
    control: peer::Channel,
    /// Always there, so control can be granted later on.
    input: peer::Channel,
    files: peer::Channel,
    /// Only with view: the pointer is part of the picture.
    cursor: Option<peer::Channel>,
    /// Only when the expert asks for `shell`.
    shell: Option<peer::Channel>,
    offer: Signal,
}

/// Expert: opens the session's channels (and asks for the screen when it
/// may view, or offers video both ways when it asked to show its own),
/// then makes the offer. The shell's channel is there whenever
/// the expert asked for `shell`, so that the client can grant it later.
async fn open_channels(
    peer: &Peer,
    scopes: Scopes,
    asked: Scopes,
) -> Result<Opened, peer::PeerError> {
    if asked.contains(Scope::ReverseView) {
        // One transceiver both ways: the client's screen comes back on it.
        peer.send_and_receive_video().await?;
    } else if scopes.contains(Scope::View) {
        peer.receive_video().await?;
    }
    let control = peer
        .create_data_channel(CONTROL_CHANNEL, Delivery::Reliable)
        .await?;
    let input = peer
        .create_data_channel(INPUT_CHANNEL, Delivery::Reliable)
        .await?;
    let files = peer
        .create_data_channel(FILES_CHANNEL, Delivery::Reliable)
        .await?;
    let cursor = if scopes.contains(Scope::View) {
        Some(
            peer.create_data_channel(CURSOR_CHANNEL, Delivery::Latest)
                .await?,
        )
    } else {
        None
    };
    let shell = if asked.contains(Scope::Shell) {
        Some(
            peer.create_data_channel(SHELL_CHANNEL, Delivery::Reliable)
                .await?,
        )
    } else {
        None
    };
    let offer = peer.create_offer().await?;
    Ok(Opened {
        control,
        input,
        files,
        cursor,
        shell,
        offer,
    })
}
