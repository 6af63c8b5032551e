//! Clipboard text on a Wayland desktop, through the app's clipboard
//! backend (arboard with the data-control protocol) on a real headless sway
//! (`lifeline_e2e::wayland`), checked with wl-clipboard's `wl-copy` and
//! `wl-paste`, real Wayland clients.
//!
//! The backend finds the compositor through the environment, so the part
//! that uses it runs in a child process of this test with the desktop's
//! environment (and no X display to fall back to).

use std::time::{Duration, Instant};

use lifeline_e2e::wayland::Desktop;
use lifeline_lib::clipboard::arboard_backend::ArboardClipboard;

/// The child process, killed if the test fails before it ends.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

const TEST: &str = "text_crosses_the_wayland_clipboard_both_ways";
const CHILD: &str = "LIFELINE_WAYLAND_CLIPBOARD_CHILD";
const FROM_LIFELINE: &str = "ssh support@10.0.0.7";
const FROM_DESKTOP: &str = "Fehler 0x80070005 – Zugriff verweigert";

/// Runs `program` on the desktop; its output.
fn run(desktop: &Desktop, program: &str, args: &[&str]) -> String {
    let out = desktop.command(program).args(args).output().unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The child: sets the clipboard, then waits for the desktop's text.
fn child() {
    let mut clipboard = ArboardClipboard::boxed().expect("the Wayland clipboard");
    clipboard.set_text(FROM_LIFELINE).unwrap();
    println!("set");
    let deadline = Instant::now() + Duration::from_secs(10);
    while clipboard.get_text().ok().as_deref() != Some(FROM_DESKTOP) {
        assert!(
            Instant::now() < deadline,
            "the desktop's copy never arrived"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn text_crosses_the_wayland_clipboard_both_ways() {
    if std::env::var_os(CHILD).is_some() {
        return child();
    }
    let desktop = Desktop::start(640, 480, "#204080").expect("the headless desktop");
    let mut command = desktop.command(&std::env::current_exe().unwrap().display().to_string());
    command
        .args(["--exact", TEST, "--nocapture", "--test-threads=1"])
        .env(CHILD, "1");
    let mut lifeline = Child(command.spawn().unwrap());

    let deadline = Instant::now() + Duration::from_secs(10);
    while run(&desktop, "wl-paste", &["--no-newline"]) != FROM_LIFELINE {
        assert!(
            Instant::now() < deadline,
            "wl-paste never read Lifeline's copy\n{}",
            desktop.logs()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let copied = desktop
        .command("wl-copy")
        .arg(FROM_DESKTOP)
        .status()
        .unwrap();
    assert!(copied.success());
    let deadline = Instant::now() + Duration::from_secs(15);
    let status = loop {
        if let Some(status) = lifeline.0.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "Lifeline never read the desktop's copy"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "the child failed: {status:?}");
}
