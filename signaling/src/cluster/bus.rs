//! The pub/sub side of a node: it listens on its own channel and the
//! desk-wide one, and serves what other nodes ask of the clients,
//! requests and sessions it holds.
//!
//! Messages are handled one at a time, in the order Redis delivers them,
//! so what one node sends another is carried out in order.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};
use std::time::Duration;

use futures_util::StreamExt;
use redis::aio::{PubSubSink, PubSubStream};
use tokio::sync::mpsc;

use super::wire::{Body, Envelope, RemoteOp, WireRefusal};
use super::{Announcement, Cluster, lock};
use crate::accounts::Expert;
use crate::hub::{Asking, ConnId, Refusal};
use crate::ids::ClientId;
use crate::protocol::{ErrorCode, ServerMessage};

/// A proxy's outbox, as large as a connection's.
const OUTBOX: usize = 256;

pub type Subscription = (PubSubSink, PubSubStream);

pub async fn subscribe(
    client: &redis::Client,
    cluster: &Cluster,
) -> redis::RedisResult<Subscription> {
    let (mut sink, stream) = client.get_async_pubsub().await?.split();
    sink.subscribe(&[cluster.keys.inbox(&cluster.node), cluster.keys.everyone()])
        .await?;
    Ok((sink, stream))
}

/// Runs until the node's cluster is dropped; subscribes again whenever
/// the connection to Redis is lost.
pub async fn listen(cluster: Weak<Cluster>, client: redis::Client, mut subscription: Subscription) {
    let Some(mut leaving) = cluster.upgrade().map(|c| c.leaving.subscribe()) else {
        return;
    };
    loop {
        loop {
            let message = tokio::select! {
                message = subscription.1.next() => message,
                _ = leaving.wait_for(|gone| *gone) => return,
            };
            let Some(message) = message else {
                break;
            };
            let Some(cluster) = cluster.upgrade() else {
                return;
            };
            match serde_json::from_slice::<Envelope>(message.get_payload_bytes()) {
                Ok(envelope) if envelope.from != cluster.node => {
                    handle(&cluster, envelope).await;
                }
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "an unreadable message between nodes"),
            }
        }
        tracing::warn!("lost the subscription to Redis; subscribing again");
        subscription = loop {
            tokio::time::sleep(Duration::from_secs(1)).await;
            let Some(cluster) = cluster.upgrade() else {
                return;
            };
            if let Ok(again) = subscribe(&client, &cluster).await {
                break again;
            }
        };
    }
}

async fn handle(cluster: &Arc<Cluster>, Envelope { from, body }: Envelope) {
    match body {
        Body::Deliver { conn, message } => {
            let conn = ConnId(conn);
            lock(&cluster.routes).heard(conn, &from, &message);
            cluster.stats.delivered.fetch_add(1, Ordering::Relaxed);
            cluster.hub.push(conn, message).await;
        }
        Body::Call { call, origin, op } => {
            cluster.stats.calls_served.fetch_add(1, Ordering::Relaxed);
            let result = serve(cluster, &from, origin, op).await;
            let refusal = result.err().as_ref().map(WireRefusal::from);
            let reply = Body::Reply { call, refusal };
            cluster.publish(&cluster.keys.inbox(&from), reply);
        }
        Body::Reply { call, refusal } => {
            if let Some(waiting) = lock(&cluster.calls).remove(&call) {
                let _ = waiting.send(refusal);
            }
        }
        Body::Gone { origin } => {
            let proxy = lock(&cluster.proxies).remove(&(from, origin));
            if let Some(proxy) = proxy {
                cluster.stats.proxies.fetch_sub(1, Ordering::Relaxed);
                cluster.hub.disconnected(proxy).await;
            }
        }
        Body::PolicyChanged => {
            let _ = cluster.announcements.send(Announcement::PolicyChanged);
        }
        Body::Revoked { account } => {
            let _ = cluster.announcements.send(Announcement::Revoked(account));
        }
    }
}

/// Carries out `op` for `from`'s connection `origin`, through the proxy
/// that stands for it in this node's hub.
async fn serve(
    cluster: &Arc<Cluster>,
    from: &str,
    origin: u64,
    op: RemoteOp,
) -> Result<(), Refusal> {
    let hub = &cluster.hub;
    let bad_id = || Refusal {
        code: ErrorCode::IdUnknown,
        message: "no client has this ID".into(),
        retry_after: None,
    };
    match op {
        RemoteOp::Surrender { id, secret } => {
            let id = ClientId::new(id).ok_or_else(bad_id)?;
            hub.surrender(id, secret).await
        }
        RemoteOp::Connect {
            ip,
            username,
            display_name,
            id,
            notes,
            reason,
            scopes,
        } => {
            let id = ClientId::new(id).ok_or_else(bad_id)?;
            let proxy = proxy_for(cluster, from, origin).await;
            let expert = Expert {
                username,
                display_name,
            };
            let asking = Asking {
                notes,
                reason,
                scopes,
            };
            hub.connect_here(proxy, ip, expert, id, asking).await
        }
        RemoteOp::Answer { session, accept } => {
            let proxy = proxy_for(cluster, from, origin).await;
            hub.answer_here(proxy, session, accept).await
        }
        RemoteOp::Session { session, what } => {
            let proxy = proxy_for(cluster, from, origin).await;
            hub.ask_here(proxy, session, what).await
        }
        RemoteOp::Rejoin { token } => {
            let proxy = proxy_for(cluster, from, origin).await;
            hub.rejoin_here(proxy, token).await
        }
    }
}

/// The connection standing in this node's hub for `from`'s `origin`,
/// made the first time it is needed. What the hub says to it goes back
/// to `from`, in order.
async fn proxy_for(cluster: &Arc<Cluster>, from: &str, origin: u64) -> ConnId {
    let key = (from.to_owned(), origin);
    if let Some(proxy) = lock(&cluster.proxies).get(&key) {
        return *proxy;
    }
    let proxy = ConnId::next();
    let (outbox, mut outgoing) = mpsc::channel::<Box<ServerMessage>>(OUTBOX);
    cluster.hub.register(proxy, outbox).await;
    lock(&cluster.proxies).insert(key, proxy);
    cluster.stats.proxies.fetch_add(1, Ordering::Relaxed);
    let weak = Arc::downgrade(cluster);
    let node = from.to_owned();
    tokio::spawn(async move {
        // Ends when the hub forgets the proxy and drops its outbox.
        while let Some(message) = outgoing.recv().await {
            let Some(cluster) = weak.upgrade() else {
                return;
            };
            let body = Body::Deliver {
                conn: origin,
                message,
            };
            cluster.publish(&cluster.keys.inbox(&node), body);
        }
    });
    proxy
}
