//! A port on the test's own loopback that leads into a namespace. The apps
//! and the desk stay on the test network; the test drives WebDriver and
//! reads the desk's report through forwards like this one.

use std::io::ErrorKind;
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

/// Forwards connections to 127.0.0.1:`port()` to `target` inside a
/// namespace, until dropped.
#[derive(Debug)]
pub struct Forward {
    port: u16,
    stop: Arc<AtomicBool>,
    accepting: Option<JoinHandle<()>>,
}

impl Forward {
    /// Listens on a free loopback port; each connection there is joined to
    /// a new connection to `target` opened from inside namespace `netns`.
    pub fn start(netns: &str, target: SocketAddr) -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let port = listener.local_addr()?.port();
        let stop = Arc::new(AtomicBool::new(false));
        let netns = netns.to_owned();
        let stopped = Arc::clone(&stop);
        let accepting = std::thread::spawn(move || {
            while !stopped.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((near, _)) => {
                        let netns = netns.clone();
                        std::thread::spawn(move || join(near, &netns, target));
                    }
                    Err(e) if e.kind() == ErrorKind::WouldBlock => {
                        std::thread::sleep(Duration::from_millis(10));
                    }
                    Err(_) => return,
                }
            }
        });
        Ok(Self {
            port,
            stop,
            accepting: Some(accepting),
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }
}

impl Drop for Forward {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(accepting) = self.accepting.take() {
            let _ = accepting.join();
        }
    }
}

/// Carries bytes both ways between `near` and a new connection to
/// `target` in `netns`; a connection that cannot be made closes `near`.
fn join(near: TcpStream, netns: &str, target: SocketAddr) {
    let Ok(far) = super::netns::connect_in(netns, target) else {
        return;
    };
    let _ = near.set_nonblocking(false);
    let (Ok(near_reader), Ok(far_reader)) = (near.try_clone(), far.try_clone()) else {
        return;
    };
    let back = std::thread::spawn(move || copy(far_reader, near));
    copy(near_reader, far);
    let _ = back.join();
}

/// Copies until `from` ends, then ends `to`'s writing half.
fn copy(mut from: TcpStream, mut to: TcpStream) {
    let _ = std::io::copy(&mut from, &mut to);
    let _ = to.shutdown(Shutdown::Write);
}
