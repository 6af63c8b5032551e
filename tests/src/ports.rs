//! Loopback ports for the servers a test starts.

use std::net::TcpListener;

/// `N` loopback ports that were free a moment ago, all different: each is
/// held until all are chosen, so the system cannot hand one out twice.
pub fn free<const N: usize>() -> std::io::Result<[u16; N]> {
    let held = (0..N)
        .map(|_| TcpListener::bind("127.0.0.1:0"))
        .collect::<std::io::Result<Vec<_>>>()?;
    let mut ports = [0; N];
    for (port, listener) in ports.iter_mut().zip(&held) {
        *port = listener.local_addr()?.port();
    }
    Ok(ports)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_ports_differ() {
        let [a, b, c] = super::free().unwrap();
        assert!(a != b && b != c && a != c, "{a} {b} {c}");
        assert!(a != 0 && b != 0 && c != 0);
    }
}
