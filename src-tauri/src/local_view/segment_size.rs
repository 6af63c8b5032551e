//! The view socket's TCP segment size. Loopback's MTU is 64 kB, so a
//! connection on it sends segments of up to 64 kB, and the webview's
//! kernel, avoiding "silly window" updates, announces freed receive
//! window only a whole segment at a time. A frame larger than the window
//! (a full-screen change of 70 kB) then waited for the sender's 200 ms
//! probe timer before its last bytes left: sink → JavaScript took 205 ms
//! for every such frame in the bench, and 0.2 ms for the first. With
//! segments of [`SEGMENT_BYTES`] the window reopens as the page reads.

use std::io;

/// Large enough to cost nothing in system calls, small against the
/// receive window.
pub const SEGMENT_BYTES: u32 = 16 * 1024;

/// Sets the segment size of connections `listener` accepts from now on.
pub fn limit(listener: &tokio::net::TcpListener) -> io::Result<()> {
    socket2::SockRef::from(listener).set_tcp_mss(SEGMENT_BYTES)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn accepted_connections_use_the_smaller_segments() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        limit(&listener).unwrap();
        let _client = tokio::net::TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (accepted, _) = listener.accept().await.unwrap();
        let mss = socket2::SockRef::from(&accepted).tcp_mss().unwrap();
        assert!(mss > 0 && mss <= SEGMENT_BYTES, "segment size {mss}");
    }
}
