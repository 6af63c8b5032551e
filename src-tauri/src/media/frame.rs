//! A captured screen image: 4 bytes per pixel, rows packed, in the byte
//! order the capture backend produced (converting only once, to I420).

/// The order of a pixel's four bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum PixelOrder {
    #[default]
    Rgba,
    /// X11's native ZPixmap order at depth 24/32 on little-endian machines.
    Bgrx,
}

#[derive(Clone, Default, PartialEq, Eq)]
pub struct RgbaFrame {
    pub width: u32,
    pub height: u32,
    pub data: Vec<u8>,
    pub order: PixelOrder,
}

impl std::fmt::Debug for RgbaFrame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "RgbaFrame({}×{}, {:?})",
            self.width, self.height, self.order
        )
    }
}
