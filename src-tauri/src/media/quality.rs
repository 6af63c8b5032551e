//! The expert's quality presets, and what each asks of the encoder.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Quality {
    /// Fewer frames and bits: a slow or metered link.
    Speed,
    #[default]
    Balanced,
    /// Sharp text and smooth motion on a good link.
    Best,
}

impl Quality {
    pub fn fps(self) -> u32 {
        match self {
            Quality::Speed => 15,
            Quality::Balanced | Quality::Best => 30,
        }
    }

    /// The target bitrate for a 1080p screen; the encoder spends far less
    /// while little changes.
    pub fn bitrate_kbps(self) -> u32 {
        match self {
            Quality::Speed => 800,
            Quality::Balanced => 2500,
            Quality::Best => 6000,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_order_by_cost() {
        let cost = |q: Quality| q.fps() * q.bitrate_kbps();
        assert!(cost(Quality::Speed) < cost(Quality::Balanced));
        assert!(cost(Quality::Balanced) < cost(Quality::Best));
        assert_eq!(
            serde_json::from_str::<Quality>(r#""best""#).unwrap(),
            Quality::Best
        );
    }
}
