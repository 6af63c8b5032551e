//! The screen on GNOME, through the real desktop portal (its GNOME
//! backend) and PipeWire: a headless mutter with a virtual monitor
//! (`lifeline_e2e::wayland::GnomeDesktop`), captured by the app's
//! `PortalCapturer`, the same code as on sway.
//!
//! The portal's dialog is skipped with a restore token the test writes in
//! the portal's permission store, as a first share the user allowed would
//! have left it. The capture lists the virtual monitor, its first picture
//! comes at the monitor's size, a window opened on the desktop (`wev`)
//! changes the picture, and a second share with the token kept after the
//! first works without the dialog too (a dialog would block it).

use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::ensure;
use lifeline_e2e::process::ChildGuard;
use lifeline_e2e::wayland::GnomeDesktop;
use lifeline_lib::media::capture::{Captured, Capturer, Change};
use lifeline_lib::media::portal::{CastOptions, PortalCapturer};
use lifeline_lib::media::wake::Wakeup;

const WIDTH: u32 = 1280;
const HEIGHT: u32 = 720;
const CHANGE_WITHIN: Duration = Duration::from_secs(10);

#[test]
fn gnome_shares_the_screen_through_its_portal() {
    let desktop = GnomeDesktop::start(WIDTH, HEIGHT).expect("a headless GNOME desktop");
    let result = share(&desktop).and_then(|()| share_again(&desktop));
    if let Err(error) = result {
        panic!("{error:#}\n{}", desktop.logs());
    }
}

fn share(desktop: &GnomeDesktop) -> anyhow::Result<()> {
    desktop.known_screen_cast(&desktop.path_of("screen-cast-token"))?;
    let mut capturer = PortalCapturer::new(options(desktop));
    let monitors = capturer.monitors()?;
    ensure!(monitors.len() == 1, "one virtual monitor: {monitors:?}");
    ensure!(
        (monitors[0].width, monitors[0].height) == (WIDTH, HEIGHT),
        "the monitor's size: {monitors:?}"
    );
    let mut frame = capturer.capture(0)?;
    ensure!((frame.width, frame.height) == (WIDTH, HEIGHT), "{frame:?}");
    let first = frame.data.clone();

    let mut wev = desktop.command("wev");
    wev.stdout(Stdio::null()).stderr(Stdio::null());
    let _wev = ChildGuard::spawn("wev", wev)?;
    let wakeup = Wakeup::new()?;
    let started = Instant::now();
    let rows = loop {
        let left = CHANGE_WITHIN.saturating_sub(started.elapsed());
        ensure!(!left.is_zero(), "the picture did not change with a window");
        if capturer.wait_for_change(0, Some(left), &wakeup)? != Change::Damaged {
            continue;
        }
        match capturer.capture_changes(0, &mut frame)? {
            Captured::Rows(rows) if rows.is_empty() => {}
            Captured::Rows(rows) if frame.data != first => break rows,
            Captured::Whole if frame.data != first => break std::iter::once(0..HEIGHT).collect(),
            _ => {}
        }
    };
    eprintln!(
        "the window changed rows {rows:?} after {:?}",
        started.elapsed()
    );
    Ok(())
}

fn options(desktop: &GnomeDesktop) -> CastOptions {
    CastOptions {
        bus: Some(desktop.var("DBUS_SESSION_BUS_ADDRESS").to_owned()),
        token_file: Some(desktop.path_of("screen-cast-token")),
    }
}

/// A second share, with the token the first one kept.
fn share_again(desktop: &GnomeDesktop) -> anyhow::Result<()> {
    let (tx, rx) = std::sync::mpsc::channel();
    let options = options(desktop);
    std::thread::spawn(move || {
        let _ = tx.send(PortalCapturer::new(options).capture(0));
    });
    let frame = rx
        .recv_timeout(CHANGE_WITHIN)
        .map_err(|_| anyhow::anyhow!("the second share waited: the portal asked again"))??;
    ensure!((frame.width, frame.height) == (WIDTH, HEIGHT), "{frame:?}");
    Ok(())
}
