//! The `files` channel's two kinds of message: JSON text for the transfer's
//! life (offer, resume point, done, verified, cancel) and a compact binary
//! frame for the bytes. A frame is
//!
//! ```text
//! 0      1          5                 13
//! +------+----------+-----------------+---------------------+
//! | 0x01 | transfer | offset (u64 BE) | data (≤ CHUNK_BYTES) |
//! +------+----------+-----------------+---------------------+
//! ```
//!
//! so a receiver can check every chunk lands exactly where the file ends.

use serde::{Deserialize, Serialize};

use super::remote_fs::{Entry, Listing};

/// The most data bytes in one frame: the frame stays under the 64 KiB that
/// every WebRTC stack accepts as one message.
pub const CHUNK_BYTES: usize = 64 * 1024 - HEADER_BYTES;
pub const HEADER_BYTES: usize = 13;
const KIND_CHUNK: u8 = 1;
/// The most bytes of one JSON message on the channel.
pub const MAX_MESSAGE_BYTES: usize = 16 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chunk<'a> {
    pub transfer: u32,
    pub offset: u64,
    pub data: &'a [u8],
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadFrame {
    #[error("a frame of {0} bytes is shorter than its header")]
    Short(usize),
    #[error("unknown frame kind {0}")]
    Kind(u8),
    #[error("a frame of {0} bytes is over the limit")]
    TooLarge(usize),
    #[error("malformed transfer message: {0}")]
    Malformed(String),
}

impl Chunk<'_> {
    pub fn encode(&self) -> Vec<u8> {
        let mut frame = Vec::with_capacity(HEADER_BYTES + self.data.len());
        frame.push(KIND_CHUNK);
        frame.extend_from_slice(&self.transfer.to_be_bytes());
        frame.extend_from_slice(&self.offset.to_be_bytes());
        frame.extend_from_slice(self.data);
        frame
    }
}

impl<'a> Chunk<'a> {
    pub fn decode(frame: &'a [u8]) -> Result<Self, BadFrame> {
        if frame.len() < HEADER_BYTES {
            return Err(BadFrame::Short(frame.len()));
        }
        if frame.len() > HEADER_BYTES + CHUNK_BYTES {
            return Err(BadFrame::TooLarge(frame.len()));
        }
        if frame[0] != KIND_CHUNK {
            return Err(BadFrame::Kind(frame[0]));
        }
        let transfer = u32::from_be_bytes(frame[1..5].try_into().expect("4 bytes"));
        let offset = u64::from_be_bytes(frame[5..13].try_into().expect("8 bytes"));
        Ok(Self {
            transfer,
            offset,
            data: &frame[HEADER_BYTES..],
        })
    }
}

/// The JSON messages of a transfer. `path` is always `/`-separated and
/// relative; the receiver vets it with `safe_path` before touching disk.
/// The files of one transfer go one after another, so chunk frames carry
/// the transfer's number and the receiver knows which file they extend.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FileMessage {
    /// Sender → receiver: a transfer of `files` files (`bytes` in all)
    /// named after what the user picked begins. `transfer` numbers it; the
    /// expert's numbers are even and the client's odd.
    ///
    /// `into`: expert → client only, a folder of the client's shared folder
    /// (picked in the file browser) to receive into instead of Downloads.
    Start {
        transfer: u32,
        name: String,
        files: u32,
        bytes: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        into: Option<String>,
    },
    /// Sender → receiver: a file is coming. `modified_ms` and `size`
    /// identify it for resuming.
    Offer {
        transfer: u32,
        path: String,
        size: u64,
        modified_ms: u64,
    },
    /// Sender → receiver: an (empty) folder to create.
    Folder { transfer: u32, path: String },
    /// Receiver → sender: send from `offset` (0, or where a kept partial
    /// file ends).
    Resume { transfer: u32, offset: u64 },
    /// Sender → receiver: every byte was sent; this is their SHA-256.
    Done { transfer: u32, sha256: String },
    /// Receiver → sender: the file checked out and was saved as `saved_as`.
    Verified { transfer: u32, saved_as: String },
    /// Either way: the transfer cannot go on (`code` names why).
    Failed {
        transfer: u32,
        code: String,
        message: String,
    },
    /// Either way: the user cancelled.
    Cancel { transfer: u32 },
    /// Either way, within `clipboard`: clipboard content too large for the
    /// control channel (text over 32 KiB, or a PNG image) follows as chunk
    /// frames numbered `clip` (from the transfers' numbers), then
    /// `clip_done`. `mime` is `text/plain;charset=utf-8` or `image/png`;
    /// at most 32 MiB. A refusal comes back as `failed` with the number.
    Clip { clip: u32, mime: String, bytes: u64 },
    /// Sender → receiver: every byte of the clip was sent; their SHA-256.
    ClipDone { clip: u32, sha256: String },
    /// Expert → client: a file-browser request, answered by `listing`
    /// pages, `fs_done` or `fs_failed` with the same `request`.
    Fs { request: u32, op: FsOp },
    /// Client → expert: one page of a folder's entries; `last` on the final
    /// page. Pages keep every message under [`MAX_MESSAGE_BYTES`].
    Listing {
        request: u32,
        path: String,
        entries: Vec<Entry>,
        truncated: bool,
        last: bool,
    },
    /// Client → expert: the request was carried out (`detail` says how,
    /// e.g. the name a copy got).
    FsDone { request: u32, detail: String },
    /// Client → expert: the request was refused or failed.
    FsFailed {
        request: u32,
        code: String,
        message: String,
    },
}

/// What the expert's file browser asks of the client's shared folder.
/// Paths are `/`-separated and relative to it; `""` is the folder itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum FsOp {
    List {
        path: String,
    },
    Mkdir {
        path: String,
    },
    Rename {
        from: String,
        to: String,
    },
    Copy {
        from: String,
        to: String,
    },
    Delete {
        path: String,
    },
    /// Send this file or folder to the expert, as a transfer of the
    /// client's.
    Download {
        path: String,
    },
}

impl FsOp {
    /// For the client's running log: what was done, in a few words.
    pub fn describe(&self) -> String {
        match self {
            Self::List { path } => format!("listed /{path}"),
            Self::Mkdir { path } => format!("created folder /{path}"),
            Self::Rename { from, to } => format!("moved /{from} to /{to}"),
            Self::Copy { from, to } => format!("copied /{from} to /{to}"),
            Self::Delete { path } => format!("deleted /{path}"),
            Self::Download { path } => format!("downloaded /{path}"),
        }
    }
}

/// The pages that carry `listing` as the answer to `request`: at least one,
/// each within [`MAX_MESSAGE_BYTES`] (a path is at most 4 KiB and a name at
/// most 255 bytes, escaped at most six-fold).
pub fn listing_pages(request: u32, listing: Listing) -> Vec<FileMessage> {
    const ENTRY_BUDGET: usize = MAX_MESSAGE_BYTES - 4096 - 2048;
    let mut pages = Vec::new();
    let mut page = Vec::new();
    let mut used = 0;
    for entry in listing.entries {
        let size = serde_json::to_string(&entry).map_or(0, |json| json.len() + 1);
        if used + size > ENTRY_BUDGET && !page.is_empty() {
            pages.push(std::mem::take(&mut page));
            used = 0;
        }
        used += size;
        page.push(entry);
    }
    pages.push(page);
    let count = pages.len();
    pages
        .into_iter()
        .enumerate()
        .map(|(index, entries)| FileMessage::Listing {
            request,
            path: listing.path.clone(),
            entries,
            truncated: listing.truncated,
            last: index + 1 == count,
        })
        .collect()
}

impl FileMessage {
    pub fn parse(bytes: &[u8]) -> Result<Self, BadFrame> {
        if bytes.len() > MAX_MESSAGE_BYTES {
            return Err(BadFrame::TooLarge(bytes.len()));
        }
        serde_json::from_slice(bytes).map_err(|e| BadFrame::Malformed(e.to_string()))
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("transfer message serialises")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_round_trip_and_bad_frames_are_refused() {
        let data = vec![7u8; CHUNK_BYTES];
        let chunk = Chunk {
            transfer: 0xDEAD_BEEF,
            offset: 5 << 32,
            data: &data,
        };
        let frame = chunk.encode();
        assert_eq!(frame.len(), 64 * 1024);
        assert_eq!(Chunk::decode(&frame), Ok(chunk));

        assert_eq!(Chunk::decode(&frame[..12]), Err(BadFrame::Short(12)));
        let mut wrong = frame.clone();
        wrong[0] = 9;
        assert_eq!(Chunk::decode(&wrong), Err(BadFrame::Kind(9)));
        let mut long = frame;
        long.push(0);
        assert!(matches!(Chunk::decode(&long), Err(BadFrame::TooLarge(_))));
        let empty = Chunk::decode(&[1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]).unwrap();
        assert!(empty.data.is_empty());
    }

    #[test]
    fn messages_round_trip_and_garbage_is_refused() {
        let offer = FileMessage::Offer {
            transfer: 3,
            path: "logs/app.log".into(),
            size: 10,
            modified_ms: 1,
        };
        assert_eq!(FileMessage::parse(offer.to_json().as_bytes()), Ok(offer));
        assert!(FileMessage::parse(br#"{"type":"offer","transfer":-1}"#).is_err());
        assert!(FileMessage::parse(b"\x00\x01").is_err());
        assert!(FileMessage::parse(&vec![b' '; MAX_MESSAGE_BYTES + 1]).is_err());

        let request = FileMessage::Fs {
            request: 4,
            op: FsOp::Rename {
                from: "a".into(),
                to: "b/a".into(),
            },
        };
        let json = request.to_json();
        assert_eq!(
            json,
            r#"{"type":"fs","request":4,"op":{"op":"rename","from":"a","to":"b/a"}}"#
        );
        assert_eq!(FileMessage::parse(json.as_bytes()), Ok(request));
        assert!(
            FileMessage::parse(br#"{"type":"fs","request":4,"op":{"op":"format_disk"}}"#).is_err()
        );
    }

    #[test]
    fn a_large_listing_goes_in_pages_each_within_the_limit() {
        use crate::transfer::remote_fs::EntryKind;
        let entries: Vec<Entry> = (0..3000)
            .map(|n| Entry {
                name: format!("{n:04}-{}", "\u{1}".repeat(40)),
                kind: EntryKind::File,
                size: n,
                modified_ms: 1,
            })
            .collect();
        let listing = Listing {
            path: "p".repeat(4000),
            entries: entries.clone(),
            truncated: true,
        };
        let pages = listing_pages(9, listing);
        assert!(pages.len() > 10);
        let mut joined = Vec::new();
        for (index, page) in pages.iter().enumerate() {
            let json = page.to_json();
            assert!(
                json.len() <= MAX_MESSAGE_BYTES,
                "page {index}: {}",
                json.len()
            );
            let FileMessage::Listing { entries, last, .. } =
                FileMessage::parse(json.as_bytes()).unwrap()
            else {
                panic!("not a listing");
            };
            assert_eq!(last, index + 1 == pages.len());
            joined.extend(entries);
        }
        assert_eq!(joined, entries);

        let empty = listing_pages(1, Listing::default());
        assert_eq!(empty.len(), 1);
    }
}
