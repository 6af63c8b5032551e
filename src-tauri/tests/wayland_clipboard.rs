//! Clipboard text and images on a Wayland desktop, through the app's
//! clipboard backend (arboard, and wl-clipboard-rs for images, with the
//! data-control protocol) on a real headless sway (`lifeline_e2e::wayland`),
//! checked with wl-clipboard's `wl-copy` and `wl-paste`, real Wayland
//! clients. Images go both ways byte for byte.
//!
//! The backend finds the compositor through the environment, so the part
//! that uses it runs in a child process of this test with the desktop's
//! environment (and no X display to fall back to).

use std::time::{Duration, Instant};

use lifeline_e2e::images::noise_png;
use lifeline_e2e::wayland::Desktop;
use lifeline_lib::clipboard::content::ClipContent;
use lifeline_lib::clipboard::system::SystemClipboard;

/// The child process, killed if the test fails before it ends.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

const TEST: &str = "text_and_images_cross_the_wayland_clipboard_both_ways";
const CHILD: &str = "LIFELINE_WAYLAND_CLIPBOARD_CHILD";
const FROM_LIFELINE: &str = "ssh support@10.0.0.7";
const FROM_DESKTOP: &str = "Fehler 0x80070005 – Zugriff verweigert";

/// Runs `program` on the desktop; its output.
fn run(desktop: &Desktop, program: &str, args: &[&str]) -> Vec<u8> {
    desktop.command(program).args(args).output().unwrap().stdout
}

/// Waits until `done`, or fails saying `what`.
fn wait(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while !done() {
        assert!(Instant::now() < deadline, "{what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The child: copies its text, waits for the desktop's, copies its image,
/// and waits for the desktop's image.
fn child() {
    let mut clipboard = SystemClipboard::boxed().expect("the Wayland clipboard");
    clipboard
        .set(&ClipContent::Text(FROM_LIFELINE.into()))
        .unwrap();
    let want = ClipContent::Text(FROM_DESKTOP.into());
    wait("the desktop's text never arrived", || {
        clipboard.get().ok() == Some(want.clone())
    });
    clipboard
        .set(&ClipContent::Png(noise_png(64, 48, 1)))
        .unwrap();
    let want = ClipContent::Png(noise_png(80, 60, 2));
    wait("the desktop's image never arrived", || {
        clipboard.get().ok() == Some(want.clone())
    });
}

#[test]
fn text_and_images_cross_the_wayland_clipboard_both_ways() {
    if std::env::var_os(CHILD).is_some() {
        return child();
    }
    let desktop = Desktop::start(640, 480, "#204080").expect("the headless desktop");
    let mut command = desktop.command(&std::env::current_exe().unwrap().display().to_string());
    command
        .args(["--exact", TEST, "--nocapture", "--test-threads=1"])
        .env(CHILD, "1");
    let mut lifeline = Child(command.spawn().unwrap());

    wait("wl-paste never read Lifeline's text", || {
        run(&desktop, "wl-paste", &["--no-newline"]) == FROM_LIFELINE.as_bytes()
    });
    let copied = desktop
        .command("wl-copy")
        .arg(FROM_DESKTOP)
        .status()
        .unwrap();
    assert!(copied.success());
    let ours = noise_png(64, 48, 1);
    wait("wl-paste never read Lifeline's image", || {
        run(&desktop, "wl-paste", &["--type", "image/png"]) == ours
    });
    let picture = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(picture.path(), noise_png(80, 60, 2)).unwrap();
    let copied = desktop
        .command("wl-copy")
        .args(["--type", "image/png"])
        .stdin(std::fs::File::open(picture.path()).unwrap())
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
