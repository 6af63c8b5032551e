//! The screen benches' scenarios: X clients that make a screen look and
//! change the same way on Xvfb and on the Wayland desktop's Xwayland.

use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub const ALL: [Scenario; 5] = [
    Scenario::Static,
    Scenario::Typing,
    Scenario::Motion,
    Scenario::Pointer,
    Scenario::Scroll60,
];

#[derive(Debug, Clone, Copy)]
pub enum Scenario {
    Static,
    Typing,
    Motion,
    Pointer,
    Scroll60,
}

impl Scenario {
    pub fn name(self) -> &'static str {
        match self {
            Scenario::Static => "static",
            Scenario::Typing => "typing",
            Scenario::Motion => "motion",
            Scenario::Pointer => "pointer",
            Scenario::Scroll60 => "scroll60",
        }
    }

    /// Whether it runs on the Wayland desktop too. Xwayland draws no root
    /// window, where scroll60 draws, and its pointer is not the
    /// compositor's, which the pointer scenario moves.
    pub fn on_wayland(self) -> bool {
        matches!(self, Scenario::Static | Scenario::Typing | Scenario::Motion)
    }

    /// Where the scenario's window asks to be (its `-geometry`). On X it
    /// is put there; sway puts a floating window in the middle, where the
    /// text meets the encoder's blocks differently, so the Wayland run
    /// moves it (that alone made typing's frames 4 times larger).
    pub fn origin(self) -> (u32, u32) {
        match self {
            Scenario::Motion | Scenario::Scroll60 => (0, 0),
            Scenario::Static | Scenario::Typing | Scenario::Pointer => (100, 100),
        }
    }

    /// Starts the X clients that make the screen look and change as the
    /// scenario says (scripts/bench-scenario.sh). They stop when the guard
    /// drops.
    pub fn stage(self, display: &str) -> Scene {
        if let Scenario::Scroll60 = self {
            return Scene::Scroller(Scroller::start(display));
        }
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/bench-scenario.sh");
        let child = Command::new(script)
            .arg(self.name())
            .env("DISPLAY", display)
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {script}: {e}"));
        std::thread::sleep(Duration::from_millis(1500));
        Scene::Script(child)
    }
}

/// A running scenario: its script and every X client it started, or the
/// bench's own scrolling client.
pub enum Scene {
    Script(Child),
    // Held for its Drop, which stops the thread.
    #[allow(dead_code)]
    Scroller(Scroller),
}

impl Drop for Scene {
    fn drop(&mut self) {
        if let Scene::Script(child) = self {
            // The script leads its own process group; end all of it.
            let _ = Command::new("kill")
                .args(["-TERM", "--", &format!("-{}", child.id())])
                .status();
            let _ = child.wait();
        }
    }
}

/// The scroll60 scenario: a whole screen of text moved up one 13-pixel
/// line and a new line drawn, 60 times a second, by an X client on a
/// thread of this bench (no terminal deciding when to repaint: a known
/// rate of whole-screen change).
pub struct Scroller {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Scroller {
    const LINE: u16 = 13;

    fn start(display: &str) -> Scroller {
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (conn, screen) =
            xcb::Connection::connect(Some(display)).expect("the scenario's X server");
        let thread = std::thread::spawn({
            let stop = std::sync::Arc::clone(&stop);
            move || Scroller::run(&conn, screen, &stop)
        });
        std::thread::sleep(Duration::from_millis(500));
        Scroller {
            stop,
            thread: Some(thread),
        }
    }

    fn line(n: u64) -> Vec<u8> {
        let words = [
            "drwxr-xr-x",
            "root",
            "4096",
            "Dec",
            "lib",
            "share",
            "x86_64",
            "libvpx.so.7",
        ];
        let mut text = String::new();
        let mut i = n;
        while text.len() < 300 {
            text.push_str(words[(i % words.len() as u64) as usize]);
            text.push(' ');
            i = i
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407)
                >> 7;
        }
        text.into_bytes()
    }

    fn run(conn: &xcb::Connection, screen: i32, stop: &std::sync::atomic::AtomicBool) {
        use xcb::x;
        let setup = conn.get_setup();
        let screen = setup.roots().nth(screen as usize).expect("a screen");
        let (root, width, height) = (
            screen.root(),
            screen.width_in_pixels(),
            screen.height_in_pixels(),
        );
        let font: x::Font = conn.generate_id();
        conn.send_request(&x::OpenFont {
            fid: font,
            name: b"fixed",
        });
        let gc: x::Gcontext = conn.generate_id();
        conn.send_request(&x::CreateGc {
            cid: gc,
            drawable: x::Drawable::Window(root),
            value_list: &[
                x::Gc::Foreground(0x00d0_d0d0),
                x::Gc::Background(0x0010_1010),
                x::Gc::Font(font),
                x::Gc::GraphicsExposures(false),
            ],
        });
        let draw = |n: u64, y: i16| {
            let text = Scroller::line(n);
            conn.send_request(&x::ImageText8 {
                drawable: x::Drawable::Window(root),
                gc,
                x: 0,
                y,
                string: &text[..text.len().min(255)],
            });
        };
        let lines = height / Scroller::LINE;
        for n in 0..u64::from(lines) {
            draw(n, (n as i16 + 1) * Scroller::LINE as i16 - 3);
        }
        let tick = Duration::from_secs(1) / 60;
        let started = std::time::Instant::now();
        let mut n = u64::from(lines);
        while !stop.load(std::sync::atomic::Ordering::Relaxed) {
            conn.send_request(&x::CopyArea {
                src_drawable: x::Drawable::Window(root),
                dst_drawable: x::Drawable::Window(root),
                gc,
                src_x: 0,
                src_y: Scroller::LINE as i16,
                dst_x: 0,
                dst_y: 0,
                width,
                height: height - Scroller::LINE,
            });
            draw(n, (lines * Scroller::LINE) as i16 - 3);
            // A round trip, so the server has drawn before the next tick.
            let _ = conn.wait_for_reply(conn.send_request(&x::GetInputFocus {}));
            n += 1;
            let next = tick * (n - u64::from(lines)) as u32;
            if let Some(rest) = next.checked_sub(started.elapsed()) {
                std::thread::sleep(rest);
            }
        }
    }
}

impl Drop for Scroller {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
