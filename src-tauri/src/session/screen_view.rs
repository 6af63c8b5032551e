//! The expert's side of the screen: reads the video track, reassembles VP8
//! frames on the marker bit and hands them, still encoded, to the frame
//! sink. Lost data, a new viewer or a decoder error asks the client for a
//! keyframe with a PLI, at most every [`PLI_INTERVAL`].

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Notify;
use tokio::task::JoinHandle;

use crate::clock::unix_ms;
use crate::media::depacketize::{Packet, Vp8Assembler};
use crate::media::sink::{FrameSink, ScreenFrame};
use crate::peer::video::VideoReceiver;

/// Keyframes are large; one request per interval is enough.
const PLI_INTERVAL: Duration = Duration::from_millis(250);

/// Starts reading; the task ends with the track. `keyframe` is notified by
/// whoever needs a fresh keyframe (the webview's decoder).
pub fn spawn(
    mut receiver: VideoReceiver,
    sink: Arc<dyn FrameSink>,
    keyframe: Arc<Notify>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut assembler = Vp8Assembler::default();
        let mut last_pli: Option<Instant> = None;
        loop {
            let wants_keyframe = tokio::select! {
                packet = receiver.next_packet() => {
                    let Some(packet) = packet else { break };
                    let lost = assembler.push(Packet {
                        sequence: packet.sequence,
                        timestamp: packet.timestamp,
                        marker: packet.marker,
                        payload: &packet.payload,
                        captured_at_ms: packet.captured_at_ms,
                    });
                    while let Some(frame) = assembler.next_frame() {
                        sink.deliver(ScreenFrame {
                            data: frame.data,
                            keyframe: frame.keyframe,
                            captured_at_ms: frame.captured_at_ms,
                            received_at_ms: unix_ms(),
                        });
                    }
                    lost
                }
                () = keyframe.notified() => true,
            };
            if wants_keyframe && last_pli.is_none_or(|at| at.elapsed() >= PLI_INTERVAL) {
                last_pli = Some(Instant::now());
                if let Err(error) = receiver.request_keyframe().await {
                    tracing::debug!(%error, "keyframe request not sent");
                }
            }
        }
        tracing::debug!("the screen track ended");
    })
}
