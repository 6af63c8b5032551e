//! The hub: the one owner of client IDs (and, as the server grows, of
//! pairings and consent). It runs as a single task; connections talk to it
//! through a cloneable [`HubHandle`] — a bounded `mpsc` sender plus `oneshot`
//! replies — so no lock guards its state. Time comes from the caller's clock
//! at each request, which keeps the registry itself a pure state machine.

use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot};

use crate::ids::{IdRegistry, Issued, SystemIdSource};

/// Identifies one WebSocket connection for the lifetime of the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ConnId(pub u64);

/// How many requests may wait for the hub before senders wait too.
const QUEUE: usize = 1024;

#[derive(Debug)]
enum Request {
    IssueId {
        conn: ConnId,
        reply: oneshot::Sender<Option<Issued>>,
    },
    Disconnected {
        conn: ConnId,
    },
}

/// A connection's way to the hub.
#[derive(Debug, Clone)]
pub struct HubHandle {
    requests: mpsc::Sender<Request>,
}

impl HubHandle {
    /// Issues a new ID to `conn`, superseding its previous one. `None` if
    /// the hub is gone or no ID is free.
    pub async fn issue_id(&self, conn: ConnId) -> Option<Issued> {
        let (reply, answer) = oneshot::channel();
        self.requests
            .send(Request::IssueId { conn, reply })
            .await
            .ok()?;
        answer.await.ok().flatten()
    }

    /// Tells the hub a connection ended; its ID survives the grace period.
    pub async fn disconnected(&self, conn: ConnId) {
        let _ = self.requests.send(Request::Disconnected { conn }).await;
    }
}

/// Starts the hub task; it ends when every handle is dropped.
pub fn spawn(grace: Duration) -> HubHandle {
    let (requests, mut inbox) = mpsc::channel(QUEUE);
    tokio::spawn(async move {
        let mut ids = IdRegistry::new(grace);
        let mut source = SystemIdSource::default();
        while let Some(request) = inbox.recv().await {
            let now = Instant::now();
            match request {
                Request::IssueId { conn, reply } => {
                    let issued = ids.issue(now, conn, &mut source).ok();
                    if issued.is_none() {
                        tracing::error!(live = ids.len(), "no free client ID");
                    }
                    let _ = reply.send(issued);
                }
                Request::Disconnected { conn } => ids.owner_disconnected(now, conn),
            }
        }
    });
    HubHandle { requests }
}
