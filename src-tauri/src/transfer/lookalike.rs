//! Characters that make a received name look like something it is not:
//! look-alikes of the path separators, characters that show nothing at
//! all, and names made only of dot look-alikes (which read as `.` or `..`).
//! Pure and stateless; [`super::safe_path`] refuses what this finds, so the
//! name the client's file manager shows is the name that was written.
//!
//! General categories come from the `unicode-properties` crate (Unicode
//! 18.0.0 in the version in Cargo.lock); the short lists below are the
//! look-alikes no category captures.

use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

/// Characters that render as `/` or `\`, or draw one through the character
/// before them, though the file system sees an ordinary letter.
const SLASH_LIKE: &[char] = &[
    '\u{2044}',  // FRACTION SLASH
    '\u{2215}',  // DIVISION SLASH
    '\u{2216}',  // SET MINUS (a backslash)
    '\u{2571}',  // BOX DRAWINGS LIGHT DIAGONAL UPPER RIGHT TO LOWER LEFT
    '\u{2572}',  // BOX DRAWINGS LIGHT DIAGONAL UPPER LEFT TO LOWER RIGHT
    '\u{29F5}',  // REVERSE SOLIDUS OPERATOR
    '\u{29F6}',  // SOLIDUS WITH OVERBAR
    '\u{29F7}',  // REVERSE SOLIDUS WITH HORIZONTAL STROKE
    '\u{29F8}',  // BIG SOLIDUS
    '\u{29F9}',  // BIG REVERSE SOLIDUS
    '\u{FE68}',  // SMALL REVERSE SOLIDUS
    '\u{FF0F}',  // FULLWIDTH SOLIDUS
    '\u{FF3C}',  // FULLWIDTH REVERSE SOLIDUS
    '\u{1735}',  // PHILIPPINE SINGLE PUNCTUATION
    '\u{2F03}',  // KANGXI RADICAL SLASH
    '\u{31D3}',  // CJK STROKE SP
    '\u{0337}',  // COMBINING SHORT SOLIDUS OVERLAY
    '\u{0338}',  // COMBINING LONG SOLIDUS OVERLAY
    '\u{20E5}',  // COMBINING REVERSE SOLIDUS OVERLAY
    '\u{1D10D}', // MUSICAL SYMBOL DRUM CLEF-1 (a double slash)
];

/// Characters that render as a full stop (or two, or three). A name made
/// only of these and `.` reads as `.`, `..` or `...`.
const DOT_LIKE: &[char] = &[
    '\u{2024}',  // ONE DOT LEADER
    '\u{2025}',  // TWO DOT LEADER
    '\u{2026}',  // HORIZONTAL ELLIPSIS
    '\u{FE52}',  // SMALL FULL STOP
    '\u{FF0E}',  // FULLWIDTH FULL STOP
    '\u{FF61}',  // HALFWIDTH IDEOGRAPHIC FULL STOP
    '\u{00B7}',  // MIDDLE DOT
    '\u{0701}',  // SYRIAC SUPRALINEAR FULL STOP
    '\u{0702}',  // SYRIAC SUBLINEAR FULL STOP
    '\u{2219}',  // BULLET OPERATOR
    '\u{22C5}',  // DOT OPERATOR
    '\u{A60E}',  // VAI FULL STOP
    '\u{10A50}', // KHAROSHTHI PUNCTUATION DOT
    '\u{1D16D}', // MUSICAL SYMBOL COMBINING AUGMENTATION DOT
];

/// Characters that draw nothing outside the Cf category: the
/// Default_Ignorable_Code_Point ones of DerivedCoreProperties.txt (Unicode
/// 16.0) that are letters or marks, and the blank braille pattern.
const INVISIBLE_NOT_FORMAT: &[(char, char)] = &[
    ('\u{034F}', '\u{034F}'),   // COMBINING GRAPHEME JOINER
    ('\u{115F}', '\u{1160}'),   // HANGUL CHOSEONG / JUNGSEONG FILLER
    ('\u{17B4}', '\u{17B5}'),   // KHMER VOWEL INHERENT AQ / AA
    ('\u{180B}', '\u{180F}'),   // MONGOLIAN FREE VARIATION SELECTORS (and VS4)
    ('\u{2800}', '\u{2800}'),   // BRAILLE PATTERN BLANK (drawn as nothing)
    ('\u{3164}', '\u{3164}'),   // HANGUL FILLER
    ('\u{FE00}', '\u{FE0F}'),   // VARIATION SELECTORS 1-16
    ('\u{FFA0}', '\u{FFA0}'),   // HALFWIDTH HANGUL FILLER
    ('\u{E0100}', '\u{E01EF}'), // VARIATION SELECTORS 17-256
];

/// Renders as a slash or a backslash.
pub fn is_slash_like(c: char) -> bool {
    SLASH_LIKE.contains(&c)
}

/// Draws nothing, or breaks the line: Unicode's format characters (Cf:
/// zero-width space and joiners, soft hyphen, byte-order mark, invisible
/// operators, tags…), the line and paragraph separators, and the other
/// default-ignorable characters.
pub fn is_invisible(c: char) -> bool {
    matches!(
        c.general_category(),
        GeneralCategory::Format
            | GeneralCategory::LineSeparator
            | GeneralCategory::ParagraphSeparator
    ) || INVISIBLE_NOT_FORMAT
        .iter()
        .any(|&(first, last)| (first..=last).contains(&c))
}

/// The whole name is dots and dot look-alikes, with at least one
/// look-alike (plain `.`, `..` and `...` are refused elsewhere).
pub fn is_dots_only(name: &str) -> bool {
    !name.is_empty()
        && name.chars().all(|c| c == '.' || DOT_LIKE.contains(&c))
        && name.chars().any(|c| DOT_LIKE.contains(&c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slash_look_alikes_are_found_and_letters_are_not() {
        for c in [
            '\u{2044}', '\u{2215}', '\u{FF0F}', '\u{29F8}', '\u{FF3C}', '\u{2216}',
        ] {
            assert!(is_slash_like(c), "{c:?}");
        }
        for c in ['a', 'é', 'ノ', '/', '-', '|'] {
            assert!(!is_slash_like(c), "{c:?}");
        }
    }

    #[test]
    fn every_format_character_is_invisible() {
        for c in [
            '\u{00AD}',  // SOFT HYPHEN
            '\u{200B}',  // ZERO WIDTH SPACE
            '\u{200C}',  // ZERO WIDTH NON-JOINER
            '\u{200D}',  // ZERO WIDTH JOINER
            '\u{2060}',  // WORD JOINER
            '\u{2062}',  // INVISIBLE TIMES
            '\u{FEFF}',  // BYTE ORDER MARK
            '\u{061C}',  // ARABIC LETTER MARK
            '\u{180E}',  // MONGOLIAN VOWEL SEPARATOR
            '\u{E0041}', // TAG LATIN CAPITAL LETTER A
            '\u{2028}',  // LINE SEPARATOR
            '\u{2029}',  // PARAGRAPH SEPARATOR
            '\u{3164}',  // HANGUL FILLER
            '\u{FE0F}',  // VARIATION SELECTOR-16
        ] {
            assert!(is_invisible(c), "{c:?}");
        }
        for c in ['a', ' ', '日', 'é', '\u{301}', '🙂'] {
            assert!(!is_invisible(c), "{c:?}");
        }
    }

    #[test]
    fn names_of_dot_look_alikes_only() {
        for name in [
            "\u{2024}",
            "\u{2024}\u{2024}",
            ".\u{FF0E}",
            "\u{FE52}",
            "\u{2025}",
        ] {
            assert!(is_dots_only(name), "{name:?}");
        }
        for name in ["", ".", "..", "a\u{2024}b", "wait\u{2026}.txt", "x"] {
            assert!(!is_dots_only(name), "{name:?}");
        }
    }
}
