//! The receiving side's file writing, off the async runtime: one blocking
//! thread per file writes the chunks the runner hands it, in order, while
//! the next ones arrive. It stops at the first failed write; stopping it
//! waits for what was queued and gives the file back.

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::receive::{Incoming, ReceiveError};

/// Chunks received but not yet written.
const QUEUE: usize = 8;

/// Why writing stopped: a code for the sender and the detail.
pub(crate) type WriteFailure = (&'static str, String);

#[derive(Debug)]
pub(crate) struct Writer {
    chunks: mpsc::Sender<(u64, Vec<u8>)>,
    task: JoinHandle<(Incoming, Result<(), ReceiveError>)>,
}

impl Writer {
    pub(crate) fn start(mut file: Incoming) -> Self {
        let (chunks, mut queued) = mpsc::channel::<(u64, Vec<u8>)>(QUEUE);
        let task = tokio::task::spawn_blocking(move || {
            while let Some((offset, data)) = queued.blocking_recv() {
                if let Err(error) = file.write(offset, &data) {
                    return (file, Err(error));
                }
            }
            (file, Ok(()))
        });
        Self { chunks, task }
    }

    /// Queues a chunk, waiting while the queue is full. False when the
    /// writer has stopped (a write failed): [`Writer::stop`] says why.
    pub(crate) async fn write(&self, offset: u64, data: Vec<u8>) -> bool {
        self.chunks.send((offset, data)).await.is_ok()
    }

    /// Waits until every queued chunk is written; the file back, or why
    /// writing stopped.
    pub(crate) async fn stop(self) -> Result<Incoming, WriteFailure> {
        drop(self.chunks);
        match self.task.await {
            Ok((file, Ok(()))) => Ok(file),
            Ok((_, Err(error))) => Err((error.code(), error.to_string())),
            Err(error) => Err(("write_failed", error.to_string())),
        }
    }

    /// Stops writing and removes the partial file (a cancelled transfer).
    pub(crate) async fn discard(self) {
        if let Ok(file) = self.stop().await {
            let _ = tokio::task::spawn_blocking(move || file.discard()).await;
        }
    }
}
