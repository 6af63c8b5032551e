//! The expert's side of the screen: reads the video track, reassembles VP8
//! frames on the marker bit and hands them, still encoded, to the frame
//! sink, each with its stage times (the sender's, its packets' arrival,
//! and the hand-off to the sink). Lost data, a new viewer or a decoder
//! that fell behind or failed asks the client for a keyframe with a PLI,
//! spaced and repeated as [`KeyframeAsk`] says. A new viewer also gets, at
//! once, the frames since the newest keyframe ([`Replay`]), so the first
//! picture does not wait for the client's next keyframe. Only a new
//! viewer: a decoder that fell behind wants the newest picture, and a burst
//! of old frames put it behind again, which asked again, every 250 ms. The
//! task owns the assembler and the replay (both end with the session); it
//! tells its owner when the first frame went to the sink.
//!
//! The reader must keep up with the packets: `peer::rtp_tap` holds them
//! for it in a queue of its own, and a full queue drops them after NACK has
//! seen them. So it does nothing per packet but copy it into the assembler.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use tokio::sync::Notify;
use tokio::task::JoinHandle;

use crate::clock::unix_ms_f64;
use crate::media::depacketize::{Packet, Vp8Assembler};
use crate::media::keyframe_ask::KeyframeAsk;
use crate::media::replay::Replay;
use crate::media::sink::{FrameSink, FrameTimes, ScreenFrame};
use crate::peer::video::VideoReceiver;

/// Called once, with the time (Unix ms) the first frame went to the sink.
pub type OnFirstFrame = Box<dyn FnOnce(f64) + Send>;

/// What the view asks of the screen task. Held by the session (which
/// rings it for the view) and by the task.
#[derive(Debug, Default)]
pub struct ViewerWants {
    bell: Notify,
    catch_up: AtomicBool,
}

impl ViewerWants {
    /// A fresh keyframe (the decoder fell behind, failed or lost frames).
    pub fn keyframe(&self) {
        self.bell.notify_one();
    }

    /// A view opened: the kept frames now, then a fresh keyframe.
    pub fn catch_up(&self) {
        self.catch_up.store(true, Ordering::Relaxed);
        self.bell.notify_one();
    }
}

/// Starts reading; the task ends with the track. `wants` says what the
/// view needs (a keyframe, or to catch up).
pub fn spawn(
    mut receiver: VideoReceiver,
    sink: Arc<dyn FrameSink>,
    wants: Arc<ViewerWants>,
    mut on_first_frame: Option<OnFirstFrame>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut assembler = Vp8Assembler::default();
        let mut replay = Replay::default();
        let mut ask = KeyframeAsk::default();
        loop {
            let due = ask.due().map(tokio::time::Instant::from_std);
            let wants_keyframe = tokio::select! {
                packet = receiver.next_packet() => {
                    let Some(packet) = packet else { break };
                    let lost = assembler.push(Packet {
                        sequence: packet.sequence,
                        timestamp: packet.timestamp,
                        marker: packet.marker,
                        payload: &packet.payload,
                        times: packet.times,
                    });
                    while let Some(frame) = assembler.next_frame() {
                        if frame.keyframe {
                            ask.got_keyframe();
                        }
                        replay.push(&frame.data, frame.keyframe);
                        let sink_at = unix_ms_f64();
                        sink.deliver(ScreenFrame {
                            data: frame.data,
                            keyframe: frame.keyframe,
                            replayed: false,
                            times: FrameTimes {
                                sink: Some(sink_at),
                                ..frame.times
                            },
                        });
                        if let Some(report) = on_first_frame.take() {
                            report(sink_at);
                        }
                    }
                    lost
                }
                () = wants.bell.notified() => {
                    if wants.catch_up.swap(false, Ordering::Relaxed) {
                        // Replayed frames are old: they carry no stage
                        // times, so the view's latency figures stay those
                        // of live frames.
                        for kept in replay.frames() {
                            sink.deliver(ScreenFrame {
                                data: kept.data.clone(),
                                keyframe: kept.keyframe,
                                replayed: true,
                                times: FrameTimes {
                                    sink: Some(unix_ms_f64()),
                                    ..FrameTimes::default()
                                },
                            });
                        }
                    }
                    true
                }
                () = tokio::time::sleep_until(due.unwrap_or_else(tokio::time::Instant::now)),
                    if due.is_some() => false,
            };
            let now = Instant::now();
            if wants_keyframe {
                ask.want(now);
            }
            if ask.take(now)
                && let Err(error) = receiver.request_keyframe().await
            {
                tracing::debug!(%error, "keyframe request not sent");
            }
        }
        tracing::debug!("the screen track ended");
    })
}
