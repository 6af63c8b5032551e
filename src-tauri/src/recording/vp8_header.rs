//! The picture size a VP8 keyframe declares (RFC 6386, 9.1): after the
//! three-byte frame tag, the start code `9d 01 2a`, then the width and
//! height as little-endian 14-bit numbers (the top two bits are scaling).

/// A keyframe's (width, height); `None` for an inter frame or a frame
/// too short or malformed to say.
pub fn keyframe_size(frame: &[u8]) -> Option<(u32, u32)> {
    let header = frame.get(..10)?;
    let keyframe = header[0] & 1 == 0;
    if !keyframe || header[3..6] != [0x9d, 0x01, 0x2a] {
        return None;
    }
    let dimension = |low: u8, high: u8| u32::from(u16::from_le_bytes([low, high]) & 0x3fff);
    let (width, height) = (
        dimension(header[6], header[7]),
        dimension(header[8], header[9]),
    );
    (width > 0 && height > 0).then_some((width, height))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_keyframe_says_its_size() {
        // 1920×1080 with a scaling bit set on the height, which is ignored.
        let frame = [
            0x50, 0x42, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x07, 0x38, 0x44, 0xff,
        ];
        assert_eq!(keyframe_size(&frame), Some((1920, 1080)));
    }

    #[test]
    fn other_frames_say_nothing() {
        let inter = [0x51, 0x42, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x07, 0x38, 0x04];
        assert_eq!(keyframe_size(&inter), None);
        assert_eq!(keyframe_size(&[0x50, 0x42, 0x00, 0x9d]), None);
        let bad_code = [0x50, 0x42, 0x00, 0x9d, 0x01, 0x2b, 0x80, 0x07, 0x38, 0x04];
        assert_eq!(keyframe_size(&bad_code), None);
        let empty = [0x50, 0x42, 0x00, 0x9d, 0x01, 0x2a, 0x00, 0x00, 0x38, 0x04];
        assert_eq!(keyframe_size(&empty), None);
    }
}
