//! A captured screen image: RGBA, 4 bytes per pixel, rows packed.

#[derive(Clone, Default, PartialEq, Eq)]
pub struct RgbaFrame {
    pub width: u32,
    pub height: u32,
    pub data: Vec<u8>,
}

impl std::fmt::Debug for RgbaFrame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RgbaFrame({}×{})", self.width, self.height)
    }
}
