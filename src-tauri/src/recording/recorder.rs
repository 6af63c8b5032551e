//! One recording: a WebM file written on its own thread from the frames
//! it is given. It starts at a keyframe, and after a gap (frames lost on
//! the way) it skips to the next keyframe, so the file never holds a frame
//! that cannot be decoded. Frames are stamped with their arrival, so the
//! file plays at the pace the expert saw. The file is written as it goes:
//! one whose app was killed plays up to its last cluster; a finished one
//! also has its duration and cues (for seeking).

use std::fs::File;
use std::path::Path;
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::thread::JoinHandle;
use std::time::Instant;

use webm::mux::{Segment, SegmentBuilder, SegmentMode, VideoCodecId, VideoTrack, Writer};

use super::vp8_header::keyframe_size;
use crate::media::sink::ScreenFrame;

/// Frames waiting for the writer; more are dropped (and the recording
/// resumes at the next keyframe).
const QUEUE: usize = 120;

#[derive(Debug, thiserror::Error)]
pub enum RecordingError {
    #[error("the recording cannot be written: {0}")]
    Io(#[from] std::io::Error),
}

/// How a recording went, once it stopped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recorded {
    pub frames: u64,
    pub duration_ms: u64,
    /// The first keyframe's size; `None` if no frame was recorded.
    pub size: Option<(u32, u32)>,
}

pub struct Recorder {
    frames: Option<SyncSender<(Instant, ScreenFrame)>>,
    writer: Option<JoinHandle<Recorded>>,
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder").finish_non_exhaustive()
    }
}

impl Recorder {
    /// Creates the file at `path` (never over an existing one) and starts
    /// writing what [`Recorder::push`] gives it.
    pub fn start(path: &Path) -> Result<Self, RecordingError> {
        let file = File::options().write(true).create_new(true).open(path)?;
        let (frames, inbox) = mpsc::sync_channel(QUEUE);
        let writer = std::thread::Builder::new()
            .name("recording".into())
            .spawn(move || write(file, inbox))?;
        Ok(Self {
            frames: Some(frames),
            writer: Some(writer),
        })
    }

    /// Hands a frame over without waiting; a full queue drops it.
    pub fn push(&self, frame: &ScreenFrame, at: Instant) {
        let Some(frames) = &self.frames else { return };
        if let Err(TrySendError::Full(_)) = frames.try_send((at, frame.clone())) {
            tracing::warn!("the recording is behind; a frame was dropped");
        }
    }

    /// Finishes the file (its duration and cues) and says how it went.
    pub fn stop(mut self) -> Recorded {
        self.finish()
    }

    fn finish(&mut self) -> Recorded {
        drop(self.frames.take());
        self.writer
            .take()
            .and_then(|writer| writer.join().ok())
            .unwrap_or_default()
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.finish();
    }
}

/// The file being written, once its first keyframe gave it a size.
struct Open {
    segment: Segment<File>,
    track: VideoTrack,
    first: Instant,
    last_ns: u64,
}

fn write(file: File, inbox: Receiver<(Instant, ScreenFrame)>) -> Recorded {
    let mut file = Some(file);
    let mut open: Option<Open> = None;
    let mut recorded = Recorded::default();
    let mut last_number: Option<u32> = None;
    let mut need_keyframe = true;
    for (at, frame) in inbox {
        let number = frame.times.number;
        let gap =
            matches!((last_number, number), (Some(last), Some(n)) if n != last.wrapping_add(1));
        last_number = number.or(last_number);
        need_keyframe |= gap;
        if need_keyframe && !frame.keyframe {
            continue;
        }
        if open.is_none() {
            let (Some(size), Some(file)) = (keyframe_size(&frame.data), file.take()) else {
                continue;
            };
            match begin(file, size, at) {
                Ok(begun) => {
                    recorded.size = Some(size);
                    open = Some(begun);
                }
                Err(error) => {
                    tracing::error!(%error, "the recording could not start");
                    return recorded;
                }
            }
        }
        let Some(writing) = &mut open else { continue };
        let elapsed = at.saturating_duration_since(writing.first).as_nanos();
        let at_ns = u64::try_from(elapsed)
            .unwrap_or(u64::MAX)
            .max(writing.last_ns + 1);
        let at_ns = if recorded.frames == 0 { 0 } else { at_ns };
        if let Err(error) =
            writing
                .segment
                .add_frame(writing.track, &frame.data, at_ns, frame.keyframe)
        {
            tracing::error!(%error, "a frame was not recorded");
            need_keyframe = true;
            continue;
        }
        writing.last_ns = at_ns;
        need_keyframe = false;
        recorded.frames += 1;
        recorded.duration_ms = at_ns / 1_000_000;
    }
    if let Some(writing) = open {
        // The last frame is shown for about a frame's time.
        let duration_ns = writing.last_ns + 33_000_000;
        if writing.segment.finalize(Some(duration_ns)).is_err() {
            tracing::error!("the recording's end could not be written");
        }
    }
    recorded
}

fn begin(
    file: File,
    (width, height): (u32, u32),
    first: Instant,
) -> Result<Open, webm::mux::Error> {
    let builder = SegmentBuilder::new(Writer::new(file))?
        .set_mode(SegmentMode::File)?
        .set_writing_app("Lifeline")?;
    let (builder, track) = builder.add_video_track(width, height, VideoCodecId::VP8, None)?;
    Ok(Open {
        segment: builder.build(),
        track,
        first,
        last_ns: 0,
    })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::media::capture::{Capturer, TestPattern};
    use crate::media::convert::{I420Frame, rgba_to_i420};
    use crate::media::sink::FrameTimes;
    use crate::media::vp8::{EncoderConfig, Vp8Encoder};
    use lifeline_e2e::webm::{decode_webm, decoded_sizes};

    /// `count` frames of the moving test pattern, encoded, numbered from 0
    /// (a keyframe first and at `keyframes`).
    fn encoded(count: usize, keyframes: &[usize]) -> Vec<ScreenFrame> {
        encoded_at((320, 180), count, keyframes)
    }

    /// The same at `size`.
    fn encoded_at(size: (u32, u32), count: usize, keyframes: &[usize]) -> Vec<ScreenFrame> {
        let mut pattern = TestPattern::new(size.0, size.1);
        let mut encoder = Vp8Encoder::new(EncoderConfig::new(size.0, size.1)).unwrap();
        let mut i420 = I420Frame::default();
        (0..count)
            .flat_map(|n| {
                rgba_to_i420(&pattern.capture(0).unwrap(), &mut i420).unwrap();
                let force = n == 0 || keyframes.contains(&n);
                encoder.encode(&mut i420, n as i64, force).unwrap()
            })
            .enumerate()
            .map(|(n, frame)| ScreenFrame {
                data: frame.data,
                keyframe: frame.keyframe,
                replayed: false,
                times: FrameTimes {
                    number: Some(n as u32),
                    ..Default::default()
                },
            })
            .collect()
    }

    /// Pushes `frames` 33 ms apart into a new recording and stops it.
    fn record(path: &Path, frames: &[ScreenFrame]) -> Recorded {
        let recorder = Recorder::start(path).unwrap();
        let start = Instant::now();
        for (n, frame) in frames.iter().enumerate() {
            recorder.push(frame, start + Duration::from_millis(33 * n as u64));
        }
        recorder.stop()
    }

    #[test]
    fn a_recording_plays_back_as_what_was_received() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.webm");
        let frames = encoded(30, &[]);
        let recorded = record(&path, &frames);
        assert_eq!(recorded.frames, 30);
        assert_eq!(recorded.size, Some((320, 180)));
        assert_eq!(recorded.duration_ms, 29 * 33);
        let decoded = decode_webm(&path).unwrap();
        assert_eq!((decoded.width, decoded.height), (320, 180));
        assert_eq!(decoded.frames.len(), 30);
        // The pattern: blue, but for its moving white bar.
        let blue = (0..320)
            .filter(|&x| {
                let [r, g, b, _] = decoded.pixel(29, x, 90);
                r < 60 && (30..100).contains(&g) && b > 120
            })
            .count();
        assert!(blue >= 280, "{blue} of 320 pixels are the pattern's blue");
    }

    /// A recording starts at a keyframe and, after frames lost on the way,
    /// resumes at the next one: every frame in it decodes.
    #[test]
    fn gaps_resume_at_the_next_keyframe() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.webm");
        let frames = encoded(30, &[20]);
        // Joins at frame 5 (no keyframe until 20), and loses 22–23.
        let kept: Vec<ScreenFrame> = frames[5..]
            .iter()
            .filter(|f| !matches!(f.times.number, Some(22 | 23)))
            .cloned()
            .collect();
        let recorded = record(&path, &kept);
        // 20 and 21, then nothing until a keyframe (none comes).
        assert_eq!(recorded.frames, 2);
        assert_eq!(decode_webm(&path).unwrap().frames.len(), 2);
    }

    /// The file is written as it goes: cut where a killed app would have
    /// left it (no end written), it still plays from the start.
    #[test]
    fn an_unfinished_recording_plays_from_the_start() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.webm");
        let frames = encoded(90, &[]);
        record(&path, &frames);
        let whole = std::fs::read(&path).unwrap();
        let cut = dir.path().join("cut.webm");
        std::fs::write(&cut, &whole[..whole.len() * 2 / 3]).unwrap();
        let decoded = decode_webm(&cut).unwrap();
        assert!(
            decoded.frames.len() >= 30,
            "{} frames",
            decoded.frames.len()
        );
    }

    /// The client's screen changes size mid-recording (another monitor, a
    /// new resolution): the stream goes on with a keyframe at the new size,
    /// and a player's decoder follows it.
    #[test]
    fn a_size_change_plays_on_at_the_new_size() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.webm");
        let mut frames = encoded_at((320, 180), 15, &[]);
        frames.extend(encoded_at((640, 360), 15, &[]));
        let recorded = record(&path, &frames);
        assert_eq!(recorded.frames, 30);
        assert_eq!(decoded_sizes(&path).unwrap(), [(320, 180), (640, 360)]);
    }

    #[test]
    fn an_existing_file_is_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.webm");
        std::fs::write(&path, b"keep").unwrap();
        assert!(Recorder::start(&path).is_err());
        assert_eq!(std::fs::read(&path).unwrap(), b"keep");
    }
}
