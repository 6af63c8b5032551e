//! Follows the network: the expert's receiver reports say what fraction of
//! the screen's packets was lost, and the encoder's bitrate follows, in the
//! manner of the loss-based half of Google's congestion control: heavy loss
//! cuts the rate in proportion, light loss holds it, and a clean link lets
//! it climb back towards the quality preset's target.

/// Never below this: text stays readable, and a keyframe still fits.
pub const FLOOR_KBPS: u32 = 150;
/// Above this loss the link is congested.
const CUT_ABOVE: f64 = 0.10;
/// Below this loss there is room to grow.
const GROW_BELOW: f64 = 0.02;
/// Growth per clean report (about one a second).
const GROWTH: f64 = 1.08;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LossController {
    ceiling_kbps: u32,
    target_kbps: u32,
}

impl LossController {
    /// Starts at the preset's bitrate, which is also the ceiling.
    pub fn new(ceiling_kbps: u32) -> Self {
        Self {
            ceiling_kbps,
            target_kbps: ceiling_kbps,
        }
    }

    pub fn target_kbps(&self) -> u32 {
        self.target_kbps
    }

    /// One receiver report's `fraction_lost` (0–255 for 0–100 %). Returns
    /// the new target when it changed.
    pub fn on_report(&mut self, fraction_lost: u8) -> Option<u32> {
        let loss = f64::from(fraction_lost) / 256.0;
        let current = f64::from(self.target_kbps);
        let next = if loss > CUT_ABOVE {
            current * (1.0 - 0.5 * loss)
        } else if loss < GROW_BELOW {
            current * GROWTH
        } else {
            current
        };
        let next =
            (next.round() as u32).clamp(FLOOR_KBPS.min(self.ceiling_kbps), self.ceiling_kbps);
        (next != self.target_kbps).then(|| {
            self.target_kbps = next;
            next
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn percent(p: f64) -> u8 {
        (p / 100.0 * 256.0) as u8
    }

    #[test]
    fn a_clean_link_keeps_the_preset() {
        let mut c = LossController::new(2500);
        assert_eq!(c.on_report(0), None);
        assert_eq!(c.target_kbps(), 2500);
    }

    #[test]
    fn heavy_loss_cuts_in_proportion_and_a_clean_link_climbs_back() {
        let mut c = LossController::new(2500);
        let cut = c.on_report(percent(30.0)).expect("a cut");
        assert!((2100..=2140).contains(&cut), "{cut}");
        for _ in 0..20 {
            c.on_report(percent(40.0));
        }
        assert_eq!(c.target_kbps(), FLOOR_KBPS, "never below the floor");
        let mut reports = 0;
        while c.target_kbps() < 2500 {
            c.on_report(0);
            reports += 1;
        }
        assert!(
            (25..=40).contains(&reports),
            "{reports} clean reports to recover"
        );
        assert_eq!(c.target_kbps(), 2500, "never above the preset");
    }

    #[test]
    fn moderate_loss_holds_the_rate() {
        let mut c = LossController::new(2500);
        c.on_report(percent(50.0));
        let held = c.target_kbps();
        assert_eq!(c.on_report(percent(5.0)), None);
        assert_eq!(c.target_kbps(), held);
    }
}
