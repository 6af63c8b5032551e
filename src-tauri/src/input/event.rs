//! What travels on the `input` data channel, expert → client. Pointer
//! positions are fractions of the shared monitor (0.0 top-left, 1.0
//! bottom-right), so they need no knowledge of the expert's zoom or the
//! client's scale; the client turns them into its own pixels. Keys name a
//! physical position (DOM `code`), so the client's layout applies; `text`
//! carries characters no key produces.

use serde::{Deserialize, Serialize};

/// The most bytes one input message may have.
pub const MAX_INPUT_BYTES: usize = 4 * 1024;
/// The most characters one `text` event may type.
pub const MAX_TEXT_CHARS: usize = 256;
/// The most wheel steps one event may scroll, each way.
pub const MAX_WHEEL_STEPS: i32 = 50;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MouseButton {
    Left,
    Middle,
    Right,
}

/// Key combinations a browser cannot send, because the expert's own
/// system would act on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SpecialAction {
    CtrlAltDel,
    AltTab,
    Super,
    PrintScreen,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "snake_case")]
pub enum InputEvent {
    /// The pointer moved to (`x`, `y`), fractions of the monitor.
    Move {
        x: f32,
        y: f32,
    },
    Button {
        button: MouseButton,
        down: bool,
    },
    /// Wheel steps: positive `dy` scrolls down, positive `dx` right.
    Wheel {
        dx: i32,
        dy: i32,
    },
    /// A physical key by its DOM `code`, pressed or released.
    Key {
        code: String,
        down: bool,
    },
    /// Characters to type as they are, whatever the layout.
    Text {
        text: String,
    },
    Special {
        action: SpecialAction,
    },
    /// Let go of every key and button held (focus left the remote view).
    ReleaseAll,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadInput {
    #[error("{0} bytes is over the input message limit")]
    TooLarge(usize),
    #[error("malformed input message: {0}")]
    Malformed(String),
    #[error("pointer position outside the screen")]
    OffScreen,
    #[error("more than {MAX_WHEEL_STEPS} wheel steps")]
    WheelTooFar,
    #[error("text longer than {MAX_TEXT_CHARS} characters, or with control characters")]
    BadText,
    /// The view sent more events in one batch than it ever queues.
    #[error("{0} input events in one batch")]
    TooMany(usize),
}

impl InputEvent {
    /// Parses and validates one message from the peer.
    pub fn parse(bytes: &[u8]) -> Result<Self, BadInput> {
        if bytes.len() > MAX_INPUT_BYTES {
            return Err(BadInput::TooLarge(bytes.len()));
        }
        let event: InputEvent =
            serde_json::from_slice(bytes).map_err(|e| BadInput::Malformed(e.to_string()))?;
        event.validate()?;
        Ok(event)
    }

    pub fn validate(&self) -> Result<(), BadInput> {
        let inside = |v: &f32| (0.0..=1.0).contains(v);
        let typeable = |c: char| !c.is_control() || c == '\n' || c == '\t';
        match self {
            InputEvent::Move { x, y } if !(inside(x) && inside(y)) => Err(BadInput::OffScreen),
            InputEvent::Wheel { dx, dy }
                if dx.abs() > MAX_WHEEL_STEPS || dy.abs() > MAX_WHEEL_STEPS =>
            {
                Err(BadInput::WheelTooFar)
            }
            InputEvent::Text { text }
                if text.chars().count() > MAX_TEXT_CHARS || !text.chars().all(typeable) =>
            {
                Err(BadInput::BadText)
            }
            _ => Ok(()),
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("input event serialises")
    }

    /// Whether a newer event of the same kind makes this one pointless, so
    /// a backlog may drop it.
    pub fn is_move(&self) -> bool {
        matches!(self, InputEvent::Move { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_each_kind() {
        let events = [
            InputEvent::Move { x: 0.5, y: 0.25 },
            InputEvent::Button {
                button: MouseButton::Right,
                down: true,
            },
            InputEvent::Wheel { dx: 0, dy: -3 },
            InputEvent::Key {
                code: "KeyA".into(),
                down: false,
            },
            InputEvent::Text {
                text: "Hi ü€".into(),
            },
            InputEvent::Special {
                action: SpecialAction::CtrlAltDel,
            },
            InputEvent::ReleaseAll,
        ];
        for event in events {
            assert_eq!(InputEvent::parse(event.to_json().as_bytes()), Ok(event));
        }
        assert_eq!(
            InputEvent::Move { x: 1.0, y: 0.0 }.to_json(),
            r#"{"t":"move","x":1.0,"y":0.0}"#
        );
    }

    #[test]
    fn refuses_what_no_expert_could_send() {
        let bad: [&[u8]; 9] = [
            b"",
            b"\xff\xfe",
            br#"{"t":"format_disk"}"#,
            br#"{"t":"move","x":1.5,"y":0}"#,
            br#"{"t":"move","x":-0.1,"y":0}"#,
            br#"{"t":"move","x":"NaN","y":0}"#,
            br#"{"t":"wheel","dx":0,"dy":100000}"#,
            br#"{"t":"text","text":"rm -rf ~\u0000"}"#,
            br#"{"t":"button","button":"fourth","down":true}"#,
        ];
        for bytes in bad {
            assert!(InputEvent::parse(bytes).is_err(), "{bytes:?}");
        }
        let long = format!(
            r#"{{"t":"text","text":"{}"}}"#,
            "a".repeat(MAX_TEXT_CHARS + 1)
        );
        assert_eq!(InputEvent::parse(long.as_bytes()), Err(BadInput::BadText));
        let huge = vec![b' '; MAX_INPUT_BYTES + 1];
        assert!(matches!(
            InputEvent::parse(&huge),
            Err(BadInput::TooLarge(_))
        ));
    }
}
