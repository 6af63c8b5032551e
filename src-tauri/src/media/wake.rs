//! Waking the capture thread out of its wait for a change: a keyframe
//! request, a new bitrate or a stop must not wait for the next damage.
//!
//! A socket pair: [`Waker`]s (held by the pipeline's controls on other
//! threads) write a byte; the capture thread owns the [`Wakeup`] and either
//! waits on it alone ([`Wakeup::wait`], backends without damage reports) or
//! polls its descriptor beside the X connection's ([`Wakeup::as_raw_fd`]).

use std::io::{ErrorKind, Read, Write};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::time::Duration;

/// The capture thread's end.
#[derive(Debug)]
pub struct Wakeup {
    rx: UnixStream,
    tx: Arc<UnixStream>,
}

/// Wakes the thread waiting on a [`Wakeup`]; cheap to clone.
#[derive(Debug, Clone)]
pub struct Waker(Arc<UnixStream>);

impl Waker {
    pub fn wake(&self) {
        // A full socket already holds a wake-up; nothing else can fail
        // that the waiting side would need to know about.
        let _ = (&*self.0).write(&[1]);
    }
}

impl Wakeup {
    pub fn new() -> std::io::Result<Self> {
        let (rx, tx) = UnixStream::pair()?;
        tx.set_nonblocking(true)?;
        rx.set_nonblocking(true)?;
        Ok(Self {
            rx,
            tx: Arc::new(tx),
        })
    }

    pub fn waker(&self) -> Waker {
        Waker(Arc::clone(&self.tx))
    }

    /// Consumes pending wake-ups; true if there were any.
    pub fn drain(&self) -> bool {
        let mut buf = [0u8; 64];
        let mut woken = false;
        loop {
            match (&self.rx).read(&mut buf) {
                Ok(n) if n > 0 => woken = true,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                _ => return woken,
            }
        }
    }

    /// Sleeps up to `timeout` (`None`: until woken); true if woken.
    pub fn wait(&self, timeout: Option<Duration>) -> bool {
        if self.drain() {
            return true;
        }
        if timeout.is_some_and(|t| t.is_zero()) {
            return false;
        }
        // Blocking read with a timeout, then back to non-blocking.
        let woken = self.rx.set_nonblocking(false).is_ok()
            && self.rx.set_read_timeout(timeout).is_ok()
            && matches!((&self.rx).read(&mut [0u8; 1]), Ok(n) if n > 0);
        let _ = self.rx.set_nonblocking(true);
        self.drain() || woken
    }
}

impl AsRawFd for Wakeup {
    fn as_raw_fd(&self) -> RawFd {
        self.rx.as_raw_fd()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    #[test]
    fn a_wake_ends_the_wait_and_is_consumed() {
        let wakeup = Wakeup::new().unwrap();
        let waker = wakeup.waker();
        let thread = std::thread::spawn(move || {
            let started = Instant::now();
            let woken = wakeup.wait(Some(Duration::from_secs(30)));
            (woken, started.elapsed(), wakeup)
        });
        waker.wake();
        let (woken, took, wakeup) = thread.join().unwrap();
        assert!(woken);
        assert!(took < Duration::from_secs(30));
        // Consumed: the next wait times out (a short one).
        assert!(!wakeup.wait(Some(Duration::from_millis(1))));
    }

    #[test]
    fn many_wakes_before_the_wait_count_as_one() {
        let wakeup = Wakeup::new().unwrap();
        let waker = wakeup.waker();
        for _ in 0..100_000 {
            waker.wake(); // far more than the socket holds: never blocks
        }
        assert!(wakeup.wait(Some(Duration::ZERO)));
        assert!(!wakeup.drain());
    }
}
