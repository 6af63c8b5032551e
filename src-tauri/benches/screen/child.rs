//! Lifeline's pipeline in a child process (this bench re-run with
//! `LIFELINE_BENCH_BACKEND` set), so that its CPU time is its own and the
//! capturer finds the scenario's screen in its environment, as the app
//! would. The child sends its frames to a decoder in the parent.

use std::io::Write;
use std::os::unix::net::UnixStream;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use lifeline_lib::media::pipeline::{Pipeline, PipelineConfig};
use lifeline_lib::media::portal::CastOptions;
use lifeline_lib::media::quality::Quality;
use lifeline_lib::media::system::system_capturer;

use super::decode::{FrameReceiver, frame_header};
use super::figures::{Figures, cpu_time, percentile};

pub const RUN: Duration = Duration::from_secs(10);
pub const WARMUP: Duration = Duration::from_secs(2);

const BACKEND: &str = "LIFELINE_BENCH_BACKEND";
const FRAMES: &str = "LIFELINE_BENCH_FRAMES";
/// What a session's environment says, which the child takes from `env`
/// alone.
const SESSION: [&str; 4] = [
    "DISPLAY",
    "WAYLAND_DISPLAY",
    "XDG_SESSION_TYPE",
    "DBUS_SESSION_BUS_ADDRESS",
];

/// Whether this process is the pipeline child.
pub fn is_child() -> bool {
    std::env::var_os(BACKEND).is_some()
}

/// Runs the pipeline on the screen that `env` describes, expecting the
/// capturer to be `backend` ("x11" or "wayland").
pub fn run_lifeline(backend: &str, env: &[(&str, String)]) -> Figures {
    let receiver = FrameReceiver::start();
    let mut command = Command::new(std::env::current_exe().expect("the bench's own path"));
    for name in SESSION {
        command.env_remove(name);
    }
    let output = command
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .env(BACKEND, backend)
        .env(FRAMES, receiver.path())
        .stderr(Stdio::inherit())
        .output()
        .expect("cannot re-run the bench as the pipeline child");
    let mut latencies = receiver.finish();
    let mut figures = Figures::from_line(&String::from_utf8_lossy(&output.stdout));
    figures.decoded_p50 = percentile(&mut latencies, 50.0);
    figures.decoded_p95 = percentile(&mut latencies, 95.0);
    figures
}

/// The child's side of [`run_lifeline`]: the app's pipeline at Balanced
/// quality, its figures printed as one line of numbers.
pub fn pipeline_child() {
    let quality = Quality::Balanced;
    let config = PipelineConfig {
        monitor: 0,
        fps: quality.fps(),
        bitrate_kbps: quality.bitrate_kbps(),
        ..PipelineConfig::default()
    };
    let capturer = system_capturer(&CastOptions::default());
    let expected = std::env::var(BACKEND).unwrap_or_default();
    assert_eq!(capturer.backend(), expected, "the child captures with");
    let mut frames = UnixStream::connect(std::env::var_os(FRAMES).expect("the frames' socket"))
        .expect("the parent's decoder");
    let measuring = Arc::new(AtomicBool::new(false));
    let (tx, mut rx) = tokio::sync::mpsc::channel(64);
    let pipeline = Pipeline::start(capturer, config, tx);
    let stats = pipeline.stats();
    let drain = std::thread::spawn({
        let measuring = Arc::clone(&measuring);
        move || {
            while let Some(frame) = rx.blocking_recv() {
                let measured = measuring.load(Ordering::Relaxed);
                let header = frame_header(measured, frame.captured_at_ms, frame.data.len());
                let sent = frames.write_all(&header).and(frames.write_all(&frame.data));
                if sent.is_err() {
                    break;
                }
            }
        }
    });
    std::thread::sleep(WARMUP);
    let before = stats.snapshot();
    let cpu_before = cpu_time(std::process::id());
    measuring.store(true, Ordering::Relaxed);
    let started = Instant::now();
    std::thread::sleep(RUN);
    measuring.store(false, Ordering::Relaxed);
    let window = stats.snapshot() - before;
    let cpu = cpu_time(std::process::id()) - cpu_before;
    let wall = started.elapsed();
    drop(pipeline);
    let _ = drain.join();

    let per = |d: Duration, n: u64| {
        if n == 0 {
            0.0
        } else {
            d.as_secs_f64() * 1000.0 / n as f64
        }
    };
    let bytes_per_frame = if window.encoded == 0 {
        0.0
    } else {
        window.bytes as f64 / window.encoded as f64
    };
    let recent = stats.recent();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let figures = Figures {
        fps: window.sent as f64 / wall.as_secs_f64(),
        captures_per_s: window.captured as f64 / wall.as_secs_f64(),
        capture_ms: per(window.capture, window.captured),
        convert_ms: per(window.convert, window.encoded),
        encode_ms: per(window.encode, window.encoded),
        bytes_per_frame,
        kbps: window.bytes as f64 * 8.0 / wall.as_secs_f64() / 1000.0,
        cpu_percent: cpu.as_secs_f64() / wall.as_secs_f64() * 100.0,
        capture_p50: ms(recent.capture.p50),
        capture_p95: ms(recent.capture.p95),
        encode_p50: ms(recent.encode.p50),
        encode_p95: ms(recent.encode.p95),
        total_p50: ms(recent.total.p50),
        total_p95: ms(recent.total.p95),
        dropped: window.dropped as f64,
        idle_percent: window.idle.as_secs_f64() / wall.as_secs_f64() * 100.0,
        paced_percent: window.paced.as_secs_f64() / wall.as_secs_f64() * 100.0,
        ..Figures::default()
    };
    println!("{}", figures.to_line());
}
