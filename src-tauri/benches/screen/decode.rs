//! The receiving end of the pipeline child's frames: a libvpx VP8 decoder
//! in the bench's own process, timing each frame from its capture to its
//! decoded picture.
#![allow(unsafe_code)]

use std::io::{BufReader, Read};
use std::mem::MaybeUninit;
use std::os::raw::{c_int, c_uint};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::ptr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{SystemTime, UNIX_EPOCH};

use vpx_sys::vpx_codec_err_t::VPX_CODEC_OK;

struct Vp8Decoder {
    ctx: Box<vpx_sys::vpx_codec_ctx_t>,
}

impl Vp8Decoder {
    fn new() -> Self {
        let mut ctx = Box::new(MaybeUninit::<vpx_sys::vpx_codec_ctx_t>::zeroed());
        let cfg = vpx_sys::vpx_codec_dec_cfg_t {
            threads: 1,
            w: 0,
            h: 0,
        };
        // SAFETY: ctx is zeroed memory the size of a codec context, which
        // the call initialises; cfg outlives it.
        let result = unsafe {
            vpx_sys::vpx_codec_dec_init_ver(
                ctx.as_mut_ptr(),
                vpx_sys::vpx_codec_vp8_dx(),
                &cfg,
                0,
                vpx_sys::VPX_DECODER_ABI_VERSION as c_int,
            )
        };
        assert_eq!(result, VPX_CODEC_OK, "the VP8 decoder did not start");
        // SAFETY: initialised by the call above.
        let ctx = unsafe { Box::from_raw(Box::into_raw(ctx).cast::<vpx_sys::vpx_codec_ctx_t>()) };
        Self { ctx }
    }

    /// Decodes one frame; whether a picture came out.
    fn decode(&mut self, data: &[u8]) -> bool {
        // SAFETY: the context is live and data outlives the call.
        let result = unsafe {
            vpx_sys::vpx_codec_decode(
                &mut *self.ctx,
                data.as_ptr(),
                data.len() as c_uint,
                ptr::null_mut(),
                0,
            )
        };
        if result != VPX_CODEC_OK {
            return false;
        }
        let mut iter: vpx_sys::vpx_codec_iter_t = ptr::null();
        let mut pictures = 0;
        // SAFETY: the iterator walks the pictures of the call above.
        while !unsafe { vpx_sys::vpx_codec_get_frame(&mut *self.ctx, &mut iter) }.is_null() {
            pictures += 1;
        }
        pictures > 0
    }
}

impl Drop for Vp8Decoder {
    fn drop(&mut self) {
        // SAFETY: the context was initialised in new and is destroyed once.
        unsafe { vpx_sys::vpx_codec_destroy(&mut *self.ctx) };
    }
}

/// Listens on a Unix socket for one child's frames and decodes them as
/// they come. Each frame on the socket: a byte that says whether it falls
/// in the measured window, its capture time (Unix ms, u64 LE), its length
/// (u32 LE), and the VP8 frame.
pub struct FrameReceiver {
    _dir: tempfile::TempDir,
    path: PathBuf,
    stopping: Arc<AtomicBool>,
    thread: JoinHandle<Vec<f64>>,
}

impl FrameReceiver {
    pub fn start() -> Self {
        let dir = tempfile::tempdir().expect("a directory for the frames' socket");
        let path = dir.path().join("frames");
        let listener = UnixListener::bind(&path).expect("the frames' socket");
        let stopping = Arc::new(AtomicBool::new(false));
        let thread = std::thread::spawn({
            let stopping = Arc::clone(&stopping);
            move || match listener.accept() {
                Ok(_) if stopping.load(Ordering::SeqCst) => Vec::new(),
                Ok((stream, _)) => receive(stream),
                Err(_) => Vec::new(),
            }
        });
        Self {
            _dir: dir,
            path,
            stopping,
            thread,
        }
    }

    /// Where the child sends its frames.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// After the child has exited: capture start → decoded, in ms, of each
    /// measured frame.
    pub fn finish(self) -> Vec<f64> {
        self.stopping.store(true, Ordering::SeqCst);
        // Wakes the listener when the child never connected.
        let _ = UnixStream::connect(&self.path);
        self.thread.join().unwrap_or_default()
    }
}

fn receive(stream: UnixStream) -> Vec<f64> {
    let mut reader = BufReader::with_capacity(1 << 20, stream);
    let mut decoder = Vp8Decoder::new();
    let mut latencies = Vec::new();
    let mut header = [0u8; 13];
    let mut frame = Vec::new();
    while reader.read_exact(&mut header).is_ok() {
        let measured = header[0] == 1;
        let captured_at_ms = u64::from_le_bytes(header[1..9].try_into().unwrap_or_default());
        let len = u32::from_le_bytes(header[9..13].try_into().unwrap_or_default());
        frame.resize(len as usize, 0);
        if reader.read_exact(&mut frame).is_err() {
            break;
        }
        if decoder.decode(&frame) && measured {
            latencies.push(unix_ms() - captured_at_ms as f64);
        }
    }
    latencies
}

/// The header that goes before each frame sent to a [`FrameReceiver`].
pub fn frame_header(measured: bool, captured_at_ms: u64, len: usize) -> [u8; 13] {
    let mut header = [0u8; 13];
    header[0] = u8::from(measured);
    header[1..9].copy_from_slice(&captured_at_ms.to_le_bytes());
    header[9..13].copy_from_slice(&(len as u32).to_le_bytes());
    header
}

fn unix_ms() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}
