//! The sending side's file reading, off the async runtime: one blocking
//! thread per file opens it (hashing the part the receiver already has),
//! then reads it a few chunks ahead of the network, so the disk and the
//! channel work at the same time. Dropping the receiver stops the thread.

use tokio::sync::mpsc;

use super::send::Outgoing;
use super::wire::Chunk;

/// Chunks read but not yet sent: enough to keep the channel busy while the
/// next is read.
const AHEAD: usize = 4;

/// What the reading thread hands the pump, in order.
#[derive(Debug)]
pub(crate) enum Read {
    /// The file is open; sending resumes at `offset`.
    Opened { offset: u64 },
    /// One chunk's frame, ready to send, and how many of the file's bytes
    /// it carries.
    Chunk { frame: Vec<u8>, bytes: u64 },
    /// The whole file was read: its SHA-256, in hex.
    Done { sha256: String },
    /// Reading failed.
    Failed(std::io::Error),
}

/// Starts reading `source` (`size` bytes) from `offset` for transfer `id`.
pub(crate) fn read_ahead(
    source: std::path::PathBuf,
    size: u64,
    offset: u64,
    id: u32,
) -> mpsc::Receiver<Read> {
    let (reads, read) = mpsc::channel(AHEAD);
    tokio::task::spawn_blocking(move || {
        let mut file = match Outgoing::open(&source, size, offset) {
            Ok(file) => file,
            Err(error) => return drop(reads.blocking_send(Read::Failed(error))),
        };
        if reads
            .blocking_send(Read::Opened {
                offset: file.offset(),
            })
            .is_err()
        {
            return;
        }
        loop {
            let next = match file.next_chunk() {
                Ok(Some((offset, data))) => Read::Chunk {
                    frame: Chunk {
                        transfer: id,
                        offset,
                        data,
                    }
                    .encode(),
                    bytes: data.len() as u64,
                },
                Ok(None) => break,
                Err(error) => return drop(reads.blocking_send(Read::Failed(error))),
            };
            if reads.blocking_send(next).is_err() {
                return; // the transfer stopped
            }
        }
        let _ = reads.blocking_send(Read::Done {
            sha256: file.digest(),
        });
    });
    read
}
