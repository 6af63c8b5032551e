//! Everything this node publishes, in one queue: a task sends what has
//! gathered as one Redis pipeline, in order. Messages from this node to
//! another therefore arrive in the order they were queued, and a busy
//! node pays one round trip per batch, not per message.

use redis::aio::ConnectionManager;
use tokio::sync::{mpsc, oneshot};

/// The most messages in one pipeline.
const BATCH: usize = 256;

#[derive(Debug)]
pub struct Outgoing {
    pub channel: String,
    pub payload: Vec<u8>,
    /// Told how many nodes heard it (none when Redis failed).
    pub heard: Option<oneshot::Sender<u64>>,
}

pub async fn publish_in_order(
    mut redis: ConnectionManager,
    mut queue: mpsc::UnboundedReceiver<Outgoing>,
) {
    let mut batch = Vec::with_capacity(BATCH);
    while queue.recv_many(&mut batch, BATCH).await > 0 {
        let mut pipe = redis::pipe();
        for outgoing in &batch {
            pipe.cmd("PUBLISH")
                .arg(&outgoing.channel)
                .arg(&outgoing.payload);
        }
        let counts: Vec<u64> = match pipe.query_async(&mut redis).await {
            Ok(counts) => counts,
            Err(error) => {
                tracing::warn!(%error, lost = batch.len(), "publishing to other nodes failed");
                Vec::new()
            }
        };
        for (n, outgoing) in batch.drain(..).enumerate() {
            if let Some(heard) = outgoing.heard {
                let _ = heard.send(counts.get(n).copied().unwrap_or(0));
            }
        }
    }
}
