//! The `cursor` data channel's messages: one JSON text message each,
//! client → expert, tagged by `type`. Positions are in the shared
//! monitor's pixels from its top-left corner; a shape is straight-alpha
//! RGBA, at most [`MAX_SIDE`]×[`MAX_SIDE`], base64-encoded. Anything else —
//! malformed, oversized, a hotspot outside the image, pixels that do not
//! add up — is refused by [`CursorMessage::parse`], never a panic.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

/// The largest cursor image side, in pixels (128×128 RGBA is 64 KiB).
pub const MAX_SIDE: u16 = 128;
/// The longest message accepted: a full-size shape in base64 and its fields.
pub const MAX_MESSAGE_BYTES: usize = 90 * 1024;
/// Positions beyond this, either way, are refused (no screen is that big).
pub const MAX_COORDINATE: i32 = 1 << 16;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum CursorMessage {
    /// Where the pointer is; `visible` is false when it is off the shared
    /// monitor (the expert then draws none).
    Position { x: i32, y: i32, visible: bool },
    /// The pointer's new look; sent when it changes (and now and then
    /// while the pointer moves, see `share`). `id` is a hash
    /// of the image and hotspot, so the view can tell shapes apart.
    Shape {
        id: u64,
        width: u16,
        height: u16,
        hot_x: u16,
        hot_y: u16,
        rgba: String,
    },
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CursorMessageError {
    #[error("a cursor message of {0} bytes is too long")]
    TooLong(usize),
    #[error("not a cursor message: {0}")]
    Malformed(String),
    #[error("a cursor position out of range")]
    OutOfRange,
    #[error("a cursor image of {width}×{height} (at most {MAX_SIDE}×{MAX_SIDE}, not empty)")]
    BadSize { width: u16, height: u16 },
    #[error("a cursor hotspot outside its image")]
    BadHotspot,
    #[error("a cursor image whose pixels do not match its size")]
    BadPixels,
}

impl CursorMessage {
    /// A shape message for `rgba` (straight alpha, `width * height * 4`
    /// bytes); `None` when it breaks the limits the receiver enforces.
    pub fn shape(width: u16, height: u16, hot_x: u16, hot_y: u16, rgba: &[u8]) -> Option<Self> {
        let message = Self::Shape {
            id: shape_id(width, height, hot_x, hot_y, rgba),
            width,
            height,
            hot_x,
            hot_y,
            rgba: STANDARD.encode(rgba),
        };
        message.check().ok().map(|()| message)
    }

    pub fn to_json(&self) -> String {
        // Serialising plain integers, booleans and strings cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Reads and checks one message from the network.
    pub fn parse(data: &[u8]) -> Result<Self, CursorMessageError> {
        if data.len() > MAX_MESSAGE_BYTES {
            return Err(CursorMessageError::TooLong(data.len()));
        }
        let message: Self = serde_json::from_slice(data)
            .map_err(|e| CursorMessageError::Malformed(e.to_string()))?;
        message.check()?;
        Ok(message)
    }

    fn check(&self) -> Result<(), CursorMessageError> {
        match self {
            Self::Position { x, y, .. } => {
                if x.abs() > MAX_COORDINATE || y.abs() > MAX_COORDINATE {
                    return Err(CursorMessageError::OutOfRange);
                }
            }
            Self::Shape {
                width,
                height,
                hot_x,
                hot_y,
                rgba,
                ..
            } => {
                let (width, height) = (*width, *height);
                if width == 0 || height == 0 || width > MAX_SIDE || height > MAX_SIDE {
                    return Err(CursorMessageError::BadSize { width, height });
                }
                if *hot_x >= width || *hot_y >= height {
                    return Err(CursorMessageError::BadHotspot);
                }
                let expected = usize::from(width) * usize::from(height) * 4;
                // Checked on the encoded length first: no decoding of junk.
                if rgba.len() != expected.div_ceil(3) * 4 {
                    return Err(CursorMessageError::BadPixels);
                }
                match STANDARD.decode(rgba) {
                    Ok(pixels) if pixels.len() == expected => {}
                    _ => return Err(CursorMessageError::BadPixels),
                }
            }
        }
        Ok(())
    }
}

/// FNV-1a over the shape's size, hotspot and pixels.
pub fn shape_id(width: u16, height: u16, hot_x: u16, hot_y: u16, rgba: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let head = [width, height, hot_x, hot_y].map(u16::to_be_bytes);
    for byte in head.iter().flatten().chain(rgba) {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    // JavaScript reads the id as a double: keep it exact there.
    hash & ((1 << 53) - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_position_reads_as_golden_json() {
        let message = CursorMessage::Position {
            x: 10,
            y: -2,
            visible: true,
        };
        let json = r#"{"type":"position","x":10,"y":-2,"visible":true}"#;
        assert_eq!(message.to_json(), json);
        assert_eq!(CursorMessage::parse(json.as_bytes()), Ok(message));
    }

    #[test]
    fn a_shape_reads_as_golden_json() {
        let message = CursorMessage::shape(1, 2, 0, 1, &[1, 2, 3, 4, 5, 6, 7, 8]).unwrap();
        let CursorMessage::Shape { id, .. } = &message else {
            panic!("a shape")
        };
        let json = format!(
            r#"{{"type":"shape","id":{id},"width":1,"height":2,"hot_x":0,"hot_y":1,"rgba":"AQIDBAUGBwg="}}"#
        );
        assert_eq!(message.to_json(), json);
        assert_eq!(CursorMessage::parse(json.as_bytes()), Ok(message));
    }

    #[test]
    fn the_shape_id_follows_pixels_and_hotspot() {
        let a = shape_id(1, 1, 0, 0, &[0, 0, 0, 255]);
        assert_eq!(a, shape_id(1, 1, 0, 0, &[0, 0, 0, 255]));
        assert_ne!(a, shape_id(1, 1, 0, 0, &[0, 0, 1, 255]));
        assert_ne!(a, shape_id(2, 1, 0, 0, &[0, 0, 0, 255]));
    }

    #[test]
    fn oversized_and_inconsistent_shapes_are_refused() {
        let side = usize::from(MAX_SIDE) + 1;
        assert!(CursorMessage::shape(MAX_SIDE + 1, 1, 0, 0, &vec![0; side * 4]).is_none());
        let full = vec![0; usize::from(MAX_SIDE) * usize::from(MAX_SIDE) * 4];
        let biggest = CursorMessage::shape(MAX_SIDE, MAX_SIDE, 5, 5, &full).unwrap();
        assert!(biggest.to_json().len() <= MAX_MESSAGE_BYTES);
        assert!(CursorMessage::parse(biggest.to_json().as_bytes()).is_ok());
        let bad = [
            // Pixels short of the size.
            r#"{"type":"shape","id":1,"width":2,"height":2,"hot_x":0,"hot_y":0,"rgba":"AQIDBA=="}"#,
            // Hotspot outside.
            r#"{"type":"shape","id":1,"width":1,"height":1,"hot_x":1,"hot_y":0,"rgba":"AQIDBA=="}"#,
            // Empty.
            r#"{"type":"shape","id":1,"width":0,"height":0,"hot_x":0,"hot_y":0,"rgba":""}"#,
            // Too big.
            r#"{"type":"shape","id":1,"width":129,"height":1,"hot_x":0,"hot_y":0,"rgba":""}"#,
            // Not base64.
            r#"{"type":"shape","id":1,"width":1,"height":1,"hot_x":0,"hot_y":0,"rgba":"!!!!"}"#,
            r#"{"type":"position","x":99999999,"y":0,"visible":true}"#,
            r#"{"type":"position","x":1,"y":0}"#,
            r#"{"type":"position","x":1,"y":0,"visible":true,"extra":1}"#,
            r#"{"type":"warp"}"#,
            "not json",
        ];
        for json in bad {
            assert!(CursorMessage::parse(json.as_bytes()).is_err(), "{json}");
        }
        let long = vec![b' '; MAX_MESSAGE_BYTES + 1];
        assert_eq!(
            CursorMessage::parse(&long),
            Err(CursorMessageError::TooLong(MAX_MESSAGE_BYTES + 1))
        );
    }
}
