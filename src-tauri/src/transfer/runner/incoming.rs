//! The receiving side of transfers: a transfer announced, its folders
//! made, each file offered (resumed where a partial copy stops), written
//! chunk by chunk, checked against the sender's digest and saved, or
//! cancelled or failed by the sender. File work runs on the blocking pool.

use super::{Direction, Receiving, Runner, State, TransferError, TransferView};
use crate::session::log::EventCode;
use crate::transfer::receive::{Incoming, ReceiveError, create_folder};
use crate::transfer::wire::{Chunk, FileMessage};
use crate::transfer::writer::Writer;

impl Runner {
    /// A transfer announced: where it goes, if files are allowed.
    pub(super) async fn on_start(
        &mut self,
        transfer: u32,
        name: String,
        files: u32,
        bytes: u64,
        into: Option<String>,
    ) {
        if !self.allowed {
            return self
                .refuse(transfer, "not_granted", "files are not allowed")
                .await;
        }
        let destination = match self.destination(into).await {
            Ok(destination) => destination,
            Err((code, message)) => return self.refuse(transfer, code, &message).await,
        };
        let mut view = TransferView::new(transfer, Direction::Incoming, name, files, bytes);
        view.saved_to = Some(destination.display().to_string());
        self.views.push(view);
        self.receiving.insert(
            transfer,
            Receiving {
                destination,
                file: None,
            },
        );
        self.dirty = true;
    }

    /// A folder of the transfer, made under its destination.
    pub(super) async fn on_folder(&mut self, transfer: u32, path: String) {
        let Some(receiving) = self.receiving.get(&transfer) else {
            return self
                .refuse(transfer, "unknown_transfer", "no such transfer")
                .await;
        };
        let root = receiving.destination.clone();
        let made = on_blocking_pool(move || create_folder(&root, &path)).await;
        if let Err((code, message)) = made {
            self.fail_incoming(transfer, code, &message).await;
        }
    }

    /// A file offered: opened (or resumed) and the offset said.
    pub(super) async fn on_offer(
        &mut self,
        transfer: u32,
        path: String,
        size: u64,
        modified_ms: u64,
    ) {
        let Some(receiving) = self.receiving.get(&transfer) else {
            return self
                .refuse(transfer, "unknown_transfer", "no such transfer")
                .await;
        };
        let downloads = receiving.destination.clone();
        let name = path.clone();
        let opened =
            on_blocking_pool(move || Incoming::open(&downloads, &path, size, modified_ms)).await;
        match opened {
            Ok(file) => {
                let offset = file.offset();
                if offset > 0 {
                    self.note(
                        EventCode::TransferResumed,
                        format!("{name} at byte {offset}"),
                    );
                }
                if let Some(view) = self.view_mut(transfer, Direction::Incoming) {
                    view.bytes_done += offset;
                }
                if let Some(receiving) = self.receiving.get_mut(&transfer) {
                    receiving.file = Some(Writer::start(file));
                }
                self.say(FileMessage::Resume { transfer, offset }).await;
            }
            Err((code, message)) => self.fail_incoming(transfer, code, &message).await,
        }
    }

    /// The sender finished a file: its digest checked, the file saved.
    pub(super) async fn on_done(&mut self, transfer: u32, sha256: String) {
        let Some(Some(writer)) = self.receiving.get_mut(&transfer).map(|r| r.file.take()) else {
            return;
        };
        let verdict = match writer.stop().await {
            Ok(file) => on_blocking_pool(move || file.finish(&sha256)).await,
            Err(failure) => Err(failure),
        };
        match verdict {
            Err((code, message)) => self.fail_incoming(transfer, code, &message).await,
            Ok(saved) => {
                let saved_as = saved.display().to_string();
                let mut finished = false;
                if let Some(view) = self.view_mut(transfer, Direction::Incoming) {
                    view.files_done += 1;
                    finished = view.files_done >= view.files;
                    if finished {
                        view.bytes_done = view.bytes;
                        view.end(State::Done, None);
                    }
                }
                self.dirty = true;
                self.say(FileMessage::Verified {
                    transfer,
                    saved_as: saved_as.clone(),
                })
                .await;
                if finished {
                    self.receiving.remove(&transfer);
                    self.note(EventCode::FilesReceived, saved_as);
                }
            }
        }
    }

    /// The sender cancelled: the partial file goes.
    pub(super) async fn on_cancel(&mut self, transfer: u32) {
        if let Some(Receiving {
            file: Some(writer), ..
        }) = self.receiving.remove(&transfer)
        {
            writer.discard().await;
        }
        self.end(transfer, Direction::Incoming, State::Cancelled, None);
        self.note(EventCode::TransferCancelled, transfer.to_string());
    }

    /// The sender gave up; a partial file stays for resuming.
    pub(super) fn on_failed(&mut self, transfer: u32, code: String, message: String) {
        self.stop_incoming(transfer, TransferError::new(code, message));
    }

    /// A chunk of the file being received.
    pub(super) async fn on_chunk(&mut self, frame: &[u8]) {
        let chunk = match Chunk::decode(frame) {
            Ok(chunk) => chunk,
            Err(error) => return tracing::warn!(%error, "chunk dropped"),
        };
        if self.clips.arriving(chunk.transfer) {
            return self.on_clip_chunk(chunk).await;
        }
        let Some(receiving) = self.receiving.get_mut(&chunk.transfer) else {
            return; // cancelled or refused: late chunks are dropped
        };
        let Some(writer) = &receiving.file else {
            return;
        };
        // Written by the file's own writing thread, while the next arrive.
        let transfer = chunk.transfer;
        if !writer.write(chunk.offset, chunk.data.to_vec()).await {
            // A write failed and the writer stopped; it says why.
            if let Some(writer) = receiving.file.take()
                && let Err((code, message)) = writer.stop().await
            {
                self.fail_incoming(transfer, code, &message).await;
            }
            return;
        }
        if let Some(view) = self.view_mut(chunk.transfer, Direction::Incoming) {
            view.bytes_done += chunk.data.len() as u64;
        }
    }
}

/// Runs file work on tokio's blocking pool; a failure comes back as the
/// code and detail the sender is told.
async fn on_blocking_pool<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, ReceiveError> + Send + 'static,
) -> Result<T, (&'static str, String)> {
    match tokio::task::spawn_blocking(work).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(error)) => Err((error.code(), error.to_string())),
        Err(error) => Err(("write_failed", error.to_string())),
    }
}
