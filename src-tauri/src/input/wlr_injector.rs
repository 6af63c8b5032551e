//! Input on Wayland compositors built on wlroots (sway, Hyprland, river),
//! which offer no RemoteDesktop portal: the virtual pointer
//! (`zwlr_virtual_pointer_v1`) and virtual keyboard
//! (`zwp_virtual_keyboard_v1`) protocols, over a Wayland connection of
//! its own. Positions are on the whole desktop, as the expert's monitor
//! list gives them: the outputs' layout (from `xdg-output`) is the extent.

use std::io::Write;
use std::os::fd::AsFd;
use std::path::Path;
use std::time::Instant;

use wayland_client::globals::{GlobalListContents, registry_queue_init};
use wayland_client::protocol::wl_output::WlOutput;
use wayland_client::protocol::wl_pointer::{Axis, AxisSource, ButtonState};
use wayland_client::protocol::wl_registry::WlRegistry;
use wayland_client::protocol::wl_seat::WlSeat;
use wayland_client::{Connection, Dispatch, QueueHandle, delegate_noop};
use wayland_protocols::xdg::xdg_output::zv1::client::zxdg_output_manager_v1::ZxdgOutputManagerV1;
use wayland_protocols::xdg::xdg_output::zv1::client::zxdg_output_v1::{self, ZxdgOutputV1};
use wayland_protocols_misc::zwp_virtual_keyboard_v1::client::zwp_virtual_keyboard_manager_v1::ZwpVirtualKeyboardManagerV1;
use wayland_protocols_misc::zwp_virtual_keyboard_v1::client::zwp_virtual_keyboard_v1::ZwpVirtualKeyboardV1;
use wayland_protocols_wlr::virtual_pointer::v1::client::zwlr_virtual_pointer_manager_v1::ZwlrVirtualPointerManagerV1;
use wayland_protocols_wlr::virtual_pointer::v1::client::zwlr_virtual_pointer_v1::ZwlrVirtualPointerV1;

use super::event::MouseButton;
use super::injector::{InjectError, Injector};
use super::xkb_keys::{LEFT_SHIFT, Modifiers, XkbKeys};

/// Evdev's mouse buttons.
const BTN_LEFT: u32 = 0x110;
const BTN_RIGHT: u32 = 0x111;
const BTN_MIDDLE: u32 = 0x112;
/// What one wheel notch scrolls, in wl_pointer's units (as libinput says).
const NOTCH: f64 = 15.0;
/// `wl_keyboard.keymap_format.xkb_v1`.
const XKB_V1: u32 = 1;

/// Each output's place on the desktop, filled by `xdg-output` events.
#[derive(Debug, Default)]
struct Layout {
    outputs: Vec<(i32, i32, i32, i32)>,
}

impl Layout {
    /// The desktop's bounding box: left, top, width, height.
    fn extent(&self) -> Option<(i32, i32, i32, i32)> {
        let left = self.outputs.iter().map(|o| o.0).min()?;
        let top = self.outputs.iter().map(|o| o.1).min()?;
        let right = self.outputs.iter().map(|o| o.0 + o.2).max()?;
        let bottom = self.outputs.iter().map(|o| o.1 + o.3).max()?;
        (right > left && bottom > top).then_some((left, top, right - left, bottom - top))
    }
}

impl Dispatch<WlRegistry, GlobalListContents> for Layout {
    fn event(
        _: &mut Self,
        _: &WlRegistry,
        _: <WlRegistry as wayland_client::Proxy>::Event,
        _: &GlobalListContents,
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
    }
}

impl Dispatch<ZxdgOutputV1, usize> for Layout {
    fn event(
        layout: &mut Self,
        _: &ZxdgOutputV1,
        event: zxdg_output_v1::Event,
        index: &usize,
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        let Some(output) = layout.outputs.get_mut(*index) else {
            return;
        };
        match event {
            zxdg_output_v1::Event::LogicalPosition { x, y } => (output.0, output.1) = (x, y),
            zxdg_output_v1::Event::LogicalSize { width, height } => {
                (output.2, output.3) = (width, height)
            }
            _ => {}
        }
    }
}

delegate_noop!(Layout: ignore WlSeat);
delegate_noop!(Layout: ignore WlOutput);
delegate_noop!(Layout: ZxdgOutputManagerV1);
delegate_noop!(Layout: ZwlrVirtualPointerManagerV1);
delegate_noop!(Layout: ZwlrVirtualPointerV1);
delegate_noop!(Layout: ZwpVirtualKeyboardManagerV1);
delegate_noop!(Layout: ZwpVirtualKeyboardV1);

pub struct WlrInjector {
    connection: Connection,
    layout: Layout,
    pointer: ZwlrVirtualPointerV1,
    keyboard: ZwpVirtualKeyboardV1,
    keys: XkbKeys,
    started: Instant,
}

impl std::fmt::Debug for WlrInjector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WlrInjector")
            .field("layout", &self.layout)
            .finish_non_exhaustive()
    }
}

fn unavailable(what: impl std::fmt::Display) -> InjectError {
    InjectError::Unavailable(what.to_string())
}

fn failed(what: impl std::fmt::Display) -> InjectError {
    InjectError::Failed(what.to_string())
}

impl WlrInjector {
    /// On the session's compositor (`WAYLAND_DISPLAY`).
    pub fn boxed() -> Result<Box<dyn Injector>, InjectError> {
        let connection = Connection::connect_to_env().map_err(unavailable)?;
        Ok(Box::new(Self::on(connection)?))
    }

    /// On the compositor listening at `socket`.
    pub fn connect(socket: &Path) -> Result<Self, InjectError> {
        let stream = std::os::unix::net::UnixStream::connect(socket).map_err(unavailable)?;
        Self::on(Connection::from_socket(stream).map_err(unavailable)?)
    }

    fn on(connection: Connection) -> Result<Self, InjectError> {
        let (globals, mut queue) =
            registry_queue_init::<Layout>(&connection).map_err(unavailable)?;
        let qh = queue.handle();
        let missing = |what: &str| unavailable(format!("this compositor offers no {what}"));
        let seat: WlSeat = globals.bind(&qh, 1..=7, ()).map_err(|_| missing("seat"))?;
        let pointers: ZwlrVirtualPointerManagerV1 = globals
            .bind(&qh, 1..=2, ())
            .map_err(|_| missing("virtual pointer"))?;
        let keyboards: ZwpVirtualKeyboardManagerV1 = globals
            .bind(&qh, 1..=1, ())
            .map_err(|_| missing("virtual keyboard"))?;
        let xdg: ZxdgOutputManagerV1 = globals
            .bind(&qh, 2..=3, ())
            .map_err(|_| missing("xdg-output"))?;
        let mut layout = Layout::default();
        for global in globals.contents().clone_list() {
            if global.interface == "wl_output" {
                let output: WlOutput = globals.registry().bind(global.name, 1, &qh, ());
                xdg.get_xdg_output(&output, &qh, layout.outputs.len());
                layout.outputs.push((0, 0, 0, 0));
            }
        }
        let pointer = pointers.create_virtual_pointer(Some(&seat), &qh, ());
        let keyboard = keyboards.create_virtual_keyboard(&seat, &qh, ());
        let keys = XkbKeys::new().map_err(unavailable)?;
        upload_keymap(&keyboard, keys.keymap())?;
        queue.roundtrip(&mut layout).map_err(unavailable)?;
        layout
            .extent()
            .ok_or_else(|| unavailable("the compositor has no outputs"))?;
        Ok(Self {
            connection,
            layout,
            pointer,
            keyboard,
            keys,
            started: Instant::now(),
        })
    }

    fn time(&self) -> u32 {
        self.started.elapsed().as_millis() as u32
    }

    fn flush(&self) -> Result<(), InjectError> {
        self.connection.flush().map_err(failed)
    }

    fn send_key(&mut self, evdev: u16, down: bool) {
        let time = self.time();
        self.keyboard.key(time, u32::from(evdev), u32::from(down));
        if let Some(Modifiers { depressed, locked }) = self.keys.key(evdev, down) {
            self.keyboard.modifiers(depressed, 0, locked, 0);
        }
    }
}

/// The keymap goes to the compositor as a file: an unlinked one, in the
/// session's runtime directory when there is one.
fn upload_keymap(keyboard: &ZwpVirtualKeyboardV1, keymap: &str) -> Result<(), InjectError> {
    let dir = std::env::var_os("XDG_RUNTIME_DIR")
        .map(std::path::PathBuf::from)
        .filter(|dir| dir.is_dir())
        .unwrap_or_else(std::env::temp_dir);
    let path = dir.join(format!(
        "lifeline-keymap-{}-{}",
        std::process::id(),
        crate::clock::unix_ms()
    ));
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(&path)
        .map_err(unavailable)?;
    let _ = std::fs::remove_file(&path);
    file.write_all(keymap.as_bytes()).map_err(unavailable)?;
    file.write_all(&[0]).map_err(unavailable)?;
    let size = u32::try_from(keymap.len() + 1).map_err(unavailable)?;
    keyboard.keymap(XKB_V1, file.as_fd(), size);
    Ok(())
}

impl Injector for WlrInjector {
    fn pointer_to(&mut self, x: i32, y: i32) -> Result<(), InjectError> {
        let (left, top, width, height) = self
            .layout
            .extent()
            .ok_or_else(|| failed("the compositor has no outputs"))?;
        let x = (x - left).clamp(0, width - 1) as u32;
        let y = (y - top).clamp(0, height - 1) as u32;
        let time = self.time();
        self.pointer
            .motion_absolute(time, x, y, width as u32, height as u32);
        self.pointer.frame();
        self.flush()
    }

    fn button(&mut self, button: MouseButton, down: bool) -> Result<(), InjectError> {
        let button = match button {
            MouseButton::Left => BTN_LEFT,
            MouseButton::Middle => BTN_MIDDLE,
            MouseButton::Right => BTN_RIGHT,
        };
        let state = if down {
            ButtonState::Pressed
        } else {
            ButtonState::Released
        };
        let time = self.time();
        self.pointer.button(time, button, state);
        self.pointer.frame();
        self.flush()
    }

    fn wheel(&mut self, dx: i32, dy: i32) -> Result<(), InjectError> {
        let time = self.time();
        self.pointer.axis_source(AxisSource::Wheel);
        for (axis, notches) in [(Axis::VerticalScroll, dy), (Axis::HorizontalScroll, dx)] {
            if notches != 0 {
                self.pointer
                    .axis_discrete(time, axis, NOTCH * f64::from(notches), notches);
            }
        }
        self.pointer.frame();
        self.flush()
    }

    fn key(&mut self, evdev: u16, down: bool) -> Result<(), InjectError> {
        self.send_key(evdev, down);
        self.flush()
    }

    fn text(&mut self, text: &str) -> Result<(), InjectError> {
        for c in text.chars() {
            let (key, shift) = self.keys.locate(c).ok_or_else(|| {
                failed(format!("“{c}” cannot be typed with this keyboard layout"))
            })?;
            let held = self.keys.modifiers().depressed & 1 != 0;
            if shift && !held {
                self.send_key(LEFT_SHIFT, true);
            }
            self.send_key(key, true);
            self.send_key(key, false);
            if shift && !held {
                self.send_key(LEFT_SHIFT, false);
            }
        }
        self.flush()
    }
}

impl Drop for WlrInjector {
    fn drop(&mut self) {
        self.pointer.destroy();
        self.keyboard.destroy();
        let _ = self.connection.flush();
    }
}
