//! The engine and the desk: sign-in, the request and the consent as the
//! desk reports them, and the peer connection set up once a session is
//! accepted, with its offer, answer and candidates relayed through the desk.

// The engine's types and imports, shared by its files.
use super::*;

impl Engine {
    pub(super) async fn on_desk(&mut self, message: ServerMessage) {
        let now = unix_ms();
        let current = self.phase();
        match message {
            ServerMessage::SignedIn { display_name, .. } => {
                self.view.send_modify(|view| {
                    view.signed_in_as = Some(display_name);
                    view.notice = None;
                });
            }
            ServerMessage::SignedOut { reason } => {
                self.view.send_modify(|view| view.signed_in_as = None);
                if reason == SignOutReason::Inactivity {
                    self.notice(
                        "signed_out",
                        "signed out after a long time without activity",
                    );
                }
            }
            // Every `located` and refusal answers the request in flight
            // (the guards take it); one the expert withdrew meanwhile is
            // cancelled now that its session is known.
            ServerMessage::Located { session, .. }
                if self.request.located() == request::Located::Withdraw =>
            {
                self.send(AppMessage::Cancel { session }).await;
            }
            ServerMessage::Located {
                session,
                expires_in_secs,
            } if current == Phase::Idle => {
                self.set_phase(
                    Phase::Waiting {
                        session,
                        expires_at_ms: now + expires_in_secs * 1000,
                    },
                    Some(Notice::new("located", "waiting for the client's approval")),
                );
            }
            ServerMessage::ConnectRequest {
                session,
                expert,
                notes,
                scopes,
                expires_in_secs,
            } if current == Phase::Idle => {
                self.set_phase(
                    Phase::Asked {
                        session,
                        expert,
                        notes,
                        scopes,
                        expires_at_ms: now + expires_in_secs * 1000,
                    },
                    None,
                );
            }
            ServerMessage::Declined { session } if current.session() == Some(&session) => {
                self.set_phase(
                    Phase::Idle,
                    Some(Notice::new("declined", "the client declined")),
                );
            }
            ServerMessage::RequestTimedOut { session } if current.session() == Some(&session) => {
                self.set_phase(
                    Phase::Idle,
                    Some(Notice::new("timeout", "no answer in time")),
                );
            }
            ServerMessage::RequestCancelled { session } if current.session() == Some(&session) => {
                self.set_phase(
                    Phase::Idle,
                    Some(Notice::new("cancelled", "the request was withdrawn")),
                );
            }
            // The client starts a connection only for a request it accepted
            // (it is then connecting): a server that announces a session
            // the user never accepted gets nothing.
            ServerMessage::SessionStarted { session, .. }
                if self.role == Role::Client && !matches!(current, Phase::Connecting { .. }) =>
            {
                tracing::warn!(%session, "a session start for no accepted request ignored");
            }
            ServerMessage::SessionStarted {
                session,
                scopes,
                ice_servers,
                client,
            } if current.session() == Some(&session) && self.live.is_none() => {
                let name = match (&current, client) {
                    (Phase::Waiting { .. }, Some(about)) => about.computer.display_name(),
                    (Phase::Connecting { peer, .. }, _) => peer.clone(),
                    _ => String::new(),
                };
                // The client holds to what its user granted, whatever the
                // server says.
                let scopes = match (&current, self.role) {
                    (
                        Phase::Connecting {
                            scopes: granted, ..
                        },
                        Role::Client,
                    ) => granted.intersect(scopes),
                    _ => scopes,
                };
                self.start_peer(session, scopes, name, &ice_servers).await;
            }
            ServerMessage::NotesSaved { session } if current.session() == Some(&session) => {
                self.view
                    .send_modify(|view| view.notes.saved_at_ms = Some(now));
            }
            ServerMessage::Signal { session, signal } => self.on_signal(&session, signal).await,
            ServerMessage::PeerLeft { session, reason } if current.session() == Some(&session) => {
                let connected = matches!(current, Phase::Active { .. });
                if reason == LeaveReason::Disconnected && connected {
                    // Peer to peer, the session does not need the desk.
                    tracing::info!("the other side lost the desk; the session goes on");
                } else {
                    self.end(false, Some(Notice::new("peer_left", "the other side left")))
                        .await;
                }
            }
            // A late signal or goodbye for a session that has just ended
            // must not replace the notice that says why it ended.
            ServerMessage::Error {
                code: ErrorCode::NoSuchSession,
                ..
            } if self.live.is_none() => {
                tracing::debug!("the desk no longer knows the session that just ended");
            }
            ServerMessage::Error { .. } if self.request.refused() => {
                tracing::debug!("the desk refused a request already withdrawn");
            }
            ServerMessage::Error { code, message, .. } => self.notice(code.as_str(), message),
            other => tracing::debug!(?other, "desk message not for the session"),
        }
    }

    pub(super) async fn start_peer(
        &mut self,
        session: String,
        scopes: Scopes,
        name: String,
        ice_servers: &[DeskIceServer],
    ) {
        let peer_role = match self.role {
            Role::Expert => peer::Role::Offerer,
            Role::Client => peer::Role::Answerer,
        };
        let settings = PeerSettings {
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
        };
        let (peer, events) = match Peer::new(peer_role, &settings).await {
            Ok(created) => created,
            Err(error) => {
                tracing::error!(%error, "cannot create the peer connection");
                self.send(AppMessage::Bye { session }).await;
                self.set_phase(
                    Phase::Idle,
                    Some(Notice::new("connection_failed", error.to_string())),
                );
                return;
            }
        };
        let grants = match self.role {
            Role::Client => Grants::new(self.offered, scopes),
            Role::Expert => Grants::new(scopes, scopes),
        };
        let header = Header {
            format: transcript::FORMAT,
            session: session.clone(),
            role: match self.role {
                Role::Client => "client",
                Role::Expert => "expert",
            }
            .into(),
            peer: name.clone(),
            started_ms: unix_ms(),
        };
        if self.role == Role::Client {
            let grantable = grants.grantable();
            self.view.send_modify(|view| view.grantable = grantable);
        }
        let mut live = Live {
            session: session.clone(),
            peer,
            events,
            control: None,
            name: name.clone(),
            grants,
            log: SessionLog::start(self.backends.transcripts.as_deref(), header),
            share: None,
            monitors: Vec::new(),
            remote: None,
            refused: false,
            clipboard: None,
            transfers: None,
            reboot: None,
            peer_ready: false,
            outbox: Vec::new(),
            input: None,
            cursor_out: None,
            pointer: None,
            viewer: None,
            wants: Arc::default(),
            pin: None,
            held: Vec::new(),
        };
        let notice = match self.role {
            Role::Expert => Some(Notice::new("established", "the client accepted")),
            Role::Client => None,
        };
        if self.role == Role::Expert && scopes.contains(Scope::View) {
            let started = FirstFrame {
                session_started_ms: unix_ms(),
                arrived_ms: None,
            };
            self.view
                .send_modify(|view| view.first_frame = Some(started));
        }
        self.set_phase(
            Phase::Connecting {
                session: session.clone(),
                peer: name,
                scopes,
            },
            notice,
        );
        if self.role == Role::Expert {
            let offer = async {
                if scopes.contains(Scope::View) {
                    live.peer.receive_video().await?;
                }
                let control = live
                    .peer
                    .create_data_channel(CONTROL_CHANNEL, Delivery::Reliable)
                    .await?;
                // Always there, so control can be granted later on.
                let input = live
                    .peer
                    .create_data_channel(INPUT_CHANNEL, Delivery::Reliable)
                    .await?;
                let files = live
                    .peer
                    .create_data_channel(FILES_CHANNEL, Delivery::Reliable)
                    .await?;
                // Only with view: the pointer is part of the picture.
                let cursor = if scopes.contains(Scope::View) {
                    Some(
                        live.peer
                            .create_data_channel(CURSOR_CHANNEL, Delivery::Latest)
                            .await?,
                    )
                } else {
                    None
                };
                let offer = live.peer.create_offer().await?;
                Ok::<_, peer::PeerError>((control, input, files, cursor, offer))
            };
            match offer.await {
                Ok((control, input, files, cursor, offer)) => {
                    if let (Some(cursor), Some(view)) = (cursor, &self.backends.pointer.view) {
                        channels::watch_cursor(cursor, Arc::clone(view));
                    }
                    let reports = self.channel_tx.clone();
                    watch_control(reports, session.clone(), control.clone(), true);
                    live.control = Some(control);
                    live.input = Some(InputSender::start(input));
                    let allowed = live.grants.check(Scope::Files).is_ok();
                    live.transfers = Some(self.start_transfers(&session, allowed, files));
                    self.live = Some(live);
                    self.send(AppMessage::Signal {
                        session,
                        signal: offer,
                    })
                    .await;
                }
                Err(error) => {
                    self.live = Some(live);
                    self.end(
                        true,
                        Some(Notice::new("connection_failed", error.to_string())),
                    )
                    .await;
                }
            }
        } else {
            self.live = Some(live);
        }
        self.start_pin().await;
    }

    pub(super) async fn on_signal(&mut self, session: &str, signal: Signal) {
        // Only the live session's peer takes signals: a client that has not
        // accepted has no peer, so an offer goes nowhere.
        let Some(live) = self.live.as_ref().filter(|l| l.session == session) else {
            tracing::warn!(%session, "signal for no live session ignored");
            return;
        };
        if matches!(signal, Signal::Pake { .. } | Signal::PinProof { .. }) {
            return self.on_pin_signal(signal).await;
        }
        let description = matches!(signal, Signal::Offer { .. } | Signal::Answer { .. });
        match live.peer.handle_signal(signal).await {
            Ok(Some(reply)) => {
                self.send(AppMessage::Signal {
                    session: session.to_owned(),
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
            Ok(None) => {}
            // Without the other side's description the connection can never
            // come up: the attempt ends now, on both sides, instead of
            // leaving this side connecting for ever. Once connected, a stray
            // description changes nothing and the session goes on.
            Err(error) if description && matches!(self.phase(), Phase::Connecting { .. }) => {
                tracing::warn!(%error, "the peer's session description was refused");
                let code = match self.role {
                    Role::Client => "bad_offer",
                    Role::Expert => "bad_answer",
                };
                let message = format!("the other side's connection details were refused: {error}");
                self.end(true, Some(Notice::new(code, message))).await;
            }
            // A candidate that cannot be used is one path less; others may
            // still connect, and ICE failing ends the session anyway.
            Err(error) => tracing::warn!(%error, "the peer's signal was refused"),
        }
    }
}
