//! A slow, lossy piece of cable for the test network, since this kernel
//! has no `netem`: a namespace of its own with two interfaces, between
//! which two threads carry every Ethernet frame, each direction after
//! `delay` and dropping a share of them at random. With a `rate`, it is
//! also a home line's bottleneck: frames leave one after another at that
//! many bytes a second, from a queue that drops what would wait longer
//! than [`QUEUE_TIME`], as a router's does. It sits between a router and
//! the internet, so everything the site sends or receives crosses it: the
//! desk link, ICE, TURN and the session alike.
//!
//! The frames are read and written with packet sockets (`AF_PACKET`), so
//! the wire needs no addresses and changes nothing the routers see but
//! the time their packets take.

use std::collections::VecDeque;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::netns::Netns;

/// How a wire treats what crosses it, the same both ways.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Impairment {
    /// Added to every frame's trip, one way.
    pub delay: Duration,
    /// The share of frames lost, in parts per million.
    pub loss_ppm: u32,
    /// The line's speed in bytes a second, each way; `None`: as fast as
    /// the carrier goes.
    pub rate: Option<u64>,
}

/// The longest a frame waits for a rated line before the queue drops it.
pub const QUEUE_TIME: Duration = Duration::from_millis(100);

/// The wire's two carriers; they stop when it is dropped.
#[derive(Debug)]
pub struct Wire {
    stop: Arc<AtomicBool>,
    /// The loss now in force (a burst changes it mid-test).
    loss_ppm: Arc<AtomicU32>,
    lost: Arc<AtomicU64>,
    overflowed: Arc<AtomicU64>,
    carriers: Vec<std::thread::JoinHandle<()>>,
}

impl Wire {
    /// Starts carrying frames between `a` and `b`, two interfaces of
    /// `netns`.
    pub fn start(netns: &Netns, a: &str, b: &str, impairment: Impairment) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let loss_ppm = Arc::new(AtomicU32::new(impairment.loss_ppm));
        let lost = Arc::new(AtomicU64::new(0));
        let overflowed = Arc::new(AtomicU64::new(0));
        for name in [a, b] {
            netns.ip(&["link", "set", name, "promisc", "on"]);
        }
        let carriers = [(a, b), (b, a)]
            .into_iter()
            .map(|(from, to)| {
                let (from, to) = (from.to_owned(), to.to_owned());
                let carrier = Carrier {
                    delay: impairment.delay,
                    rate: impairment.rate,
                    overflowed: Arc::clone(&overflowed),
                    loss_ppm: Arc::clone(&loss_ppm),
                    lost: Arc::clone(&lost),
                    stop: Arc::clone(&stop),
                };
                netns.spawn(move || carrier.run(&from, &to))
            })
            .collect();
        Self {
            stop,
            loss_ppm,
            lost,
            overflowed,
            carriers,
        }
    }

    /// Loses `ppm` parts per million of the frames from now on.
    pub fn set_loss(&self, ppm: u32) {
        self.loss_ppm.store(ppm, Ordering::Relaxed);
    }

    /// Frames lost so far, both ways.
    pub fn lost(&self) -> u64 {
        self.lost.load(Ordering::Relaxed)
    }

    /// Frames a rated line's full queue dropped so far, both ways.
    pub fn overflowed(&self) -> u64 {
        self.overflowed.load(Ordering::Relaxed)
    }
}

impl Drop for Wire {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for carrier in self.carriers.drain(..) {
            let _ = carrier.join();
        }
    }
}

/// One direction of the wire.
struct Carrier {
    delay: Duration,
    rate: Option<u64>,
    overflowed: Arc<AtomicU64>,
    loss_ppm: Arc<AtomicU32>,
    lost: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
}

/// Frames due later, oldest first: a fixed delay after a FIFO queue keeps
/// them in order.
type Line = VecDeque<(Instant, Vec<u8>)>;

/// When the frames queued for a rated line will have left it.
#[derive(Debug, Default)]
struct Bottleneck {
    free_at: Option<Instant>,
}

impl Bottleneck {
    /// When a frame of `len` bytes that arrives `now` has left the line at
    /// `rate`; `None` if it would wait longer than [`QUEUE_TIME`].
    fn departure(&mut self, now: Instant, len: usize, rate: u64) -> Option<Instant> {
        let start = self.free_at.map_or(now, |free| free.max(now));
        if start.duration_since(now) > QUEUE_TIME {
            return None;
        }
        let sending = Duration::from_secs_f64(len as f64 / rate as f64);
        self.free_at = Some(start + sending);
        self.free_at
    }
}

impl Carrier {
    fn run(self, from: &str, to: &str) {
        let (rx, tx) = (packet_socket(from), packet_socket(to));
        let mut line: Line = VecDeque::new();
        let mut frame = vec![0u8; 65_536];
        let mut state = 0x9e37_79b9_7f4a_7c15_u64 ^ u64::from(from.len() as u32);
        let mut bottleneck = Bottleneck::default();
        while !self.stop.load(Ordering::Relaxed) {
            // Wait for a frame no longer than until the next one is due.
            let wait = line
                .front()
                .map_or(Duration::from_millis(50), |(due, _)| {
                    due.saturating_duration_since(Instant::now())
                })
                .max(Duration::from_micros(100));
            if let Some(len) = receive(&rx, &mut frame, wait) {
                state = xorshift(state);
                let ppm = u64::from(self.loss_ppm.load(Ordering::Relaxed));
                let now = Instant::now();
                let left = match self.rate {
                    Some(rate) => bottleneck.departure(now, len, rate),
                    None => Some(now),
                };
                if state % 1_000_000 < ppm {
                    self.lost.fetch_add(1, Ordering::Relaxed);
                } else if let Some(left) = left {
                    line.push_back((left + self.delay, frame[..len].to_vec()));
                } else {
                    self.overflowed.fetch_add(1, Ordering::Relaxed);
                }
            }
            while line.front().is_some_and(|(due, _)| *due <= Instant::now()) {
                let (_, frame) = line.pop_front().unwrap();
                send(&tx, &frame);
            }
        }
    }
}

fn xorshift(mut x: u64) -> u64 {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    x
}

/// How much a wire holds in each direction before it drops: 4 MiB,
/// about 3,000 full frames, like a router's queue.
const QUEUE_BYTES: libc::c_int = 4 << 20;

/// A raw packet socket bound to interface `name`, for every protocol.
#[allow(unsafe_code)]
fn packet_socket(name: &str) -> OwnedFd {
    let all = (libc::ETH_P_ALL as u16).to_be();
    // SAFETY: plain socket(2); the descriptor is owned from here on.
    let fd = unsafe { libc::socket(libc::AF_PACKET, libc::SOCK_RAW, i32::from(all)) };
    assert!(
        fd >= 0,
        "packet socket: {}",
        std::io::Error::last_os_error()
    );
    // SAFETY: `fd` is a fresh descriptor nobody else owns.
    let socket = unsafe { OwnedFd::from_raw_fd(fd) };
    // A router's queue, not the kernel's default 208 KiB: with that, a
    // burst of SCTP packets overflowed the wire, which TCP's paced flow
    // never did, and the loss was the wire's, not the link's.
    for option in [libc::SO_RCVBUFFORCE, libc::SO_SNDBUFFORCE] {
        let bytes: libc::c_int = QUEUE_BYTES;
        // SAFETY: setsockopt with a c_int option value of the size given.
        let set = unsafe {
            libc::setsockopt(
                socket.as_raw_fd(),
                libc::SOL_SOCKET,
                option,
                (&raw const bytes).cast(),
                std::mem::size_of::<libc::c_int>() as u32,
            )
        };
        assert_eq!(
            set,
            0,
            "packet socket buffer: {}",
            std::io::Error::last_os_error()
        );
    }
    let index = interface_index(name);
    // SAFETY: an all-zero sockaddr_ll is valid; the fields set are its own.
    let mut address: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
    address.sll_family = libc::AF_PACKET as u16;
    address.sll_protocol = all;
    address.sll_ifindex = index;
    // SAFETY: `address` is a sockaddr_ll of the length given.
    let bound = unsafe {
        libc::bind(
            socket.as_raw_fd(),
            (&raw const address).cast(),
            std::mem::size_of::<libc::sockaddr_ll>() as u32,
        )
    };
    assert_eq!(
        bound,
        0,
        "bind to {name}: {}",
        std::io::Error::last_os_error()
    );
    socket
}

#[allow(unsafe_code)]
fn interface_index(name: &str) -> i32 {
    let name = std::ffi::CString::new(name).unwrap();
    // SAFETY: `name` is a NUL-terminated string that outlives the call.
    let index = unsafe { libc::if_nametoindex(name.as_ptr()) };
    assert!(index > 0, "no interface {name:?}");
    index as i32
}

/// One frame that arrived at the interface (not one this wire sent out of
/// it), within `wait`.
#[allow(unsafe_code)]
fn receive(socket: &OwnedFd, frame: &mut [u8], wait: Duration) -> Option<usize> {
    let mut poll = libc::pollfd {
        fd: socket.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    let millis = i32::try_from(wait.as_millis().max(1)).unwrap_or(i32::MAX);
    // SAFETY: one valid pollfd.
    if unsafe { libc::poll(&raw mut poll, 1, millis) } <= 0 {
        return None;
    }
    // SAFETY: all-zero is a valid sockaddr_ll to be filled in.
    let mut from: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
    let mut from_len = std::mem::size_of::<libc::sockaddr_ll>() as u32;
    // SAFETY: `frame` and `from` are writable for the lengths given.
    let len = unsafe {
        libc::recvfrom(
            socket.as_raw_fd(),
            frame.as_mut_ptr().cast(),
            frame.len(),
            0,
            (&raw mut from).cast(),
            &raw mut from_len,
        )
    };
    let incoming = from.sll_pkttype != libc::PACKET_OUTGOING;
    (len > 0 && incoming).then_some(len as usize)
}

#[allow(unsafe_code)]
fn send(socket: &OwnedFd, frame: &[u8]) {
    // SAFETY: `frame` is readable for its length; a frame the interface
    // will not take is lost, as on a real wire.
    unsafe {
        libc::send(socket.as_raw_fd(), frame.as_ptr().cast(), frame.len(), 0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rated_line_sends_one_frame_after_another_and_drops_what_would_wait_too_long() {
        let mut line = Bottleneck::default();
        let start = Instant::now();
        // 1,000 bytes at 100,000 bytes a second: 10 ms each.
        let first = line.departure(start, 1_000, 100_000).unwrap();
        assert_eq!(first - start, Duration::from_millis(10));
        let second = line.departure(start, 1_000, 100_000).unwrap();
        assert_eq!(second - start, Duration::from_millis(20));
        // Ten more fill the queue to 110 ms: the next one is dropped.
        for _ in 0..9 {
            line.departure(start, 1_000, 100_000).unwrap();
        }
        assert_eq!(line.departure(start, 1_000, 100_000), None);
        // Once the line is idle again, a frame leaves at once.
        let later = start + Duration::from_secs(1);
        let idle = line.departure(later, 1_000, 100_000).unwrap();
        assert_eq!(idle - later, Duration::from_millis(10));
    }
}
