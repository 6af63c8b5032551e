//! The newest picture PipeWire delivered, handed from its thread to the
//! capture thread. PipeWire sends a buffer only when the screen changed,
//! so a picture not yet taken is a change; the capture thread takes it,
//! or waits for one.

use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::media::frame::{PixelOrder, RgbaFrame};
use crate::media::wake::Waker;

/// Why the stream ended, in words for the log and the notice.
pub type Ended = String;

#[derive(Debug, Default)]
struct State {
    frame: RgbaFrame,
    /// A picture the capture thread has not taken yet.
    fresh: bool,
    ended: Option<Ended>,
    /// Wakes a capture thread waiting for a change.
    waker: Option<Waker>,
}

#[derive(Debug, Default)]
pub struct Latest {
    state: Mutex<State>,
    arrived: Condvar,
}

impl Latest {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// PipeWire's side: a new picture, `stride` bytes a row in `data`.
    /// Rows are packed as they are copied.
    pub fn put(&self, data: &[u8], size: (u32, u32), stride: usize, order: PixelOrder) {
        let (width, height) = size;
        let row = width as usize * 4;
        if stride < row || data.len() < stride * (height as usize).saturating_sub(1) + row {
            return; // a buffer that does not hold the picture it claims
        }
        let mut state = self.lock();
        let frame = &mut state.frame;
        frame.width = width;
        frame.height = height;
        frame.order = order;
        frame.data.clear();
        frame.data.reserve(row * height as usize);
        for y in 0..height as usize {
            frame
                .data
                .extend_from_slice(&data[y * stride..y * stride + row]);
        }
        state.fresh = true;
        if let Some(waker) = &state.waker {
            waker.wake();
        }
        drop(state);
        self.arrived.notify_all();
    }

    /// PipeWire's side: no more pictures will come.
    pub fn end(&self, why: Ended) {
        let mut state = self.lock();
        state.ended.get_or_insert(why);
        if let Some(waker) = &state.waker {
            waker.wake();
        }
        drop(state);
        self.arrived.notify_all();
    }

    /// Whether a picture waits, after arranging for `waker` to be woken
    /// when one comes (so none can slip between the check and the wait).
    pub fn fresh_or_wake(&self, waker: &Waker) -> bool {
        let mut state = self.lock();
        state.waker = Some(waker.clone());
        state.fresh || state.ended.is_some()
    }

    /// Takes the picture into `frame` if a new one waits; `true` if so.
    /// The two swap buffers: the next picture is written into `frame`'s
    /// old one, so a picture is copied once, from PipeWire's buffer.
    pub fn take_into(&self, frame: &mut RgbaFrame) -> Result<bool, Ended> {
        let mut state = self.lock();
        if let Some(why) = &state.ended {
            return Err(why.clone());
        }
        if !state.fresh {
            return Ok(false);
        }
        state.fresh = false;
        std::mem::swap(frame, &mut state.frame);
        Ok(true)
    }

    /// The next picture: waits up to `within` for PipeWire to send one.
    /// `Err(None)`: none came in time; `Err(Some(why))`: none will.
    pub fn first(&self, within: Duration) -> Result<RgbaFrame, Option<Ended>> {
        let deadline = Instant::now() + within;
        let mut state = self.lock();
        loop {
            if let Some(why) = &state.ended {
                return Err(Some(why.clone()));
            }
            if state.fresh {
                state.fresh = false;
                return Ok(std::mem::take(&mut state.frame));
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(None);
            }
            state = self
                .arrived
                .wait_timeout(state, left)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_packed_whatever_the_stride() {
        let latest = Latest::default();
        // 2×2 pixels, rows 12 bytes apart: 4 bytes of padding each.
        let data: Vec<u8> = (0..24).collect();
        latest.put(&data, (2, 2), 12, PixelOrder::Bgrx);
        let mut frame = RgbaFrame::default();
        assert_eq!(latest.take_into(&mut frame), Ok(true));
        assert_eq!(
            frame.data,
            [0, 1, 2, 3, 4, 5, 6, 7, 12, 13, 14, 15, 16, 17, 18, 19]
        );
        assert_eq!(
            (frame.width, frame.height, frame.order),
            (2, 2, PixelOrder::Bgrx)
        );
        assert_eq!(latest.take_into(&mut frame), Ok(false), "taken once");
    }

    #[test]
    fn a_short_buffer_is_refused() {
        let latest = Latest::default();
        latest.put(&[0; 15], (2, 2), 8, PixelOrder::Rgba);
        assert!(latest.first(Duration::ZERO).is_err());
    }

    #[test]
    fn an_ended_stream_says_why_and_wakes_the_waiter() {
        let latest = Latest::default();
        let wakeup = crate::media::wake::Wakeup::new().unwrap();
        assert!(!latest.fresh_or_wake(&wakeup.waker()));
        latest.end("stopped from the desktop".into());
        assert!(wakeup.wait(Some(Duration::ZERO)), "the waiter was woken");
        assert!(latest.fresh_or_wake(&wakeup.waker()));
        let mut frame = RgbaFrame::default();
        assert_eq!(
            latest.take_into(&mut frame),
            Err("stopped from the desktop".into())
        );
    }
}
