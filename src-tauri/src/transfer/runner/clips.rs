//! Clipboard content on the `files` channel: text too large for the control
//! channel, and images. It travels like a file (announced, chunked, paced,
//! checked by its SHA-256), but into memory, within the `clipboard`
//! permission rather than `files`, and the runner hands it to the engine
//! ([`Report::Clip`]) instead of writing it anywhere.
//!
//! One clip arrives at a time: a newer copy replaces an unfinished one. A
//! peer that sends more than it announced, out of place, or something that
//! is not text or a PNG is told why (`failed`), and nothing is set.

use std::collections::HashMap;

use ring::digest::{Context, SHA256};
use tokio::task::JoinHandle;

use super::{Report, Runner};
use crate::clipboard::content::ClipContent;
use crate::transfer::paced::Paced;
use crate::transfer::wire::{CHUNK_BYTES, Chunk, FileMessage};

/// The clips going and coming; owned by the runner.
#[derive(Debug, Default)]
pub(super) struct Clips {
    /// Whether `clipboard` is granted.
    allowed: bool,
    arriving: Option<Arriving>,
    /// This side's clips still being sent, by number.
    sending: HashMap<u32, JoinHandle<()>>,
}

#[derive(Debug)]
struct Arriving {
    clip: u32,
    mime: String,
    bytes: u64,
    data: Vec<u8>,
}

impl Clips {
    /// Whether chunks numbered `id` belong to the clip arriving.
    pub(super) fn arriving(&self, id: u32) -> bool {
        self.arriving.as_ref().is_some_and(|a| a.clip == id)
    }

    pub(super) fn sending(&self, id: u32) -> bool {
        self.sending.contains_key(&id)
    }

    fn stop(&mut self) {
        self.arriving = None;
        for (_, task) in self.sending.drain() {
            task.abort();
        }
    }
}

impl Drop for Clips {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Sends one clip: announced, its chunks at the channel's pace, then its
/// digest.
async fn send(paced: Paced, clip: u32, content: ClipContent) {
    let bytes = content.bytes();
    let announce = FileMessage::Clip {
        clip,
        mime: content.mime().into(),
        bytes: bytes.len() as u64,
    };
    let mut digest = Context::new(&SHA256);
    let sent = async {
        paced.send_text(&announce.to_json()).await?;
        for (index, data) in bytes.chunks(CHUNK_BYTES).enumerate() {
            digest.update(data);
            let offset = (index * CHUNK_BYTES) as u64;
            let chunk = Chunk {
                transfer: clip,
                offset,
                data,
            };
            paced.send_chunk(&chunk.encode()).await?;
        }
        let sha256 = crate::hex::encode(digest.finish().as_ref());
        paced
            .send_text(&FileMessage::ClipDone { clip, sha256 }.to_json())
            .await
    };
    if let Err(error) = sent.await {
        tracing::debug!(%error, clip, "clipboard content not sent");
    }
}

impl Runner {
    pub(super) fn allow_clipboard(&mut self, allowed: bool) {
        self.clips.allowed = allowed;
        if !allowed {
            self.clips.stop();
        }
    }

    /// Sends this side's clipboard content to the peer.
    pub(super) fn send_clip(&mut self, content: ClipContent) {
        if !self.clips.allowed || !self.open {
            let why = if self.open {
                "the clipboard permission is not granted"
            } else {
                "the files channel is not open yet"
            };
            return (self.report)(Report::ClipNotSent {
                code: "not_sent".into(),
                message: why.into(),
            });
        }
        let clip = self.next_id;
        self.next_id = self.next_id.wrapping_add(2);
        self.clips.sending.retain(|_, task| !task.is_finished());
        let task = tokio::spawn(send(self.paced.clone(), clip, content));
        self.clips.sending.insert(clip, task);
    }

    /// The peer refused a clip of ours.
    pub(super) fn clip_refused(&mut self, clip: u32, code: String, message: String) {
        if let Some(task) = self.clips.sending.remove(&clip) {
            task.abort();
        }
        (self.report)(Report::ClipNotSent { code, message });
    }

    /// The peer announces a clip.
    pub(super) async fn on_clip(&mut self, clip: u32, mime: String, bytes: u64) {
        self.clips.arriving = None;
        if !self.clips.allowed {
            let why = "the clipboard permission is not granted";
            return self.refuse_clip(clip, "not_granted", why).await;
        }
        if let Err(bad) = ClipContent::check_announced(&mime, bytes) {
            return self.refuse_clip(clip, bad.code(), &bad.to_string()).await;
        }
        // Grown as chunks come; never more than announced.
        let data = Vec::with_capacity(bytes.min(1 << 20) as usize);
        self.clips.arriving = Some(Arriving {
            clip,
            mime,
            bytes,
            data,
        });
    }

    /// A chunk of the clip arriving: it must extend it exactly, within
    /// what was announced.
    pub(super) async fn on_clip_chunk(&mut self, chunk: Chunk<'_>) {
        let Some(arriving) = &mut self.clips.arriving else {
            return;
        };
        let fits = chunk.offset == arriving.data.len() as u64
            && arriving.data.len() as u64 + chunk.data.len() as u64 <= arriving.bytes;
        if fits {
            return arriving.data.extend_from_slice(chunk.data);
        }
        let clip = arriving.clip;
        self.clips.arriving = None;
        let why = "a chunk does not extend the clipboard content where it ends";
        self.refuse_clip(clip, "bad_chunk", why).await;
    }

    /// Every byte of the clip came: checked, it goes to the engine.
    pub(super) async fn on_clip_done(&mut self, clip: u32, sha256: String) {
        let Some(arriving) = self.clips.arriving.take_if(|a| a.clip == clip) else {
            return tracing::debug!(clip, "the end of no clip arriving");
        };
        if arriving.data.len() as u64 != arriving.bytes {
            let why = "fewer bytes came than were announced";
            return self.refuse_clip(clip, "incomplete", why).await;
        }
        let digest = ring::digest::digest(&SHA256, &arriving.data);
        if !crate::hex::encode(digest.as_ref()).eq_ignore_ascii_case(&sha256) {
            let why = "the clipboard content does not match its checksum";
            return self.refuse_clip(clip, "checksum", why).await;
        }
        match ClipContent::from_wire(&arriving.mime, arriving.data) {
            Ok(content) => (self.report)(Report::Clip(content)),
            Err(bad) => self.refuse_clip(clip, bad.code(), &bad.to_string()).await,
        }
    }

    async fn refuse_clip(&mut self, clip: u32, code: &str, message: &str) {
        tracing::warn!(
            clip,
            code,
            message,
            "clipboard content from the peer refused"
        );
        (self.report)(Report::ClipRefused {
            code: code.into(),
            message: message.into(),
        });
        self.say(FileMessage::Failed {
            transfer: clip,
            code: code.into(),
            message: message.into(),
        })
        .await;
    }
}
