//! Waking the capture thread out of its wait for a change: a keyframe
//! request, a new bitrate or a stop must not wait for the next damage.
//!
//! A socket pair: [`Waker`]s (held by the pipeline's controls on other
//! threads) write a byte; the capture thread owns the [`Wakeup`] and either
//! waits on it alone ([`Wakeup::wait`], backends without damage reports) or
//! polls its descriptor beside the X connection's ([`Wakeup::as_raw_fd`]).

// `poll(2)` waits to the millisecond; the unsafe block says why it is sound.
#![allow(unsafe_code)]

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
    ///
    /// `poll(2)`, to the millisecond: a socket's receive timeout counts in
    /// kernel ticks and overslept each frame period by 6–10 ms on this
    /// machine (a 1 ms timeout took 8–12 ms, 14 ms took 20), which held
    /// full-screen motion at 23 fps instead of 30.
    pub fn wait(&self, timeout: Option<Duration>) -> bool {
        if self.drain() {
            return true;
        }
        let millis = match timeout {
            None => -1,
            Some(t) if t.is_zero() => return false,
            // Rounded up, so a short wait does not spin at 0 ms.
            Some(t) => {
                libc::c_int::try_from(t.as_micros().div_ceil(1000)).unwrap_or(libc::c_int::MAX)
            }
        };
        let mut fd = libc::pollfd {
            fd: self.rx.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: `fd` is one valid, initialised pollfd that lives across
        // the call, and the count passed is 1; the descriptor belongs to
        // `self.rx`, which outlives the call. An interrupted or failed poll
        // only ends the wait early.
        unsafe { libc::poll(&mut fd, 1, millis) };
        self.drain()
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
    fn a_short_wait_is_short() {
        let wakeup = Wakeup::new().unwrap();
        // The shortest of ten: a busy machine delays some, not all.
        let shortest = (0..10)
            .map(|_| {
                let started = Instant::now();
                assert!(!wakeup.wait(Some(Duration::from_millis(1))));
                started.elapsed()
            })
            .min()
            .unwrap();
        assert!(
            shortest >= Duration::from_millis(1) && shortest < Duration::from_millis(5),
            "a 1 ms wait took {shortest:?}"
        );
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
