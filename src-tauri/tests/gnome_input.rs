//! The expert's input on GNOME, through the app's `PortalInjector` (the
//! desktop portal's RemoteDesktop, GNOME's backend) into a real headless
//! mutter (`lifeline_e2e::wayland::GnomeDesktop`), checked by a real
//! Wayland client: `wev`, which prints every event its window receives.
//!
//! GNOME's portal asks "allow remote interaction?" in a dialog, with the
//! interaction switch off, and the portal (1.16) cannot skip it for a
//! restore token. The test answers it as a person would: it watches the
//! screen through the app's own capture (a screen cast the portal knows,
//! so without a dialog), and when the dialog shows, clicks its switch and
//! its Share button with mutter's own pointer (`mutter::MutterPointer`),
//! at the places xdg-desktop-portal-gnome 43 draws them on a 1280×720
//! monitor.

mod mutter;

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::ensure;
use lifeline_e2e::wayland::GnomeDesktop;
use lifeline_lib::input::event::MouseButton;
use lifeline_lib::input::injector::{InjectError, Injector};
use lifeline_lib::input::portal_injector::PortalInjector;
use lifeline_lib::media::capture::{Capturer, Change};
use lifeline_lib::media::frame::{PixelOrder, RgbaFrame};
use lifeline_lib::media::portal::{CastOptions, PortalCapturer};
use lifeline_lib::media::wake::Wakeup;
use mutter::MutterPointer;

const WIDTH: u32 = 1280;
const HEIGHT: u32 = 720;
const WITHIN: Duration = Duration::from_secs(15);
/// The dialog's "Allow remote interaction" switch and its Share button.
const SWITCH: (u32, u32) = (830, 432);
const SHARE: (u32, u32) = (852, 233);
/// A corner of the Share button, off its label: GNOME's accent blue.
const SHARE_CORNER: (u32, u32) = (820, 222);

#[test]
fn gnome_takes_the_expert_s_input_through_its_portal() {
    let desktop = GnomeDesktop::start(WIDTH, HEIGHT).expect("a headless GNOME desktop");
    if let Err(error) = control(&desktop) {
        panic!("{error:#}\n{}", desktop.logs());
    }
}

/// The screen as the app's capture sees it, kept up to date.
struct Screen {
    capturer: PortalCapturer,
    frame: RgbaFrame,
    wakeup: Wakeup,
}

impl Screen {
    fn open(desktop: &GnomeDesktop) -> anyhow::Result<Self> {
        let mut capturer = PortalCapturer::new(CastOptions {
            bus: Some(desktop.var("DBUS_SESSION_BUS_ADDRESS").to_owned()),
            token_file: Some(desktop.path_of("screen-cast-token")),
        });
        let frame = capturer.capture(0)?;
        Ok(Self {
            capturer,
            frame,
            wakeup: Wakeup::new()?,
        })
    }

    /// The newest picture, after waiting up to 100 ms for a change.
    fn now(&mut self) -> anyhow::Result<&RgbaFrame> {
        let change =
            self.capturer
                .wait_for_change(0, Some(Duration::from_millis(100)), &self.wakeup)?;
        if change == Change::Damaged {
            self.capturer.capture_changes(0, &mut self.frame)?;
        }
        Ok(&self.frame)
    }

    /// Waits until `ready` holds for the picture.
    fn until(&mut self, what: &str, ready: impl Fn(&RgbaFrame) -> bool) -> anyhow::Result<()> {
        let deadline = Instant::now() + WITHIN;
        while !ready(self.now()?) {
            ensure!(Instant::now() < deadline, "{what} did not show");
        }
        Ok(())
    }
}

fn control(desktop: &GnomeDesktop) -> anyhow::Result<()> {
    desktop.known_screen_cast(&desktop.path_of("screen-cast-token"))?;
    let mut screen = Screen::open(desktop)?;
    let empty = screen.frame.clone();
    let (_wev, log) = desktop.wev()?;
    screen.until("wev's window", |now| changed_box(&empty, now).is_some())?;
    let (left, top, right, bottom) = changed_box(&empty, &screen.frame).unwrap_or_default();
    let window = ((left + right) / 2, (top + bottom) / 2);

    // mutter's own pointer stays: a pointer leaving the seat later would
    // change what the window has bound under the injected events.
    let (mut injector, _mouse) = allowed(desktop, &mut screen)?;

    // The window takes the new keyboard and pointer up.
    wait_for_last(&log, "capabilities: pointer keyboard")?;
    let (x, y) = window;
    injector.pointer_to(x as i32, y as i32)?;
    injector.button(MouseButton::Left, true)?;
    injector.button(MouseButton::Left, false)?;
    injector.key(30, true)?;
    injector.key(30, false)?;
    injector.text("b")?;
    wait_for(
        &log,
        &[
            "button: 272 (left), state: 1 (pressed)",
            "sym: a ",
            "sym: b ",
        ],
    )
}

/// Opens the app's `PortalInjector` and answers the desktop's dialog.
/// A click that missed shows in the answer ("declined", or none); the
/// dialog is then asked for again, up to three times.
fn allowed(
    desktop: &GnomeDesktop,
    screen: &mut Screen,
) -> anyhow::Result<(PortalInjector, MutterPointer)> {
    let mouse = MutterPointer::start(desktop)?;
    let mut attempt = 1;
    loop {
        let bus = desktop.var("DBUS_SESSION_BUS_ADDRESS").to_owned();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(PortalInjector::open(Some(&bus)));
        });
        screen.until("the portal's dialog", dialog_shown)?;
        match answer_the_dialog(&mouse, &rx) {
            Ok(injector) => return Ok((injector, mouse)),
            Err(error) if attempt < 3 => {
                eprintln!("attempt {attempt}: {error:#}; the dialog again");
                attempt += 1;
                // Gone once answered (or a later answer closes it).
                screen.until("the dialog to close", |now| !dialog_shown(now))?;
            }
            Err(error) => return Err(error),
        }
    }
}

/// The box around the pixels that differ, if any.
fn changed_box(a: &RgbaFrame, b: &RgbaFrame) -> Option<(u32, u32, u32, u32)> {
    let width = a.width as usize;
    let mut found: Option<(u32, u32, u32, u32)> = None;
    for (i, (p, q)) in a.data.chunks(4).zip(b.data.chunks(4)).enumerate() {
        if p[..3] != q[..3] {
            let (x, y) = ((i % width) as u32, (i / width) as u32);
            found = Some(found.map_or((x, y, x, y), |(l, t, r, b)| {
                (l.min(x), t.min(y), r.max(x), b.max(y))
            }));
        }
    }
    found
}

fn pixel(frame: &RgbaFrame, (x, y): (u32, u32)) -> [u8; 3] {
    let at = ((y * frame.width + x) * 4) as usize;
    let p = &frame.data[at..at + 4];
    match frame.order {
        PixelOrder::Bgrx => [p[2], p[1], p[0]],
        PixelOrder::Rgba => [p[0], p[1], p[2]],
    }
}

/// Whether the dialog's Share button is drawn: GNOME's accent blue, where
/// the desktop and the window under the dialog are not blue.
fn dialog_shown(frame: &RgbaFrame) -> bool {
    let [red, _, blue] = pixel(frame, SHARE_CORNER);
    u16::from(blue) > u16::from(red) + 60
}

/// Turns the dialog's remote interaction on, and shares; the portal's
/// answer. The clicks are timed: GTK takes input a moment after the
/// dialog's first picture, and the switch animates. Whether they took is
/// in the answer: the keyboard and pointer granted (the switch on), or
/// "declined" (it stayed off), or no answer (Share missed).
fn answer_the_dialog(
    mouse: &MutterPointer,
    answer: &std::sync::mpsc::Receiver<Result<PortalInjector, InjectError>>,
) -> anyhow::Result<PortalInjector> {
    std::thread::sleep(Duration::from_millis(500));
    mouse.move_to(f64::from(SWITCH.0), f64::from(SWITCH.1))?;
    mouse.click()?;
    std::thread::sleep(Duration::from_millis(300));
    mouse.move_to(f64::from(SHARE.0), f64::from(SHARE.1))?;
    mouse.click()?;
    match answer.recv_timeout(WITHIN) {
        Ok(answer) => Ok(answer?),
        Err(_) => anyhow::bail!("the portal did not answer after Share"),
    }
}

/// Waits until the last line of `wev`'s log that says the seat's
/// capabilities says `capabilities`.
fn wait_for_last(log: &Path, capabilities: &str) -> anyhow::Result<()> {
    let deadline = Instant::now() + WITHIN;
    loop {
        let seen = std::fs::read_to_string(log).unwrap_or_default();
        let last = seen.lines().rfind(|l| l.contains("capabilities:"));
        if last.is_some_and(|l| l.trim_end().ends_with(capabilities)) {
            return Ok(());
        }
        ensure!(
            Instant::now() < deadline,
            "the seat never said {capabilities:?}; wev logged:\n{seen}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Waits for `wev`'s log to hold every one of `lines`.
fn wait_for(log: &Path, lines: &[&str]) -> anyhow::Result<()> {
    let deadline = Instant::now() + WITHIN;
    loop {
        let seen = std::fs::read_to_string(log).unwrap_or_default();
        if lines.iter().all(|line| seen.contains(line)) {
            return Ok(());
        }
        ensure!(
            Instant::now() < deadline,
            "wev did not see {lines:?}; it logged:\n{seen}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
