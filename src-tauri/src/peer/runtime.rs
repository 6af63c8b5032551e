//! The async runtime webrtc-rs runs on: its own Tokio runtime, except that
//! every UDP socket gets large kernel buffers before webrtc-rs wraps it.
//!
//! With Linux's default 208 KiB receive buffer, a file transfer's burst of
//! SCTP packets overflows the socket (`RcvbufErrors` in `/proc/net/snmp`).
//! SCTP takes each drop as congestion and halves its window, so a channel
//! that could move tens of MB/s crawls. The kernel caps the request at
//! `net.core.rmem_max` / `wmem_max`; a failure to raise them is logged and
//! harmless.

use std::future::Future;
use std::io;
use std::net::{SocketAddr, TcpListener, UdpSocket};
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use webrtc::runtime::{
    AsyncInterval, AsyncTcpListener, AsyncTcpStream, AsyncUdpSocket, JoinHandle, Runtime,
    TokioRuntime,
};

/// What each UDP socket asks the kernel for, both ways.
pub const SOCKET_BUFFER_BYTES: usize = 8 * 1024 * 1024;

#[derive(Debug)]
pub struct BufferedSockets(TokioRuntime);

impl BufferedSockets {
    pub fn shared() -> Arc<dyn Runtime> {
        Arc::new(Self(TokioRuntime))
    }
}

/// Raises a socket's buffers as far as the kernel allows.
pub fn enlarge(socket: &UdpSocket) {
    let socket = socket2::SockRef::from(socket);
    for (what, result) in [
        ("receive", socket.set_recv_buffer_size(SOCKET_BUFFER_BYTES)),
        ("send", socket.set_send_buffer_size(SOCKET_BUFFER_BYTES)),
    ] {
        if let Err(error) = result {
            tracing::debug!(%error, "the UDP {what} buffer stays at the system default");
        }
    }
}

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

impl Runtime for BufferedSockets {
    fn spawn(&self, future: BoxFuture<'static, ()>) -> Box<dyn JoinHandle> {
        self.0.spawn(future)
    }

    fn spawn_reactor(&self, pool: usize, future: BoxFuture<'static, ()>) -> Box<dyn JoinHandle> {
        self.0.spawn_reactor(pool, future)
    }

    fn wrap_udp_socket(&self, socket: UdpSocket) -> io::Result<Arc<dyn AsyncUdpSocket>> {
        enlarge(&socket);
        self.0.wrap_udp_socket(socket)
    }

    fn wrap_tcp_listener(&self, listener: TcpListener) -> io::Result<Arc<dyn AsyncTcpListener>> {
        self.0.wrap_tcp_listener(listener)
    }

    fn connect_tcp<'a>(
        &'a self,
        remote: SocketAddr,
    ) -> BoxFuture<'a, io::Result<Arc<dyn AsyncTcpStream>>> {
        self.0.connect_tcp(remote)
    }

    fn resolve_host<'a>(&'a self, host: &'a str) -> BoxFuture<'a, io::Result<Vec<SocketAddr>>> {
        self.0.resolve_host(host)
    }

    fn now(&self) -> Instant {
        self.0.now()
    }

    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        self.0.sleep(duration)
    }

    fn interval(&self, period: Duration) -> Box<dyn AsyncInterval> {
        self.0.interval(period)
    }

    fn block_on(&self, future: Pin<Box<dyn Future<Output = ()> + '_>>) {
        self.0.block_on(future)
    }

    fn yield_now(&self) -> BoxFuture<'static, ()> {
        self.0.yield_now()
    }

    fn name(&self) -> &'static str {
        "tokio with large UDP buffers"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sockets_get_more_than_the_default_buffer() {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        let before = socket2::SockRef::from(&socket).recv_buffer_size().unwrap();
        enlarge(&socket);
        let after = socket2::SockRef::from(&socket).recv_buffer_size().unwrap();
        // The kernel caps the request at net.core.rmem_max, which is at
        // least the default; where it is larger, the buffer grew.
        let max: usize = std::fs::read_to_string("/proc/sys/net/core/rmem_max")
            .ok()
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0);
        assert!(after >= before);
        if max > before {
            assert!(after > before, "{before} → {after} with rmem_max {max}");
        }
    }
}
