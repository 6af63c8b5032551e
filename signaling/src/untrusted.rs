//! Text from the network, made safe to write into a log or the audit log.
//!
//! A user name or an ID typed by a stranger is written escaped and cut
//! short: a newline cannot start a forged log line, a terminal escape
//! cannot repaint an operator's screen, a bidi override cannot reorder
//! what is read, and a 60 KB name cannot fill the disk.

use std::fmt;

/// The most characters (escapes included) of one untrusted value a log
/// line shows; a longer one ends in "…".
pub const MAX_LOGGED_CHARS: usize = 64;

/// Displays `self.0` escaped and truncated (see the module's docs).
#[derive(Debug, Clone, Copy)]
pub struct Untrusted<'a>(pub &'a str);

impl fmt::Display for Untrusted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut shown = 0;
        for c in self.0.chars() {
            let piece = if c == '\\' {
                "\\\\".to_owned()
            } else if needs_escape(c) {
                format!("\\u{{{:x}}}", u32::from(c))
            } else {
                c.to_string()
            };
            let len = piece.chars().count();
            if shown + len > MAX_LOGGED_CHARS {
                return f.write_str("…");
            }
            f.write_str(&piece)?;
            shown += len;
        }
        Ok(())
    }
}

/// Characters that move the cursor, end a line or change how the rest of
/// the line reads: controls, bidi controls, invisible format characters
/// and separators.
fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{00ad}'
            | '\u{061c}'
            | '\u{180e}'
            | '\u{200b}'..='\u{200f}'
            | '\u{2028}'..='\u{202e}'
            | '\u{2060}'..='\u{206f}'
            | '\u{feff}'
            | '\u{fff9}'..='\u{fffb}'
        )
}

/// An owned, escaped and truncated copy, for storing.
pub fn clean(text: &str) -> String {
    Untrusted(text).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_breaks_escapes_and_bidi_are_shown_not_obeyed() {
        assert_eq!(
            clean("ann\nINFO expert signed in"),
            "ann\\u{a}INFO expert signed in"
        );
        assert_eq!(clean("\u{1b}[2Jx"), "\\u{1b}[2Jx");
        assert_eq!(clean("evil\u{202e}gpj"), "evil\\u{202e}gpj");
        assert_eq!(
            clean("a\\u{a}"),
            "a\\\\u{a}",
            "a backslash cannot fake an escape"
        );
        assert_eq!(clean("Zoë"), "Zoë");
    }

    #[test]
    fn long_values_are_cut_short() {
        let long = "x".repeat(60_000);
        let shown = clean(&long);
        assert_eq!(shown.chars().count(), MAX_LOGGED_CHARS + 1);
        assert!(shown.ends_with('…'));
        let escapes = clean(&"\n".repeat(100));
        assert!(escapes.chars().count() <= MAX_LOGGED_CHARS + 1, "{escapes}");
    }
}
