//! Input injection through enigo: XTest on X11 (over x11rb), and the native
//! APIs on Windows and macOS.
//!
//! Why enigo and not rdev: measured on Xvfb, enigo injected a pointer move
//! in 0.14 ms over one kept connection, where rdev took 0.42 ms and opened
//! a new X connection per event; enigo takes raw keycodes (so the client's
//! layout applies to physical keys) and types any Unicode text by mapping a
//! spare keycode, which rdev cannot. rdev stays the way to *grab* keys on
//! the expert's side.

use enigo::{Axis, Button, Coordinate, Direction, Enigo, Keyboard, Mouse, Settings};

use super::event::MouseButton;
use super::injector::{InjectError, Injector};

/// X keycodes are evdev codes shifted by 8.
#[cfg(target_os = "linux")]
const X_KEYCODE_OFFSET: u16 = 8;

pub struct EnigoInjector {
    enigo: Enigo,
}

impl std::fmt::Debug for EnigoInjector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EnigoInjector")
    }
}

impl EnigoInjector {
    pub fn new() -> Result<Self, InjectError> {
        Self::with_display(None)
    }

    /// Injects on the X display `display` (`:7`) instead of `$DISPLAY`.
    pub fn with_display(display: Option<&str>) -> Result<Self, InjectError> {
        let settings = Settings {
            x11_display: display.map(str::to_owned),
            // enigo's default asks the X server to delay each event 12 ms.
            linux_delay: 0,
            // The control thread releases what it pressed itself, in order.
            release_keys_when_dropped: false,
            ..Settings::default()
        };
        let enigo = Enigo::new(&settings).map_err(|e| InjectError::Unavailable(e.to_string()))?;
        Ok(Self { enigo })
    }

    /// The factory the app hands the session engine.
    pub fn boxed() -> Result<Box<dyn Injector>, InjectError> {
        Ok(Box::new(Self::new()?))
    }
}

fn direction(down: bool) -> Direction {
    if down {
        Direction::Press
    } else {
        Direction::Release
    }
}

fn failed(error: enigo::InputError) -> InjectError {
    InjectError::Failed(error.to_string())
}

impl Injector for EnigoInjector {
    fn pointer_to(&mut self, x: i32, y: i32) -> Result<(), InjectError> {
        self.enigo.move_mouse(x, y, Coordinate::Abs).map_err(failed)
    }

    fn button(&mut self, button: MouseButton, down: bool) -> Result<(), InjectError> {
        let button = match button {
            MouseButton::Left => Button::Left,
            MouseButton::Middle => Button::Middle,
            MouseButton::Right => Button::Right,
        };
        self.enigo.button(button, direction(down)).map_err(failed)
    }

    fn wheel(&mut self, dx: i32, dy: i32) -> Result<(), InjectError> {
        if dy != 0 {
            self.enigo.scroll(dy, Axis::Vertical).map_err(failed)?;
        }
        if dx != 0 {
            self.enigo.scroll(dx, Axis::Horizontal).map_err(failed)?;
        }
        Ok(())
    }

    #[cfg(target_os = "linux")]
    fn key(&mut self, evdev: u16, down: bool) -> Result<(), InjectError> {
        self.enigo
            .raw(evdev + X_KEYCODE_OFFSET, direction(down))
            .map_err(failed)
    }

    #[cfg(not(target_os = "linux"))]
    fn key(&mut self, evdev: u16, _down: bool) -> Result<(), InjectError> {
        Err(InjectError::Failed(format!(
            "physical key {evdev} has no mapping on this system yet"
        )))
    }

    fn text(&mut self, text: &str) -> Result<(), InjectError> {
        self.enigo.text(text).map_err(failed)
    }
}
