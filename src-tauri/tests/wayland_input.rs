//! The expert's input on a Wayland desktop, through the app's
//! `WlrInjector` (the virtual pointer and keyboard protocols) into a real
//! headless sway (`lifeline_e2e::wayland`), checked by a real Wayland
//! client: `wev`, which prints every event its window receives.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::ensure;
use lifeline_e2e::wayland::Desktop;
use lifeline_lib::input::event::MouseButton;
use lifeline_lib::input::injector::Injector;
use lifeline_lib::input::wlr_injector::WlrInjector;

const SEEN_WITHIN: Duration = Duration::from_secs(5);

/// Waits for `wev`'s log to hold every one of `lines`.
fn wait_for(log: &Path, lines: &[&str]) -> anyhow::Result<String> {
    let deadline = Instant::now() + SEEN_WITHIN;
    loop {
        let seen = std::fs::read_to_string(log).unwrap_or_default();
        if lines.iter().all(|line| seen.contains(line)) {
            return Ok(seen);
        }
        ensure!(
            Instant::now() < deadline,
            "wev did not see {lines:?}; it logged:\n{seen}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn inject(desktop: &Desktop, log: &Path) -> anyhow::Result<()> {
    let mut injector = WlrInjector::connect(Path::new(desktop.var("WAYLAND_DISPLAY")))?;
    // The seat gains a pointer and a keyboard with the injector's virtual
    // devices; wev takes them up, and its window gets both.
    wait_for(
        log,
        &[
            "capabilities: pointer keyboard",
            "wl_pointer] enter",
            "wl_keyboard] enter",
        ],
    )?;
    // wev's window fills the output: a click anywhere lands in it.
    injector.pointer_to(640, 360)?;
    injector.button(MouseButton::Left, true)?;
    injector.button(MouseButton::Left, false)?;
    wait_for(
        log,
        &[
            "button: 272 (left), state: 1 (pressed)",
            "state: 0 (released)",
        ],
    )?;
    injector.wheel(0, 1)?;
    wait_for(log, &["axis: 0 (vertical), value: 15.000000"])?;
    injector.key(30, true)?;
    injector.key(30, false)?;
    wait_for(log, &["sym: a "])?;
    injector.text("Hi!")?;
    wait_for(log, &["sym: H ", "sym: i ", "sym: exclam "])?;
    let error = injector.text("漢").err();
    ensure!(error.is_some(), "a character the layout lacks is refused");
    Ok(())
}

#[test]
fn the_virtual_pointer_and_keyboard_reach_a_window() {
    let desktop = Desktop::start(1280, 720, "#204080").expect("the headless desktop");
    let (_wev, log) = desktop.wev().expect("wev");
    // Mapped and focused: the configure that says so.
    let result = wait_for(&log, &["activated"]).and_then(|_| inject(&desktop, &log));
    if let Err(error) = result {
        panic!("{error:#}\n{}", desktop.logs());
    }
}
