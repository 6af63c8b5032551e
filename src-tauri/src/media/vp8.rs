//! A VP8 encoder over libvpx, tuned for screens in real time.
//!
//! This is the one module that calls C: a thin safe wrapper over
//! `env-libvpx-sys` (the binding `vpx-encode` builds on), because
//! `vpx-encode` cannot force keyframes or set encoder controls. Settings:
//! realtime deadline, CBR, error resilient, no lag, screen-content mode, a
//! negative `cpu-used` (stable timings; values ≥ 0 vary wildly) and one
//! thread (see [`EncoderConfig::threads`]).

#![allow(unsafe_code)]

use std::ffi::CStr;
use std::mem::MaybeUninit;
use std::os::raw::{c_int, c_ulong};
use std::ptr;

use vpx_sys::vp8e_enc_control_id::{
    VP8E_SET_CPUUSED, VP8E_SET_MAX_INTRA_BITRATE_PCT, VP8E_SET_NOISE_SENSITIVITY,
    VP8E_SET_SCREEN_CONTENT_MODE, VP8E_SET_STATIC_THRESHOLD,
};
use vpx_sys::vpx_codec_cx_pkt_kind::VPX_CODEC_CX_FRAME_PKT;
use vpx_sys::{
    VPX_DL_REALTIME, VPX_EFLAG_FORCE_KF, VPX_ENCODER_ABI_VERSION, VPX_ERROR_RESILIENT_DEFAULT,
    VPX_FRAME_IS_KEY, vpx_codec_ctx_t, vpx_codec_enc_cfg_t, vpx_codec_err_t, vpx_img_fmt,
    vpx_kf_mode, vpx_rc_mode,
};

use super::convert::I420Frame;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EncoderConfig {
    pub width: u32,
    pub height: u32,
    pub fps: u32,
    pub bitrate_kbps: u32,
    /// Speed: −16 (fastest) … 16. Negative values give steady timings.
    pub cpu_used: i32,
    /// libvpx's worker threads. One: VP8's row-parallel threads wait for
    /// each other by spinning, so on a busy 2-core machine (the X server
    /// and the app drawing on the other core) a 1080p scrolling-text frame
    /// took p50 5–74 ms, p95 50–293 ms with 2 threads, against p50 7–8 ms,
    /// p95 10–40 ms with one.
    pub threads: u32,
}

impl EncoderConfig {
    pub fn new(width: u32, height: u32) -> Self {
        Self {
            width,
            height,
            fps: 30,
            bitrate_kbps: 2500,
            cpu_used: -12,
            threads: 1,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    #[error("libvpx: {call} failed: {message}")]
    Vpx { call: &'static str, message: String },
    #[error("frame is {got:?}, the encoder was made for {want:?}")]
    WrongSize { got: (u32, u32), want: (u32, u32) },
    #[error("VP8 needs even, non-zero dimensions, not {0}×{1}")]
    BadDimensions(u32, u32),
}

/// One compressed frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedFrame {
    pub data: Vec<u8>,
    pub keyframe: bool,
    pub pts: i64,
}

pub struct Vp8Encoder {
    // Both boxed: libvpx keeps a pointer to the configuration in the
    // context, so neither may move after initialisation.
    ctx: Box<vpx_codec_ctx_t>,
    cfg: Box<vpx_codec_enc_cfg_t>,
    config: EncoderConfig,
}

impl std::fmt::Debug for Vp8Encoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vp8Encoder")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

// SAFETY: the codec context is plain heap state owned by this value; libvpx
// has no thread affinity, and `&mut self` on every call keeps it to one
// thread at a time.
unsafe impl Send for Vp8Encoder {}

impl Vp8Encoder {
    /// Starts an encoder for `config`, whose dimensions must be even and
    /// non-zero: libvpx's defaults with our settings, then the controls.
    pub fn new(config: EncoderConfig) -> Result<Self, EncodeError> {
        let (w, h) = (config.width, config.height);
        if w == 0 || h == 0 || w % 2 != 0 || h % 2 != 0 {
            return Err(EncodeError::BadDimensions(w, h));
        }
        // SAFETY: returns a pointer to libvpx's static VP8 interface table.
        let iface = unsafe { vpx_sys::vpx_codec_vp8_cx() };
        let mut cfg = MaybeUninit::<vpx_codec_enc_cfg_t>::zeroed();
        // SAFETY: `cfg` is valid writable memory of the right type; libvpx
        // fills every field with its defaults.
        check("vpx_codec_enc_config_default", ptr::null_mut(), unsafe {
            vpx_sys::vpx_codec_enc_config_default(iface, cfg.as_mut_ptr(), 0)
        })?;
        // SAFETY: initialised by the successful call above.
        let mut cfg = Box::new(unsafe { cfg.assume_init() });
        settings(&mut cfg, &config);

        let mut ctx = Box::new(MaybeUninit::<vpx_codec_ctx_t>::zeroed());
        // SAFETY: `ctx` is writable heap memory for the context, `cfg` a
        // valid configuration on the heap that outlives it, and the ABI
        // version the one the bindings match.
        check("vpx_codec_enc_init_ver", ptr::null_mut(), unsafe {
            vpx_sys::vpx_codec_enc_init_ver(
                ctx.as_mut_ptr(),
                iface,
                &*cfg,
                0,
                VPX_ENCODER_ABI_VERSION as c_int,
            )
        })?;
        // SAFETY: initialised by the successful call above; `MaybeUninit<T>`
        // has the layout of `T`.
        let ctx = unsafe { Box::from_raw(Box::into_raw(ctx).cast::<vpx_codec_ctx_t>()) };
        let mut encoder = Self { ctx, cfg, config };
        encoder.set_controls()?;
        Ok(encoder)
    }

    /// Sets the VP8 controls the configuration has no field for.
    fn set_controls(&mut self) -> Result<(), EncodeError> {
        self.control(
            "VP8E_SET_CPUUSED",
            VP8E_SET_CPUUSED as c_int,
            self.config.cpu_used,
        )?;
        self.control(
            "VP8E_SET_SCREEN_CONTENT_MODE",
            VP8E_SET_SCREEN_CONTENT_MODE as c_int,
            1,
        )?;
        self.control(
            "VP8E_SET_STATIC_THRESHOLD",
            VP8E_SET_STATIC_THRESHOLD as c_int,
            100,
        )?;
        self.control(
            "VP8E_SET_NOISE_SENSITIVITY",
            VP8E_SET_NOISE_SENSITIVITY as c_int,
            0,
        )?;
        // Caps a keyframe at 3× an average frame, so it does not flood the link.
        self.control(
            "VP8E_SET_MAX_INTRA_BITRATE_PCT",
            VP8E_SET_MAX_INTRA_BITRATE_PCT as c_int,
            300,
        )
    }

    pub fn config(&self) -> EncoderConfig {
        self.config
    }

    fn control(&mut self, name: &'static str, id: c_int, value: c_int) -> Result<(), EncodeError> {
        // SAFETY: the context is initialised; these VP8E controls take one
        // `int` argument, which is what the variadic call passes.
        let result = unsafe { vpx_sys::vpx_codec_control_(&mut *self.ctx, id, value) };
        check(name, &mut *self.ctx, result)
    }

    /// Encodes one frame; `pts` in milliseconds. Usually one frame comes
    /// out, none if the encoder drops it.
    pub fn encode(
        &mut self,
        frame: &mut I420Frame,
        pts: i64,
        force_keyframe: bool,
    ) -> Result<Vec<EncodedFrame>, EncodeError> {
        let want = (self.config.width, self.config.height);
        if (frame.width, frame.height) != want {
            return Err(EncodeError::WrongSize {
                got: (frame.width, frame.height),
                want,
            });
        }
        let mut image = MaybeUninit::<vpx_sys::vpx_image_t>::zeroed();
        // SAFETY: `frame.data` holds a contiguous I420 image of exactly
        // these (even) dimensions with stride = width (checked when it was
        // built), and stays borrowed until the encode call below returns;
        // libvpx only records pointers into it.
        let wrapped = unsafe {
            vpx_sys::vpx_img_wrap(
                image.as_mut_ptr(),
                vpx_img_fmt::VPX_IMG_FMT_I420,
                frame.width,
                frame.height,
                1,
                frame.data.as_mut_ptr(),
            )
        };
        if wrapped.is_null() {
            return Err(EncodeError::Vpx {
                call: "vpx_img_wrap",
                message: "cannot wrap the frame".into(),
            });
        }
        let flags = if force_keyframe {
            VPX_EFLAG_FORCE_KF as vpx_sys::vpx_enc_frame_flags_t
        } else {
            0
        };
        let duration = c_ulong::from(1000 / self.config.fps.max(1));
        // SAFETY: the context is initialised and `wrapped` points at the
        // image set up above, whose pixels outlive this call.
        let result = unsafe {
            vpx_sys::vpx_codec_encode(
                &mut *self.ctx,
                wrapped,
                pts,
                duration,
                flags,
                c_ulong::from(VPX_DL_REALTIME),
            )
        };
        check("vpx_codec_encode", &mut *self.ctx, result)?;
        Ok(self.take_frames())
    }

    /// Copies out the frames libvpx has finished, after an encode call.
    fn take_frames(&mut self) -> Vec<EncodedFrame> {
        let mut out = Vec::new();
        let mut iter: vpx_sys::vpx_codec_iter_t = ptr::null();
        loop {
            // SAFETY: the context is initialised; `iter` is the iterator
            // state libvpx expects, starting from null.
            let packet = unsafe { vpx_sys::vpx_codec_get_cx_data(&mut *self.ctx, &mut iter) };
            if packet.is_null() {
                break;
            }
            // SAFETY: a non-null packet from libvpx is valid until the next
            // call on this context; it is copied out before that.
            let packet = unsafe { &*packet };
            if packet.kind != VPX_CODEC_CX_FRAME_PKT {
                continue;
            }
            // SAFETY: for frame packets the `frame` union member is the
            // active one, and `buf`/`sz` describe libvpx's output buffer.
            let data = unsafe {
                let f = &packet.data.frame;
                std::slice::from_raw_parts(f.buf as *const u8, f.sz as usize).to_vec()
            };
            // SAFETY: as above, the `frame` member is active.
            let (flags, pts) = unsafe { (packet.data.frame.flags, packet.data.frame.pts) };
            out.push(EncodedFrame {
                data,
                keyframe: flags & VPX_FRAME_IS_KEY != 0,
                pts,
            });
        }
        out
    }

    /// Changes the target bitrate without restarting the encoder.
    pub fn set_bitrate(&mut self, kbps: u32) -> Result<(), EncodeError> {
        self.cfg.rc_target_bitrate = kbps;
        // SAFETY: the context is initialised and `cfg` is its configuration,
        // kept on the heap for as long as the context.
        let result = unsafe { vpx_sys::vpx_codec_enc_config_set(&mut *self.ctx, &*self.cfg) };
        check("vpx_codec_enc_config_set", &mut *self.ctx, result)?;
        self.config.bitrate_kbps = kbps;
        Ok(())
    }
}

impl Drop for Vp8Encoder {
    fn drop(&mut self) {
        // SAFETY: the context was initialised in `new` and is destroyed once.
        unsafe {
            vpx_sys::vpx_codec_destroy(&mut *self.ctx);
        }
    }
}

/// Our settings over libvpx's defaults in `cfg` (see the module docs).
fn settings(cfg: &mut vpx_codec_enc_cfg_t, config: &EncoderConfig) {
    cfg.g_w = config.width;
    cfg.g_h = config.height;
    cfg.g_timebase.num = 1;
    cfg.g_timebase.den = 1000; // pts in milliseconds
    cfg.g_threads = config.threads.max(1);
    cfg.g_error_resilient = VPX_ERROR_RESILIENT_DEFAULT;
    cfg.g_lag_in_frames = 0;
    cfg.rc_end_usage = vpx_rc_mode::VPX_CBR;
    cfg.rc_target_bitrate = config.bitrate_kbps;
    cfg.rc_min_quantizer = 4;
    cfg.rc_max_quantizer = 56;
    cfg.rc_undershoot_pct = 50;
    cfg.rc_overshoot_pct = 50;
    cfg.rc_buf_sz = 1000;
    cfg.rc_buf_initial_sz = 500;
    cfg.rc_buf_optimal_sz = 600;
    cfg.rc_dropframe_thresh = 0;
    cfg.kf_mode = vpx_kf_mode::VPX_KF_AUTO;
    // Keyframes come on request (a new viewer, a loss); otherwise rarely.
    cfg.kf_max_dist = config.fps.saturating_mul(60);
}

/// Turns a libvpx status into a Result with libvpx's own explanation.
fn check(
    call: &'static str,
    ctx: *mut vpx_codec_ctx_t,
    result: vpx_codec_err_t,
) -> Result<(), EncodeError> {
    if result == vpx_codec_err_t::VPX_CODEC_OK {
        return Ok(());
    }
    // SAFETY: libvpx returns static, NUL-terminated strings for both calls;
    // the detail call is made only on an initialised context.
    let message = unsafe {
        let text = CStr::from_ptr(vpx_sys::vpx_codec_err_to_string(result)).to_string_lossy();
        if ctx.is_null() {
            text.into_owned()
        } else {
            let detail = vpx_sys::vpx_codec_error_detail(ctx);
            if detail.is_null() {
                text.into_owned()
            } else {
                format!("{text}: {}", CStr::from_ptr(detail).to_string_lossy())
            }
        }
    };
    Err(EncodeError::Vpx { call, message })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::convert::{I420Frame, rgba_to_i420};
    use crate::media::frame::RgbaFrame;

    fn pattern(width: u32, height: u32, step: u32) -> RgbaFrame {
        let mut data = vec![0u8; (width * height * 4) as usize];
        for y in 0..height {
            for x in 0..width {
                let i = ((y * width + x) * 4) as usize;
                let on = (x + step * 8) / 16 % 2 == (y / 16) % 2;
                data[i..i + 4].copy_from_slice(if on {
                    &[240, 240, 240, 255]
                } else {
                    &[20, 60, 160, 255]
                });
            }
        }
        RgbaFrame {
            width,
            height,
            data,
            ..Default::default()
        }
    }

    #[test]
    fn keyframe_first_then_deltas_and_keyframes_on_request() {
        let mut encoder = Vp8Encoder::new(EncoderConfig::new(320, 180)).unwrap();
        let mut i420 = I420Frame::default();
        let mut kinds = Vec::new();
        for step in 0..8u32 {
            rgba_to_i420(&pattern(320, 180, step), &mut i420).unwrap();
            let frames = encoder
                .encode(&mut i420, i64::from(step) * 33, step == 5)
                .unwrap();
            assert_eq!(frames.len(), 1);
            let frame = &frames[0];
            if frame.keyframe {
                // A VP8 keyframe: frame tag bit 0 clear, then the start code.
                assert_eq!(frame.data[0] & 1, 0);
                assert_eq!(&frame.data[3..6], &[0x9d, 0x01, 0x2a]);
            }
            kinds.push(frame.keyframe);
        }
        assert_eq!(
            kinds,
            [true, false, false, false, false, true, false, false]
        );
    }

    #[test]
    fn refuses_odd_sizes_and_mismatched_frames() {
        assert!(matches!(
            Vp8Encoder::new(EncoderConfig::new(321, 180)),
            Err(EncodeError::BadDimensions(321, 180))
        ));
        let mut encoder = Vp8Encoder::new(EncoderConfig::new(320, 180)).unwrap();
        let mut i420 = I420Frame::default();
        rgba_to_i420(&pattern(640, 360, 0), &mut i420).unwrap();
        assert!(matches!(
            encoder.encode(&mut i420, 0, false),
            Err(EncodeError::WrongSize { .. })
        ));
        encoder.set_bitrate(800).unwrap();
    }
}
