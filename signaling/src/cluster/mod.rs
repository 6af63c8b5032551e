//! Several nodes of one desk behind a load balancer, sharing through Redis.
//!
//! Each node keeps its own hub: the clients, requests and sessions of its
//! own connections, in memory, as a lone node does. Redis holds what the
//! nodes must agree on, and carries what they say to each other:
//! - **IDs** ([`ids`]): every ID is reserved in Redis before its hub issues
//!   it, atomically, so no two nodes hand out one number within its hour.
//!   The record names the ID's *home* node.
//! - **Routing** ([`bus`]): an expert's `connect` goes to the home node of
//!   the ID, where a *proxy* connection stands for the expert in that
//!   node's hub. Everything about the request or session after that goes
//!   to the same node, and what the hub says to the proxy comes back over
//!   pub/sub to the expert's node and into its outbox.
//! - **Limits** ([`gate`]): the connect gate's misses are counted in Redis
//!   by the expert's node, with the same arithmetic as one node's.
//! - **Liveness** ([`liveness`]): each node renews a key every second. When
//!   a node's key lapses, the others end its proxies and the requests it
//!   held; its clients reconnect elsewhere and reclaim their IDs.
//!
//! Delivery between nodes is Redis pub/sub: in order from one node to
//! another while both live, at most once. `docs/deploy-signaling.md`
//! states what is lost when a node or Redis goes.

mod bus;
mod gate;
mod ids;
mod keys;
mod liveness;
mod outbound;
mod routes;
mod wire;

use std::collections::HashMap;
use std::fmt;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime};

use redis::aio::ConnectionManager;
use ring::digest;
use tokio::sync::{mpsc, oneshot};

use crate::accounts::Expert;
use crate::config::ClusterConfig;
use crate::connect_gate::GateConfig;
use crate::db::unix_ms;
use crate::hub::{Asking, ConnId, HubEvent, HubHandle, Refusal, SessionOp};
use crate::ids::{ClientId, LookupError, Preset};
use crate::protocol::{ComputerInfo, ErrorCode, Scopes, SessionId};
use crate::random;

pub use gate::{Admission, SharedGate};
pub use ids::{IdRecord, IdRecords};
pub use keys::Keys;
use routes::Routes;
use wire::{Body, Envelope, RemoteOp, WireRefusal};

/// How long a node waits for another to answer a call.
const CALL_TIMEOUT: Duration = Duration::from_secs(5);
/// How long Redis remembers which node holds a request or session.
const SESSION_HOME: Duration = Duration::from_secs(24 * 3600);

#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error("cannot reach Redis at {url}: {source}")]
    Redis {
        url: String,
        source: redis::RedisError,
    },
}

/// What the desk-wide channel told this node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Announcement {
    PolicyChanged,
    Revoked(String),
}

/// Counters for `/metrics`.
#[derive(Debug, Default)]
struct Stats {
    calls_sent: AtomicU64,
    calls_failed: AtomicU64,
    calls_served: AtomicU64,
    delivered: AtomicU64,
    nodes_lost: AtomicU64,
    /// The last heartbeat's round trip to Redis, in microseconds.
    redis_rtt_us: AtomicU64,
    proxies: AtomicU64,
}

/// This node's part in the cluster.
pub struct Cluster {
    node: String,
    keys: Keys,
    redis: ConnectionManager,
    ids: IdRecords,
    gate: SharedGate,
    id_lifetime: Duration,
    hub: HubHandle,
    calls: Mutex<HashMap<u64, oneshot::Sender<Option<WireRefusal>>>>,
    next_call: AtomicU64,
    routes: Mutex<Routes>,
    /// Home side: the proxy standing for each other node's connection.
    proxies: Mutex<HashMap<(String, u64), ConnId>>,
    announcements: tokio::sync::broadcast::Sender<Announcement>,
    /// What this node publishes, in order (see [`outbound`]).
    outbound: mpsc::UnboundedSender<outbound::Outgoing>,
    /// Becomes true when the node leaves: its tasks stop.
    leaving: tokio::sync::watch::Sender<bool>,
    stats: Stats,
}

impl fmt::Debug for Cluster {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cluster")
            .field("node", &self.node)
            .finish_non_exhaustive()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn unavailable(what: &str) -> Refusal {
    Refusal {
        code: ErrorCode::Unavailable,
        message: format!("{what}; try again shortly"),
        retry_after: None,
    }
}

fn redis_down(error: &redis::RedisError) -> Refusal {
    tracing::error!(%error, "Redis");
    unavailable("the desk cannot reach its shared store")
}

fn sha256_hex(text: &str) -> String {
    hex::encode(digest::digest(&digest::SHA256, text.as_bytes()))
}

impl Cluster {
    /// Connects to Redis, joins the desk's channels and starts the
    /// heartbeat. `hub` is this node's own hub; `events` what it tells.
    pub async fn start(
        config: &ClusterConfig,
        (id_lifetime, gate): (Duration, GateConfig),
        hub: HubHandle,
        events: mpsc::UnboundedReceiver<HubEvent>,
    ) -> Result<Arc<Self>, ClusterError> {
        let failed = |source| ClusterError::Redis {
            url: config.redis_url.clone(),
            source,
        };
        let client = redis::Client::open(config.redis_url.as_str()).map_err(failed)?;
        let redis = client.get_connection_manager().await.map_err(failed)?;
        let keys = Keys::new(&config.key_prefix);
        let node = format!("{}-{}", config.node_name, random::hex::<4>());
        let (outbound, queue) = mpsc::unbounded_channel();
        tokio::spawn(outbound::publish_in_order(redis.clone(), queue));
        let cluster = Arc::new(Self {
            outbound,
            ids: IdRecords::new(keys.clone()),
            gate: SharedGate::new(keys.clone(), gate),
            node,
            keys,
            redis,
            id_lifetime,
            hub: hub.local(),
            calls: Mutex::default(),
            next_call: AtomicU64::new(1),
            routes: Mutex::default(),
            proxies: Mutex::default(),
            announcements: tokio::sync::broadcast::Sender::new(64),
            leaving: tokio::sync::watch::Sender::new(false),
            stats: Stats::default(),
        });
        liveness::beat(&cluster).await.map_err(failed)?;
        let subscription = bus::subscribe(&client, &cluster).await.map_err(failed)?;
        tokio::spawn(bus::listen(Arc::downgrade(&cluster), client, subscription));
        tokio::spawn(liveness::run(Arc::downgrade(&cluster)));
        tokio::spawn(keep_redis_current(Arc::downgrade(&cluster), events));
        tracing::info!(node = %cluster.node, "joined the desk's cluster");
        Ok(cluster)
    }

    /// The node stops: the others learn it at once rather than when its
    /// heartbeat lapses, and its subscription ends.
    pub async fn leave(&self) {
        self.leaving.send_replace(true);
        let gone: Result<i64, _> = redis::cmd("DEL")
            .arg(self.keys.alive(&self.node))
            .query_async(&mut self.redis())
            .await;
        if let Err(error) = gone {
            tracing::warn!(%error, "could not tell Redis this node is leaving");
        }
    }

    /// This node's name, with its start's suffix.
    pub fn node(&self) -> &str {
        &self.node
    }

    fn redis(&self) -> ConnectionManager {
        self.redis.clone()
    }

    /// What other nodes announce to all: policy changes, revocations.
    pub fn announcements(&self) -> tokio::sync::broadcast::Receiver<Announcement> {
        self.announcements.subscribe()
    }

    /// Tells every other node.
    pub async fn announce(&self, announcement: Announcement) {
        let body = match announcement {
            Announcement::PolicyChanged => Body::PolicyChanged,
            Announcement::Revoked(account) => Body::Revoked { account },
        };
        let channel = self.keys.everyone();
        self.publish(&channel, body);
    }

    /// Queues `body` for `channel`, behind everything queued before.
    fn publish(&self, channel: &str, body: Body) {
        self.queue(channel, body, None);
    }

    /// Publishes `body`; how many nodes heard it (none if Redis failed).
    async fn publish_heard(&self, channel: &str, body: Body) -> u64 {
        let (heard, count) = oneshot::channel();
        self.queue(channel, body, Some(heard));
        count.await.unwrap_or(0)
    }

    fn queue(&self, channel: &str, body: Body, heard: Option<oneshot::Sender<u64>>) {
        let envelope = Envelope {
            from: self.node.clone(),
            body,
        };
        match serde_json::to_vec(&envelope) {
            Ok(payload) => {
                let _ = self.outbound.send(outbound::Outgoing {
                    channel: channel.to_owned(),
                    payload,
                    heard,
                });
            }
            Err(error) => tracing::error!(%error, "a message between nodes did not encode"),
        }
    }

    /// Asks `node` to carry out `op` for this node's connection `origin`.
    async fn call(&self, node: &str, origin: ConnId, op: RemoteOp) -> Result<(), Refusal> {
        let call = self.next_call.fetch_add(1, Ordering::Relaxed);
        let (reply, answer) = oneshot::channel();
        lock(&self.calls).insert(call, reply);
        lock(&self.routes).asked(origin, node);
        self.stats.calls_sent.fetch_add(1, Ordering::Relaxed);
        let body = Body::Call {
            call,
            origin: origin.0,
            op,
        };
        // Nobody subscribed: the node is gone (a killed process's
        // connection to Redis closes at once), so no answer will come.
        let heard = self.publish_heard(&self.keys.inbox(node), body).await;
        let answered = match heard {
            0 => None,
            _ => tokio::time::timeout(CALL_TIMEOUT, answer).await.ok(),
        };
        lock(&self.calls).remove(&call);
        match answered {
            Some(Ok(None)) => Ok(()),
            Some(Ok(Some(refusal))) => Err(refusal.into()),
            _ => {
                self.stats.calls_failed.fetch_add(1, Ordering::Relaxed);
                Err(unavailable("the desk's node holding this did not answer"))
            }
        }
    }

    async fn alive(&self, node: &str) -> bool {
        liveness::is_alive(self, node).await.unwrap_or(false)
    }

    /// A new ID: a number reserved in Redis for this node, then issued by
    /// this node's hub with the secret whose hash Redis keeps.
    pub async fn issue_id(
        &self,
        local: &HubHandle,
        conn: ConnId,
        description: String,
        computer: ComputerInfo,
    ) -> Result<(), Refusal> {
        let mut redis = self.redis();
        let expires_ms = unix_ms(SystemTime::now() + self.id_lifetime);
        // Held back after it ends, as on one node: its lifetime, at least
        // a minute.
        let keep = self.id_lifetime + self.id_lifetime.max(Duration::from_secs(60));
        let keep_ms = u64::try_from(keep.as_millis()).unwrap_or(u64::MAX);
        for _ in 0..64 {
            let preset = Preset {
                number: crate::ids::random_number(),
                secret: random::bytes(),
            };
            let id = ClientId::new(preset.number).ok_or_else(|| unavailable("no ID"))?;
            let hash = sha256_hex(&hex::encode(preset.secret));
            let reserved = self
                .ids
                .reserve(&mut redis, id, &self.node, &hash, (expires_ms, keep_ms))
                .await
                .map_err(|e| redis_down(&e))?;
            if !reserved {
                continue;
            }
            let issued = local
                .issue_preset(conn, description, computer, preset)
                .await;
            if issued.is_err() {
                let _ = self.ids.end(&mut redis, id, LookupError::Superseded).await;
            }
            return issued;
        }
        Err(unavailable("no client ID is available"))
    }

    /// A client back on this node with the ID some node issued it.
    pub async fn reclaim(
        &self,
        local: &HubHandle,
        conn: ConnId,
        id: ClientId,
        secret: String,
    ) -> Result<(), Refusal> {
        let here = local.reclaim_here(conn, id, secret.clone()).await;
        if here.is_ok() {
            return here;
        }
        let mut redis = self.redis();
        let record = self
            .ids
            .get(&mut redis, id)
            .await
            .map_err(|e| redis_down(&e))?;
        let now_ms = unix_ms(SystemTime::now());
        let Some(record) = record.filter(|r| {
            r.ended.is_none()
                && r.expires_ms > now_ms
                && r.node != self.node
                && r.secret_hash == sha256_hex(&secret)
        }) else {
            return here;
        };
        // A home that still runs gives the ID up only if it agrees it is
        // live; one that cannot answer (killed, its heartbeat not yet
        // lapsed) leaves Redis's record to stand.
        if self.alive(&record.node).await {
            let surrender = RemoteOp::Surrender {
                id: id.value(),
                secret: secret.clone(),
            };
            match self.call(&record.node, conn, surrender).await {
                Err(refusal) if refusal.code != ErrorCode::Unavailable => return Err(refusal),
                _ => {}
            }
        }
        let moved = self
            .ids
            .move_home(&mut redis, id, &record.node, &self.node)
            .await
            .map_err(|e| redis_down(&e))?;
        if !moved {
            return Err(Refusal::reclaim_failed());
        }
        let left = u64::try_from(record.expires_ms - now_ms).unwrap_or(0);
        local
            .adopt(conn, id, secret, Duration::from_millis(left))
            .await
    }

    /// An expert's connect: past the shared gate, which finds the ID's
    /// home and counts a miss in the same step, then carried out there.
    pub async fn connect(
        &self,
        local: &HubHandle,
        (conn, ip): (ConnId, IpAddr),
        expert: Expert,
        id: ClientId,
        asking: Asking,
    ) -> Result<(), Refusal> {
        let mut redis = self.redis();
        let attempt = format!("{}:{}", self.node, random::hex::<8>());
        let now_ms = unix_ms(SystemTime::now());
        let who = (expert.username.clone(), ip);
        let admission = self
            .gate
            .admit(&mut redis, (&who.0, ip), id, (now_ms, &attempt))
            .await
            .map_err(|e| redis_down(&e))?;
        let home = match admission {
            Admission::Go { home } => home,
            Admission::Missed(how) => return Err(how.into()),
            Admission::Closed(closed) => return Err(closed.into()),
        };
        let result = self
            .connect_at(local, &home, (conn, ip), expert, id, asking)
            .await;
        if result.as_ref().is_err_and(Refusal::is_miss) {
            let counted = self
                .gate
                .missed(&mut redis, (&who.0, who.1), (now_ms, &attempt))
                .await;
            if let Err(error) = counted {
                tracing::warn!(%error, "a connect's miss was not counted");
            }
        }
        result
    }

    async fn connect_at(
        &self,
        local: &HubHandle,
        home: &str,
        (conn, ip): (ConnId, IpAddr),
        expert: Expert,
        id: ClientId,
        asking: Asking,
    ) -> Result<(), Refusal> {
        if home == self.node {
            return local.connect_here(conn, ip, expert, id, asking).await;
        }
        let op = RemoteOp::Connect {
            ip,
            username: expert.username,
            display_name: expert.display_name,
            id: id.value(),
            notes: asking.notes,
            reason: asking.reason,
            scopes: asking.scopes,
        };
        // A home nobody hears (it died) or that does not answer: its
        // client is away.
        self.call(home, conn, op)
            .await
            .map_err(|refusal| match refusal.code {
                ErrorCode::Unavailable => LookupError::Offline.into(),
                _ => refusal,
            })
    }

    pub async fn answer(
        &self,
        local: &HubHandle,
        conn: ConnId,
        session: SessionId,
        accept: Option<Scopes>,
    ) -> Result<(), Refusal> {
        let op = RemoteOp::Answer {
            session: session.clone(),
            accept,
        };
        if let Some(node) = self.route(conn, &session) {
            return self.call(&node, conn, op).await;
        }
        let here = local.answer_here(conn, session.clone(), accept).await;
        self.elsewhere(conn, &session, here, op).await
    }

    /// What `conn` asks about `session`: here, or where it is held.
    pub async fn session(
        &self,
        local: &HubHandle,
        conn: ConnId,
        session: SessionId,
        op: SessionOp,
    ) -> Result<(), Refusal> {
        let remote = RemoteOp::Session {
            session: session.clone(),
            what: op.clone(),
        };
        if let Some(node) = self.route(conn, &session) {
            return self.call(&node, conn, remote).await;
        }
        let here = local.ask_here(conn, session.clone(), op).await;
        self.elsewhere(conn, &session, here, remote).await
    }

    /// A client back after its restart, with a token some node gave it.
    pub async fn rejoin(
        &self,
        local: &HubHandle,
        conn: ConnId,
        token: String,
    ) -> Result<(), Refusal> {
        let here = local.rejoin_here(conn, token.clone()).await;
        if here.is_ok() {
            return here;
        }
        let home: Option<String> = redis::cmd("GET")
            .arg(self.keys.rejoin(&sha256_hex(&token)))
            .query_async(&mut self.redis())
            .await
            .map_err(|e| redis_down(&e))?;
        match home {
            Some(node) if node != self.node => {
                self.call(&node, conn, RemoteOp::Rejoin { token }).await
            }
            _ => here,
        }
    }

    /// This node's connection ended: the nodes it had business with are
    /// told, so their proxies for it end too.
    pub async fn disconnected(&self, conn: ConnId) {
        let nodes = lock(&self.routes).gone(conn);
        for node in nodes {
            self.publish(&self.keys.inbox(&node), Body::Gone { origin: conn.0 });
        }
    }

    fn route(&self, conn: ConnId, session: &str) -> Option<String> {
        lock(&self.routes).home_of(conn, session).map(str::to_owned)
    }

    /// This node refused `op` on `session`: if another node holds it (a
    /// reattach on a new connection), asks that node instead.
    async fn elsewhere(
        &self,
        conn: ConnId,
        session: &SessionId,
        here: Result<(), Refusal>,
        op: RemoteOp,
    ) -> Result<(), Refusal> {
        if here.is_ok() {
            return here;
        }
        let home: Option<String> = redis::cmd("GET")
            .arg(self.keys.session(session.as_str()))
            .query_async(&mut self.redis())
            .await
            .map_err(|e| redis_down(&e))?;
        match home {
            Some(node) if node != self.node && self.alive(&node).await => {
                lock(&self.routes).found(conn, session, &node);
                self.call(&node, conn, op).await
            }
            _ => here,
        }
    }

    /// Lines for `/metrics`.
    pub fn render_metrics(&self) -> String {
        let s = &self.stats;
        let load = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let mut out = String::new();
        let node = &self.node;
        let lines: [(&str, &str, &str, u64); 7] = [
            (
                "lifeline_cluster_calls_sent_total",
                "counter",
                "Requests this node sent to another node.",
                load(&s.calls_sent),
            ),
            (
                "lifeline_cluster_calls_failed_total",
                "counter",
                "Of those, unanswered or undeliverable.",
                load(&s.calls_failed),
            ),
            (
                "lifeline_cluster_calls_served_total",
                "counter",
                "Requests other nodes sent this node.",
                load(&s.calls_served),
            ),
            (
                "lifeline_cluster_delivered_total",
                "counter",
                "Messages other nodes sent this node's connections.",
                load(&s.delivered),
            ),
            (
                "lifeline_cluster_proxies",
                "gauge",
                "Other nodes' connections with business on this node.",
                load(&s.proxies),
            ),
            (
                "lifeline_cluster_nodes_lost_total",
                "counter",
                "Nodes this node saw die.",
                load(&s.nodes_lost),
            ),
            (
                "lifeline_cluster_redis_rtt_microseconds",
                "gauge",
                "The last heartbeat's round trip to Redis.",
                load(&s.redis_rtt_us),
            ),
        ];
        use std::fmt::Write;
        let _ = writeln!(
            out,
            "# HELP lifeline_cluster_node This node's name in the cluster.\n# TYPE lifeline_cluster_node gauge\nlifeline_cluster_node{{node=\"{node}\"}} 1"
        );
        for (name, kind, help, value) in lines {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
            );
        }
        out
    }

    /// Whether Redis answers, and how fast.
    pub async fn health(&self) -> Result<Duration, String> {
        let started = std::time::Instant::now();
        let pong: Result<String, _> = redis::cmd("PING").query_async(&mut self.redis()).await;
        pong.map(|_| started.elapsed()).map_err(|e| e.to_string())
    }
}

/// Writes to Redis what the hub tells: where requests are held, which IDs
/// ended, where reconnect tokens can be redeemed.
async fn keep_redis_current(
    cluster: std::sync::Weak<Cluster>,
    mut events: mpsc::UnboundedReceiver<HubEvent>,
) {
    while let Some(event) = events.recv().await {
        let Some(cluster) = cluster.upgrade() else {
            return;
        };
        let mut redis = cluster.redis();
        let node = cluster.node.clone();
        let written = match event {
            HubEvent::Opened(session) => {
                redis::cmd("SET")
                    .arg(cluster.keys.session(session.as_str()))
                    .arg(node)
                    .arg("EX")
                    .arg(SESSION_HOME.as_secs())
                    .query_async::<()>(&mut redis)
                    .await
            }
            HubEvent::RejoinToken(token) => {
                redis::cmd("SET")
                    .arg(cluster.keys.rejoin(&sha256_hex(&token)))
                    .arg(node)
                    .arg("EX")
                    .arg(crate::reconnects::LIFETIME.as_secs().max(1))
                    .query_async::<()>(&mut redis)
                    .await
            }
            HubEvent::IdEnded(id, how) => cluster.ids.end(&mut redis, id, how).await,
        };
        if let Err(error) = written {
            tracing::warn!(%error, "Redis missed a change");
        }
    }
}
