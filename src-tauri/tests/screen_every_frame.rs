//! Every frame the client sends reaches the expert's sink on loopback: a
//! burst of large keyframes and deltas, sent as fast as the track takes
//! them, over real WebRTC through the expert's real receive path. Before
//! the pacer and the RTP tap, 30 (idle) or 98 (two busy loops beside it) of
//! the 120 arrived: webrtc-rs dropped the packets its reader had no room
//! for, where NACK never sees them.

mod video_pair;

use std::time::Duration;

use bytes::Bytes;
use lifeline_lib::clock::{unix_ms, unix_ms_f64};
use lifeline_lib::peer::video::VideoFrame;
use video_pair::video_pair;

/// A VP8-looking frame of `size` bytes: the frame tag's lowest bit is 0 for
/// a keyframe; the rest is noise, which nothing on the way decodes.
fn noise(n: u32, size: usize, keyframe: bool) -> Bytes {
    let mut data: Vec<u8> = (0..size)
        .map(|i| (i as u32).wrapping_mul(2_654_435_761).wrapping_add(n) as u8)
        .collect();
    data[0] = if keyframe { 0x10 } else { 0x11 };
    Bytes::from(data)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_frames_all_arrive() {
    let mut pair = video_pair(Duration::from_millis(5)).await;
    pair.connected().await;
    let payload_type = pair.video.payload_type().await.unwrap();
    const FRAMES: u32 = 120;
    for n in 0..FRAMES {
        // A 1080p keyframe every 30 frames, busy deltas between.
        let keyframe = n % 30 == 0;
        let size = if keyframe { 400_000 } else { 40_000 };
        let frame = VideoFrame {
            data: noise(n, size, keyframe),
            duration: Duration::from_millis(33),
            captured_at_ms: unix_ms(),
            encoded_at_ms: unix_ms_f64(),
        };
        pair.video.send(payload_type, &frame).await.unwrap();
    }
    let received = pair
        .sink
        .wait_for(FRAMES as usize, Duration::from_secs(10))
        .await;
    println!("{received} of {FRAMES} frames arrived");
    assert_eq!(received, FRAMES as usize);
    pair.close().await;
}
