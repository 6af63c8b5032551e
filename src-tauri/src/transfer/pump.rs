//! Sending one transfer: its items in order, each file from the resume
//! point the receiver names, chunk by chunk under the channel's send-buffer
//! limit, closed by the file's SHA-256 and the receiver's verdict.

use tokio::sync::mpsc;

use super::error::TransferError;
use super::read_ahead::{Read, read_ahead};
use super::send::Item;
use super::wire::FileMessage;
use crate::peer::{Channel, ChannelError};

/// What a sending transfer's pump tells the runner, the only writer of the
/// transfer's view. The queue is bounded: a pump waits while the runner
/// catches up.
#[derive(Debug)]
pub(crate) enum PumpReport {
    /// `bytes` more went out (at a resume: were there already).
    Bytes { transfer: u32, bytes: u64 },
    /// The receiver verified one more file.
    FileDone { transfer: u32 },
    /// The pump stopped: done, or why not.
    Ended {
        transfer: u32,
        outcome: Result<(), TransferError>,
    },
}

/// Sends one transfer's items in order, waiting for the receiver's resume
/// point before each file and its verdict after.
pub(crate) async fn pump(
    channel: &Channel,
    id: u32,
    start: FileMessage,
    items: Vec<Item>,
    mut replies: mpsc::Receiver<FileMessage>,
    progress: &mpsc::Sender<PumpReport>,
) -> Result<(), TransferError> {
    let report = |report: PumpReport| async move {
        // A runner that is gone no longer shows progress.
        let _ = progress.send(report).await;
    };
    let lost = |e: ChannelError| TransferError::connection_lost(e);
    channel.send_text(&start.to_json()).await.map_err(lost)?;
    for item in items {
        let (path, source, size, modified_ms) = match item {
            Item::Folder { path } => {
                let folder = FileMessage::Folder { transfer: id, path };
                channel.send_text(&folder.to_json()).await.map_err(lost)?;
                continue;
            }
            Item::File {
                path,
                source,
                size,
                modified_ms,
            } => (path, source, size, modified_ms),
        };
        let offer = FileMessage::Offer {
            transfer: id,
            path,
            size,
            modified_ms,
        };
        channel.send_text(&offer.to_json()).await.map_err(lost)?;
        let offset = match replies.recv().await {
            Some(FileMessage::Resume { offset, .. }) => offset,
            other => return Err(refusal(other)),
        };
        // Opening (which hashes what the receiver already has) and reading
        // run on a blocking thread of their own, a few chunks ahead.
        let mut reading = read_ahead(source, size, offset, id);
        let sha256 = loop {
            match reading.recv().await {
                Some(Read::Opened { offset }) => {
                    report(PumpReport::Bytes {
                        transfer: id,
                        bytes: offset,
                    })
                    .await;
                }
                Some(Read::Chunk { frame, bytes }) => {
                    // Waits while the channel holds its buffer's worth.
                    channel.send_bytes(&frame).await.map_err(lost)?;
                    report(PumpReport::Bytes {
                        transfer: id,
                        bytes,
                    })
                    .await;
                    if let Ok(message) = replies.try_recv() {
                        return Err(refusal(Some(message)));
                    }
                }
                Some(Read::Done { sha256 }) => break sha256,
                Some(Read::Failed(error)) => return Err(unreadable(error)),
                None => return Err(unreadable("the reading thread stopped")),
            }
        };
        let done = FileMessage::Done {
            transfer: id,
            sha256,
        };
        channel.send_text(&done.to_json()).await.map_err(lost)?;
        match replies.recv().await {
            Some(FileMessage::Verified { .. }) => {
                report(PumpReport::FileDone { transfer: id }).await;
            }
            other => return Err(refusal(other)),
        }
    }
    Ok(())
}

fn unreadable(error: impl std::fmt::Display) -> TransferError {
    TransferError::unreadable(error)
}

fn refusal(reply: Option<FileMessage>) -> TransferError {
    match reply {
        Some(FileMessage::Failed { code, message, .. }) => TransferError::new(code, message),
        Some(FileMessage::Cancel { .. }) => {
            TransferError::new(TransferError::CANCELLED, "the other side cancelled")
        }
        Some(other) => TransferError::new(
            TransferError::PROTOCOL,
            format!("unexpected reply {other:?}"),
        ),
        None => TransferError::connection_lost("the transfer ended"),
    }
}
