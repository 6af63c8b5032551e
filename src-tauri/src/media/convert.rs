//! RGBA → I420 with the `yuv` crate's SIMD paths (BT.601, limited range:
//! what VP8 decoders assume). The I420 image is one contiguous buffer, as
//! libvpx wants it; odd dimensions are cropped by one pixel, since VP8's
//! 4:2:0 needs even ones. The caller keeps one I420 buffer for the whole
//! share and may convert only the rows that changed
//! ([`rgba_rows_to_i420`]).

use yuv::{BufferStoreMut, YuvConversionMode, YuvPlanarImageMut, YuvRange, YuvStandardMatrix};

use super::damage::Rows;
use super::frame::{PixelOrder, RgbaFrame};

/// Y plane, then U, then V; strides `width` and `width / 2`.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct I420Frame {
    pub width: u32,
    pub height: u32,
    pub data: Vec<u8>,
}

impl std::fmt::Debug for I420Frame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "I420Frame({}×{})", self.width, self.height)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConvertError {
    #[error("a {width}×{height} RGBA frame needs {need} bytes, not {got}")]
    WrongLength {
        width: u32,
        height: u32,
        need: usize,
        got: usize,
    },
    #[error("the frame is too small to encode: {0}×{1}")]
    TooSmall(u32, u32),
    #[error("conversion failed: {0}")]
    Yuv(String),
}

/// Converts `rgba` into `out`, reusing its buffer.
pub fn rgba_to_i420(rgba: &RgbaFrame, out: &mut I420Frame) -> Result<(), ConvertError> {
    let (width, height) = check(rgba)?;
    let luma = width as usize * height as usize;
    out.width = width;
    out.height = height;
    out.data.resize(luma + 2 * (luma / 4), 0);
    convert_band(rgba, 0..height, out)
}

/// Converts only `rows` of `rgba` into `out`, which holds the conversion
/// of an earlier image of the same size; any other `out` is converted
/// whole. Bands are widened to even rows (chroma covers row pairs).
pub fn rgba_rows_to_i420(
    rgba: &RgbaFrame,
    rows: &[Rows],
    out: &mut I420Frame,
) -> Result<(), ConvertError> {
    let (width, height) = check(rgba)?;
    let luma = width as usize * height as usize;
    if (out.width, out.height) != (width, height) || out.data.len() != luma + 2 * (luma / 4) {
        return rgba_to_i420(rgba, out);
    }
    for band in rows {
        let start = band.start & !1;
        let end = band.end.saturating_add(band.end & 1).min(height);
        if start < end {
            convert_band(rgba, start..end, out)?;
        }
    }
    Ok(())
}

/// The even dimensions `rgba` converts to, once its buffer is checked.
fn check(rgba: &RgbaFrame) -> Result<(u32, u32), ConvertError> {
    let need = rgba.width as usize * rgba.height as usize * 4;
    if rgba.data.len() != need {
        return Err(ConvertError::WrongLength {
            width: rgba.width,
            height: rgba.height,
            need,
            got: rgba.data.len(),
        });
    }
    let (width, height) = (rgba.width & !1, rgba.height & !1);
    if width == 0 || height == 0 {
        return Err(ConvertError::TooSmall(rgba.width, rgba.height));
    }
    Ok((width, height))
}

/// Converts rows `band` (even bounds, within `out`) in place.
fn convert_band(rgba: &RgbaFrame, band: Rows, out: &mut I420Frame) -> Result<(), ConvertError> {
    let width = out.width;
    let (w, rows) = (width as usize, (band.end - band.start) as usize);
    let first = band.start as usize;
    let luma = w * out.height as usize;
    let chroma = luma / 4;
    let (y, rest) = out.data.split_at_mut(luma);
    let (u, v) = rest.split_at_mut(chroma);
    let (half, half_rows, half_first) = (w / 2, rows / 2, first / 2);
    let mut planar = YuvPlanarImageMut {
        y_plane: BufferStoreMut::Borrowed(&mut y[first * w..(first + rows) * w]),
        y_stride: width,
        u_plane: BufferStoreMut::Borrowed(
            &mut u[half_first * half..(half_first + half_rows) * half],
        ),
        u_stride: width / 2,
        v_plane: BufferStoreMut::Borrowed(
            &mut v[half_first * half..(half_first + half_rows) * half],
        ),
        v_stride: width / 2,
        width,
        height: band.end - band.start,
    };
    // The source keeps its full row stride, so a cropped column is skipped.
    let stride = rgba.width as usize * 4;
    let source = &rgba.data[first * stride..(first + rows) * stride];
    let convert = match rgba.order {
        PixelOrder::Rgba => yuv::rgba_to_yuv420,
        // The fourth byte is ignored either way.
        PixelOrder::Bgrx => yuv::bgra_to_yuv420,
    };
    convert(
        &mut planar,
        source,
        rgba.width * 4,
        YuvRange::Limited,
        YuvStandardMatrix::Bt601,
        YuvConversionMode::Balanced,
    )
    .map_err(|e| ConvertError::Yuv(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn solid(width: u32, height: u32, rgba: [u8; 4]) -> RgbaFrame {
        RgbaFrame {
            width,
            height,
            data: rgba.repeat((width * height) as usize),
            ..Default::default()
        }
    }

    #[test]
    fn solid_colours_land_on_bt601_limited_values() {
        let mut out = I420Frame::default();
        rgba_to_i420(&solid(64, 32, [255, 0, 0, 255]), &mut out).unwrap();
        let (y, u, v) = (out.data[0], out.data[64 * 32], out.data[64 * 32 + 16 * 32]);
        // BT.601 limited red: Y 81, U 90, V 240.
        assert!(
            y.abs_diff(81) <= 2 && u.abs_diff(90) <= 2 && v.abs_diff(240) <= 2,
            "{y} {u} {v}"
        );
        rgba_to_i420(&solid(64, 32, [255, 255, 255, 255]), &mut out).unwrap();
        assert!(out.data[0].abs_diff(235) <= 2);
    }

    #[test]
    fn x11_byte_order_gives_the_same_colours() {
        let mut rgba = I420Frame::default();
        let mut bgrx = I420Frame::default();
        rgba_to_i420(&solid(64, 32, [200, 120, 40, 255]), &mut rgba).unwrap();
        let x11 = RgbaFrame {
            order: PixelOrder::Bgrx,
            ..solid(64, 32, [40, 120, 200, 0])
        };
        rgba_to_i420(&x11, &mut bgrx).unwrap();
        assert_eq!(rgba.data, bgrx.data);
    }

    #[test]
    fn odd_sizes_are_cropped_and_bad_buffers_refused() {
        let mut out = I420Frame::default();
        rgba_to_i420(&solid(65, 33, [0, 0, 0, 255]), &mut out).unwrap();
        assert_eq!((out.width, out.height), (64, 32));
        assert_eq!(out.data.len(), 64 * 32 * 3 / 2);
        let short = RgbaFrame {
            width: 10,
            height: 10,
            data: vec![0; 12],
            ..Default::default()
        };
        assert!(matches!(
            rgba_to_i420(&short, &mut out),
            Err(ConvertError::WrongLength { .. })
        ));
        assert!(rgba_to_i420(&solid(1, 1, [0; 4]), &mut out).is_err());
    }

    #[test]
    fn converting_only_changed_rows_matches_a_whole_conversion() {
        let (width, height) = (64u32, 33u32);
        let before = solid(width, height, [10, 20, 30, 255]);
        let mut after = before.clone();
        // Change rows 5..9 and 31..33 (odd bounds, and the cropped last row).
        for row in (5..9).chain(31..33) {
            let at = (row * width * 4) as usize;
            for px in after.data[at..at + (width * 4) as usize].chunks_mut(4) {
                px.copy_from_slice(&[250, 200, 10, 255]);
            }
        }
        let mut partial = I420Frame::default();
        rgba_to_i420(&before, &mut partial).unwrap();
        rgba_rows_to_i420(&after, &[5..9, 31..33], &mut partial).unwrap();
        let mut whole = I420Frame::default();
        rgba_to_i420(&after, &mut whole).unwrap();
        assert_eq!(partial, whole);
        // Rows left out stay as they were: converting no rows changes nothing.
        let mut stale = I420Frame::default();
        rgba_to_i420(&before, &mut stale).unwrap();
        let kept = stale.clone();
        rgba_rows_to_i420(&after, &[], &mut stale).unwrap();
        assert_eq!(stale, kept);
        // A buffer of another size is converted whole.
        let mut other = I420Frame::default();
        rgba_rows_to_i420(&after, &[Rows { start: 0, end: 2 }], &mut other).unwrap();
        assert_eq!(other, whole);
    }
}
