//! The client's pointer travels apart from the video: xdotool moves the
//! pointer on the client's X server, and the expert's view draws its own
//! copy of the client's cursor at the matching place of the picture
//! (within a few pixels, in fit mode, where the picture is scaled down),
//! while the expert's received-frames counter stays where it was: moving
//! the pointer sent no video frame. The counter is read before the first
//! move and again after a later move was seen, so the check waits on a
//! positive signal, not on a fixed sleep.

use std::time::{Duration, Instant};

use lifeline_e2e::flows::{desk_and_two_apps, establish};
use lifeline_e2e::screen::{first_picture, frames_received, frames_settled};
use lifeline_e2e::xvfb::SCREEN;
use lifeline_e2e::{AppInstance, e2e};

const PASSWORD: &str = "correct horse battery";
/// CSS pixels between where the cursor's hotspot is drawn and where the
/// client's point lands on the scaled picture.
const TOLERANCE: f64 = 3.0;

/// Points outside the client app's own window (it sits at the top left,
/// 1024×720): a pointer over the root window changes no pixel.
const FIRST: (i64, i64) = (1150, 760);
const SECOND: (i64, i64) = (1210, 640);

/// Where the view draws the client's pointer: the client point it shows
/// (its data attributes), and that point as found from the drawn cursor's
/// place on the picture (its hotspot, scaled back to client pixels).
async fn drawn_cursor(expert: &AppInstance) -> anyhow::Result<Option<[f64; 4]>> {
    let value = expert
        .client()
        .execute(
            "const c = document.getElementById('screen-canvas');
             const k = document.getElementById('screen-cursor');
             if (!k || k.style.display !== 'block' || k.dataset.x === undefined) return null;
             const pic = c.getBoundingClientRect();
             const cur = k.getBoundingClientRect();
             const scale = pic.width / c.width;
             const hx = cur.width / k.width, hy = cur.height / k.height;
             const shape = JSON.parse(k.dataset.hot || '[0,0]');
             const x = (cur.left - pic.left) / scale + shape[0] * hx / scale;
             const y = (cur.top - pic.top) / scale + shape[1] * hy / scale;
             return [Number(k.dataset.x), Number(k.dataset.y), x, y, scale];",
            vec![],
        )
        .await?;
    if value.is_null() {
        return Ok(None);
    }
    let n: Vec<f64> = serde_json::from_value(value)?;
    anyhow::ensure!(n.len() == 5, "unexpected answer {n:?}");
    Ok(Some([n[0], n[1], n[2], n[3]]))
}

/// Scrolls the drawn cursor into the window, for the screenshots.
async fn show_cursor(expert: &AppInstance) -> anyhow::Result<()> {
    expert
        .client()
        .execute(
            "document.getElementById('screen-cursor').scrollIntoView({block: 'center'}); return 0;",
            vec![],
        )
        .await?;
    Ok(())
}

/// Waits until the view draws the pointer at `at` (client pixels).
async fn wait_for_cursor(expert: &AppInstance, at: (i64, i64)) -> anyhow::Result<[f64; 4]> {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let seen = drawn_cursor(expert).await?;
        if let Some(c) = seen
            && (c[0] as i64, c[1] as i64) == at
        {
            return Ok(c);
        }
        if Instant::now() >= deadline {
            // What the view has, to tell a shape that never came from a
            // position that never came or a picture never painted.
            let state = expert
                .client()
                .execute(
                    "const k = document.getElementById('screen-cursor');
                     return k ? JSON.stringify({display: k.style.display, ...k.dataset}) : 'none';",
                    vec![],
                )
                .await?;
            anyhow::bail!(
                "the expert's view never drew the pointer at {at:?}; saw {seen:?}; the cursor's element: {state}"
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_pointer_moves_on_the_experts_view_without_a_video_frame() {
    e2e("screen_cursor", |h| async move {
        let (_server, client, expert) = desk_and_two_apps(&h, PASSWORD).await?;
        client.xvfb().run("xsetroot", &["-solid", "#336699"])?;
        establish(&client, &expert, "ann", PASSWORD, &[]).await?;
        first_picture(&expert).await?;

        // The first move shows the client's cursor on the expert's view.
        client.xvfb().run(
            "xdotool",
            &["mousemove", &FIRST.0.to_string(), &FIRST.1.to_string()],
        )?;
        let first = wait_for_cursor(&expert, FIRST).await?;
        let off =
            |c: [f64; 4], at: (i64, i64)| ((c[2] - at.0 as f64).abs(), (c[3] - at.1 as f64).abs());
        // In client pixels; the tolerance is in CSS pixels of the picture.
        let scale = expert
            .client()
            .execute(
                "const c = document.getElementById('screen-canvas'); \
                 return c.getBoundingClientRect().width / c.width;",
                vec![],
            )
            .await?
            .as_f64()
            .unwrap_or(1.0);
        anyhow::ensure!(scale < 1.0, "fit mode scales the picture down ({scale})");
        let (dx, dy) = off(first, FIRST);
        anyhow::ensure!(
            dx * scale <= TOLERANCE && dy * scale <= TOLERANCE,
            "the cursor is drawn {dx:.1},{dy:.1} client pixels away from {FIRST:?}"
        );
        show_cursor(&expert).await?;
        h.screenshot(&expert, "cursor-first").await?;

        // Frames still in flight from the start settle first: the counter
        // is read only once it held still for a second.
        let before = frames_settled(&expert).await?;
        for (x, y) in [(1160, 700), (1180, 660), SECOND] {
            client
                .xvfb()
                .run("xdotool", &["mousemove", &x.to_string(), &y.to_string()])?;
        }
        let second = wait_for_cursor(&expert, SECOND).await?;
        let (dx, dy) = off(second, SECOND);
        anyhow::ensure!(
            dx * scale <= TOLERANCE && dy * scale <= TOLERANCE,
            "the cursor is drawn {dx:.1},{dy:.1} client pixels away from {SECOND:?}"
        );
        let after = frames_received(&expert).await?;
        anyhow::ensure!(
            after == before,
            "moving the pointer cost {} video frames",
            after - before
        );
        show_cursor(&expert).await?;
        h.screenshot(&expert, "cursor-second").await?;
        anyhow::ensure!(SCREEN.0 > SECOND.0 as u32, "the points are on the screen");
        Ok(())
    })
    .await;
}
