//! One task per WebSocket. It parses and bounds each frame, keeps the
//! connection's own state (its role, the signed-in expert), applies the
//! abuse limits, and asks the hub for everything shared. It also drains the
//! connection's outbox, where the hub puts what it has to say.
//!
//! A peer's input never panics it, and one connection's failure never
//! touches another.

use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::extract::ws::{Message, WebSocket};
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep_until};

use crate::accounts::{AccountError, Expert};
use crate::hub::{Asking, ConnId, Outbox, Refusal};
use crate::ids::{ClientId, IdFormatError};
use crate::limits::{ConnectionSlot, RetryAfter};
use crate::policy::DeskPolicy;
use crate::protocol::{
    AppMessage, ComputerInfo, DeskPolicyInfo, ErrorCode, MAX_COMPUTER_FIELD_CHARS,
    MAX_DESCRIPTION_CHARS, MAX_NOTES_CHARS, MAX_REASON_CHARS, PROTOCOL_VERSION, Role, Scopes,
    ServerMessage, SessionId, SignOutReason, Signal,
};
use crate::records::RecordEvent;
use crate::sign_in::{self, Refusal as SignIn};
use crate::state::Shared;
use crate::untrusted::Untrusted;

/// How many messages the hub may queue for one connection.
const OUTBOX: usize = 256;

/// A signed-in expert on this connection.
struct SignedIn {
    expert: Expert,
    token: String,
    /// The last thing the expert did (not pings): the idle clock.
    last_active: Instant,
}

struct Connection {
    conn: ConnId,
    ip: IpAddr,
    shared: Arc<Shared>,
    outbox: Outbox,
    role: Option<Role>,
    signed_in: Option<SignedIn>,
}

/// Serves one WebSocket until it ends, then tells the hub it has gone and
/// gives up the connection's place under the caps.
pub async fn run(
    mut socket: WebSocket,
    conn: ConnId,
    ip: IpAddr,
    shared: Arc<Shared>,
    slot: ConnectionSlot,
) {
    shared
        .metrics
        .connections_open
        .fetch_add(1, Ordering::Relaxed);
    let (outbox, mut outgoing) = mpsc::channel(OUTBOX);
    let mut this = Connection {
        conn,
        ip,
        shared: Arc::clone(&shared),
        outbox,
        role: None,
        signed_in: None,
    };
    this.converse(&mut socket, &mut outgoing).await;
    // A desk shutting down leaves its sessions' records open: the peers go
    // on without it, and the expert's app ends each record when its
    // session ends, once the desk is back (see `bye`).
    if this.role.is_some() && !*shared.closing.borrow() {
        shared.hub.disconnected(conn).await;
    }
    shared
        .metrics
        .connections_open
        .fetch_sub(1, Ordering::Relaxed);
    drop(slot);
}

/// Sends one message as a JSON text frame; an error means the socket is gone.
async fn send(socket: &mut WebSocket, message: &ServerMessage) -> Result<(), axum::Error> {
    // Serialising our own enum of strings and numbers cannot fail.
    let json = serde_json::to_string(message).expect("server message serialises");
    socket.send(Message::Text(json.into())).await
}

/// Tells the peer the server is shutting down (close code 1001).
async fn say_going_away(socket: &mut WebSocket) {
    let _ = socket
        .send(Message::Close(Some(axum::extract::ws::CloseFrame {
            code: axum::extract::ws::close_code::AWAY,
            reason: "the server is shutting down".into(),
        })))
        .await;
}

fn refused(refusal: Refusal) -> Option<ServerMessage> {
    Some(ServerMessage::Error {
        code: refusal.code,
        message: refusal.message,
        retry_after_secs: refusal.retry_after.map(|wait| RetryAfter(wait).secs()),
        session: None,
    })
}

fn rate_limited(retry: RetryAfter) -> Option<ServerMessage> {
    let secs = retry.secs();
    Some(ServerMessage::Error {
        code: ErrorCode::RateLimited,
        message: format!("too many attempts; try again in {secs} s"),
        retry_after_secs: Some(secs),
        session: None,
    })
}

/// A `connect` as the desk takes it: notes within bounds, the desk's
/// policy kept, a well-formed ID.
fn checked_request(
    message: AppMessage,
    policy: &DeskPolicy,
) -> Result<(ClientId, Asking), Box<ServerMessage>> {
    let refused = |code, message: &str| Box::new(ServerMessage::error(code, message));
    let AppMessage::Connect {
        id,
        notes,
        scopes,
        reason,
    } = message
    else {
        return Err(refused(ErrorCode::MalformedMessage, "not a connect"));
    };
    if notes.chars().count() > MAX_NOTES_CHARS {
        let limit = format!("notes are limited to {MAX_NOTES_CHARS} characters");
        return Err(refused(ErrorCode::NotesTooLong, &limit));
    }
    let reason = policy_check(policy, reason, scopes)?;
    let id = match ClientId::try_from(id.as_str()) {
        Ok(id) => id,
        Err(IdFormatError::Empty) => {
            return Err(refused(ErrorCode::IdEmpty, "enter the client's ID"));
        }
        Err(IdFormatError::NotSixDigits) => {
            return Err(refused(ErrorCode::IdInvalid, "a client ID is six digits"));
        }
    };
    let asking = Asking {
        notes,
        reason,
        scopes,
    };
    Ok((id, asking))
}

/// A request under the desk's policy: the permissions it allows, and a
/// reason when it requires one. Returns the reason, trimmed (`None` when
/// blank).
fn policy_check(
    policy: &DeskPolicy,
    reason: Option<String>,
    scopes: Scopes,
) -> Result<Option<String>, Box<ServerMessage>> {
    let refused = |code, message: String| Err(Box::new(ServerMessage::error(code, message)));
    if let Some(scope) = scopes.iter().find(|s| !policy.allowed_scopes.contains(*s)) {
        return refused(
            ErrorCode::ScopeNotAllowed,
            format!("this desk does not let experts ask for the {scope} permission"),
        );
    }
    let reason = reason
        .map(|r| r.trim().to_owned())
        .filter(|r| !r.is_empty());
    if let Some(text) = &reason
        && (text.chars().count() > MAX_REASON_CHARS || text.chars().any(char::is_control))
    {
        return refused(
            ErrorCode::ReasonInvalid,
            format!("a reason is one line of at most {MAX_REASON_CHARS} characters"),
        );
    }
    if reason.is_none() && policy.require_reason {
        return refused(
            ErrorCode::ReasonRequired,
            "this desk requires a reason or ticket number with every request".into(),
        );
    }
    Ok(reason)
}

/// What the app hears when the account owes something first.
fn owed_message(owed: sign_in::Owed) -> ServerMessage {
    match owed {
        sign_in::Owed::NewPassword => ServerMessage::error(
            ErrorCode::PasswordChangeRequired,
            "your password was reset: set a new one in the desk's console",
        ),
        sign_in::Owed::SecondFactor => ServerMessage::error(
            ErrorCode::TwoFactorSetupRequired,
            "the desk requires two-factor sign-in: set it up in the desk's console",
        ),
    }
}

/// The policy as the apps are told it.
pub fn policy_message(policy: &DeskPolicy) -> ServerMessage {
    ServerMessage::Policy {
        policy: DeskPolicyInfo {
            desk_name: policy.desk_name.clone(),
            consent_timeout_secs: policy.consent_timeout.as_secs(),
            require_pin: policy.require_pin,
            record_sessions: policy.record_sessions,
            require_reason: policy.require_reason,
            allowed_scopes: policy.allowed_scopes,
        },
    }
}

fn wrong_role(what: &str) -> Option<ServerMessage> {
    Some(ServerMessage::error(ErrorCode::WrongRole, what))
}

fn scopes_text(scopes: Scopes) -> String {
    match scopes.iter().map(|s| s.to_string()).collect::<Vec<_>>() {
        names if names.is_empty() => "nothing".into(),
        names => names.join(" "),
    }
}

fn unavailable(error: AccountError) -> Option<ServerMessage> {
    tracing::error!(%error, "account store failed");
    Some(ServerMessage::error(
        ErrorCode::Unavailable,
        "the desk cannot check accounts right now; try again shortly",
    ))
}

impl Connection {
    /// `user`'s sign-ins were revoked: if this connection is one, it ends.
    fn revoked(&mut self, user: &str) -> Option<ServerMessage> {
        let ours = self
            .signed_in
            .as_ref()
            .is_some_and(|s| s.expert.username == user);
        ours.then(|| {
            self.signed_in = None;
            ServerMessage::SignedOut {
                reason: SignOutReason::Revoked,
            }
        })
    }

    fn sign_out_at(&self) -> Instant {
        let idle = self.shared.accounts.idle_timeout();
        self.signed_in
            .as_ref()
            .map_or_else(|| Instant::now() + idle, |s| s.last_active + idle)
    }

    /// The connection's loop: answers the peer's frames, passes on what the
    /// hub has to say, and ends on close, error, idleness or shutdown.
    async fn converse(
        &mut self,
        socket: &mut WebSocket,
        outgoing: &mut mpsc::Receiver<Box<ServerMessage>>,
    ) {
        let conn = self.conn;
        let idle = self.shared.config.idle_timeout;
        let mut last_heard = Instant::now();
        let hello_by = last_heard + self.shared.config.hello_timeout;
        let mut closing = self.shared.closing.clone();
        let mut policy = self.shared.policy.watch();
        policy.mark_unchanged();
        let mut revoked = self.shared.accounts.revocations();
        loop {
            let sign_out_at = self.sign_out_at();
            let reply = tokio::select! {
                frame = socket.recv() => {
                    let frame = match frame {
                        Some(Ok(frame)) => frame,
                        Some(Err(error)) => {
                            let max = self.shared.config.max_message_bytes;
                            crate::frames::close_if_too_big(socket, &error, max).await;
                            break;
                        }
                        None => break,
                    };
                    last_heard = Instant::now();
                    match frame {
                        // Boxed: the handler's future is large and only lives while a
                        // message is handled, not while the connection idles.
                        Message::Text(text) => Box::pin(self.handle(text.as_str())).await,
                        Message::Binary(_) => Some(ServerMessage::error(
                            ErrorCode::MalformedMessage,
                            "messages are JSON text frames",
                        )),
                        Message::Close(_) => break,
                        Message::Ping(_) | Message::Pong(_) => None,
                    }
                }
                Some(message) = outgoing.recv() => Some(*message),
                () = sleep_until(if self.role.is_some() { last_heard + idle } else { hello_by.min(last_heard + idle) }) => {
                    tracing::debug!(conn = conn.0, "idle timeout");
                    break;
                }
                () = async { let _ = closing.wait_for(|closing| *closing).await; } => {
                    say_going_away(socket).await;
                    break;
                }
                Ok(()) = policy.changed(), if self.role.is_some() => {
                    Some(policy_message(&policy.borrow_and_update()))
                }
                Ok(user) = revoked.recv(), if self.signed_in.is_some() => self.revoked(&user),
                () = sleep_until(sign_out_at), if self.signed_in.is_some() => {
                    self.signed_in = None;
                    Some(ServerMessage::SignedOut { reason: SignOutReason::Inactivity })
                }
            };
            if let Some(reply) = reply
                && send(socket, &reply).await.is_err()
            {
                break;
            }
        }
    }

    /// Parses one text frame and answers it: hello first, then the rest.
    async fn handle(&mut self, text: &str) -> Option<ServerMessage> {
        let message = match serde_json::from_str::<AppMessage>(text) {
            Ok(message) => message,
            Err(error) => {
                return Some(ServerMessage::error(
                    ErrorCode::MalformedMessage,
                    error.to_string(),
                ));
            }
        };
        let Some(role) = self.role else {
            return self.hello(message).await;
        };
        let session = message.session().cloned();
        let reply = self.dispatch(message, role).await;
        reply.map(|reply| reply.about(session.as_ref()))
    }

    /// Answers a message after hello: each kind goes to its own step, or is
    /// refused when the connection's role does not send it.
    async fn dispatch(&mut self, message: AppMessage, role: Role) -> Option<ServerMessage> {
        let hub = &self.shared.hub;
        let conn = self.conn;
        match (message, role) {
            (AppMessage::Hello { .. }, _) => Some(ServerMessage::error(
                ErrorCode::MalformedMessage,
                "hello was already said on this connection",
            )),
            (AppMessage::Ping, _) => Some(ServerMessage::Pong),

            (
                AppMessage::RequestId {
                    description,
                    computer,
                },
                Role::Client,
            ) => self.request_id(description, computer).await,
            (AppMessage::Reclaim { id, secret }, Role::Client) => self.reclaim(&id, secret).await,
            (AppMessage::ReleaseId, Role::Client) => {
                hub.release_id(conn).await.err().and_then(refused)
            }
            (AppMessage::Accept { session, scopes }, Role::Client) => {
                self.accept(session, scopes).await
            }
            (AppMessage::Decline { session }, Role::Client) => self.decline(session).await,
            (
                message @ (AppMessage::HoldForReconnect { .. } | AppMessage::Rejoin { .. }),
                Role::Client,
            ) => self.reconnect(message).await,
            (AppMessage::Grants { session, scopes }, Role::Client) => {
                self.grants(session, scopes).await
            }

            (message @ AppMessage::Login { .. }, Role::Expert) => self.login(message).await,
            (AppMessage::Resume { token }, Role::Expert) => self.resume(token).await,
            (AppMessage::Logout, Role::Expert) => self.logout().await,
            (message @ AppMessage::Connect { .. }, Role::Expert) => self.connect(message).await,
            (AppMessage::SetNotes { session, notes }, Role::Expert) => {
                self.set_notes(session, notes).await
            }

            (AppMessage::Signal { session, signal }, _) => self.signal(session, signal).await,
            (AppMessage::Bye { session }, _) => self.bye(session).await,
            (
                message @ (AppMessage::Cancel { .. }
                | AppMessage::Connected { .. }
                | AppMessage::Path { .. }
                | AppMessage::ScreenBackend { .. }
                | AppMessage::Recorded { .. }
                | AppMessage::Reattach { .. }),
                role,
            ) => self.about_session(message, role).await,

            (
                AppMessage::RequestId { .. }
                | AppMessage::Reclaim { .. }
                | AppMessage::ReleaseId
                | AppMessage::Accept { .. }
                | AppMessage::Decline { .. }
                | AppMessage::HoldForReconnect { .. }
                | AppMessage::Rejoin { .. }
                | AppMessage::Grants { .. },
                Role::Expert,
            ) => wrong_role("only clients send this"),
            (
                AppMessage::Login { .. }
                | AppMessage::Resume { .. }
                | AppMessage::Logout
                | AppMessage::Connect { .. }
                | AppMessage::SetNotes { .. },
                Role::Client,
            ) => wrong_role("only experts send this"),
        }
    }

    /// What either side says about one of its sessions that the hub
    /// answers alone.
    async fn about_session(&self, message: AppMessage, role: Role) -> Option<ServerMessage> {
        let (hub, conn) = (&self.shared.hub, self.conn);
        let done = match message {
            AppMessage::Cancel { session } => hub.cancel(conn, session).await,
            AppMessage::Connected { session } => hub.connected(conn, session).await,
            AppMessage::Path { session, path } => hub.path(conn, session, path).await,
            AppMessage::ScreenBackend { session, backend } => {
                hub.screen_backend(conn, session, backend).await
            }
            AppMessage::Recorded { session, file } => hub.recorded(conn, session, file).await,
            AppMessage::Reattach { session, secret } => {
                let done = hub.reattach(conn, role, session.clone(), secret).await;
                self.audit_reattach(role, &session, &done);
                done
            }
            _ => Ok(()),
        };
        done.err().and_then(refused)
    }

    /// A side taking a running session back is audited with the address
    /// it came back from: a session that moves to another address is
    /// worth seeing, and so are refused attempts.
    fn audit_reattach(&self, role: Role, session: &SessionId, done: &Result<(), Refusal>) {
        let actor = match (role, &self.signed_in) {
            (Role::Expert, Some(signed_in)) => signed_in.expert.username.as_str(),
            (Role::Expert, None) => "expert",
            (Role::Client, _) => "client",
        };
        let outcome = match done {
            Ok(()) => "ok",
            Err(refusal) => refusal.code.as_str(),
        };
        self.shared
            .audit
            .record("reattach", actor, self.ip, Some(session), outcome);
    }

    /// A client asks for an ID: the description and computer are bounded
    /// and the address rate-limited before the hub issues one.
    async fn request_id(
        &self,
        description: String,
        computer: ComputerInfo,
    ) -> Option<ServerMessage> {
        let chars = description.chars().count();
        if chars > MAX_DESCRIPTION_CHARS {
            return Some(ServerMessage::error(
                ErrorCode::DescriptionTooLong,
                format!(
                    "the description has {chars} characters; at most {MAX_DESCRIPTION_CHARS} are allowed"
                ),
            ));
        }
        if let Some(field) = computer.overlong_field() {
            return Some(ServerMessage::error(
                ErrorCode::MalformedMessage,
                format!("the computer's {field} is over {MAX_COMPUTER_FIELD_CHARS} characters"),
            ));
        }
        if let Err(retry) = self.shared.limits.check_id_request(self.ip) {
            return rate_limited(retry);
        }
        self.shared
            .hub
            .issue_id(self.conn, description, computer)
            .await
            .err()
            .and_then(refused)
    }

    /// A client takes back its ID after reconnecting, with the ID's secret.
    async fn reclaim(&self, id: &str, secret: String) -> Option<ServerMessage> {
        let Ok(id) = ClientId::try_from(id) else {
            return Some(ServerMessage::error(
                ErrorCode::ReclaimFailed,
                "that is not a client ID",
            ));
        };
        self.shared
            .hub
            .reclaim(self.conn, id, secret)
            .await
            .err()
            .and_then(refused)
    }

    /// A client accepts a connect request, granting `scopes`. Audited only
    /// once the hub has matched the answer to a request this client holds:
    /// nobody can write consent rows for sessions that never existed.
    async fn accept(&self, session: SessionId, scopes: Scopes) -> Option<ServerMessage> {
        let hub = &self.shared.hub;
        if let Err(refusal) = hub.answer(self.conn, session.clone(), Some(scopes)).await {
            return refused(refusal);
        }
        let detail = format!("accepted {}", scopes_text(scopes));
        self.shared
            .audit
            .record("consent", "client", self.ip, Some(&session), detail);
        None
    }

    /// A client declines a connect request; audited as [`Self::accept`] is.
    async fn decline(&self, session: SessionId) -> Option<ServerMessage> {
        let hub = &self.shared.hub;
        if let Err(refusal) = hub.answer(self.conn, session.clone(), None).await {
            return refused(refusal);
        }
        self.shared
            .audit
            .record("consent", "client", self.ip, Some(&session), "declined");
        None
    }

    /// A client reports what it grants now in a session it takes part in,
    /// for the audit log.
    async fn grants(&self, session: SessionId, scopes: Scopes) -> Option<ServerMessage> {
        if self.shared.hub.is_member(self.conn, session.clone()).await {
            self.shared.records.send(RecordEvent::Grants {
                session: session.to_string(),
                now: scopes,
            });
            self.shared.audit.record(
                "scopes",
                "client",
                self.ip,
                Some(&session),
                scopes_text(scopes),
            );
            None
        } else {
            Some(ServerMessage::error(
                ErrorCode::NoSuchSession,
                "no such session on this connection",
            ))
        }
    }

    /// An expert signs out and the token stops working. Without a sign-in
    /// there is nothing to do and no answer.
    async fn logout(&mut self) -> Option<ServerMessage> {
        let signed_in = self.signed_in.take()?;
        if let Err(error) = self.shared.accounts.logout(&signed_in.token).await {
            return unavailable(error);
        }
        Some(ServerMessage::SignedOut {
            reason: SignOutReason::Requested,
        })
    }

    /// Either side relays an SDP or ICE message to the other, if it is not
    /// too big.
    async fn signal(&self, session: SessionId, signal: Signal) -> Option<ServerMessage> {
        if let Err(error) = signal.check_size() {
            return Some(ServerMessage::error(
                ErrorCode::MalformedMessage,
                error.to_string(),
            ));
        }
        self.shared
            .hub
            .relay(self.conn, session, signal)
            .await
            .err()
            .and_then(refused)
    }

    async fn hello(&mut self, message: AppMessage) -> Option<ServerMessage> {
        match message {
            AppMessage::Hello { version, .. } if version != PROTOCOL_VERSION => {
                Some(ServerMessage::error(
                    ErrorCode::UnsupportedVersion,
                    format!("this server speaks protocol {PROTOCOL_VERSION}, not {version}"),
                ))
            }
            AppMessage::Hello { role, .. } => {
                self.role = Some(role);
                self.shared
                    .hub
                    .register(self.conn, self.outbox.clone())
                    .await;
                // The policy follows the welcome, through the outbox.
                let _ = self
                    .outbox
                    .try_send(Box::new(policy_message(&self.shared.policy.current())));
                Some(ServerMessage::Welcome {
                    version: PROTOCOL_VERSION,
                })
            }
            _ => Some(ServerMessage::error(
                ErrorCode::HelloRequired,
                "the first message must be hello",
            )),
        }
    }

    /// `login`: the desk's sign-in flow, then a token.
    async fn login(&mut self, message: AppMessage) -> Option<ServerMessage> {
        let AppMessage::Login {
            user,
            password,
            code,
        } = message
        else {
            return None;
        };
        let (user, code) = (user.as_str(), code.as_deref());
        let refused = |code, message: &str| Some(ServerMessage::error(code, message));
        let passed = match sign_in::check(&self.shared, self.ip, user, &password, code).await {
            Ok(passed) => passed,
            Err(SignIn::RateLimited(retry)) => return rate_limited(retry),
            Err(SignIn::BadCredentials) => {
                return refused(ErrorCode::BadCredentials, "wrong user name or password");
            }
            Err(SignIn::Disabled) => {
                return refused(ErrorCode::AccountDisabled, "this account is disabled");
            }
            Err(SignIn::CodeRequired) => {
                return refused(
                    ErrorCode::CodeRequired,
                    "enter the code from your authenticator app",
                );
            }
            Err(SignIn::BadCode) => {
                return refused(
                    ErrorCode::BadCode,
                    "the authentication code is wrong or was already used",
                );
            }
            Err(SignIn::Unavailable(error)) => return unavailable(error),
        };
        // The console is where a password is changed and a second factor
        // set up; the app only signs in.
        if let Some(owed) = sign_in::owed(&self.shared, &passed.standing) {
            return Some(owed_message(owed));
        }
        let username = passed.standing.expert.username.clone();
        match self.shared.accounts.issue_token(&username).await {
            Ok(token) => {
                sign_in::succeeded(&self.shared, self.ip, &passed, "app");
                Some(self.signed_in(passed.standing.expert, token))
            }
            Err(error) => unavailable(error),
        }
    }

    async fn resume(&mut self, token: String) -> Option<ServerMessage> {
        // Tokens are 256-bit, so guessing is hopeless; the limit, per
        // address only, keeps a flood of attempts off the database.
        if let Err(retry) = self.shared.limits.check_resume(self.ip) {
            return rate_limited(retry);
        }
        let resumed = async {
            let expert = self.shared.accounts.resume(&token).await?;
            let standing = self.shared.accounts.standing(&expert.username).await?;
            Ok::<_, AccountError>((expert, sign_in::owed(&self.shared, &standing)))
        };
        match resumed.await {
            Ok((_, Some(owed))) => Some(owed_message(owed)),
            Ok((expert, None)) => Some(self.signed_in(expert, token)),
            Err(AccountError::InvalidToken) => {
                self.shared.limits.resume_failed(self.ip);
                Some(ServerMessage::error(
                    ErrorCode::InvalidToken,
                    "signed out: the sign-in expired or was revoked",
                ))
            }
            Err(error) => unavailable(error),
        }
    }

    fn signed_in(&mut self, expert: Expert, token: String) -> ServerMessage {
        let idle = self.shared.accounts.idle_timeout();
        let message = ServerMessage::SignedIn {
            display_name: expert.display_name.clone(),
            token: token.clone(),
            idle_timeout_secs: idle.as_secs(),
        };
        self.signed_in = Some(SignedIn {
            expert,
            token,
            last_active: Instant::now(),
        });
        message
    }

    /// Records activity: checks the token is still good and resets the idle
    /// clock. `None` means the expert is (now) signed out.
    async fn active_expert(&mut self) -> Result<Expert, Option<ServerMessage>> {
        let Some(signed_in) = &mut self.signed_in else {
            return Err(Some(ServerMessage::error(
                ErrorCode::NotSignedIn,
                "sign in to the desk first",
            )));
        };
        match self.shared.accounts.resume(&signed_in.token).await {
            Ok(expert) => {
                signed_in.last_active = Instant::now();
                signed_in.expert = expert.clone();
                Ok(expert)
            }
            Err(AccountError::InvalidToken) => {
                self.signed_in = None;
                Err(Some(ServerMessage::error(
                    ErrorCode::InvalidToken,
                    "signed out: the sign-in expired or was revoked",
                )))
            }
            Err(error) => Err(unavailable(error)),
        }
    }

    /// `connect`: checked against the limits and the desk's policy, then
    /// asked of the hub.
    async fn connect(&mut self, message: AppMessage) -> Option<ServerMessage> {
        let expert = match self.active_expert().await {
            Ok(expert) => expert,
            Err(reply) => return reply,
        };
        let (id, asking) = match checked_request(message, &self.shared.policy.current()) {
            Ok(request) => request,
            Err(refused) => return Some(*refused),
        };
        let audit = &self.shared.audit;
        let asked = format!("ID {id}");
        let username = expert.username.clone();
        let result = match self.shared.limits.check_connect(self.ip, &username) {
            Err(retry) => Err(Refusal {
                code: ErrorCode::RateLimited,
                message: format!("too many connects; try again in {} s", retry.secs()),
                retry_after: Some(retry.0),
            }),
            Ok(()) => {
                self.shared
                    .hub
                    .connect(self.conn, self.ip, expert, id, asking)
                    .await
            }
        };
        let outcome = match &result {
            Ok(()) => "located",
            Err(refusal) => refusal.code.as_str(),
        };
        audit.record(
            "connect",
            &username,
            self.ip,
            None,
            format!("{asked}: {outcome}"),
        );
        let refusal = result.err()?;
        if refusal.code == ErrorCode::RateLimited {
            self.shared
                .metrics
                .rate_limited_connects
                .fetch_add(1, Ordering::Relaxed);
        } else if refusal.is_miss() {
            tracing::info!(user = %Untrusted(&username), ip = %self.ip, code = refusal.code.as_str(), "connect missed");
        }
        refused(refusal)
    }

    /// Client: "restart and reconnect", before the restart and after it.
    async fn reconnect(&self, message: AppMessage) -> Option<ServerMessage> {
        let hub = &self.shared.hub;
        let result = match message {
            AppMessage::HoldForReconnect { session } => {
                hub.hold_for_reconnect(self.conn, session).await
            }
            AppMessage::Rejoin { token } => hub.rejoin(self.conn, token).await,
            _ => Ok(()),
        };
        result.err().and_then(refused)
    }

    /// Either side ends a session. One the hub does not pair (the desk
    /// restarted during it, and the peers went on without it) may still
    /// be ended by its own expert: its record then ends too.
    async fn bye(&mut self, session: SessionId) -> Option<ServerMessage> {
        let refusal = self
            .shared
            .hub
            .bye(self.conn, session.clone())
            .await
            .err()?;
        if refusal.code != ErrorCode::NoSuchSession || self.signed_in.is_none() {
            return refused(refusal);
        }
        let expert = match self.active_expert().await {
            Ok(expert) => expert,
            Err(reply) => return reply,
        };
        let now = crate::db::unix_ms(std::time::SystemTime::now());
        let ended = self
            .shared
            .records
            .ended_by_expert(session.to_string(), expert.username, now)
            .await;
        match ended {
            Ok(true) => {
                tracing::info!(%session, "a session from before the desk's restart ended");
                None
            }
            Ok(false) => refused(refusal),
            Err(error) => {
                tracing::error!(%error, "cannot end a session record");
                refused(refusal)
            }
        }
    }

    async fn set_notes(&mut self, session: SessionId, notes: String) -> Option<ServerMessage> {
        let expert = match self.active_expert().await {
            Ok(expert) => expert,
            Err(reply) => return reply,
        };
        if notes.chars().count() > MAX_NOTES_CHARS {
            return Some(ServerMessage::error(
                ErrorCode::NotesTooLong,
                format!("notes are limited to {MAX_NOTES_CHARS} characters"),
            ));
        }
        match self
            .shared
            .records
            .set_notes(session.to_string(), expert.username, notes)
            .await
        {
            Ok(true) => Some(ServerMessage::NotesSaved { session }),
            Ok(false) => Some(ServerMessage::error(
                ErrorCode::NoSuchSession,
                "no session of yours has this ID",
            )),
            Err(error) => {
                tracing::error!(%error, "cannot save notes");
                Some(ServerMessage::error(
                    ErrorCode::Unavailable,
                    "the notes could not be saved; try again",
                ))
            }
        }
    }
}

/// Idle connections are closed after this long without a frame, unless the
/// configuration says otherwise. Apps ping every 20 s.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(60);
