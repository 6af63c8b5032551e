//! Figures and how the bench prints them: samples with their percentiles,
//! and the side-by-side columns with the ratio to the baseline.

/// Latency samples in ms, and the changes that never showed.
#[derive(Debug, Default, Clone)]
pub struct Figures {
    samples: Vec<f64>,
    /// When each sample's change was drawn (machine clock, ms).
    pub drawn: Vec<f64>,
    pub missed: u32,
}

impl Figures {
    pub fn push(&mut self, drawn: f64, ms: f64) {
        self.drawn.push(drawn);
        self.samples.push(ms);
    }

    pub fn len(&self) -> usize {
        self.samples.len()
    }

    /// The `p`th percentile (nearest rank), or `None` without samples.
    pub fn percentile(&self, p: f64) -> Option<f64> {
        percentile(&self.samples, p)
    }
}

/// The `p`th percentile of `samples` by nearest rank.
pub fn percentile(samples: &[f64], p: f64) -> Option<f64> {
    if samples.is_empty() {
        return None;
    }
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

/// A figure, or "-" when there is none.
pub fn show(value: Option<f64>) -> String {
    value.map_or_else(|| "-".into(), |v| format!("{v:.0}"))
}

/// A figure with one decimal, or "-".
pub fn show1(value: Option<f64>) -> String {
    value.map_or_else(|| "-".into(), |v| format!("{v:.1}"))
}

/// `value / baseline` as "×2.4", or "-" when either is missing.
pub fn ratio(value: Option<f64>, baseline: Option<f64>) -> String {
    match (value, baseline) {
        (Some(v), Some(b)) if b > 0.0 => format!("×{:.1}", v / b),
        _ => "-".into(),
    }
}

/// "p50 / p95 (n, missed)" for a table cell.
pub fn summary(figures: &Figures) -> String {
    let missed = if figures.missed > 0 {
        format!(", {} missed", figures.missed)
    } else {
        String::new()
    };
    format!(
        "{} / {} ({}{missed})",
        show(figures.percentile(50.0)),
        show(figures.percentile(95.0)),
        figures.len()
    )
}
