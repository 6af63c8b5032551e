//! `make bench`: the client's screen pipeline at 1080p on a real X server,
//! side by side with the GStreamer pipeline behind selkies and neko.
//!
//! Five scenarios, each driven by real X clients on its own `Xvfb -noreset`:
//! - static: an idle terminal;
//! - typing: xdotool types into a terminal at about 8 characters a second;
//! - motion: a full-screen terminal scrolling text without pause;
//! - pointer: the pointer alone moving over an idle terminal (the pointer
//!   is not part of the captured image, so it should cost no frame);
//! - scroll60: a whole screen of text scrolled one line 60 times a second
//!   by the bench's own X client. A terminal repaints when it pleases (an
//!   xterm under `ls` repaints about 8–10 times a second here), so this is
//!   the scenario that shows what the pipeline can keep up with.
//!
//! For each, Lifeline's own pipeline (the capturer the app picks: MIT-SHM
//! with DAMAGE on Xvfb → yuv → libvpx, the code the app runs) and then
//! GStreamer at its best on the same screen for the same time:
//! `ximagesrc use-damage=true show-pointer=false ! vp8enc` with the same
//! encoder settings (deadline 1, cpu-used −12, CBR at the same target,
//! error resilient, one thread) `! rtpvp8pay ! udpsink`. The bench prints
//! frames per second, captures per second, the mean and p50/p95 of each
//! stage per frame, bytes, bitrate and CPU, and the ratios. It prints
//! figures only; it asserts nothing about speed.

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
    Pointer,
    Scroll60,
}

impl Scenario {
    fn name(self) -> &'static str {
        match self {
            Scenario::Static => "static",
            Scenario::Typing => "typing",
            Scenario::Motion => "motion",
            Scenario::Pointer => "pointer",
            Scenario::Scroll60 => "scroll60",
        }
    }

    /// Starts the X clients that make the screen look and change as the
    /// scenario says (scripts/bench-scenario.sh). They stop when the guard
    /// drops.
    fn stage(self, display: &str) -> Scene {
        if let Scenario::Scroll60 = self {
            return Scene::Scroller(Scroller::start(display));
        }
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
        Scene::Script(child)
    }
}

/// A running scenario: its script and every X client it started, or the
/// bench's own scrolling client.
enum Scene {
    Script(Child),
    // Held for its Drop, which stops the thread.
    #[allow(dead_code)]
    Scroller(Scroller),
}

impl Drop for Scene {
    fn drop(&mut self) {
        if let Scene::Script(child) = self {
            // The script leads its own process group; end all of it.
            let _ = Command::new("kill")
                .args(["-TERM", "--", &format!("-{}", child.id())])
                .status();
            let _ = child.wait();
        }
    }
}

/// The scroll60 scenario: a whole screen of text moved up one 13-pixel
/// line and a new line drawn, 60 times a second, by an X client on a
/// thread of this bench (no terminal deciding when to repaint: a known
/// rate of whole-screen change).
struct Scroller {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Scroller {
    const LINE: u16 = 13;

    fn start(display: &str) -> Scroller {
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (conn, screen) =
            xcb::Connection::connect(Some(display)).expect("the scenario's X server");
        let thread = std::thread::spawn({
            let stop = std::sync::Arc::clone(&stop);
            move || Scroller::run(&conn, screen, &stop)
        });
        std::thread::sleep(Duration::from_millis(500));
        Scroller {
            stop,
            thread: Some(thread),
        }
    }

    fn line(n: u64) -> Vec<u8> {
        let words = [
            "drwxr-xr-x",
            "root",
            "4096",
            "Dec",
            "lib",
            "share",
            "x86_64",
            "libvpx.so.7",
        ];
        let mut text = String::new();
        let mut i = n;
        while text.len() < 300 {
            text.push_str(words[(i % words.len() as u64) as usize]);
            text.push(' ');
            i = i
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407)
                >> 7;
        }
        text.into_bytes()
    }

    fn run(conn: &xcb::Connection, screen: i32, stop: &std::sync::atomic::AtomicBool) {
        use xcb::x;
        let setup = conn.get_setup();
        let screen = setup.roots().nth(screen as usize).expect("a screen");
        let (root, width, height) = (
            screen.root(),
            screen.width_in_pixels(),
            screen.height_in_pixels(),
        );
        let font: x::Font = conn.generate_id();
        conn.send_request(&x::OpenFont {
            fid: font,
            name: b"fixed",
        });
        let gc: x::Gcontext = conn.generate_id();
        conn.send_request(&x::CreateGc {
            cid: gc,
            drawable: x::Drawable::Window(root),
            value_list: &[
                x::Gc::Foreground(0x00d0_d0d0),
                x::Gc::Background(0x0010_1010),
                x::Gc::Font(font),
                x::Gc::GraphicsExposures(false),
            ],
        });
        let draw = |n: u64, y: i16| {
            let text = Scroller::line(n);
            conn.send_request(&x::ImageText8 {
                drawable: x::Drawable::Window(root),
                gc,
                x: 0,
                y,
                string: &text[..text.len().min(255)],
            });
        };
        let lines = height / Scroller::LINE;
        for n in 0..u64::from(lines) {
            draw(n, (n as i16 + 1) * Scroller::LINE as i16 - 3);
        }
        let tick = Duration::from_secs(1) / 60;
        let started = std::time::Instant::now();
        let mut n = u64::from(lines);
        while !stop.load(std::sync::atomic::Ordering::Relaxed) {
            conn.send_request(&x::CopyArea {
                src_drawable: x::Drawable::Window(root),
                dst_drawable: x::Drawable::Window(root),
                gc,
                src_x: 0,
                src_y: Scroller::LINE as i16,
                dst_x: 0,
                dst_y: 0,
                width,
                height: height - Scroller::LINE,
            });
            draw(n, (lines * Scroller::LINE) as i16 - 3);
            // A round trip, so the server has drawn before the next tick.
            let _ = conn.wait_for_reply(conn.send_request(&x::GetInputFocus {}));
            n += 1;
            let next = tick * (n - u64::from(lines)) as u32;
            if let Some(rest) = next.checked_sub(started.elapsed()) {
                std::thread::sleep(rest);
            }
        }
    }
}

impl Drop for Scroller {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[derive(Debug, Default, Clone, Copy)]
struct Figures {
    fps: f64,
    /// Screens fetched from the X server a second (0 on a still screen).
    captures_per_s: f64,
    capture_ms: f64,
    convert_ms: f64,
    encode_ms: f64,
    bytes_per_frame: f64,
    kbps: f64,
    cpu_percent: f64,
    /// Per frame: capture, encode, and capture start → encoded, p50/p95.
    capture_p50: f64,
    capture_p95: f64,
    encode_p50: f64,
    encode_p95: f64,
    total_p50: f64,
    total_p95: f64,
    dropped: f64,
    /// Share of the time the capture thread waited for a change, and
    /// waited with one known to keep to the frame rate.
    idle_percent: f64,
    paced_percent: f64,
}

/// The figures as the child prints them, in this order.
const FIELDS: usize = 17;

impl Figures {
    fn to_line(self) -> String {
        [
            self.fps,
            self.captures_per_s,
            self.capture_ms,
            self.convert_ms,
            self.encode_ms,
            self.bytes_per_frame,
            self.kbps,
            self.cpu_percent,
            self.capture_p50,
            self.capture_p95,
            self.encode_p50,
            self.encode_p95,
            self.total_p50,
            self.total_p95,
            self.dropped,
            self.idle_percent,
            self.paced_percent,
        ]
        .map(|v| v.to_string())
        .join(" ")
    }

    fn from_line(text: &str) -> Figures {
        let n: Vec<f64> = text
            .split_whitespace()
            .filter_map(|v| v.parse().ok())
            .collect();
        assert_eq!(n.len(), FIELDS, "the pipeline child printed {text:?}");
        Figures {
            fps: n[0],
            captures_per_s: n[1],
            capture_ms: n[2],
            convert_ms: n[3],
            encode_ms: n[4],
            bytes_per_frame: n[5],
            kbps: n[6],
            cpu_percent: n[7],
            capture_p50: n[8],
            capture_p95: n[9],
            encode_p50: n[10],
            encode_p95: n[11],
            total_p50: n[12],
            total_p95: n[13],
            dropped: n[14],
            idle_percent: n[15],
            paced_percent: n[16],
        }
    }
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
    Figures::from_line(&String::from_utf8_lossy(&output.stdout))
}

/// The child's side of [`run_lifeline`]: the app's pipeline at Balanced
/// quality on `$DISPLAY`, its figures printed as one line of numbers.
fn pipeline_child() {
    let quality = Quality::Balanced;
    let config = PipelineConfig {
        monitor: 0,
        fps: quality.fps(),
        bitrate_kbps: quality.bitrate_kbps(),
        ..PipelineConfig::default()
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
    };
    println!("{}", figures.to_line());
}

fn run_gstreamer(display: &str) -> Option<Figures> {
    let socket = UdpSocket::bind("127.0.0.1:0").ok()?;
    socket
        .set_read_timeout(Some(Duration::from_millis(50)))
        .ok()?;
    let port = socket.local_addr().ok()?.port();
    let bitrate = Quality::Balanced.bitrate_kbps() * 1000;
    let pipeline = format!(
        "ximagesrc display-name={display} use-damage=true show-pointer=false \
         ! video/x-raw,framerate=30/1 ! videoconvert \
         ! vp8enc deadline=1 cpu-used=-12 end-usage=cbr target-bitrate={bitrate} \
           error-resilient=default keyframe-max-dist=3000 threads=1 \
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
        "{:<8} {:<10} {:>6} {:>7} {:>8} {:>8} {:>8} {:>10} {:>9} {:>7}  {:>11} {:>11} {:>11} {:>5} {:>11}",
        "scenario",
        "sender",
        "fps",
        "capt/s",
        "capt ms",
        "conv ms",
        "enc ms",
        "B/frame",
        "kbps",
        "CPU %",
        "capt p50/95",
        "enc p50/95",
        "all p50/95",
        "drop",
        "idle/paced%"
    );
    for scenario in [
        Scenario::Static,
        Scenario::Typing,
        Scenario::Motion,
        Scenario::Pointer,
        Scenario::Scroll60,
    ] {
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
            let pair = |a: f64, b: f64| {
                if stages {
                    format!("{a:.1}/{b:.1}")
                } else {
                    "-".into()
                }
            };
            println!(
                "{:<8} {:<10} {:>6.1} {:>7} {:>8} {:>8} {:>8} {:>10.0} {:>9.1} {:>7.1}  {:>11} {:>11} {:>11} {:>5} {:>11}",
                scenario.name(),
                who,
                f.fps,
                stage(f.captures_per_s),
                stage(f.capture_ms),
                stage(f.convert_ms),
                stage(f.encode_ms),
                f.bytes_per_frame,
                f.kbps,
                f.cpu_percent,
                pair(f.capture_p50, f.capture_p95),
                pair(f.encode_p50, f.encode_p95),
                pair(f.total_p50, f.total_p95),
                if stages {
                    format!("{:.0}", f.dropped)
                } else {
                    "-".into()
                },
                if stages {
                    format!("{:.0}/{:.0}", f.idle_percent, f.paced_percent)
                } else {
                    "-".into()
                },
            );
        };
        row("lifeline", &ours, true);
        match theirs {
            Some(g) => {
                row("gstreamer", &g, false);
                println!(
                    "{:<8} {:<10} lifeline/gstreamer: fps {}, kbps {}, CPU {}",
                    scenario.name(),
                    "ratio",
                    ratio(ours.fps, g.fps),
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
        "fps is frames queued for the network a second; capt/s screens fetched from the \
         X server a second (none while still). capt ms is the mean per fetch; conv/enc \
         ms the mean per encoded frame; p50/95 are per frame over its last 600 frames \
         (all: capture start → encoded). idle/paced% is the share of the time the \
         capture thread waited for a change / held one back for the frame rate. Lifeline's CPU is its pipeline process \
         (capture, convert, encode; not WebRTC's packetizing and SRTP); GStreamer's is \
         the gst-launch process (including RTP packetizing)."
    );
}
