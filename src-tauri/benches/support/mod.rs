//! What the benches share: X servers and children that die with them.

use std::io::Read;
use std::process::{Child, Command, Stdio};

/// A child process killed when dropped.
pub struct Kid(pub Child);

impl Drop for Kid {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `Xvfb -noreset` on a free display number, read back through -displayfd.
pub fn start_xvfb(width: u32, height: u32) -> (Kid, String) {
    let mut child = Command::new("Xvfb")
        .args([
            "-displayfd",
            "1",
            "-noreset",
            "-nolisten",
            "tcp",
            "-screen",
            "0",
        ])
        .arg(format!("{width}x{height}x24"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("cannot start Xvfb (run `make setup`)");
    let mut out = child.stdout.take().expect("piped stdout");
    let mut number = String::new();
    let mut byte = [0u8; 1];
    while out.read(&mut byte).unwrap_or(0) == 1 && byte[0] != b'\n' {
        number.push(byte[0] as char);
    }
    (Kid(child), format!(":{}", number.trim()))
}
