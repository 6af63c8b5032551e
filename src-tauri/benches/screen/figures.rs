//! What one sender did in one run, and the CPU clock it is measured with.

use std::process::Command;
use std::time::Duration;

#[derive(Debug, Default, Clone, Copy)]
pub struct Figures {
    pub fps: f64,
    /// Screens fetched from the X server a second (0 on a still screen).
    pub captures_per_s: f64,
    pub capture_ms: f64,
    pub convert_ms: f64,
    pub encode_ms: f64,
    pub bytes_per_frame: f64,
    pub kbps: f64,
    pub cpu_percent: f64,
    /// Per frame: capture, encode, and capture start → encoded, p50/p95.
    pub capture_p50: f64,
    pub capture_p95: f64,
    pub encode_p50: f64,
    pub encode_p95: f64,
    pub total_p50: f64,
    pub total_p95: f64,
    pub dropped: f64,
    /// Share of the time the capture thread waited for a change, and
    /// waited with one known to keep to the frame rate.
    pub idle_percent: f64,
    pub paced_percent: f64,
    /// Per frame, capture start → decoded by a VP8 decoder in another
    /// process, p50/p95 (NaN when no frame was decoded).
    pub decoded_p50: f64,
    pub decoded_p95: f64,
}

/// The figures as the pipeline child prints them, in this order. The
/// decoded latencies are the parent's, not the child's.
const FIELDS: usize = 17;

impl Figures {
    pub fn to_line(self) -> String {
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

    pub fn from_line(text: &str) -> Figures {
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
            decoded_p50: f64::NAN,
            decoded_p95: f64::NAN,
        }
    }
}

/// `a / b` to two places, or "-" when there is nothing to divide by.
pub fn ratio(a: f64, b: f64) -> String {
    if b <= 0.0 || !a.is_finite() || !b.is_finite() {
        "-".into()
    } else {
        format!("{:.2}", a / b)
    }
}

/// CPU time (user + system) a process has used so far.
pub fn cpu_time(pid: u32) -> Duration {
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

/// The `p`th percentile (0–100) of `values`, NaN when there are none.
pub fn percentile(values: &mut [f64], p: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    let at = ((values.len() - 1) as f64 * p / 100.0).round() as usize;
    values[at]
}
