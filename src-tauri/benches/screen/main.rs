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
//! error resilient, one thread) `! rtpvp8pay ! udpsink`.
//!
//! Then static, typing and motion again on a headless Wayland desktop
//! (sway, PipeWire, the desktop portal), the same X clients drawn through
//! Xwayland: Lifeline's pipeline capturing through the portal as the app
//! does on Wayland, and GStreamer's `pipewiresrc` on a cast of the same
//! output with the same encoder.
//!
//! Lifeline's frames go to a VP8 decoder in this process, which times each
//! from its capture to its decoded picture. The bench prints frames per
//! second, captures per second, the mean and p50/p95 of each stage per
//! frame, capture → decoded, bytes, bitrate and CPU, and the ratios. It
//! prints figures only; it asserts nothing about speed.

#[path = "../support/mod.rs"]
mod support;

mod child;
mod decode;
mod figures;
mod gstreamer;
mod scenario;
mod wayland;

use child::{RUN, WARMUP, run_lifeline};
use figures::{Figures, ratio};
use lifeline_lib::media::quality::Quality;
use scenario::Scenario;
use support::start_xvfb;

const WIDTH: u32 = 1920;
const HEIGHT: u32 = 1080;

fn main() {
    if child::is_child() {
        return child::pipeline_child();
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
    print_header();
    let picked =
        |scenario: &Scenario| filter.is_empty() || filter.iter().any(|f| f == scenario.name());
    let mut on_x11 = Vec::new();
    for scenario in scenario::ALL.into_iter().filter(picked) {
        let (_xvfb, display) = start_xvfb(WIDTH, HEIGHT);
        let _actors = scenario.stage(&display);
        let ours = run_lifeline("x11", &[("DISPLAY", display.clone())]);
        let theirs = gstreamer::on_x11(&display);
        print_pair(scenario, "x11", &ours, theirs.as_ref(), "ximagesrc");
        on_x11.push((scenario, ours));
    }
    for scenario in scenario::ALL.into_iter().filter(picked) {
        if !scenario.on_wayland() {
            continue;
        }
        let (ours, theirs) = wayland::run(scenario, WIDTH, HEIGHT);
        print_pair(scenario, "wayland", &ours, theirs.as_ref(), "pipewiresrc");
        if let Some((_, x11)) = on_x11.iter().find(|(s, _)| s.name() == scenario.name()) {
            println!(
                "{:<8} {:<11} wayland/x11: fps {}, kbps {}, CPU {}, capture→decoded p50 {} p95 {}",
                scenario.name(),
                "ratio",
                ratio(ours.fps, x11.fps),
                ratio(ours.kbps, x11.kbps),
                ratio(ours.cpu_percent, x11.cpu_percent),
                ratio(ours.decoded_p50, x11.decoded_p50),
                ratio(ours.decoded_p95, x11.decoded_p95),
            );
        }
    }
    println!(
        "fps is frames queued for the network a second; capt/s screens fetched a second \
         (none while still; on Wayland, pictures taken from the portal's stream). capt ms \
         is the mean per fetch; conv/enc ms the mean per encoded frame; p50/95 are per \
         frame over its last 600 frames (all: capture start → encoded; dec: capture start \
         → decoded by libvpx in the bench's process, to ±1 ms). idle/paced% is the share \
         of the time the capture thread waited for a change / held one back for the frame \
         rate. Lifeline's CPU is its pipeline process (capture, convert, encode; not \
         WebRTC's packetizing and SRTP); GStreamer's is the gst-launch process (including \
         RTP packetizing). Neither counts the X server's, the compositor's or PipeWire's."
    );
}

fn print_header() {
    println!(
        "{:<8} {:<11} {:>6} {:>7} {:>8} {:>8} {:>8} {:>10} {:>9} {:>7}  {:>11} {:>11} {:>11} {:>11} {:>5} {:>11}",
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
        "dec p50/95",
        "drop",
        "idle/paced%"
    );
}

/// Lifeline's row, the baseline's, and their ratios.
fn print_pair(
    scenario: Scenario,
    desktop: &str,
    ours: &Figures,
    theirs: Option<&Figures>,
    baseline: &str,
) {
    print_row(scenario, &format!("lifeline/{}", &desktop[..1]), ours, true);
    let Some(theirs) = theirs else {
        println!(
            "{:<8} {baseline}: its pipeline failed (run scripts/bench-setup.sh)",
            scenario.name()
        );
        return;
    };
    print_row(scenario, baseline, theirs, false);
    println!(
        "{:<8} {:<11} lifeline/{baseline}: fps {}, kbps {}, CPU {}",
        scenario.name(),
        "ratio",
        ratio(ours.fps, theirs.fps),
        ratio(ours.kbps, theirs.kbps),
        ratio(ours.cpu_percent, theirs.cpu_percent)
    );
}

fn print_row(scenario: Scenario, who: &str, f: &Figures, stages: bool) {
    let shown = |text: String| if stages { text } else { "-".into() };
    let pair = |a: f64, b: f64| shown(format!("{a:.1}/{b:.1}"));
    println!(
        "{:<8} {:<11} {:>6.1} {:>7} {:>8} {:>8} {:>8} {:>10.0} {:>9.1} {:>7.1}  {:>11} {:>11} {:>11} {:>11} {:>5} {:>11}",
        scenario.name(),
        who,
        f.fps,
        shown(format!("{:.2}", f.captures_per_s)),
        shown(format!("{:.2}", f.capture_ms)),
        shown(format!("{:.2}", f.convert_ms)),
        shown(format!("{:.2}", f.encode_ms)),
        f.bytes_per_frame,
        f.kbps,
        f.cpu_percent,
        pair(f.capture_p50, f.capture_p95),
        pair(f.encode_p50, f.encode_p95),
        pair(f.total_p50, f.total_p95),
        pair(f.decoded_p50, f.decoded_p95),
        shown(format!("{:.0}", f.dropped)),
        shown(format!("{:.0}/{:.0}", f.idle_percent, f.paced_percent)),
    );
}
