//! A slow, lossy piece of cable for the test network, since this kernel
//! has no `netem`: a namespace of its own with two interfaces, between
//! which two threads carry every Ethernet frame, each direction after
//! `delay` and dropping a share of them at random. It sits between a
//! router and the internet, so everything the site sends or receives
//! crosses it: the desk link, ICE, TURN and the session alike.
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
}

/// The wire's two carriers; they stop when it is dropped.
#[derive(Debug)]
pub struct Wire {
    stop: Arc<AtomicBool>,
    /// The loss now in force (a burst changes it mid-test).
    loss_ppm: Arc<AtomicU32>,
    lost: Arc<AtomicU64>,
    carriers: Vec<std::thread::JoinHandle<()>>,
}

impl Wire {
    /// Starts carrying frames between `a` and `b`, two interfaces of
    /// `netns`.
    pub fn start(netns: &Netns, a: &str, b: &str, impairment: Impairment) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let loss_ppm = Arc::new(AtomicU32::new(impairment.loss_ppm));
        let lost = Arc::new(AtomicU64::new(0));
        for name in [a, b] {
            netns.ip(&["link", "set", name, "promisc", "on"]);
        }
        let carriers = [(a, b), (b, a)]
            .into_iter()
            .map(|(from, to)| {
                let (from, to) = (from.to_owned(), to.to_owned());
                let carrier = Carrier {
                    delay: impairment.delay,
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
    loss_ppm: Arc<AtomicU32>,
    lost: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
}

/// Frames due later, oldest first: a fixed delay keeps them in order.
type Line = VecDeque<(Instant, Vec<u8>)>;

impl Carrier {
    fn run(self, from: &str, to: &str) {
        let (rx, tx) = (packet_socket(from), packet_socket(to));
        let mut line: Line = VecDeque::new();
        let mut frame = vec![0u8; 65_536];
        let mut state = 0x9e37_79b9_7f4a_7c15_u64 ^ u64::from(from.len() as u32);
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
                if state % 1_000_000 < ppm {
                    self.lost.fetch_add(1, Ordering::Relaxed);
                } else {
                    line.push_back((Instant::now() + self.delay, frame[..len].to_vec()));
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
