//! A real coturn (Debian's `coturn` package) for the engine's relay tests:
//! the REST scheme with the desk's shared secret, UDP and TCP on one port,
//! on loopback or on the test internet's address in its namespace. Killed
//! on drop; its log shows the allocations it made.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::netns::{self, Netns};

/// The secret the desk and coturn share for TURN credentials.
pub const TURN_SECRET: &str = "lifeline-test-turn-secret";

pub struct Coturn {
    child: Child,
    /// TURN over UDP and TCP.
    pub port: u16,
    /// TURN over TLS, when started with a certificate.
    pub tls_port: Option<u16>,
    log: PathBuf,
}

impl Drop for Coturn {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Coturn {
    pub fn start(dir: &Path) -> Self {
        Self::start_with(dir, None)
    }

    /// With `tls` (a certificate and its key, PEM files), TURN over TLS
    /// too.
    pub fn start_with(dir: &Path, tls: Option<(&Path, &Path)>) -> Self {
        Self::launch(dir, tls, None)
    }

    /// On the test internet's address, in its namespace: STUN and TURN
    /// over UDP and TCP on 3478, TLS on 5349 with `tls`.
    pub fn start_in(dir: &Path, internet: &Netns, tls: Option<(&Path, &Path)>) -> Self {
        Self::launch(dir, tls, Some(internet))
    }

    fn launch(dir: &Path, tls: Option<(&Path, &Path)>, inside: Option<&Netns>) -> Self {
        let [port, relays, tls_free] = crate::ports::free().expect("free loopback ports");
        let (ip, port, relays, tls_port) = match inside {
            Some(_) => (netns::INTERNET, 3478, 50_000, 5349),
            None => ("127.0.0.1", port, relays, tls_free),
        };
        let log = dir.join("turnserver.log");
        let tls_port = tls.map(|_| tls_port);
        let mut command = match inside {
            Some(internet) => internet.command("turnserver"),
            None => Command::new("turnserver"),
        };
        match (tls, tls_port) {
            (Some((cert, key)), Some(tls_port)) => {
                command
                    .arg(format!("--tls-listening-port={tls_port}"))
                    .arg(format!("--cert={}", cert.display()))
                    .arg(format!("--pkey={}", key.display()));
            }
            _ => {
                command.arg("--no-tls");
            }
        }
        let child = command
            .args([
                "-n",
                &format!("--listening-ip={ip}"),
                &format!("--relay-ip={ip}"),
            ])
            .arg(format!("--listening-port={port}"))
            // A narrow range of relay ports, next to a free one.
            .arg(format!(
                "--min-port={}",
                relays.saturating_sub(50).max(1024)
            ))
            .arg(format!("--max-port={}", relays.saturating_add(50)))
            .args(["--use-auth-secret", "--realm=lifeline.test"])
            .arg(format!("--static-auth-secret={TURN_SECRET}"))
            .args(["--no-dtls", "--no-cli", "--allow-loopback-peers"])
            .args(["--simple-log", "--verbose"])
            .arg(format!("--log-file={}", log.display()))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("turnserver (scripts/setup.sh installs coturn)");
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        for listening in std::iter::once(port).chain(tls_port) {
            if let Some(internet) = inside {
                internet.wait_listening(ip, listening, "coturn");
                continue;
            }
            while std::net::TcpStream::connect((ip, listening)).is_err() {
                assert!(
                    std::time::Instant::now() < deadline,
                    "coturn never listened on {listening} ({command:?}):\n{}",
                    std::fs::read_to_string(&log).unwrap_or_default()
                );
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        Self {
            child,
            port,
            tls_port,
            log,
        }
    }

    /// What coturn logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}
