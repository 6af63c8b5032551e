//! Every frame reaches the expert's sink with its stage times, in order:
//! captured ≤ encoded ≤ sent (the client's stamps, carried in RTP header
//! extensions) and sent ≤ first packet ≤ last packet ≤ sink (the expert's).
//! Both peers share this machine's clock, so the two groups compare. Also:
//! the first frame, sent the moment the connection is up, arrives within a
//! bound (it prints the figure).

mod video_pair;

use std::time::{Duration, Instant};

use bytes::Bytes;
use lifeline_lib::clock::{unix_ms, unix_ms_f64};
use lifeline_lib::peer::video::VideoFrame;
use video_pair::video_pair;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stage_times_arrive_in_order_and_the_first_frame_is_quick() {
    // 20 ms each way, as a desk on another host would add.
    let mut pair = video_pair(Duration::from_millis(20)).await;
    let connected = pair.connected().await;
    println!(
        "offer → both peers connected: {} ms",
        (connected - pair.offered).as_millis()
    );
    let payload_type = pair.video.payload_type().await.unwrap();
    const FRAMES: usize = 10;
    for n in 0..FRAMES {
        let captured_at_ms = unix_ms();
        // A frame that takes the encoder a little while.
        tokio::time::sleep(Duration::from_millis(3)).await;
        let mut data = vec![n as u8; if n == 0 { 200_000 } else { 5_000 }];
        data[0] = if n == 0 { 0x10 } else { 0x11 };
        let frame = VideoFrame {
            data: Bytes::from(data),
            duration: Duration::from_millis(33),
            captured_at_ms,
            encoded_at_ms: unix_ms_f64(),
        };
        let sending = Instant::now();
        pair.video.send(payload_type, &frame).await.unwrap();
        if n == 0 {
            let arrived = pair.sink.wait_for(1, Duration::from_secs(5)).await;
            let took = sending.elapsed();
            println!(
                "a 200 kB keyframe, sent once connected: in the sink {} ms later",
                took.as_millis()
            );
            assert_eq!(arrived, 1);
            assert!(took < Duration::from_secs(1), "{took:?}");
        }
    }
    assert_eq!(
        pair.sink.wait_for(FRAMES, Duration::from_secs(5)).await,
        FRAMES
    );
    for frame in pair.sink.frames() {
        let times = frame.times.in_order();
        let known: Vec<f64> = times.iter().map(|t| t.expect("every time known")).collect();
        // The capture time travels in whole milliseconds.
        assert!(
            known[1] + 1.0 >= known[0],
            "encoded after captured: {times:?}"
        );
        assert!(
            known[1] >= known[0] + 2.0,
            "the encoder's 3 ms show: {times:?}"
        );
        for pair in known[1..].windows(2) {
            // Sender times are rebuilt from µs offsets of the whole-ms
            // capture time: a microsecond of rounding either way.
            assert!(pair[0] <= pair[1] + 0.002, "out of order: {times:?}");
        }
    }
    let first = pair.sink.frames()[0].times;
    println!(
        "keyframe stages (ms): encoded→sent {:.2}, sent→first packet {:.2}, first→last packet {:.2}, last packet→sink {:.2}",
        first.sent.unwrap() - first.encoded.unwrap(),
        first.first_packet.unwrap() - first.sent.unwrap(),
        first.last_packet.unwrap() - first.first_packet.unwrap(),
        first.sink.unwrap() - first.last_packet.unwrap(),
    );
    pair.close().await;
}
