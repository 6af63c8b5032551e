//! The MIT-SHM + DAMAGE capturer against a real X server (its own
//! `Xvfb -noreset`): a change is reported, and capturing it gives the new
//! pixels, fetching only the damaged rows, and damage that repaints the
//! same pixels is no change; a still screen reports nothing
//! and costs no capture, which the capturer's own counter shows once a
//! later change has been seen.
//!
//! The capturer and xcap find the X server through `$DISPLAY`, so each
//! test runs its body in a child process (this test binary again, with
//! `DISPLAY` and `LIFELINE_SHM_TEST` set).

use std::io::Read;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use lifeline_lib::media::capture::{Captured, Capturer, Change};
use lifeline_lib::media::capture_shm::ShmCapturer;
use lifeline_lib::media::frame::{PixelOrder, RgbaFrame};
use lifeline_lib::media::wake::Wakeup;
use xcb::x;

const WIDTH: u32 = 320;
const HEIGHT: u32 = 240;
const WAIT: Option<Duration> = Some(Duration::from_secs(10));

/// An X server killed when dropped.
struct Xvfb(Child);

impl Drop for Xvfb {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_xvfb() -> (Xvfb, String) {
    let mut child = Command::new("Xvfb")
        .args(["-displayfd", "1", "-noreset", "-nolisten", "tcp"])
        .args(["-screen", "0", &format!("{WIDTH}x{HEIGHT}x24")])
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
    (Xvfb(child), format!(":{}", number.trim()))
}

/// Runs test `name` again in a child process on its own X server.
fn in_child_on_xvfb(name: &str) {
    let (_xvfb, display) = start_xvfb();
    let status = Command::new(std::env::current_exe().expect("the test's own path"))
        .args(["--exact", name, "--nocapture", "--test-threads", "1"])
        .env("DISPLAY", &display)
        .env("LIFELINE_SHM_TEST", "1")
        .status()
        .expect("cannot re-run the test binary");
    assert!(status.success(), "{name} failed on {display}");
}

fn is_child() -> bool {
    std::env::var_os("LIFELINE_SHM_TEST").is_some()
}

fn xsetroot(colour: &str) {
    let ok = Command::new("xsetroot")
        .args(["-solid", colour])
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "xsetroot -solid {colour}");
}

/// The BGRX pixel at (`x`, `y`).
fn pixel(frame: &RgbaFrame, x: u32, y: u32) -> [u8; 3] {
    let at = ((y * frame.width + x) * 4) as usize;
    [frame.data[at], frame.data[at + 1], frame.data[at + 2]]
}

fn wait(capturer: &mut ShmCapturer, wakeup: &Wakeup) -> Change {
    capturer.wait_for_change(0, WAIT, wakeup).unwrap()
}

#[test]
fn a_change_is_captured_with_its_pixels_and_only_its_rows() {
    if !is_child() {
        return in_child_on_xvfb("a_change_is_captured_with_its_pixels_and_only_its_rows");
    }
    xsetroot("#204080");
    let mut capturer = ShmCapturer::connect().expect("Xvfb has MIT-SHM and DAMAGE");
    let wakeup = Wakeup::new().unwrap();
    let mut frame = RgbaFrame::default();
    // The first capture is the whole monitor.
    assert_eq!(wait(&mut capturer, &wakeup), Change::Damaged);
    assert_eq!(
        capturer.capture_changes(0, &mut frame).unwrap(),
        Captured::Whole
    );
    assert_eq!((frame.width, frame.height), (WIDTH, HEIGHT));
    assert_eq!(frame.order, PixelOrder::Bgrx);
    assert_eq!(pixel(&frame, 5, 5), [0x80, 0x40, 0x20]);

    // The whole root changes colour.
    xsetroot("#ff8000");
    assert_eq!(wait(&mut capturer, &wakeup), Change::Damaged);
    capturer.capture_changes(0, &mut frame).unwrap();
    assert_eq!(pixel(&frame, 5, 5), [0x00, 0x80, 0xff]);
    assert_eq!(pixel(&frame, WIDTH - 1, HEIGHT - 1), [0x00, 0x80, 0xff]);

    // A small green window appears at (40, 31), 20×10: only its rows
    // (widened to even ones) are fetched, and they hold it.
    let (conn, screen) = xcb::Connection::connect(None).unwrap();
    let root = conn
        .get_setup()
        .roots()
        .nth(screen as usize)
        .unwrap()
        .root();
    let window: x::Window = conn.generate_id();
    conn.send_and_check_request(&x::CreateWindow {
        depth: x::COPY_FROM_PARENT as u8,
        wid: window,
        parent: root,
        x: 40,
        y: 31,
        width: 20,
        height: 10,
        border_width: 0,
        class: x::WindowClass::InputOutput,
        visual: x::COPY_FROM_PARENT,
        value_list: &[x::Cw::BackPixel(0x00_ff_00), x::Cw::OverrideRedirect(true)],
    })
    .unwrap();
    conn.send_and_check_request(&x::MapWindow { window })
        .unwrap();
    assert_eq!(wait(&mut capturer, &wakeup), Change::Damaged);
    let captured = capturer.capture_changes(0, &mut frame).unwrap();
    let Captured::Rows(rows) = captured else {
        panic!("a small window is not the whole screen: {captured:?}");
    };
    assert!(
        !rows.is_empty() && rows.iter().all(|r| r.start >= 30 && r.end <= 42),
        "rows {rows:?} for a window on rows 31..41"
    );
    assert_eq!(pixel(&frame, 45, 35), [0x00, 0xff, 0x00]);
    assert_eq!(pixel(&frame, 45, 29), [0x00, 0x80, 0xff]);
    assert_eq!(pixel(&frame, 30, 35), [0x00, 0x80, 0xff]);

    // The window repaints its background, the same green: damage, a fetch,
    // and no changed rows.
    let fetched = capturer.captures();
    conn.send_and_check_request(&x::ClearArea {
        exposures: false,
        window,
        x: 0,
        y: 0,
        width: 0,
        height: 0,
    })
    .unwrap();
    assert_eq!(wait(&mut capturer, &wakeup), Change::Damaged);
    assert_eq!(
        capturer.capture_changes(0, &mut frame).unwrap(),
        Captured::Rows(Vec::new()),
        "pixels repainted alike are no change"
    );
    assert_eq!(capturer.captures(), fetched + 1);

    // The whole root repainted alike (a large area, as a webview repaints
    // its window): no changed rows either.
    xsetroot("#ff8000");
    assert_eq!(wait(&mut capturer, &wakeup), Change::Damaged);
    assert_eq!(
        capturer.capture_changes(0, &mut frame).unwrap(),
        Captured::Rows(Vec::new()),
        "a whole screen repainted alike is no change"
    );
}

#[test]
fn a_still_screen_reports_nothing_and_costs_no_capture() {
    if !is_child() {
        return in_child_on_xvfb("a_still_screen_reports_nothing_and_costs_no_capture");
    }
    xsetroot("#102030");
    let mut capturer = ShmCapturer::connect().expect("Xvfb has MIT-SHM and DAMAGE");
    let wakeup = Wakeup::new().unwrap();
    let mut frame = RgbaFrame::default();
    capturer.capture_changes(0, &mut frame).unwrap();
    let after_first = capturer.captures();
    assert_eq!(after_first, 1);

    // A still second: nothing reported, and asking to capture fetches
    // nothing from the server.
    let still = capturer
        .wait_for_change(0, Some(Duration::from_secs(1)), &wakeup)
        .unwrap();
    assert_eq!(still, Change::Nothing);
    assert_eq!(
        capturer.capture_changes(0, &mut frame).unwrap(),
        Captured::Rows(Vec::new())
    );
    // A wake-up ends a wait without a change.
    wakeup.waker().wake();
    assert_eq!(wait(&mut capturer, &wakeup), Change::Nothing);

    // Then a change is seen and captured: the counter moved by exactly one
    // over the whole still window.
    xsetroot("#405060");
    assert_eq!(wait(&mut capturer, &wakeup), Change::Damaged);
    capturer.capture_changes(0, &mut frame).unwrap();
    assert_eq!(pixel(&frame, 1, 1), [0x60, 0x50, 0x40]);
    assert_eq!(capturer.captures(), after_first + 1);
}
