//! [`HubHandle`]: how connections, the console and the cluster layer ask
//! the hub. Each method sends one request to the hub's task and waits for
//! its answer. In a cluster, what may concern a client, request or
//! session held by another node goes through [`Cluster`] first, which
//! comes back to the `*_here` methods for what is held on this node.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use super::{Asking, ConnId, LiveView, Outbox, Refusal, Reply, Request, SessionOp};
use crate::accounts::Expert;
use crate::cluster::Cluster;
use crate::ids::{ClientId, Preset};
use crate::protocol::{
    CaptureBackend, ComputerInfo, ErrorCode, RecordingName, Role, Scopes, ServerMessage, SessionId,
    SessionPath, Signal,
};

/// A connection's way to the hub. In a cluster, what concerns a client,
/// request or session held by another node goes there through Redis.
#[derive(Debug, Clone)]
pub struct HubHandle {
    pub(super) requests: mpsc::Sender<Request>,
    pub(super) cluster: Option<Arc<Cluster>>,
}

impl HubHandle {
    /// This node's hub alone, which the cluster layer asks.
    pub(crate) fn local(&self) -> HubHandle {
        HubHandle {
            requests: self.requests.clone(),
            cluster: None,
        }
    }

    /// The same hub, routing through `cluster`.
    pub(crate) fn routed(&self, cluster: Arc<Cluster>) -> HubHandle {
        HubHandle {
            requests: self.requests.clone(),
            cluster: Some(cluster),
        }
    }

    pub fn cluster(&self) -> Option<&Arc<Cluster>> {
        self.cluster.as_ref()
    }

    /// Puts a message from another node in a connection's outbox.
    pub(crate) async fn push(&self, conn: ConnId, message: Box<ServerMessage>) {
        let _ = self.requests.send(Request::Push { conn, message }).await;
    }

    /// Issues the ID and secret the cluster reserved.
    pub(crate) async fn issue_preset(
        &self,
        conn: ConnId,
        description: String,
        computer: ComputerInfo,
        preset: Preset,
    ) -> Result<(), Refusal> {
        self.call(|reply| Request::IssueId {
            conn,
            description,
            computer,
            preset: Some(preset),
            reply,
        })
        .await
    }

    /// Takes over an ID another node issued, which its client reclaimed
    /// here.
    pub(crate) async fn adopt(
        &self,
        conn: ConnId,
        id: ClientId,
        secret: String,
        expires_in: Duration,
    ) -> Result<(), Refusal> {
        self.call(|reply| Request::Adopt {
            conn,
            id,
            secret,
            expires_in,
            reply,
        })
        .await
    }

    /// Gives up `id`, which its client reclaimed on another node.
    pub(crate) async fn surrender(&self, id: ClientId, secret: String) -> Result<(), Refusal> {
        self.call(|reply| Request::Surrender { id, secret, reply })
            .await
    }

    async fn call(&self, request: impl FnOnce(Reply) -> Request) -> Result<(), Refusal> {
        let (reply, answer) = oneshot::channel();
        let gone = || Refusal::new(ErrorCode::Unavailable, "the server is shutting down");
        self.requests
            .send(request(reply))
            .await
            .map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?
    }

    pub(crate) async fn ask_about(
        &self,
        conn: ConnId,
        session: SessionId,
        op: SessionOp,
    ) -> Result<(), Refusal> {
        if let Some(cluster) = &self.cluster {
            return cluster.session(&self.local(), conn, session, op).await;
        }
        self.ask_here(conn, session, op).await
    }

    /// As [`HubHandle::ask_about`], on this node alone.
    pub(crate) async fn ask_here(
        &self,
        conn: ConnId,
        session: SessionId,
        op: SessionOp,
    ) -> Result<(), Refusal> {
        self.call(|reply| Request::Session {
            conn,
            session,
            op,
            reply,
        })
        .await
    }

    /// The desk now, for the console (empty if the hub has stopped).
    pub async fn live(&self) -> LiveView {
        let (reply, answer) = oneshot::channel();
        if self.requests.send(Request::Live { reply }).await.is_err() {
            return LiveView::default();
        }
        answer.await.unwrap_or_default()
    }

    /// An admin ends a request still waiting for its client's answer.
    pub async fn end_request(&self, session: SessionId) -> Result<(), Refusal> {
        self.call(|reply| Request::AdminEnd { session, reply })
            .await
    }

    /// Gives the hub the connection's outbox; everything the hub says to it
    /// from now on goes there.
    pub async fn register(&self, conn: ConnId, outbox: Outbox) {
        let _ = self.requests.send(Request::Register { conn, outbox }).await;
    }

    pub async fn issue_id(
        &self,
        conn: ConnId,
        description: String,
        computer: ComputerInfo,
    ) -> Result<(), Refusal> {
        if let Some(cluster) = &self.cluster {
            return cluster
                .issue_id(&self.local(), conn, description, computer)
                .await;
        }
        self.call(|reply| Request::IssueId {
            conn,
            description,
            computer,
            preset: None,
            reply,
        })
        .await
    }

    pub async fn reclaim(&self, conn: ConnId, id: ClientId, secret: String) -> Result<(), Refusal> {
        if let Some(cluster) = &self.cluster {
            return cluster.reclaim(&self.local(), conn, id, secret).await;
        }
        self.reclaim_here(conn, id, secret).await
    }

    pub(crate) async fn reclaim_here(
        &self,
        conn: ConnId,
        id: ClientId,
        secret: String,
    ) -> Result<(), Refusal> {
        self.call(|reply| Request::Reclaim {
            conn,
            id,
            secret,
            reply,
        })
        .await
    }

    pub async fn release_id(&self, conn: ConnId) -> Result<(), Refusal> {
        self.call(|reply| Request::ReleaseId { conn, reply }).await
    }

    /// An expert at `ip` asks for the client holding `id`. The hub checks
    /// the connect limits and counts a miss in the same step.
    pub async fn connect(
        &self,
        conn: ConnId,
        ip: IpAddr,
        expert: Expert,
        id: ClientId,
        asking: Asking,
    ) -> Result<(), Refusal> {
        if let Some(cluster) = &self.cluster {
            return cluster
                .connect(&self.local(), (conn, ip), expert, id, asking)
                .await;
        }
        self.connect_here(conn, ip, expert, id, asking).await
    }

    pub(crate) async fn connect_here(
        &self,
        conn: ConnId,
        ip: IpAddr,
        expert: Expert,
        id: ClientId,
        asking: Asking,
    ) -> Result<(), Refusal> {
        self.call(|reply| Request::Connect {
            conn,
            ip,
            expert,
            id,
            asking,
            reply,
        })
        .await
    }

    pub async fn answer(
        &self,
        conn: ConnId,
        session: SessionId,
        accept: Option<Scopes>,
    ) -> Result<(), Refusal> {
        if let Some(cluster) = &self.cluster {
            return cluster.answer(&self.local(), conn, session, accept).await;
        }
        self.answer_here(conn, session, accept).await
    }

    pub(crate) async fn answer_here(
        &self,
        conn: ConnId,
        session: SessionId,
        accept: Option<Scopes>,
    ) -> Result<(), Refusal> {
        self.call(|reply| Request::Answer {
            conn,
            session,
            accept,
            reply,
        })
        .await
    }

    pub async fn cancel(&self, conn: ConnId, session: SessionId) -> Result<(), Refusal> {
        self.ask_about(conn, session, SessionOp::Cancel).await
    }

    pub async fn relay(
        &self,
        conn: ConnId,
        session: SessionId,
        signal: Signal,
    ) -> Result<(), Refusal> {
        self.ask_about(conn, session, SessionOp::Relay { signal })
            .await
    }

    pub async fn connected(&self, conn: ConnId, session: SessionId) -> Result<(), Refusal> {
        self.ask_about(conn, session, SessionOp::Connected).await
    }

    /// `conn`'s side of `session` reports its connection's path.
    pub async fn path(
        &self,
        conn: ConnId,
        session: SessionId,
        path: SessionPath,
    ) -> Result<(), Refusal> {
        self.ask_about(conn, session, SessionOp::Path { path })
            .await
    }

    /// The client of the running `session` says what captures its screen.
    pub async fn screen_backend(
        &self,
        conn: ConnId,
        session: SessionId,
        backend: CaptureBackend,
    ) -> Result<(), Refusal> {
        self.ask_about(conn, session, SessionOp::ScreenBackend { backend })
            .await
    }

    /// The expert of the running `session` saved a recording of it.
    pub async fn recorded(
        &self,
        conn: ConnId,
        session: SessionId,
        file: RecordingName,
    ) -> Result<(), Refusal> {
        self.ask_about(conn, session, SessionOp::Recorded { file })
            .await
    }

    /// Whether `conn` takes part in the running or pending `session`.
    pub async fn is_member(&self, conn: ConnId, session: SessionId) -> bool {
        self.ask_about(conn, session, SessionOp::Member)
            .await
            .is_ok()
    }

    /// Client: a token to come back with after its restart.
    pub async fn hold_for_reconnect(
        &self,
        conn: ConnId,
        session: SessionId,
    ) -> Result<(), Refusal> {
        self.ask_about(conn, session, SessionOp::HoldForReconnect)
            .await
    }

    /// Client, after its restart: back to its expert with `token`.
    pub async fn rejoin(&self, conn: ConnId, token: String) -> Result<(), Refusal> {
        if let Some(cluster) = &self.cluster {
            return cluster.rejoin(&self.local(), conn, token).await;
        }
        self.rejoin_here(conn, token).await
    }

    pub(crate) async fn rejoin_here(&self, conn: ConnId, token: String) -> Result<(), Refusal> {
        self.call(|reply| Request::Rejoin { conn, token, reply })
            .await
    }

    /// Either side, on a new connection: back in its running session.
    pub async fn reattach(
        &self,
        conn: ConnId,
        role: Role,
        session: SessionId,
        secret: String,
    ) -> Result<(), Refusal> {
        self.ask_about(conn, session, SessionOp::Reattach { role, secret })
            .await
    }

    pub async fn bye(&self, conn: ConnId, session: SessionId) -> Result<(), Refusal> {
        self.ask_about(conn, session, SessionOp::Bye).await
    }

    /// Tells the hub a connection ended: its ID survives the grace period,
    /// and the other side of its pairing is told.
    pub async fn disconnected(&self, conn: ConnId) {
        let _ = self.requests.send(Request::Disconnected { conn }).await;
        if let Some(cluster) = &self.cluster {
            cluster.disconnected(conn).await;
        }
    }
}
