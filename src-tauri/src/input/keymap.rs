//! Physical keys: the expert's browser reports each key by its DOM `code`
//! (`KeyA`, `Digit1`, `ShiftLeft`…), which names a position on the keyboard,
//! not a character. We map it to the Linux evdev code of that position, so the
//! *client's* keyboard layout decides which character it types — an expert
//! on QWERTY pressing the key labelled Z types "y" on a German client, exactly
//! as if the client had pressed it. X11 keycodes are evdev codes + 8.

/// DOM `code` → evdev code, in evdev order (see the kernel's
/// `input-event-codes.h`). Keys not listed are not injected.
const EVDEV_CODES: &[(&str, u16)] = &[
    // The main block, row by row: Escape, digits, letters, punctuation.
    ("Escape", 1),
    ("Digit1", 2),
    ("Digit2", 3),
    ("Digit3", 4),
    ("Digit4", 5),
    ("Digit5", 6),
    ("Digit6", 7),
    ("Digit7", 8),
    ("Digit8", 9),
    ("Digit9", 10),
    ("Digit0", 11),
    ("Minus", 12),
    ("Equal", 13),
    ("Backspace", 14),
    ("Tab", 15),
    ("KeyQ", 16),
    ("KeyW", 17),
    ("KeyE", 18),
    ("KeyR", 19),
    ("KeyT", 20),
    ("KeyY", 21),
    ("KeyU", 22),
    ("KeyI", 23),
    ("KeyO", 24),
    ("KeyP", 25),
    ("BracketLeft", 26),
    ("BracketRight", 27),
    ("Enter", 28),
    ("ControlLeft", 29),
    ("KeyA", 30),
    ("KeyS", 31),
    ("KeyD", 32),
    ("KeyF", 33),
    ("KeyG", 34),
    ("KeyH", 35),
    ("KeyJ", 36),
    ("KeyK", 37),
    ("KeyL", 38),
    ("Semicolon", 39),
    ("Quote", 40),
    ("Backquote", 41),
    ("ShiftLeft", 42),
    ("Backslash", 43),
    ("KeyZ", 44),
    ("KeyX", 45),
    ("KeyC", 46),
    ("KeyV", 47),
    ("KeyB", 48),
    ("KeyN", 49),
    ("KeyM", 50),
    ("Comma", 51),
    ("Period", 52),
    ("Slash", 53),
    ("ShiftRight", 54),
    // The space bar row, F1–F10 and the numeric keypad.
    ("NumpadMultiply", 55),
    ("AltLeft", 56),
    ("Space", 57),
    ("CapsLock", 58),
    ("F1", 59),
    ("F2", 60),
    ("F3", 61),
    ("F4", 62),
    ("F5", 63),
    ("F6", 64),
    ("F7", 65),
    ("F8", 66),
    ("F9", 67),
    ("F10", 68),
    ("NumLock", 69),
    ("ScrollLock", 70),
    ("Numpad7", 71),
    ("Numpad8", 72),
    ("Numpad9", 73),
    ("NumpadSubtract", 74),
    ("Numpad4", 75),
    ("Numpad5", 76),
    ("Numpad6", 77),
    ("NumpadAdd", 78),
    ("Numpad1", 79),
    ("Numpad2", 80),
    ("Numpad3", 81),
    ("Numpad0", 82),
    ("NumpadDecimal", 83),
    // Beyond the 83-key board: F11, F12, right-hand modifiers, arrows,
    // the editing block and a few keypad and international keys.
    ("IntlBackslash", 86),
    ("F11", 87),
    ("F12", 88),
    ("IntlRo", 89),
    ("NumpadEnter", 96),
    ("ControlRight", 97),
    ("NumpadDivide", 98),
    ("PrintScreen", 99),
    ("AltRight", 100),
    ("Home", 102),
    ("ArrowUp", 103),
    ("PageUp", 104),
    ("ArrowLeft", 105),
    ("ArrowRight", 106),
    ("End", 107),
    ("ArrowDown", 108),
    ("PageDown", 109),
    ("Insert", 110),
    ("Delete", 111),
    // Volume keys, Pause, Meta, the menu key and a few more.
    ("AudioVolumeMute", 113),
    ("AudioVolumeDown", 114),
    ("AudioVolumeUp", 115),
    ("NumpadEqual", 117),
    ("Pause", 119),
    ("NumpadComma", 121),
    ("IntlYen", 124),
    ("MetaLeft", 125),
    ("MetaRight", 126),
    ("ContextMenu", 127),
    // F13–F24.
    ("F13", 183),
    ("F14", 184),
    ("F15", 185),
    ("F16", 186),
    ("F17", 187),
    ("F18", 188),
    ("F19", 189),
    ("F20", 190),
    ("F21", 191),
    ("F22", 192),
    ("F23", 193),
    ("F24", 194),
];

/// The evdev code for a DOM `code`, or `None` for keys we do not inject.
pub fn evdev_code(dom_code: &str) -> Option<u16> {
    EVDEV_CODES
        .iter()
        .find(|&&(dom, _)| dom == dom_code)
        .map(|&(_, code)| code)
}

/// The X11 keycode (evdev + 8) for a DOM `code`.
pub fn x11_keycode(dom_code: &str) -> Option<u8> {
    evdev_code(dom_code).and_then(|c| u8::try_from(c + 8).ok())
}

/// Modifier keys, which must be released when control ends.
pub fn is_modifier(dom_code: &str) -> bool {
    matches!(
        dom_code,
        "ShiftLeft"
            | "ShiftRight"
            | "ControlLeft"
            | "ControlRight"
            | "AltLeft"
            | "AltRight"
            | "MetaLeft"
            | "MetaRight"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters_digits_and_modifiers_map_to_x11_keycodes() {
        // Values from `xmodmap -pk` on a standard evdev X server.
        assert_eq!(x11_keycode("KeyA"), Some(38));
        assert_eq!(x11_keycode("KeyQ"), Some(24));
        assert_eq!(x11_keycode("KeyZ"), Some(52));
        assert_eq!(x11_keycode("Digit1"), Some(10));
        assert_eq!(x11_keycode("Enter"), Some(36));
        assert_eq!(x11_keycode("ShiftLeft"), Some(50));
        assert_eq!(x11_keycode("ControlLeft"), Some(37));
        assert_eq!(x11_keycode("AltLeft"), Some(64));
        assert_eq!(x11_keycode("MetaLeft"), Some(133));
        assert_eq!(x11_keycode("Delete"), Some(119));
        assert_eq!(x11_keycode("PrintScreen"), Some(107));
        assert_eq!(x11_keycode("F24"), Some(202));
    }

    #[test]
    fn unknown_codes_are_not_injected() {
        assert_eq!(evdev_code("Unidentified"), None);
        assert_eq!(evdev_code("keya"), None, "codes are case-sensitive");
        assert_eq!(evdev_code(""), None);
    }

    #[test]
    fn every_code_is_unique() {
        let all = [
            "Escape",
            "Digit1",
            "Digit0",
            "KeyA",
            "KeyZ",
            "Enter",
            "Space",
            "ShiftLeft",
            "ShiftRight",
            "ControlLeft",
            "ControlRight",
            "AltLeft",
            "AltRight",
            "MetaLeft",
            "MetaRight",
            "ArrowUp",
            "ArrowDown",
            "ArrowLeft",
            "ArrowRight",
            "F1",
            "F12",
            "Numpad0",
            "NumpadEnter",
            "IntlBackslash",
            "ContextMenu",
            "PrintScreen",
        ];
        let mut codes: Vec<u16> = all.iter().map(|c| evdev_code(c).unwrap()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), all.len());
    }

    #[test]
    fn the_table_names_each_key_and_each_code_once() {
        let mut doms: Vec<&str> = EVDEV_CODES.iter().map(|&(dom, _)| dom).collect();
        let mut codes: Vec<u16> = EVDEV_CODES.iter().map(|&(_, code)| code).collect();
        doms.sort_unstable();
        doms.dedup();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(doms.len(), EVDEV_CODES.len(), "a DOM code listed twice");
        assert_eq!(codes.len(), EVDEV_CODES.len(), "an evdev code listed twice");
    }

    #[test]
    fn modifiers_are_known() {
        assert!(is_modifier("AltRight"));
        assert!(!is_modifier("KeyA"));
        assert!(evdev_code("AltRight").is_some());
    }
}
