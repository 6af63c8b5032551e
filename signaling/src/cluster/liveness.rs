//! Which nodes are alive: each renews its key every second, and a node
//! whose key lapsed is gone. The others then end what they held for it:
//! proxies for its connections, and their own connections' requests held
//! there (running sessions go on peer to peer, and are left alone).

use std::collections::HashSet;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use super::{Cluster, lock};
use crate::protocol::ServerMessage;

const BEAT: Duration = Duration::from_secs(1);
/// A node is dead once its key has gone unrenewed this long.
pub const TIMEOUT: Duration = Duration::from_secs(4);

/// Renews this node's key and measures the round trip.
pub async fn beat(cluster: &Cluster) -> redis::RedisResult<()> {
    let started = Instant::now();
    redis::cmd("SET")
        .arg(cluster.keys.alive(&cluster.node))
        .arg(1)
        .arg("PX")
        .arg(u64::try_from(TIMEOUT.as_millis()).unwrap_or(4000))
        .query_async::<()>(&mut cluster.redis())
        .await?;
    let rtt = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
    cluster.stats.redis_rtt_us.store(rtt, Ordering::Relaxed);
    Ok(())
}

pub async fn is_alive(cluster: &Cluster, node: &str) -> redis::RedisResult<bool> {
    redis::cmd("EXISTS")
        .arg(cluster.keys.alive(node))
        .query_async(&mut cluster.redis())
        .await
}

pub async fn run(cluster: Weak<Cluster>) {
    let Some(mut leaving) = cluster.upgrade().map(|c| c.leaving.subscribe()) else {
        return;
    };
    let mut ticks = tokio::time::interval(BEAT);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            _ = leaving.wait_for(|gone| *gone) => return,
        }
        let Some(cluster) = cluster.upgrade() else {
            return;
        };
        if let Err(error) = beat(&cluster).await {
            tracing::warn!(%error, "heartbeat to Redis failed");
            continue;
        }
        sweep(&cluster).await;
    }
}

/// Ends what this node holds for nodes that died. A node Redis cannot
/// answer about is taken to be alive.
async fn sweep(cluster: &Arc<Cluster>) {
    let mut nodes: HashSet<String> = lock(&cluster.routes).nodes();
    nodes.extend(lock(&cluster.proxies).keys().map(|(node, _)| node.clone()));
    for node in nodes {
        if !is_alive(cluster, &node).await.unwrap_or(true) {
            lost(cluster, &node).await;
        }
    }
}

async fn lost(cluster: &Arc<Cluster>, node: &str) {
    tracing::warn!(node, "a node of the desk is gone");
    cluster.stats.nodes_lost.fetch_add(1, Ordering::Relaxed);
    let proxies: Vec<_> = {
        let mut all = lock(&cluster.proxies);
        let theirs: Vec<_> = all.keys().filter(|(n, _)| n == node).cloned().collect();
        theirs
            .into_iter()
            .filter_map(|key| all.remove(&key))
            .collect()
    };
    for proxy in proxies {
        cluster.stats.proxies.fetch_sub(1, Ordering::Relaxed);
        cluster.hub.disconnected(proxy).await;
    }
    let orphans = lock(&cluster.routes).node_died(node);
    for orphan in orphans.into_iter().filter(|o| !o.running) {
        let ended = ServerMessage::RequestCancelled {
            session: orphan.session,
        };
        cluster.hub.push(orphan.conn, Box::new(ended)).await;
    }
}
