//! Reads a WebM recording back the way a player would: GStreamer's
//! Matroska demuxer and VP8 decoder (`gst-launch-1.0`, from Debian's
//! gstreamer1.0-tools and -plugins-good), to RGBA pictures.

use std::path::Path;
use std::process::Command;

/// A recording's pictures, decoded.
#[derive(Debug)]
pub struct Decoded {
    pub width: usize,
    pub height: usize,
    /// Each picture's RGBA bytes.
    pub frames: Vec<Vec<u8>>,
}

impl Decoded {
    /// The RGBA of the pixel at (`x`, `y`) in picture `frame`.
    pub fn pixel(&self, frame: usize, x: usize, y: usize) -> [u8; 4] {
        let at = (y * self.width + x) * 4;
        let p = &self.frames[frame][at..at + 4];
        [p[0], p[1], p[2], p[3]]
    }
}

/// Decodes the VP8 video of the WebM file at `path`. Fails when the file
/// is not WebM with a VP8 track, or holds no picture.
pub fn decode_webm(path: &Path) -> anyhow::Result<Decoded> {
    let raw = tempfile::NamedTempFile::new()?;
    let location = format!("location={}", raw.path().display());
    let printed = play(
        path,
        &[
            "videoconvert",
            "!",
            "video/x-raw,format=RGBA",
            "!",
            "filesink",
            &location,
        ],
    )?;
    let caps = printed
        .lines()
        .rev()
        .find(|l| l.contains("format=(string)RGBA"))
        .ok_or_else(|| anyhow::anyhow!("no decoded caps in {printed}"))?;
    let (width, height) = (number(caps, "width")?, number(caps, "height")?);
    let bytes = std::fs::read(raw.path())?;
    let size = width * height * 4;
    anyhow::ensure!(size > 0 && !bytes.is_empty(), "no picture decoded");
    let frames = bytes.chunks_exact(size).map(<[u8]>::to_vec).collect();
    Ok(Decoded {
        width,
        height,
        frames,
    })
}

/// The picture sizes a player's decoder puts out for the WebM file at
/// `path`, in order, each once per change.
pub fn decoded_sizes(path: &Path) -> anyhow::Result<Vec<(usize, usize)>> {
    let printed = play(path, &["video/x-raw", "!", "fakesink"])?;
    let mut sizes = Vec::new();
    for caps in printed
        .lines()
        .filter(|l| l.contains("fakesink") && l.contains("video/x-raw"))
    {
        let size = (number(caps, "width")?, number(caps, "height")?);
        if sizes.last() != Some(&size) {
            sizes.push(size);
        }
    }
    Ok(sizes)
}

/// Plays the WebM file at `path` through GStreamer's Matroska demuxer and
/// VP8 decoder into `sink` (the pipeline's end); what `-v` printed (every
/// caps negotiated).
fn play(path: &Path, sink: &[&str]) -> anyhow::Result<String> {
    let output = Command::new("gst-launch-1.0")
        .arg("-v")
        .arg("filesrc")
        .arg(format!("location={}", path.display()))
        .args(["!", "matroskademux", "!", "video/x-vp8", "!", "vp8dec", "!"])
        .args(sink)
        .output()?;
    let printed = String::from_utf8_lossy(&output.stdout).into_owned();
    anyhow::ensure!(
        output.status.success(),
        "GStreamer could not play {}: {printed}{}",
        path.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(printed)
}

/// The integer field `name` of a caps line GStreamer printed.
fn number(caps: &str, name: &str) -> anyhow::Result<usize> {
    let after = caps
        .split(&format!("{name}=(int)"))
        .nth(1)
        .ok_or_else(|| anyhow::anyhow!("no {name} in {caps}"))?;
    let digits: String = after.chars().take_while(char::is_ascii_digit).collect();
    Ok(digits.parse()?)
}
