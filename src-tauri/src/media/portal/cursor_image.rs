//! A pointer image from PipeWire's cursor metadata, as the expert's view
//! draws it: straight-alpha RGBA, rows packed.

use pipewire::spa;
use spa::buffer::meta::MetaBitmap;
use spa::param::video::VideoFormat;
use spa::utils::Point;

use crate::cursor::source::CursorImage;

/// The image in `bitmap`, with its hot spot at `hotspot`; `None` when the
/// buffer carries none (the shape did not change) or one in a byte order
/// not read here.
pub fn from_bitmap(bitmap: &MetaBitmap, hotspot: Point) -> Option<CursorImage> {
    let size = bitmap.size();
    let (width, height) = (size.width as usize, size.height as usize);
    if width == 0 || height == 0 {
        return None;
    }
    let order = match bitmap.format() {
        VideoFormat::RGBA | VideoFormat::RGBx => [0, 1, 2, 3],
        VideoFormat::BGRA | VideoFormat::BGRx => [2, 1, 0, 3],
        VideoFormat::ARGB | VideoFormat::xRGB => [1, 2, 3, 0],
        VideoFormat::ABGR | VideoFormat::xBGR => [3, 2, 1, 0],
        _ => return None,
    };
    let opaque = matches!(
        bitmap.format(),
        VideoFormat::RGBx | VideoFormat::BGRx | VideoFormat::xRGB | VideoFormat::xBGR
    );
    let stride = bitmap.stride().unsigned_abs() as usize;
    let data = bitmap.bitmap_data()?;
    if stride < width * 4 || data.len() < stride * height {
        return None;
    }
    let mut rgba = Vec::with_capacity(width * height * 4);
    for row in data.chunks(stride).take(height) {
        for pixel in row[..width * 4].chunks_exact(4) {
            let alpha = if opaque { 255 } else { pixel[order[3]] };
            rgba.extend_from_slice(&[pixel[order[0]], pixel[order[1]], pixel[order[2]], alpha]);
        }
    }
    Some(CursorImage {
        width: u16::try_from(width).ok()?,
        height: u16::try_from(height).ok()?,
        hot_x: u16::try_from(hotspot.x).unwrap_or(0),
        hot_y: u16::try_from(hotspot.y).unwrap_or(0),
        rgba,
    })
}

#[cfg(test)]
mod tests {
    #![allow(unsafe_code)]

    use super::*;
    use spa::sys::{spa_meta_bitmap, spa_rectangle};

    /// A cursor bitmap as PipeWire lays it out: the header, then the
    /// pixels at `offset` from its start.
    #[repr(C)]
    struct Laid {
        header: spa_meta_bitmap,
        pixels: [u8; 16],
    }

    fn laid(format: VideoFormat, pixels: [u8; 16]) -> Laid {
        Laid {
            header: spa_meta_bitmap {
                format: format.as_raw(),
                size: spa_rectangle {
                    width: 2,
                    height: 2,
                },
                stride: 8,
                offset: std::mem::size_of::<spa_meta_bitmap>() as u32,
            },
            pixels,
        }
    }

    fn image(laid: &Laid) -> Option<CursorImage> {
        // SAFETY: MetaBitmap is a transparent wrapper of spa_meta_bitmap,
        // and the pixels it reads lie at `offset` within `laid`.
        let bitmap = unsafe { &*std::ptr::addr_of!(laid.header).cast::<MetaBitmap>() };
        from_bitmap(bitmap, Point { x: 1, y: 0 })
    }

    #[test]
    fn bgra_pixels_become_rgba_with_their_hot_spot() {
        let mut pixels = [0u8; 16];
        pixels[..4].copy_from_slice(&[10, 20, 30, 255]);
        pixels[4..8].copy_from_slice(&[1, 2, 3, 0]);
        let shape = image(&laid(VideoFormat::BGRA, pixels)).unwrap();
        assert_eq!(
            (shape.width, shape.height, shape.hot_x, shape.hot_y),
            (2, 2, 1, 0)
        );
        assert_eq!(&shape.rgba[..8], &[30, 20, 10, 255, 3, 2, 1, 0]);
    }

    #[test]
    fn a_format_without_alpha_is_opaque_and_an_empty_bitmap_is_no_image() {
        let shape = image(&laid(VideoFormat::xRGB, [7; 16])).unwrap();
        assert!(shape.rgba.chunks(4).all(|p| p == [7, 7, 7, 255]));
        let mut empty = laid(VideoFormat::RGBA, [0; 16]);
        empty.header.size = spa_rectangle {
            width: 0,
            height: 0,
        };
        assert_eq!(image(&empty), None);
        assert_eq!(
            image(&laid(VideoFormat::NV12, [0; 16])),
            None,
            "not a pointer's format"
        );
    }
}
