//! The expert's remote-screen view as tests read it: the received-frames
//! counter the view keeps on its canvas (`data-frames`), the first
//! picture, the moment the stream holds still, and the colours it shows.

use std::time::{Duration, Instant};

use crate::AppInstance;
use crate::xvfb::SCREEN;

/// A colour, 0–255 per channel.
pub type Rgb = [i64; 3];

/// VP8 at a low bitrate moves colours a little; compared colours are far
/// apart.
const TOLERANCE: i64 = 48;

/// Frames the expert's view has received so far.
pub async fn frames_received(expert: &AppInstance) -> anyhow::Result<i64> {
    let value = expert
        .client()
        .execute(
            "return Number(document.getElementById('screen-canvas').dataset.frames || 0);",
            vec![],
        )
        .await?;
    Ok(value.as_i64().unwrap_or_default())
}

/// Waits (up to 20 s) until the expert's view has received a picture.
pub async fn first_picture(expert: &AppInstance) -> anyhow::Result<()> {
    expert.wait_for("#screen-canvas").await?;
    let deadline = Instant::now() + Duration::from_secs(20);
    while frames_received(expert).await? < 1 {
        anyhow::ensure!(Instant::now() < deadline, "no picture on the expert's side");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(())
}

/// Waits (up to 40 s) until no frame arrived for a whole second: frames
/// still in flight from a change have landed. Returns the count then.
pub async fn frames_settled(expert: &AppInstance) -> anyhow::Result<i64> {
    let deadline = Instant::now() + Duration::from_secs(40);
    let mut before = frames_received(expert).await?;
    loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let now = frames_received(expert).await?;
        if now == before {
            return Ok(now);
        }
        before = now;
        anyhow::ensure!(
            Instant::now() < deadline,
            "frames keep coming from a still screen ({now} so far)"
        );
    }
}

/// The canvas's size and the colour at a point of the client's screen.
pub async fn canvas_pixel(expert: &AppInstance, at: (u32, u32)) -> anyhow::Result<(i64, i64, Rgb)> {
    let value = expert
        .client()
        .execute(
            "const c = document.querySelector('#screen-canvas');
             const x = Math.floor(arguments[0] * c.width / arguments[2]);
             const y = Math.floor(arguments[1] * c.height / arguments[3]);
             const d = c.getContext('2d').getImageData(x, y, 1, 1).data;
             return [c.width, c.height, d[0], d[1], d[2]];",
            vec![at.0.into(), at.1.into(), SCREEN.0.into(), SCREEN.1.into()],
        )
        .await?;
    let n: Vec<i64> = serde_json::from_value(value)?;
    anyhow::ensure!(n.len() == 5, "unexpected answer {n:?}");
    Ok((n[0], n[1], [n[2], n[3], n[4]]))
}

/// Whether two colours are the same within VP8's drift.
pub fn close(a: Rgb, b: Rgb) -> bool {
    a.iter().zip(b).all(|(x, y)| (x - y).abs() <= TOLERANCE)
}

/// Waits (up to 20 s) until the canvas shows `want` at every point, or
/// fails with what it showed last.
pub async fn wait_for_colours(
    expert: &AppInstance,
    want: &[((u32, u32), Rgb)],
) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let mut seen = Vec::new();
        for (at, colour) in want {
            let (w, h, got) = canvas_pixel(expert, *at).await?;
            seen.push((w, h, *at, got, close(got, *colour)));
        }
        if seen.iter().all(|s| s.4) {
            return Ok(());
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "the canvas did not show {want:?}; saw {seen:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Clicks the expert's canvas where the client's screen point `at` is drawn.
pub async fn click_remote(expert: &AppInstance, at: (u32, u32)) -> anyhow::Result<()> {
    let value = expert
        .client()
        .execute(
            "const c = document.querySelector('#screen-canvas');
             c.scrollIntoView({block: 'center', inline: 'center'});
             const r = c.getBoundingClientRect();
             return [r.left + (arguments[0] + 0.5) * r.width / c.width,
                     r.top + (arguments[1] + 0.5) * r.height / c.height];",
            vec![at.0.into(), at.1.into()],
        )
        .await?;
    let xy: Vec<f64> = serde_json::from_value(value)?;
    use fantoccini::actions::{InputSource, MouseActions, PointerAction};
    let mouse = MouseActions::new("mouse".into())
        .then(PointerAction::MoveTo {
            duration: None,
            x: xy[0].round(),
            y: xy[1].round(),
        })
        .then(PointerAction::Down { button: 0 })
        .then(PointerAction::Up { button: 0 });
    expert.client().perform_actions(mouse).await?;
    Ok(())
}
