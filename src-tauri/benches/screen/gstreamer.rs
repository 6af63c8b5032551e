//! The baseline: GStreamer at its best on the same screen for the same
//! time, with the same encoder settings as Lifeline's (deadline 1,
//! cpu-used −12, CBR at the same target, error resilient, one thread),
//! packetized for RTP and sent to a UDP socket that counts what comes.

use std::net::UdpSocket;
use std::process::{Command, Stdio};
use std::time::Instant;

use lifeline_lib::media::quality::Quality;

use super::child::{RUN, WARMUP};
use super::figures::{Figures, cpu_time};

/// `ximagesrc` with XDamage on an X server, as selkies and neko run it.
pub fn on_x11(display: &str) -> Option<Figures> {
    run(
        &format!(
            "ximagesrc display-name={display} use-damage=true show-pointer=false \
             ! video/x-raw,framerate=30/1"
        ),
        &[],
    )
}

/// `pipewiresrc` on a desktop portal's screen cast: PipeWire node `node`
/// on the PipeWire of the session that `env` describes. The portal sends
/// a picture when the screen changes, at most 30 a second on the bench's
/// desktop, and each is encoded.
pub fn on_pipewire(node: u32, env: &[(&str, String)]) -> Option<Figures> {
    run(&format!("pipewiresrc path={node}"), env)
}

fn run(source: &str, env: &[(&str, String)]) -> Option<Figures> {
    let socket = UdpSocket::bind("127.0.0.1:0").ok()?;
    socket
        .set_read_timeout(Some(std::time::Duration::from_millis(50)))
        .ok()?;
    let port = socket.local_addr().ok()?.port();
    let bitrate = Quality::Balanced.bitrate_kbps() * 1000;
    let pipeline = format!(
        "{source} ! videoconvert \
         ! vp8enc deadline=1 cpu-used=-12 end-usage=cbr target-bitrate={bitrate} \
           error-resilient=default keyframe-max-dist=3000 threads=1 \
         ! rtpvp8pay ! udpsink host=127.0.0.1 port={port}"
    );
    let args: Vec<&str> = pipeline.split_whitespace().collect();
    let mut child = Command::new("gst-launch-1.0")
        .arg("-q")
        .args(&args)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
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
    // A pipeline that stopped early failed; one that ran and sent nothing
    // saw a still screen.
    let ran = matches!(child.try_wait(), Ok(None));
    let _ = child.kill();
    let _ = child.wait();
    if !ran {
        return None;
    }
    Some(Figures {
        fps: frames as f64 / wall.as_secs_f64(),
        bytes_per_frame: bytes as f64 / frames.max(1) as f64,
        kbps: bytes as f64 * 8.0 / wall.as_secs_f64() / 1000.0,
        cpu_percent: cpu.as_secs_f64() / wall.as_secs_f64() * 100.0,
        decoded_p50: f64::NAN,
        decoded_p95: f64::NAN,
        ..Figures::default()
    })
}
