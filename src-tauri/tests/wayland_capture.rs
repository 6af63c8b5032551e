//! The screen on Wayland, through the real desktop portal and PipeWire: a
//! headless sway with xdg-desktop-portal and its wlroots backend
//! (`lifeline_e2e::wayland`), captured by the app's `PortalCapturer`.
//!
//! The output's background is painted with `swaymsg`; the captured pixels
//! must follow it. Two capturers at once share one cast. The cast keeps its
//! restore token for the next share, a
//! second share works after the first closed, pictures follow the output's
//! size when it changes, a failing portal is asked once and not at every
//! retry, and a desktop whose sharing
//! stops under a running cast ends the capture with words that say so.

use std::time::{Duration, Instant};

use anyhow::{Context, ensure};
use lifeline_e2e::wayland::Desktop;
use lifeline_lib::media::capture::{Captured, Capturer, Change};
use lifeline_lib::media::frame::{PixelOrder, RgbaFrame};
use lifeline_lib::media::portal::{CastOptions, PortalCapturer};
use lifeline_lib::media::wake::Wakeup;

const WIDTH: u32 = 1280;
const HEIGHT: u32 = 720;
const CHANGE_WITHIN: Duration = Duration::from_secs(5);
/// The background the desktop starts with, `#204080`.
const BLUE: (u8, u8, u8) = (0x20, 0x40, 0x80);

fn centre(frame: &RgbaFrame) -> (u8, u8, u8) {
    pixel(frame, frame.width / 2, frame.height / 2)
}

fn pixel(frame: &RgbaFrame, x: u32, y: u32) -> (u8, u8, u8) {
    let at = ((y * frame.width + x) * 4) as usize;
    let p = &frame.data[at..at + 4];
    match frame.order {
        PixelOrder::Bgrx => (p[2], p[1], p[0]),
        PixelOrder::Rgba => (p[0], p[1], p[2]),
    }
}

/// Waits for the centre of the shared screen to become `colour`, through
/// the change reports a share's pipeline waits on. A repaint of the
/// background changes every row, and the desktop says so in its damage:
/// the capture reports all rows changed. How long it took.
fn wait_for(
    capturer: &mut PortalCapturer,
    frame: &mut RgbaFrame,
    colour: (u8, u8, u8),
) -> anyhow::Result<Duration> {
    let wakeup = Wakeup::new()?;
    let started = Instant::now();
    while centre(frame) != colour {
        let left = CHANGE_WITHIN.saturating_sub(started.elapsed());
        ensure!(
            !left.is_zero(),
            "the centre stayed {:?}, not {colour:?}",
            centre(frame)
        );
        if capturer.wait_for_change(0, Some(left), &wakeup)? == Change::Damaged {
            let captured = capturer.capture_changes(0, frame)?;
            let all = std::iter::once(0..frame.height).collect::<Vec<_>>();
            ensure!(
                captured == Captured::Rows(all),
                "a repainted screen, by the desktop's damage: {captured:?}"
            );
        }
    }
    Ok(started.elapsed())
}

/// The first picture of a share. The wlroots portal 0.7 sends a second
/// cast of an unchanged screen nothing until the screen changes, and now
/// and then a first cast too (CI saw it at 21a2da8), so a share changes it
/// (`nudge`) if no picture came.
fn first_picture(
    desktop: &Desktop,
    capturer: &mut PortalCapturer,
    nudge: Option<&str>,
) -> anyhow::Result<RgbaFrame> {
    match (capturer.capture(0), nudge) {
        (Ok(frame), _) => Ok(frame),
        (Err(error), None) => Err(error.into()),
        (Err(_), Some(colour)) => {
            desktop.paint(colour)?;
            Ok(capturer.capture(0)?)
        }
    }
}

/// Casts the portal has started so far.
fn casts_started(desktop: &Desktop) -> usize {
    desktop
        .log_of("portal-wlr")
        .matches("start method invoked")
        .count()
}

fn share(desktop: &mut Desktop, options: &CastOptions, first: bool) -> anyhow::Result<()> {
    let before = casts_started(desktop);
    let mut capturer = PortalCapturer::new(options.clone());
    let monitors = capturer.monitors()?;
    // A second capturer meanwhile (the expert's monitor list) shares the
    // cast: one desktop dialog, not two.
    let listed = PortalCapturer::new(options.clone()).monitors()?;
    ensure!(listed == monitors, "{listed:?} against {monitors:?}");
    ensure!(
        casts_started(desktop) == before + 1,
        "{} casts started for two capturers at once",
        casts_started(desktop) - before
    );
    ensure!(monitors.len() == 1, "one output, one monitor: {monitors:?}");
    ensure!(
        (monitors[0].width, monitors[0].height) == (WIDTH, HEIGHT),
        "the monitor's size: {monitors:?}"
    );
    // The output painted its own colour again, if no picture came.
    let nudge = Some("#204080");
    if !first {
        desktop.paint("#000000")?;
    }
    let mut frame = first_picture(desktop, &mut capturer, nudge)?;
    ensure!((frame.width, frame.height) == (WIDTH, HEIGHT), "{frame:?}");
    if first {
        ensure!(
            centre(&frame) == BLUE,
            "the first picture: {:?}",
            centre(&frame)
        );
    }
    desktop.paint("#ff0000")?;
    let red = wait_for(&mut capturer, &mut frame, (0xff, 0, 0))?;
    desktop.paint("#00c000")?;
    let green = wait_for(&mut capturer, &mut frame, (0, 0xc0, 0))?;
    eprintln!("red shown {red:?} after it was painted, green {green:?}");
    desktop.paint("#204080")?;
    wait_for(&mut capturer, &mut frame, BLUE)?;
    if first {
        a_moved_window_changes_its_rows(desktop, &mut capturer, &mut frame)?;
    }
    Ok(())
}

/// A small window moved across the screen changes its own rows: the
/// desktop's damage says so (wlroots reports one box a picture), and the
/// capture reports those rows, not the whole screen, with the window in
/// its new place.
fn a_moved_window_changes_its_rows(
    desktop: &Desktop,
    capturer: &mut PortalCapturer,
    frame: &mut RgbaFrame,
) -> anyhow::Result<()> {
    let window = "[app_id=\"wev\"]";
    desktop.swaymsg(&[&format!("for_window {window} floating enable")])?;
    let mut wev = desktop
        .command("wev")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()?;
    let result = (|| {
        // Its first frame may repaint everything (a new window).
        next_rows(capturer, frame)?;
        desktop.swaymsg(&[window, "move absolute position 100 100"])?;
        // Until it has moved from the middle to the top left.
        while pixel(frame, 150, 150) == BLUE || pixel(frame, frame.width - 100, 360) != BLUE {
            next_rows(capturer, frame)?;
        }
        // The window's rows, as the picture shows them.
        let shown: Vec<u32> = (0..frame.height)
            .filter(|&y| pixel(frame, 150, y) != BLUE)
            .collect();
        let (top, bottom) = (shown[0], shown[shown.len() - 1] + 1);
        ensure!(bottom < frame.height, "the window ends above the bottom");
        desktop.swaymsg(&[window, "move absolute position 400 100"])?;
        let rows = next_rows(capturer, frame)?;
        ensure!(
            rows.first().is_some_and(|r| r.start + 2 >= top)
                && rows.last().is_some_and(|r| r.end <= bottom + 2),
            "the window's rows {top}..{bottom}, not the screen's: {rows:?}"
        );
        ensure!(pixel(frame, 150, 150) == BLUE, "the window left its place");
        ensure!(
            pixel(frame, 450, 150) != BLUE,
            "the window is in its new place"
        );
        Ok(())
    })();
    let _ = wev.kill();
    let _ = wev.wait();
    result
}

/// The next change's rows (a whole picture is every row).
fn next_rows(
    capturer: &mut PortalCapturer,
    frame: &mut RgbaFrame,
) -> anyhow::Result<Vec<std::ops::Range<u32>>> {
    let wakeup = Wakeup::new()?;
    let deadline = Instant::now() + CHANGE_WITHIN;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        ensure!(!left.is_zero(), "no change within {CHANGE_WITHIN:?}");
        if capturer.wait_for_change(0, Some(left), &wakeup)? != Change::Damaged {
            continue;
        }
        match capturer.capture_changes(0, frame)? {
            Captured::Rows(rows) if rows.is_empty() => {}
            Captured::Rows(rows) => return Ok(rows),
            Captured::Whole => return Ok(std::iter::once(0..frame.height).collect()),
        }
    }
}

/// The output changes size under a running cast: the pictures follow it.
/// The wlroots portal 0.7 sends the renegotiated stream's first frame only
/// at the next change on screen, so the screen changes as it waits.
fn resized(desktop: &mut Desktop, options: &CastOptions) -> anyhow::Result<()> {
    let mut capturer = PortalCapturer::new(options.clone());
    capturer.monitors()?;
    let mut frame = first_picture(desktop, &mut capturer, Some("#ff0000"))?;
    desktop.swaymsg(&["output", lifeline_e2e::wayland::OUTPUT, "mode", "1024x768"])?;
    let wakeup = Wakeup::new()?;
    let deadline = Instant::now() + CHANGE_WITHIN;
    let colours = ["#00c000", "#ff0000"];
    let mut round = 0;
    while (frame.width, frame.height) != (1024, 768) {
        desktop.paint(colours[round % 2])?;
        round += 1;
        ensure!(
            Instant::now() < deadline,
            "the pictures stayed {}×{}",
            frame.width,
            frame.height
        );
        if capturer.wait_for_change(0, Some(Duration::from_millis(500)), &wakeup)?
            == Change::Damaged
        {
            capturer.capture_changes(0, &mut frame)?;
        }
    }
    ensure!(
        frame.data.len() == 1024 * 768 * 4,
        "{} bytes",
        frame.data.len()
    );
    desktop.swaymsg(&[
        "output",
        lifeline_e2e::wayland::OUTPUT,
        "mode",
        &format!("{WIDTH}x{HEIGHT}"),
    ])?;
    Ok(())
}

fn stopped_from_the_desktop(desktop: &mut Desktop, options: &CastOptions) -> anyhow::Result<()> {
    let mut capturer = PortalCapturer::new(options.clone());
    capturer.monitors()?;
    let mut frame = first_picture(desktop, &mut capturer, Some("#ff0000"))?;
    desktop.stop_portal();
    let wakeup = Wakeup::new()?;
    let deadline = Instant::now() + CHANGE_WITHIN;
    loop {
        ensure!(
            Instant::now() < deadline,
            "the capture never heard that sharing stopped"
        );
        capturer.wait_for_change(0, Some(Duration::from_millis(500)), &wakeup)?;
        if let Err(error) = capturer.capture_changes(0, &mut frame) {
            let words = error.to_string();
            ensure!(
                words.contains("stopped sharing"),
                "the capture ended with {words:?}"
            );
            return Ok(());
        }
    }
}

/// With the portal failing (its backend gone), a capturer asks it once,
/// however often the pipeline retries, and a second capturer right after
/// (the monitor list) does not ask again: on GNOME or KDE each ask would be
/// a dialog. The portal's ScreenCast calls are counted with dbus-monitor.
fn failing_portal_asked_once(desktop: &Desktop, options: &CastOptions) -> anyhow::Result<()> {
    let log = desktop.path_of("dbus-monitor.log");
    let bus = desktop.var("DBUS_SESSION_BUS_ADDRESS");
    let mut monitor = std::process::Command::new("dbus-monitor")
        .args(["--address", bus])
        .arg("interface='org.freedesktop.portal.ScreenCast'")
        .arg("member='GetId'")
        .stdout(std::fs::File::create(&log)?)
        .spawn()?;
    let result = (|| {
        wait_for_log(&log, "NameAcquired")?;
        let mut capturer = PortalCapturer::new(options.clone());
        ensure!(capturer.capture(0).is_err(), "a capture without a portal");
        let mut frame = RgbaFrame::default();
        for _ in 0..3 {
            ensure!(capturer.capture_changes(0, &mut frame).is_err());
        }
        ensure!(PortalCapturer::new(options.clone()).monitors().is_err());
        // A call of our own after them: once it shows, so have they.
        let marker = std::process::Command::new("dbus-send")
            .arg(format!("--bus={bus}"))
            .args(["--dest=org.freedesktop.DBus", "/org/freedesktop/DBus"])
            .arg("org.freedesktop.DBus.GetId")
            .status()?;
        ensure!(marker.success());
        let seen = wait_for_log(&log, "member=GetId")?;
        let asked = seen.matches("member=CreateSession").count();
        ensure!(asked == 1, "the portal was asked {asked} times:\n{seen}");
        Ok(())
    })();
    let _ = monitor.kill();
    let _ = monitor.wait();
    result
}

fn wait_for_log(log: &std::path::Path, line: &str) -> anyhow::Result<String> {
    let deadline = Instant::now() + CHANGE_WITHIN;
    loop {
        let seen = std::fs::read_to_string(log).unwrap_or_default();
        if seen.contains(line) {
            return Ok(seen);
        }
        ensure!(Instant::now() < deadline, "no {line:?} in:\n{seen}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn the_portal_shares_the_screen_and_follows_it() {
    let mut desktop = Desktop::start(WIDTH, HEIGHT, "#204080").expect("the headless desktop");
    let dir = tempfile::tempdir().unwrap();
    let options = CastOptions {
        bus: Some(desktop.var("DBUS_SESSION_BUS_ADDRESS").to_owned()),
        token_file: Some(dir.path().join("token")),
    };
    let started = Instant::now();
    let lap = |what: &str| eprintln!("{what}: done at {:?}", started.elapsed());
    let result = (|| {
        share(&mut desktop, &options, true).context("the first share")?;
        lap("the first share");
        let token = std::fs::read_to_string(dir.path().join("token")).unwrap_or_default();
        ensure!(
            !token.trim().is_empty(),
            "the cast's restore token was kept"
        );
        share(&mut desktop, &options, false).context("a second share, with the kept token")?;
        lap("the second share");
        resized(&mut desktop, &options).context("the output resized")?;
        lap("the resize");
        stopped_from_the_desktop(&mut desktop, &options).context("sharing stopped")?;
        lap("the stop");
        failing_portal_asked_once(&desktop, &options).context("a failing portal")?;
        lap("the failing portal");
        Ok(())
    })();
    if let Err(error) = result {
        panic!("{error:#}\n{}", desktop.logs());
    }
}
