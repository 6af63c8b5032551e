//! Sending one transfer: its items in order, each file from the resume
//! point the receiver names, chunk by chunk within the channel's pace,
//! closed by the file's SHA-256 and the receiver's verdict.

use tokio::sync::mpsc;

use super::error::TransferError;
use super::paced::Paced;
use super::read_ahead::{Read, read_ahead};
use super::send::Item;
use super::wire::FileMessage;
use crate::peer::ChannelError;

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

/// One sending transfer: its channel, number, the receiver's replies and
/// where progress goes.
struct Sending<'a> {
    channel: &'a Paced,
    id: u32,
    replies: mpsc::Receiver<FileMessage>,
    progress: &'a mpsc::Sender<PumpReport>,
}

/// Sends one transfer's items in order, waiting for the receiver's resume
/// point before each file and its verdict after.
pub(crate) async fn pump(
    channel: &Paced,
    id: u32,
    start: FileMessage,
    items: Vec<Item>,
    replies: mpsc::Receiver<FileMessage>,
    progress: &mpsc::Sender<PumpReport>,
) -> Result<(), TransferError> {
    let mut sending = Sending {
        channel,
        id,
        replies,
        progress,
    };
    sending.say(&start).await?;
    for item in items {
        match item {
            Item::Folder { path } => {
                sending
                    .say(&FileMessage::Folder { transfer: id, path })
                    .await?
            }
            Item::File {
                path,
                source,
                size,
                modified_ms,
            } => {
                let offer = FileMessage::Offer {
                    transfer: id,
                    path,
                    size,
                    modified_ms,
                };
                sending.say(&offer).await?;
                let offset = match sending.replies.recv().await {
                    Some(FileMessage::Resume { offset, .. }) => offset,
                    other => return Err(refusal(other)),
                };
                let sha256 = sending.file(source, size, offset).await?;
                sending
                    .say(&FileMessage::Done {
                        transfer: id,
                        sha256,
                    })
                    .await?;
                match sending.replies.recv().await {
                    Some(FileMessage::Verified { .. }) => {
                        sending.report(PumpReport::FileDone { transfer: id }).await;
                    }
                    other => return Err(refusal(other)),
                }
            }
        }
    }
    Ok(())
}

impl Sending<'_> {
    async fn say(&self, message: &FileMessage) -> Result<(), TransferError> {
        self.channel
            .send_text(&message.to_json())
            .await
            .map_err(|e: ChannelError| TransferError::connection_lost(e))
    }

    async fn report(&self, report: PumpReport) {
        // A runner that is gone no longer shows progress.
        let _ = self.progress.send(report).await;
    }

    /// Sends one file's bytes from `offset`; returns its SHA-256. Opening
    /// (which hashes what the receiver already has) and reading run on a
    /// blocking thread of their own, a few chunks ahead.
    async fn file(
        &mut self,
        source: std::path::PathBuf,
        size: u64,
        offset: u64,
    ) -> Result<String, TransferError> {
        let transfer = self.id;
        let mut reading = read_ahead(source, size, offset, transfer);
        loop {
            match reading.recv().await {
                Some(Read::Opened { offset }) => {
                    let bytes = offset;
                    self.report(PumpReport::Bytes { transfer, bytes }).await;
                }
                Some(Read::Chunk { frame, bytes }) => {
                    // Waits while the channel holds its allowance.
                    let sent = self.channel.send_chunk(&frame).await;
                    sent.map_err(TransferError::connection_lost)?;
                    self.report(PumpReport::Bytes { transfer, bytes }).await;
                    if let Ok(message) = self.replies.try_recv() {
                        return Err(refusal(Some(message)));
                    }
                }
                Some(Read::Done { sha256 }) => return Ok(sha256),
                Some(Read::Failed(error)) => return Err(unreadable(error)),
                None => return Err(unreadable("the reading thread stopped")),
            }
        }
    }
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
