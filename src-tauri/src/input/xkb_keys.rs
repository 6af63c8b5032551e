//! The keyboard a Wayland virtual keyboard says it has: an XKB keymap in
//! text (the session's default layout; `XKB_DEFAULT_LAYOUT` and its
//! siblings choose another), where each character sits on it, and the
//! modifier state its keys imply. The compositor reads our evdev codes
//! through this keymap, and a virtual keyboard must send its modifier state
//! itself.

use std::collections::HashMap;

use xkbcommon::xkb;

/// Evdev codes of the modifier keys, and the real modifier each one sets
/// in an evdev keymap: Shift, Control, Mod1 (Alt), Mod4 (Super), Mod5
/// (AltGr).
const MODIFIER_KEYS: [(u16, u32); 9] = [
    (42, 1 << 0),  // Left Shift
    (54, 1 << 0),  // Right Shift
    (29, 1 << 2),  // Left Control
    (97, 1 << 2),  // Right Control
    (56, 1 << 3),  // Left Alt
    (125, 1 << 6), // Left Super
    (126, 1 << 6), // Right Super
    (100, 1 << 7), // AltGr
    (184, 1 << 7), // ISO Level 3 Shift
];
const CAPS_LOCK: u16 = 58;
const LOCK: u32 = 1 << 1;
/// X keycodes (what XKB numbers keys by) are evdev codes plus 8.
const XKB_OFFSET: u32 = 8;
pub const LEFT_SHIFT: u16 = 42;

/// The modifiers to tell the compositor: depressed and locked masks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Modifiers {
    pub depressed: u32,
    pub locked: u32,
}

#[derive(Debug)]
pub struct XkbKeys {
    keymap: String,
    /// Each character the keymap types: its key, and whether Shift is held.
    chars: HashMap<char, (u16, bool)>,
    down: Vec<u16>,
    caps_locked: bool,
}

impl XkbKeys {
    pub fn new() -> Result<Self, String> {
        let context = xkb::Context::new(xkb::CONTEXT_NO_FLAGS);
        let keymap = xkb::Keymap::new_from_names(
            &context,
            "",
            "",
            "",
            "",
            None,
            xkb::KEYMAP_COMPILE_NO_FLAGS,
        )
        .ok_or("no XKB keymap for this session's layout")?;
        let mut chars = HashMap::new();
        keymap.key_for_each(|keymap, key| {
            let Some(evdev) = key
                .raw()
                .checked_sub(XKB_OFFSET)
                .and_then(|k| u16::try_from(k).ok())
            else {
                return;
            };
            for (level, shift) in [(0, false), (1, true)] {
                for sym in keymap.key_get_syms_by_level(key, 0, level) {
                    if let Some(c) = sym.key_char() {
                        chars.entry(c).or_insert((evdev, shift));
                    }
                }
            }
        });
        Ok(Self {
            keymap: keymap.get_as_string(xkb::KEYMAP_FORMAT_TEXT_V1),
            chars,
            down: Vec::new(),
            caps_locked: false,
        })
    }

    /// The keymap in XKB's text format, for the compositor.
    pub fn keymap(&self) -> &str {
        &self.keymap
    }

    /// The key that types `c`, and whether it needs Shift.
    pub fn locate(&self, c: char) -> Option<(u16, bool)> {
        match c {
            '\n' => Some((28, false)), // Enter
            '\t' => Some((15, false)),
            _ => self.chars.get(&c).copied(),
        }
    }

    /// Notes `evdev` going down or up; the new modifier state if it
    /// changed.
    pub fn key(&mut self, evdev: u16, down: bool) -> Option<Modifiers> {
        let before = self.modifiers();
        if evdev == CAPS_LOCK && down && !self.down.contains(&evdev) {
            self.caps_locked = !self.caps_locked;
        }
        self.down.retain(|&k| k != evdev);
        if down {
            self.down.push(evdev);
        }
        let after = self.modifiers();
        (after != before).then_some(after)
    }

    pub fn modifiers(&self) -> Modifiers {
        let depressed = MODIFIER_KEYS
            .iter()
            .filter(|(key, _)| self.down.contains(key))
            .fold(0, |mask, (_, bit)| mask | bit);
        Modifiers {
            depressed,
            locked: if self.caps_locked { LOCK } else { 0 },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn characters_are_found_on_their_keys() {
        let keys = XkbKeys::new().unwrap();
        // The default layout is US unless the environment says otherwise.
        if std::env::var_os("XKB_DEFAULT_LAYOUT").is_none() {
            assert_eq!(keys.locate('a'), Some((30, false)));
            assert_eq!(keys.locate('A'), Some((30, true)));
            assert_eq!(keys.locate('!'), Some((2, true)));
            assert_eq!(keys.locate(' '), Some((57, false)));
        }
        assert_eq!(keys.locate('\n'), Some((28, false)));
        assert!(keys.keymap().starts_with("xkb_keymap"));
    }

    #[test]
    fn modifiers_follow_the_keys_held() {
        let mut keys = XkbKeys::new().unwrap();
        assert_eq!(keys.key(30, true), None, "a letter changes no modifier");
        let shifted = keys.key(LEFT_SHIFT, true).unwrap();
        assert_eq!(shifted.depressed, 1);
        let both = keys.key(29, true).unwrap();
        assert_eq!(both.depressed, 1 | 4);
        assert_eq!(keys.key(LEFT_SHIFT, false).unwrap().depressed, 4);
        assert_eq!(keys.key(CAPS_LOCK, true).unwrap().locked, LOCK);
        assert_eq!(keys.key(CAPS_LOCK, false), None);
        assert_eq!(
            keys.key(CAPS_LOCK, true).unwrap().locked,
            0,
            "pressed again, unlocked"
        );
    }
}
