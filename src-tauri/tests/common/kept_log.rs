//! A test's own log, kept in memory and printed only when the test fails:
//! a rare failure then explains itself without a rerun under tracing
//! (which can hide it). One per test binary: it is the global subscriber.

use std::io::Write;
use std::sync::{Arc, Mutex};

/// What the log keeps: the app's info, ICE's state changes, and warnings.
const FILTER: &str = "info,rtc=warn,rtc_ice=info,rtc::peer_connection=info,webrtc=warn";
/// The lines printed on failure.
const TAIL: usize = 400;

#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Prints the log's last lines when dropped during a panic.
pub struct KeptLog(Shared);

/// Starts keeping the log; hold the guard for the whole test.
pub fn keep() -> KeptLog {
    let shared = Shared::default();
    let writer = shared.clone();
    // webrtc-rs logs through `log`, which `try_init` brings in too. A
    // second call in the same binary keeps the first subscriber.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(FILTER))
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .try_init();
    KeptLog(shared)
}

impl Drop for KeptLog {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            return;
        }
        let bytes = self.0.0.lock().map(|b| b.clone()).unwrap_or_default();
        let text = String::from_utf8_lossy(&bytes);
        let lines: Vec<&str> = text.lines().collect();
        let from = lines.len().saturating_sub(TAIL);
        eprintln!("the test's log, its last {} lines:", lines.len() - from);
        for line in &lines[from..] {
            eprintln!("  {line}");
        }
    }
}
