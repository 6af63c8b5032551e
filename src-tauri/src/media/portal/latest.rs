//! The newest picture PipeWire delivered, handed from its thread to the
//! capture thread. PipeWire sends a buffer only when the screen changed,
//! so a picture not yet taken is a change; the capture thread takes it,
//! or waits for one.
//!
//! The desktop says which parts of each picture changed (PipeWire's video
//! damage), when it can. Then only those rows are copied out of PipeWire's
//! buffer, and the capture thread learns which rows to convert and encode,
//! as the X server's damage reports tell it on X11.

use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::media::capture::{CaptureError, Captured};
use crate::media::damage::{Damage, Rect};
use crate::media::frame::{PixelOrder, RgbaFrame};
use crate::media::wake::Waker;

/// Why the stream ended: an error, or [`CaptureError::Stopped`].
pub type Ended = CaptureError;

#[derive(Debug, Default)]
struct State {
    /// The buffer the next picture is copied into.
    frame: RgbaFrame,
    /// Where `frame` differs from the newest picture: besides the rows the
    /// next picture changes, its copy covers these.
    stale: Damage,
    /// What changed since the capture thread last took a picture.
    changed: Damage,
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

    /// PipeWire's side: a new picture, `stride` bytes a row in `data`, in
    /// which `damage` changed (`None`: the desktop did not say). Rows are
    /// packed as they are copied.
    pub fn put(
        &self,
        data: &[u8],
        size: (u32, u32),
        stride: usize,
        order: PixelOrder,
        damage: Option<&[Rect]>,
    ) {
        let (width, height) = size;
        let row = width as usize * 4;
        if stride < row || data.len() < stride * (height as usize).saturating_sub(1) + row {
            return; // a buffer that does not hold the picture it claims
        }
        let mut guard = self.lock();
        let state = &mut *guard;
        let picture = Rect::new(0, 0, width, height);
        let frame = &mut state.frame;
        if (frame.width, frame.height, frame.order) != (width, height, order)
            || frame.data.len() != row * height as usize
        {
            // A new size or order, or a buffer the capture thread took.
            *frame = RgbaFrame {
                width,
                height,
                data: vec![0; row * height as usize],
                order,
            };
            state.stale.reset(picture);
            state.stale.add_everything();
        }
        if state.changed.monitor() != picture {
            state.changed.reset(picture);
            state.changed.add_everything();
        }
        match damage {
            Some(rects) if !rects.is_empty() => {
                for rect in rects {
                    state.stale.add(*rect);
                    state.changed.add(*rect);
                }
            }
            _ => {
                state.stale.add_everything();
                state.changed.add_everything();
            }
        }
        for rows in state.stale.take_rows() {
            for y in rows.start as usize..rows.end as usize {
                frame.data[y * row..(y + 1) * row]
                    .copy_from_slice(&data[y * stride..y * stride + row]);
            }
        }
        state.fresh = true;
        if let Some(waker) = &state.waker {
            waker.wake();
        }
        drop(guard);
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

    /// Takes the picture into `frame` if a new one waits, and says what
    /// changed: `None` when no new picture waits. `frame` must be the
    /// picture the previous call (or [`Latest::first`]) gave. The two
    /// swap buffers: the next picture is written into `frame`'s old one,
    /// so a picture is copied once, from PipeWire's buffer, and only where
    /// the old one differs.
    pub fn take_into(&self, frame: &mut RgbaFrame) -> Result<Option<Captured>, Ended> {
        let mut guard = self.lock();
        let state = &mut *guard;
        if let Some(why) = &state.ended {
            return Err(why.clone());
        }
        if !state.fresh {
            return Ok(None);
        }
        state.fresh = false;
        let same = (frame.width, frame.height, frame.order, frame.data.len())
            == (
                state.frame.width,
                state.frame.height,
                state.frame.order,
                state.frame.data.len(),
            );
        std::mem::swap(frame, &mut state.frame);
        // The old buffer lags the newest picture by what changed since.
        state.stale = state.changed.clone();
        let rows = state.changed.take_rows();
        Ok(Some(if same {
            Captured::Rows(rows)
        } else {
            Captured::Whole
        }))
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
                let picture = state.changed.monitor();
                state.changed.reset(picture);
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
        latest.put(&data, (2, 2), 12, PixelOrder::Bgrx, None);
        let mut frame = RgbaFrame::default();
        assert_eq!(latest.take_into(&mut frame), Ok(Some(Captured::Whole)));
        assert_eq!(
            frame.data,
            [0, 1, 2, 3, 4, 5, 6, 7, 12, 13, 14, 15, 16, 17, 18, 19]
        );
        assert_eq!(
            (frame.width, frame.height, frame.order),
            (2, 2, PixelOrder::Bgrx)
        );
        assert_eq!(latest.take_into(&mut frame), Ok(None), "taken once");
    }

    #[test]
    fn a_short_buffer_is_refused() {
        let latest = Latest::default();
        latest.put(&[0; 15], (2, 2), 8, PixelOrder::Rgba, None);
        assert!(latest.first(Duration::ZERO).is_err());
    }

    #[test]
    fn an_ended_stream_says_why_and_wakes_the_waiter() {
        let latest = Latest::default();
        let wakeup = crate::media::wake::Wakeup::new().unwrap();
        assert!(!latest.fresh_or_wake(&wakeup.waker()));
        let stopped = CaptureError::Stopped("stopped from the desktop".into());
        latest.end(stopped.clone());
        assert!(wakeup.wait(Some(Duration::ZERO)), "the waiter was woken");
        assert!(latest.fresh_or_wake(&wakeup.waker()));
        let mut frame = RgbaFrame::default();
        assert_eq!(latest.take_into(&mut frame), Err(stopped));
    }

    const W: u32 = 4;
    const H: u32 = 8;

    /// A 4×8 picture whose every row is `fill` (4 bytes a pixel, packed).
    fn picture(fill: &[u8; H as usize]) -> Vec<u8> {
        fill.iter().flat_map(|&v| [v; W as usize * 4]).collect()
    }

    fn rows_of(frame: &RgbaFrame) -> Vec<u8> {
        frame
            .data
            .chunks(W as usize * 4)
            .map(|row| row[0])
            .collect()
    }

    #[test]
    fn damage_says_which_rows_changed_since_the_last_take() {
        let latest = Latest::default();
        let mut frame = RgbaFrame::default();
        latest.put(&picture(&[1; 8]), (W, H), 16, PixelOrder::Bgrx, None);
        assert_eq!(latest.take_into(&mut frame), Ok(Some(Captured::Whole)));
        // Two pictures before the next take: rows 2–3, then row 6.
        let second = picture(&[1, 1, 2, 2, 1, 1, 1, 1]);
        latest.put(
            &second,
            (W, H),
            16,
            PixelOrder::Bgrx,
            Some(&[Rect::new(0, 2, W, 2)]),
        );
        let third = picture(&[1, 1, 2, 2, 1, 1, 3, 1]);
        latest.put(
            &third,
            (W, H),
            16,
            PixelOrder::Bgrx,
            Some(&[Rect::new(1, 6, 1, 1)]),
        );
        assert_eq!(
            latest.take_into(&mut frame),
            Ok(Some(Captured::Rows(vec![2..4, 6..8]))),
            "both pictures' rows, widened to pairs"
        );
        assert_eq!(rows_of(&frame), [1, 1, 2, 2, 1, 1, 3, 1]);
        // Damage that does not say what changed means all of it.
        latest.put(&third, (W, H), 16, PixelOrder::Bgrx, None);
        assert_eq!(
            latest.take_into(&mut frame),
            Ok(Some(Captured::Rows(std::iter::once(0..H).collect())))
        );
    }

    /// Each picture copies only its damaged rows into a buffer that may
    /// be several pictures old: what the capture thread takes must still
    /// be the newest picture in every row.
    #[test]
    fn buffers_copied_by_damage_hold_the_newest_picture() {
        let latest = Latest::default();
        let mut frame = RgbaFrame::default();
        let mut screen = [0u8; H as usize];
        let mut seed = 7u32;
        let mut next = || {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
            (seed >> 16) as usize
        };
        latest.put(&picture(&screen), (W, H), 16, PixelOrder::Bgrx, None);
        for step in 1..200u32 {
            let row = next() % H as usize;
            screen[row] = step as u8;
            let damage = [Rect::new(0, row as i32, W, 1)];
            latest.put(
                &picture(&screen),
                (W, H),
                16,
                PixelOrder::Bgrx,
                Some(&damage),
            );
            if next() % 3 == 0 {
                assert!(matches!(latest.take_into(&mut frame), Ok(Some(_))));
                assert_eq!(rows_of(&frame), screen, "after step {step}");
            }
        }
    }

    #[test]
    fn a_new_size_is_taken_whole() {
        let latest = Latest::default();
        let mut frame = RgbaFrame::default();
        latest.put(&picture(&[1; 8]), (W, H), 16, PixelOrder::Bgrx, None);
        assert!(latest.take_into(&mut frame).is_ok());
        let smaller = vec![9; 2 * 2 * 4];
        latest.put(
            &smaller,
            (2, 2),
            8,
            PixelOrder::Bgrx,
            Some(&[Rect::new(0, 0, 1, 1)]),
        );
        assert_eq!(latest.take_into(&mut frame), Ok(Some(Captured::Whole)));
        assert_eq!(
            (frame.width, frame.height, frame.data.as_slice()),
            (2, 2, smaller.as_slice())
        );
    }
}
