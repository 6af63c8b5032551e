//! Screen streaming.
//!
//! The client captures a monitor ([`capture`]; on X11 through MIT-SHM,
//! only what DAMAGE reported, [`capture_shm`], bookkept in [`damage`]),
//! converts the changed rows to I420 ([`convert`]) and encodes VP8
//! ([`vp8`]) on its own thread ([`pipeline`]), which sleeps until the
//! screen changes or a control rings its [`wake`]-up, captures at most at
//! the preset's frame rate ([`pacing`]), sends nothing while the screen is
//! unchanged (but one refresh keyframe after 10 s) and a keyframe when the
//! expert asks. Its bitrate follows the expert's loss
//! reports ([`congestion`]). The expert reassembles frames from RTP
//! packets ([`depacketize`]), asks for keyframes when it must
//! ([`keyframe_ask`]) and hands the encoded frames to the webview,
//! which decodes them with WebCodecs: no decoding in Rust, no raw frames
//! over IPC: a [`sink::FrameSink`] takes them. The frames since the newest
//! keyframe are kept ([`replay`]) for a view that opens later. The capture thread counts
//! its own work in [`stats`]. On a Wayland session the desktop portal and
//! PipeWire replace the X server ([`portal`]); [`system`] chooses.

pub mod capture;
pub mod capture_shm;
pub mod capture_x11;
pub mod congestion;
pub mod convert;
pub mod damage;
pub mod depacketize;
pub mod frame;
pub mod keyframe_ask;
pub mod pacing;
pub mod pipeline;
#[cfg(target_os = "linux")]
pub mod portal;
pub mod quality;
pub mod replay;
pub mod sink;
pub mod stats;
#[cfg(target_os = "linux")]
pub mod system;
pub mod vp8;
pub mod wake;
