//! Real PNG files for the clipboard tests: a picture that compresses
//! poorly (so it spans many chunks) and is different for every seed.

/// A `width`×`height` RGB PNG of coloured noise from `seed`.
pub fn noise_png(width: u32, height: u32, seed: u32) -> Vec<u8> {
    let mut state = seed.wrapping_mul(2_654_435_761).max(1);
    let pixels: Vec<u8> = (0..width * height * 3)
        .map(|_| {
            // xorshift32: cheap, and nothing for deflate to find.
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state as u8
        })
        .collect();
    let mut png = Vec::new();
    let mut encoder = png::Encoder::new(&mut png, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().expect("a PNG header");
    writer.write_image_data(&pixels).expect("the PNG's pixels");
    writer.finish().expect("the PNG's end");
    png
}
