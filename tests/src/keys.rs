//! Key presses as X clients see them, for the keyboard tests: a window
//! that has the keyboard focus and counts what it is sent (like `xev`), and
//! a passive grab of one shortcut on the root window, which is how a
//! window manager takes Alt+Tab.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use xcb::x;

/// X's keysym for Tab.
pub const TAB: u32 = 0xff09;

/// One key press: the key's first keysym and the modifier state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Press {
    pub keysym: u32,
    pub alt: bool,
}

/// Counts the key presses an X client receives, on its own thread.
pub struct KeyWatcher {
    presses: Arc<Mutex<Vec<Press>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl KeyWatcher {
    /// A window on `display` that takes the keyboard focus and records
    /// every key pressed in it.
    pub fn focused_window(display: &str) -> anyhow::Result<Self> {
        let (conn, root, keysyms) = connect(display)?;
        let window: x::Window = conn.generate_id();
        conn.send_and_check_request(&x::CreateWindow {
            depth: x::COPY_FROM_PARENT as u8,
            wid: window,
            parent: root,
            x: 0,
            y: 0,
            width: 200,
            height: 100,
            border_width: 0,
            class: x::WindowClass::InputOutput,
            visual: x::COPY_FROM_PARENT,
            value_list: &[x::Cw::EventMask(x::EventMask::KEY_PRESS)],
        })?;
        conn.send_and_check_request(&x::MapWindow { window })?;
        // Focus can be set only once the window is viewable.
        let mut focused = false;
        for _ in 0..50 {
            let set = conn.send_and_check_request(&x::SetInputFocus {
                revert_to: x::InputFocus::PointerRoot,
                focus: window,
                time: x::CURRENT_TIME,
            });
            if set.is_ok() {
                focused = true;
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        anyhow::ensure!(focused, "the key watcher's window never took the focus");
        Ok(Self::watch(conn, keysyms))
    }

    /// A passive grab of `keysym` with Alt on `display`'s root window, as
    /// a window manager holds Alt+Tab: it records each time it fires.
    pub fn root_grab(display: &str, keysym: u32) -> anyhow::Result<Self> {
        let (conn, root, keysyms) = connect(display)?;
        let keycode = keysyms
            .iter()
            .find(|(_, sym)| *sym == keysym)
            .map(|(code, _)| *code)
            .ok_or_else(|| anyhow::anyhow!("no key on {display} makes keysym {keysym:#x}"))?;
        conn.send_and_check_request(&x::GrabKey {
            owner_events: false,
            grab_window: root,
            modifiers: x::ModMask::N1,
            key: keycode,
            pointer_mode: x::GrabMode::Async,
            keyboard_mode: x::GrabMode::Async,
        })?;
        Ok(Self::watch(conn, keysyms))
    }

    fn watch(conn: xcb::Connection, keysyms: KeyMap) -> Self {
        let presses = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = std::thread::spawn({
            let (presses, stop) = (Arc::clone(&presses), Arc::clone(&stop));
            move || {
                while !stop.load(Ordering::Relaxed) {
                    match conn.poll_for_event() {
                        Ok(Some(xcb::Event::X(x::Event::KeyPress(event)))) => {
                            let keysym = keysyms
                                .iter()
                                .find(|(code, _)| *code == event.detail())
                                .map_or(0, |(_, sym)| *sym);
                            presses
                                .lock()
                                .unwrap_or_else(|p| p.into_inner())
                                .push(Press {
                                    keysym,
                                    alt: event.state().contains(x::KeyButMask::MOD1),
                                });
                        }
                        Ok(Some(_)) => {}
                        Ok(None) => std::thread::sleep(Duration::from_millis(5)),
                        Err(_) => return,
                    }
                }
            }
        });
        Self {
            presses,
            stop,
            thread: Some(thread),
        }
    }

    /// The presses recorded so far.
    pub fn presses(&self) -> Vec<Press> {
        self.presses
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// How many presses of `keysym` with Alt held were recorded.
    pub fn alt_presses(&self, keysym: u32) -> usize {
        self.presses()
            .iter()
            .filter(|p| p.keysym == keysym && p.alt)
            .count()
    }
}

impl Drop for KeyWatcher {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Each keycode with its first keysym.
type KeyMap = Vec<(u8, u32)>;

/// Connects to `display` and reads its keyboard map.
fn connect(display: &str) -> anyhow::Result<(xcb::Connection, x::Window, KeyMap)> {
    let (conn, screen) = xcb::Connection::connect(Some(display))?;
    let setup = conn.get_setup();
    let root = setup
        .roots()
        .nth(usize::try_from(screen).unwrap_or(0))
        .ok_or_else(|| anyhow::anyhow!("{display} has no such screen"))?
        .root();
    let (first, last) = (setup.min_keycode(), setup.max_keycode());
    let map = conn.wait_for_reply(conn.send_request(&x::GetKeyboardMapping {
        first_keycode: first,
        count: last - first + 1,
    }))?;
    let per = usize::from(map.keysyms_per_keycode()).max(1);
    let keysyms = map
        .keysyms()
        .chunks(per)
        .zip(first..=last)
        .filter_map(|(syms, code)| syms.first().map(|sym| (code, *sym)))
        .filter(|(_, sym)| *sym != 0)
        .collect();
    Ok((conn, root, keysyms))
}
