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
    Start {
        transfer: u32,
        name: String,
        files: u32,
        bytes: u64,
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
    }
}
