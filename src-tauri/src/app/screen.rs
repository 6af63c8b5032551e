//! The expert's frame sink in the app: each received frame, still encoded,
//! goes to the webview as raw bytes over a `tauri::ipc::Channel`, where
//! WebCodecs decodes it. The channel is attached by the remote-screen view
//! when it mounts; frames that arrive with no view attached are dropped.

use std::sync::Mutex;

use tauri::ipc::{Channel, InvokeResponseBody};

use crate::media::sink::{FrameSink, ScreenFrame};

#[derive(Default)]
pub struct WebviewSink {
    channel: Mutex<Option<Channel<InvokeResponseBody>>>,
}

impl std::fmt::Debug for WebviewSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebviewSink").finish_non_exhaustive()
    }
}

impl WebviewSink {
    /// Sends frames to `channel` from now on, replacing any earlier view.
    pub fn attach(&self, channel: Channel<InvokeResponseBody>) {
        *self.lock() = Some(channel);
    }

    pub fn detach(&self) {
        self.lock().take();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Channel<InvokeResponseBody>>> {
        self.channel.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl FrameSink for WebviewSink {
    fn deliver(&self, frame: ScreenFrame) {
        let mut channel = self.lock();
        if let Some(open) = channel.as_ref()
            && let Err(error) = open.send(InvokeResponseBody::Raw(frame.to_wire()))
        {
            tracing::debug!(%error, "the screen view went away");
            channel.take();
        }
    }
}
