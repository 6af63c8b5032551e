//! `make bench`: the client's screen pipeline at 1080p on a real X server,
//! side by side with the GStreamer pipeline behind selkies and neko.
//!
//! Three scenarios, each driven by real X clients on its own `Xvfb -noreset`:
//! - static: an idle terminal;
//! - typing: xdotool types into a terminal at about 8 characters a second;
//! - motion: a full-screen terminal scrolling text without pause.
//!
//! For each, Lifeline's own pipeline (xcap → yuv → libvpx, the code the app
//! runs) and then `gst-launch-1.0 ximagesrc ! vp8enc deadline=1
//! cpu-used=-12 ! rtpvp8pay ! udpsink` run for the same time on the same
//! screen. The bench prints per-stage times, bytes, bitrate and CPU, and the
//! ratios. It prints figures only; it asserts nothing about speed.

use std::net::UdpSocket;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

mod support;

use support::start_xvfb;

use lifeline_lib::media::capture_x11::system_capturer;
use lifeline_lib::media::pipeline::{Pipeline, PipelineConfig};
use lifeline_lib::media::quality::Quality;

const WIDTH: u32 = 1920;
const HEIGHT: u32 = 1080;
const RUN: Duration = Duration::from_secs(10);
const WARMUP: Duration = Duration::from_secs(2);

/// CPU time (user + system) a process has used so far.
fn cpu_time(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name, which ends with the last ')'.
    let rest = stat.rsplit(')').next().unwrap_or("");
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = [11, 12]
        .iter()
        .filter_map(|&i| fields.get(i).and_then(|f| f.parse::<u64>().ok()))
        .sum();
    Duration::from_secs_f64(ticks as f64 / clock_ticks_per_second())
}

/// `getconf CLK_TCK`: the unit of /proc's CPU times (100 almost everywhere).
fn clock_ticks_per_second() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(100.0)
}

#[derive(Debug, Clone, Copy)]
enum Scenario {
    Static,
    Typing,
    Motion,
}

impl Scenario {
    fn name(self) -> &'static str {
        match self {
            Scenario::Static => "static",
            Scenario::Typing => "typing",
            Scenario::Motion => "motion",
        }
    }

    /// Starts the X clients that make the screen look and change as the
    /// scenario says (scripts/bench-scenario.sh). They stop when the guard
    /// drops.
    fn stage(self, display: &str) -> Scene {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/bench-scenario.sh");
        let child = Command::new(script)
            .arg(self.name())
            .env("DISPLAY", display)
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {script}: {e}"));
        std::thread::sleep(Duration::from_millis(1500));
        Scene(child)
    }
}

/// A running scenario: its script and every X client it started.
struct Scene(Child);

impl Drop for Scene {
    fn drop(&mut self) {
        // The script leads its own process group; end all of it.
        let _ = Command::new("kill")
            .args(["-TERM", "--", &format!("-{}", self.0.id())])
            .status();
        let _ = self.0.wait();
    }
}

#[derive(Debug, Default, Clone, Copy)]
struct Figures {
    fps: f64,
    capture_ms: f64,
    convert_ms: f64,
    encode_ms: f64,
    bytes_per_frame: f64,
    kbps: f64,
    cpu_percent: f64,
}

/// Runs Lifeline's pipeline in a child process (this bench, re-run with
/// `LIFELINE_BENCH_DISPLAY` set), so that its CPU time is its own and xcap
/// finds the scenario's X server in its environment.
fn run_lifeline(display: &str) -> Figures {
    let output = Command::new(std::env::current_exe().expect("the bench's own path"))
        .env("LIFELINE_BENCH_DISPLAY", display)
        .env("DISPLAY", display)
        .stderr(Stdio::inherit())
        .output()
        .expect("cannot re-run the bench as the pipeline child");
    let text = String::from_utf8_lossy(&output.stdout);
    let n: Vec<f64> = text
        .split_whitespace()
        .filter_map(|v| v.parse().ok())
        .collect();
    assert_eq!(n.len(), 7, "the pipeline child printed {text:?}");
    Figures {
        fps: n[0],
        capture_ms: n[1],
        convert_ms: n[2],
        encode_ms: n[3],
        bytes_per_frame: n[4],
        kbps: n[5],
        cpu_percent: n[6],
    }
}

/// The child's side of [`run_lifeline`]: the app's pipeline at Balanced
/// quality on `$DISPLAY`, its figures printed as seven numbers.
fn pipeline_child() {
    let quality = Quality::Balanced;
    let config = PipelineConfig {
        monitor: 0,
        fps: quality.fps(),
        bitrate_kbps: quality.bitrate_kbps(),
    };
    let (tx, mut rx) = tokio::sync::mpsc::channel(64);
    let pipeline = Pipeline::start(system_capturer(), config, tx);
    let stats = pipeline.stats();
    let drain = std::thread::spawn(move || while rx.blocking_recv().is_some() {});
    std::thread::sleep(WARMUP);
    let before = stats.snapshot();
    let cpu_before = cpu_time(std::process::id());
    let started = Instant::now();
    std::thread::sleep(RUN);
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
    println!(
        "{} {} {} {} {} {} {}",
        window.encoded as f64 / wall.as_secs_f64(),
        per(window.capture, window.captured),
        per(window.convert, window.encoded),
        per(window.encode, window.encoded),
        bytes_per_frame,
        window.bytes as f64 * 8.0 / wall.as_secs_f64() / 1000.0,
        cpu.as_secs_f64() / wall.as_secs_f64() * 100.0,
    );
}

fn run_gstreamer(display: &str) -> Option<Figures> {
    let socket = UdpSocket::bind("127.0.0.1:0").ok()?;
    socket
        .set_read_timeout(Some(Duration::from_millis(50)))
        .ok()?;
    let port = socket.local_addr().ok()?.port();
    let bitrate = Quality::Balanced.bitrate_kbps() * 1000;
    let pipeline = format!(
        "ximagesrc display-name={display} use-damage=false show-pointer=false \
         ! video/x-raw,framerate=30/1 ! videoconvert \
         ! vp8enc deadline=1 cpu-used=-12 end-usage=cbr target-bitrate={bitrate} \
           error-resilient=default keyframe-max-dist=3000 \
         ! rtpvp8pay ! udpsink host=127.0.0.1 port={port}"
    );
    let args: Vec<&str> = pipeline.split_whitespace().collect();
    let mut child = Command::new("gst-launch-1.0")
        .arg("-q")
        .args(&args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let pid = child.id();
    let count = |socket: &UdpSocket, until: Instant| {
        let mut buf = [0u8; 2048];
        let (mut bytes, mut packets, mut markers) = (0u64, 0u64, 0u64);
        while Instant::now() < until {
            if let Ok(n) = socket.recv(&mut buf) {
                // RTP header (12 bytes) + VP8 payload descriptor are not
                // video; count the payload after the fixed header.
                bytes += n.saturating_sub(12) as u64;
                packets += 1;
                if n > 1 && buf[1] & 0x80 != 0 {
                    markers += 1;
                }
            }
        }
        (bytes, packets, markers)
    };
    let _ = count(&socket, Instant::now() + WARMUP);
    let cpu_before = cpu_time(pid);
    let started = Instant::now();
    let (bytes, _packets, frames) = count(&socket, started + RUN);
    let wall = started.elapsed();
    let cpu = cpu_time(pid) - cpu_before;
    let _ = child.kill();
    let _ = child.wait();
    if frames == 0 {
        return None;
    }
    Some(Figures {
        fps: frames as f64 / wall.as_secs_f64(),
        bytes_per_frame: bytes as f64 / frames as f64,
        kbps: bytes as f64 * 8.0 / wall.as_secs_f64() / 1000.0,
        cpu_percent: cpu.as_secs_f64() / wall.as_secs_f64() * 100.0,
        ..Figures::default()
    })
}

fn ratio(a: f64, b: f64) -> String {
    if b <= 0.0 {
        "-".into()
    } else {
        format!("{:.2}", a / b)
    }
}

fn main() {
    if std::env::var_os("LIFELINE_BENCH_DISPLAY").is_some() {
        return pipeline_child();
    }
    // `cargo bench` passes --bench; a filter argument picks scenarios.
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    println!(
        "Screen pipeline at {WIDTH}x{HEIGHT}, {} s per run after {} s warm-up, \
         Balanced quality ({} fps, {} kbps target)",
        RUN.as_secs(),
        WARMUP.as_secs(),
        Quality::Balanced.fps(),
        Quality::Balanced.bitrate_kbps()
    );
    println!(
        "{:<8} {:<10} {:>6} {:>9} {:>9} {:>9} {:>10} {:>9} {:>7}",
        "scenario", "sender", "fps", "capt ms", "conv ms", "enc ms", "B/frame", "kbps", "CPU %"
    );
    for scenario in [Scenario::Static, Scenario::Typing, Scenario::Motion] {
        if !filter.is_empty() && !filter.iter().any(|f| f == scenario.name()) {
            continue;
        }
        let (_xvfb, display) = start_xvfb(WIDTH, HEIGHT);
        let _actors = scenario.stage(&display);
        let ours = run_lifeline(&display);
        let theirs = run_gstreamer(&display);
        let row = |who: &str, f: &Figures, stages: bool| {
            let stage = |v: f64| {
                if stages {
                    format!("{v:.2}")
                } else {
                    "-".into()
                }
            };
            println!(
                "{:<8} {:<10} {:>6.1} {:>9} {:>9} {:>9} {:>10.0} {:>9.1} {:>7.1}",
                scenario.name(),
                who,
                f.fps,
                stage(f.capture_ms),
                stage(f.convert_ms),
                stage(f.encode_ms),
                f.bytes_per_frame,
                f.kbps,
                f.cpu_percent
            );
        };
        row("lifeline", &ours, true);
        match theirs {
            Some(g) => {
                row("gstreamer", &g, false);
                println!(
                    "{:<8} {:<10} lifeline/gstreamer: kbps {}, CPU {}",
                    scenario.name(),
                    "ratio",
                    ratio(ours.kbps, g.kbps),
                    ratio(ours.cpu_percent, g.cpu_percent)
                );
            }
            None => println!(
                "{:<8} gstreamer: no frames (is gstreamer1.0-tools installed?)",
                scenario.name()
            ),
        }
    }
    println!(
        "capt ms is per captured screen (changed or not); conv/enc ms per encoded frame. \
         Lifeline's CPU is its pipeline process (capture, convert, encode; not \
         WebRTC's packetizing and SRTP); GStreamer's is the gst-launch process \
         (including RTP packetizing)."
    );
}
