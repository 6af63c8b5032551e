//! The baseline: the same screen sent by GStreamer, tuned the way its own
//! users would tune it for latency, on loopback, into a receiving pipeline
//! that draws on an X server of its own, where a [`ScreenEye`] finds the
//! patch.
//!
//! ```text
//! ximagesrc (use-damage, no pointer) → I420 → vp8enc (realtime, cpu-used -12,
//!   no lag, error resilient, CBR at Balanced's 2.5 Mbit/s) → rtpvp8pay → udpsink
//! udpsrc → rtpvp8depay → vp8dec → ximagesink (sync=false) on its own Xvfb
//! ```
//!
//! No jitter buffer: nothing is reordered on loopback, and a buffer would
//! only add delay. The pipelines are two `gst-launch-1.0` processes, owned
//! (and killed) by the [`Baseline`].
//!
//! [`ScreenEye`]: crate::probe::ScreenEye

use std::net::UdpSocket;
use std::process::{Command, Stdio};
use std::time::Duration;

use lifeline_e2e::process::ChildGuard;
use lifeline_e2e::xvfb::Xvfb;

/// The frame rate and bitrate of Lifeline's Balanced preset.
const FPS: u32 = 30;
const BITRATE: u32 = 2_500_000;

pub struct Baseline {
    // Dropped in field order: the pipelines before the receiving X server.
    sender: ChildGuard,
    _receiver: ChildGuard,
    screen: Xvfb,
}

impl Baseline {
    /// Sends `display`'s screen (of `size` pixels) to a new X server of the
    /// same size.
    pub fn start(display: &str, size: (u32, u32)) -> anyhow::Result<Self> {
        let screen = Xvfb::start_sized(size)?;
        // A port that was free a moment ago.
        let port = UdpSocket::bind("127.0.0.1:0")?.local_addr()?.port();

        let mut receive = Command::new("gst-launch-1.0");
        receive
            .arg("-q")
            .args(
                format!(
                    "udpsrc address=127.0.0.1 port={port} buffer-size=8388608 \
                     caps=application/x-rtp,media=video,clock-rate=90000,encoding-name=VP8,payload=96 \
                     ! rtpvp8depay ! vp8dec ! videoconvert ! ximagesink display={} sync=false",
                    screen.display()
                )
                .split_whitespace(),
            )
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let receiver = ChildGuard::spawn("gst-launch receiver", receive)?;
        // The receiver must listen before the first (key)frame leaves.
        std::thread::sleep(Duration::from_millis(500));

        let mut send = Command::new("gst-launch-1.0");
        send.arg("-q")
            .args(
                format!(
                    "ximagesrc display-name={display} use-damage=true show-pointer=false \
                     ! video/x-raw,framerate={FPS}/1 ! videoconvert ! video/x-raw,format=I420 \
                     ! vp8enc deadline=1 cpu-used=-12 lag-in-frames=0 error-resilient=default \
                     end-usage=cbr target-bitrate={BITRATE} keyframe-max-dist=100000 \
                     ! rtpvp8pay pt=96 mtu=1200 \
                     ! udpsink host=127.0.0.1 port={port} sync=false async=false"
                )
                .split_whitespace(),
            )
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let sender = ChildGuard::spawn("gst-launch sender", send)?;
        Ok(Self {
            sender,
            _receiver: receiver,
            screen,
        })
    }

    /// The X server the receiving pipeline draws on.
    pub fn display(&self) -> String {
        self.screen.display()
    }

    /// The sending pipeline's process, for its CPU time.
    pub fn sender_pid(&self) -> u32 {
        self.sender.id()
    }
}
