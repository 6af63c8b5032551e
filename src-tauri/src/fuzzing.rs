//! Entry points for `cargo fuzz` (`tests/fuzz/`) and for replaying its
//! corpus as ordinary tests (`tests/fuzz_corpus.rs`). Each takes arbitrary
//! bytes, must never panic, and asserts what must hold for whatever a peer
//! could make it accept.

use std::path::Path;

use crate::input::event::InputEvent;
use crate::media::depacketize::{Packet, Vp8Assembler};
use crate::session::control::ControlMessage;
use crate::transfer::safe_path::{MAX_COMPONENT_BYTES, SafeRelativePath};
use crate::transfer::wire::{Chunk, FileMessage};

/// Every parser of the peer protocol: control, input, files (JSON and
/// binary chunks). What parses serialises and parses back to itself.
pub fn peer_protocol(data: &[u8]) {
    if let Ok(message) = ControlMessage::parse(data) {
        assert_eq!(
            ControlMessage::parse(message.to_json().as_bytes()).ok(),
            Some(message)
        );
    }
    if let Ok(event) = InputEvent::parse(data) {
        assert!(event.validate().is_ok());
        let json = serde_json::to_vec(&event).expect("an input event serialises");
        assert_eq!(InputEvent::parse(&json).ok(), Some(event));
    }
    if let Ok(message) = FileMessage::parse(data) {
        assert_eq!(
            FileMessage::parse(message.to_json().as_bytes()).ok(),
            Some(message)
        );
    }
    if let Ok(chunk) = Chunk::decode(data) {
        assert_eq!(chunk.encode(), data);
    }
}

/// The received-name check: whatever it accepts is a plain relative path
/// that stays under any folder it is joined to.
pub fn safe_path(data: &[u8]) {
    let Ok(raw) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(path) = SafeRelativePath::parse(raw) else {
        return;
    };
    assert_eq!(path.components().join("/"), raw);
    for component in path.components() {
        assert!(!component.is_empty() && component != "." && component != "..");
        assert!(component.len() <= MAX_COMPONENT_BYTES);
        assert!(!component.contains(['/', '\\', '\0', ':']));
        assert!(!component.chars().any(char::is_control));
    }
    let relative = path.to_path_buf();
    assert!(relative.is_relative());
    let root = Path::new("/srv/downloads");
    let joined = root.join(&relative);
    assert!(joined.starts_with(root));
    assert_eq!(joined.components().count(), 3 + path.components().len());
}

/// The expert's VP8 reassembly from RTP packets in any order, duplicated,
/// truncated or forged. The input is a list of records:
/// `sequence (u16 BE) | timestamp (u32 BE) | flags (bit 0: marker) | length (u8) | payload`.
/// Frames come out only from a keyframe on, each within the size limit.
pub fn rtp(data: &[u8]) {
    let mut assembler = Vp8Assembler::default();
    let mut rest = data;
    let mut delivered = 0usize;
    while rest.len() >= 8 {
        let sequence = u16::from_be_bytes([rest[0], rest[1]]);
        let timestamp = u32::from_be_bytes([rest[2], rest[3], rest[4], rest[5]]);
        let marker = rest[6] & 1 != 0;
        let len = usize::from(rest[7]).min(rest.len() - 8);
        let payload = &rest[8..8 + len];
        rest = &rest[8 + len..];
        assembler.push(Packet {
            sequence,
            timestamp,
            marker,
            payload,
            times: Default::default(),
        });
        while let Some(frame) = assembler.next_frame() {
            assert!(
                delivered > 0 || frame.keyframe,
                "a delta before any keyframe"
            );
            assert!(frame.data.len() <= 8 * 1024 * 1024);
            delivered += 1;
        }
    }
}
