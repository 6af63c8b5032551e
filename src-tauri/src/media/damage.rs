//! Damage bookkeeping: which parts of one monitor changed since the last
//! capture. Pure and synchronous; the capturer that receives the X server's
//! damage reports owns one [`Damage`] per share and asks it what to capture.
//!
//! Rectangles arrive in root-window coordinates. They are clipped to the
//! monitor and kept relative to its top-left corner; overlapping or touching
//! ones are merged, and past [`MAX_RECTS`] everything collapses into one
//! bounding box, so a storm of small reports costs constant memory. An empty
//! region means *no capture*: [`Damage::take_rows`] then returns nothing.

/// A rectangle; `x`/`y` may be negative (damage left of or above a monitor).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Rect {
    pub x: i32,
    pub y: i32,
    pub width: u32,
    pub height: u32,
}

/// Rows `start..end` of a monitor, full width.
pub type Rows = std::ops::Range<u32>;

/// More rectangles than this and the region becomes their bounding box.
pub const MAX_RECTS: usize = 16;

impl Rect {
    pub fn new(x: i32, y: i32, width: u32, height: u32) -> Self {
        Self {
            x,
            y,
            width,
            height,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.width == 0 || self.height == 0
    }

    fn right(&self) -> i64 {
        i64::from(self.x) + i64::from(self.width)
    }

    fn bottom(&self) -> i64 {
        i64::from(self.y) + i64::from(self.height)
    }

    /// Built from edges; `None` when empty.
    fn from_edges(left: i64, top: i64, right: i64, bottom: i64) -> Option<Rect> {
        if right <= left || bottom <= top {
            return None;
        }
        Some(Rect {
            x: i32::try_from(left).ok()?,
            y: i32::try_from(top).ok()?,
            width: u32::try_from(right - left).ok()?,
            height: u32::try_from(bottom - top).ok()?,
        })
    }

    /// The common part, if any.
    pub fn intersect(&self, other: &Rect) -> Option<Rect> {
        Rect::from_edges(
            i64::from(self.x.max(other.x)),
            i64::from(self.y.max(other.y)),
            self.right().min(other.right()),
            self.bottom().min(other.bottom()),
        )
    }

    /// The smallest rectangle holding both.
    pub fn bounding(&self, other: &Rect) -> Rect {
        Rect::from_edges(
            i64::from(self.x.min(other.x)),
            i64::from(self.y.min(other.y)),
            self.right().max(other.right()),
            self.bottom().max(other.bottom()),
        )
        .unwrap_or(*self)
    }

    /// Overlapping or sharing an edge: merging them loses nothing.
    fn touches(&self, other: &Rect) -> bool {
        i64::from(self.x) <= other.right()
            && i64::from(other.x) <= self.right()
            && i64::from(self.y) <= other.bottom()
            && i64::from(other.y) <= self.bottom()
    }
}

/// The changed parts of one monitor, relative to its top-left corner.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Damage {
    /// The monitor on the root window.
    monitor: Rect,
    /// Disjoint, monitor-relative, never empty rectangles.
    rects: Vec<Rect>,
}

impl Damage {
    /// Nothing damaged yet on `monitor` (root coordinates).
    pub fn new(monitor: Rect) -> Self {
        Self {
            monitor,
            rects: Vec::new(),
        }
    }

    pub fn monitor(&self) -> Rect {
        self.monitor
    }

    pub fn is_empty(&self) -> bool {
        self.rects.is_empty()
    }

    /// The damaged rectangles, monitor-relative.
    pub fn rects(&self) -> &[Rect] {
        &self.rects
    }

    /// Adds a change reported in root coordinates; the part outside the
    /// monitor is dropped.
    pub fn add(&mut self, root: Rect) {
        let Some(clipped) = root.intersect(&self.monitor) else {
            return;
        };
        let mut rect = Rect {
            x: clipped.x - self.monitor.x,
            y: clipped.y - self.monitor.y,
            ..clipped
        };
        // Absorb every rectangle the new one touches, again until stable:
        // a merge can grow it into another one.
        loop {
            let before = self.rects.len();
            self.rects.retain(|kept| {
                if kept.touches(&rect) {
                    rect = rect.bounding(kept);
                    false
                } else {
                    true
                }
            });
            if self.rects.len() == before {
                break;
            }
        }
        self.rects.push(rect);
        if self.rects.len() > MAX_RECTS {
            let all = self.rects.iter().fold(rect, |a, b| a.bounding(b));
            self.rects = vec![all];
        }
    }

    /// The whole monitor changed (a first capture, a resize).
    pub fn add_everything(&mut self) {
        self.add(self.monitor);
    }

    /// The damaged rows as full-width bands, sorted and merged, widened to
    /// even rows (I420 takes rows in pairs); then the region is empty.
    pub fn take_rows(&mut self) -> Vec<Rows> {
        let height = self.monitor.height;
        let mut bands: Vec<Rows> = self
            .rects
            .drain(..)
            .filter_map(|r| {
                let start = u32::try_from(r.y).ok()? & !1;
                let end = r.y.unsigned_abs().saturating_add(r.height);
                let end = end.saturating_add(end & 1).min(height);
                (start < end).then_some(start..end)
            })
            .collect();
        bands.sort_by_key(|b| b.start);
        let mut merged: Vec<Rows> = Vec::with_capacity(bands.len());
        for band in bands {
            match merged.last_mut() {
                Some(last) if band.start <= last.end => last.end = last.end.max(band.end),
                _ => merged.push(band),
            }
        }
        merged
    }

    /// Forgets what was damaged and moves to `monitor` (root coordinates).
    pub fn reset(&mut self, monitor: Rect) {
        self.monitor = monitor;
        self.rects.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MONITOR: Rect = Rect {
        x: 1920,
        y: 0,
        width: 1280,
        height: 720,
    };

    #[test]
    fn nothing_damaged_means_nothing_to_capture() {
        let mut damage = Damage::new(MONITOR);
        assert!(damage.is_empty());
        assert!(damage.take_rows().is_empty());
        // Damage wholly on another monitor changes nothing here.
        damage.add(Rect::new(100, 100, 50, 50));
        damage.add(Rect::new(0, 800, 4000, 10));
        assert!(damage.is_empty());
        assert!(damage.take_rows().is_empty());
    }

    #[test]
    fn rectangles_are_clipped_to_the_monitor_and_made_relative() {
        let mut damage = Damage::new(MONITOR);
        damage.add(Rect::new(1900, -5, 40, 20));
        assert_eq!(damage.rects(), [Rect::new(0, 0, 20, 15)]);
        let mut damage = Damage::new(MONITOR);
        damage.add(Rect::new(3190, 710, 100, 100));
        assert_eq!(damage.rects(), [Rect::new(1270, 710, 10, 10)]);
    }

    #[test]
    fn overlapping_and_touching_rectangles_merge_distant_ones_stay_apart() {
        let mut damage = Damage::new(Rect::new(0, 0, 1000, 1000));
        damage.add(Rect::new(10, 10, 10, 10));
        damage.add(Rect::new(15, 15, 10, 10)); // overlaps
        damage.add(Rect::new(25, 10, 5, 5)); // shares an edge
        damage.add(Rect::new(500, 500, 10, 10)); // far away
        assert_eq!(
            damage.rects(),
            [Rect::new(10, 10, 20, 15), Rect::new(500, 500, 10, 10)]
        );
        // One rectangle bridging both swallows them (a merge that grows
        // into another rectangle keeps merging).
        damage.add(Rect::new(20, 20, 485, 485));
        assert_eq!(damage.rects(), [Rect::new(10, 10, 500, 500)]);
    }

    #[test]
    fn a_storm_of_small_reports_collapses_to_its_bounding_box() {
        let mut damage = Damage::new(Rect::new(0, 0, 1000, 1000));
        for i in 0..=MAX_RECTS as i32 {
            damage.add(Rect::new(i * 20, i * 30, 5, 5));
        }
        let last = MAX_RECTS as i32;
        assert_eq!(
            damage.rects(),
            [Rect::new(
                0,
                0,
                (last * 20 + 5) as u32,
                (last * 30 + 5) as u32
            )]
        );
    }

    #[test]
    fn rows_are_even_merged_sorted_and_then_gone() {
        let mut damage = Damage::new(Rect::new(0, 0, 100, 101));
        damage.add(Rect::new(50, 61, 5, 4)); // rows 61..65 → 60..66
        damage.add(Rect::new(0, 3, 5, 2)); // rows 3..5 → 2..6
        damage.add(Rect::new(90, 64, 5, 3)); // rows 64..67 → 64..68, joins 60..66
        damage.add(Rect::new(0, 99, 5, 5)); // clipped to 99..101, stays ≤ height
        assert_eq!(damage.take_rows(), [2..6, 60..68, 98..101]);
        assert!(damage.is_empty());
        assert!(damage.take_rows().is_empty());
    }

    #[test]
    fn everything_is_the_whole_monitor() {
        let mut damage = Damage::new(MONITOR);
        damage.add_everything();
        assert_eq!(damage.rects(), [Rect::new(0, 0, 1280, 720)]);
        assert_eq!(damage.take_rows(), [Rows { start: 0, end: 720 }]);
        damage.reset(Rect::new(0, 0, 640, 480));
        assert!(damage.is_empty());
        damage.add(Rect::new(600, 0, 100, 2));
        assert_eq!(damage.rects(), [Rect::new(600, 0, 40, 2)]);
    }
}
