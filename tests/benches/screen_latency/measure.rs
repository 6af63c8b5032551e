//! Motion to photon: the painter changes the client's screen, an eye finds
//! the change on a receiver, and the difference of the two times is one
//! sample. Nothing here reads a frame's timestamp, so the figure covers
//! every stage from the X server to the picture, whatever each stage
//! claims about itself.
//!
//! One change at a time: the next is drawn only once the last was seen (or
//! given up on), after a pause that varies from change to change so the
//! changes do not fall into step with the sender's capture timer.

use std::time::Duration;

use crate::painter::{Change, PALETTE, Painter};
use crate::probe::Eye;
use crate::report::Figures;

/// Changes that are drawn but not counted: the first shows the patch's
/// window, which the receiver may get as a keyframe.
const WARM_UP: u32 = 3;
/// How long a change may take to show before it counts as missed.
const GIVE_UP: Duration = Duration::from_secs(3);

/// Draws `count` changes of kind `change` (after a short warm-up) and
/// returns how long each took to show on `eye`.
pub async fn glass_to_glass(
    painter: &mut Painter,
    eye: &mut Eye,
    change: Change,
    count: u32,
) -> anyhow::Result<Figures> {
    let spot = painter.spot(change);
    let mut figures = Figures::default();
    eye.forget().await?;
    for step in 0..count + WARM_UP {
        let colour = PALETTE[step as usize % PALETTE.len()];
        eye.expect(spot, colour).await?;
        let drawn = painter.paint(change, step, colour)?;
        let seen = eye.seen(GIVE_UP).await?;
        if step >= WARM_UP {
            match seen {
                Some(at) => figures.push(drawn, at - drawn),
                None => figures.missed += 1,
            }
        }
        // 120–330 ms, in a sequence that does not repeat a capture
        // interval's phase.
        let pause = 120 + (u64::from(step) * 71) % 211;
        tokio::time::sleep(Duration::from_millis(pause)).await;
    }
    Ok(figures)
}
