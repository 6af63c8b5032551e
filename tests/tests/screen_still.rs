//! A still screen costs nothing: after the first picture, ten seconds of a
//! client screen where nothing changes bring the expert at most one video
//! frame (a refresh keyframe is allowed), counted by the expert view's
//! received-frames counter. Then one change on the client's screen arrives
//! as at least one new frame, proving the counter was live all along.

use std::time::{Duration, Instant};

use lifeline_e2e::flows::{establish, loopback};
use lifeline_e2e::{AppInstance, e2e};

const PASSWORD: &str = "correct horse battery";
const STILL: Duration = Duration::from_secs(10);

async fn frames(expert: &AppInstance) -> anyhow::Result<i64> {
    let value = expert
        .client()
        .execute(
            "return Number(document.getElementById('screen-canvas').dataset.frames || 0);",
            vec![],
        )
        .await?;
    Ok(value.as_i64().unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_still_screen_sends_at_most_one_frame_in_ten_seconds() {
    e2e("screen_still", |h| async move {
        let server = h.signaling().await?;
        server
            .add_expert("ann", "Ann from the Help Desk", PASSWORD)
            .await?;
        let client = h.launch_app_with("client", &server, loopback()).await?;
        let expert = h.launch_app_with("expert", &server, loopback()).await?;
        client.xvfb().run("xsetroot", &["-solid", "#225522"])?;
        establish(&client, &expert, "ann", PASSWORD, &[]).await?;
        expert.wait_for("#screen-canvas").await?;
        let deadline = Instant::now() + Duration::from_secs(20);
        while frames(&expert).await? < 1 {
            anyhow::ensure!(Instant::now() < deadline, "no picture on the expert's side");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        // The session's start settles (both UIs stop changing): the count
        // starts once it held still for a second.
        let mut start = frames(&expert).await?;
        loop {
            tokio::time::sleep(Duration::from_secs(1)).await;
            let now = frames(&expert).await?;
            if now == start {
                break;
            }
            start = now;
            anyhow::ensure!(
                Instant::now() < deadline + Duration::from_secs(20),
                "frames keep coming from a still screen ({now} so far)"
            );
        }
        h.screenshot(&expert, "still-start").await?;
        tokio::time::sleep(STILL).await;
        let end = frames(&expert).await?;
        anyhow::ensure!(
            end - start <= 1,
            "a still screen sent {} frames in {STILL:?}",
            end - start
        );

        // The counter is live: a change on the client's screen arrives.
        client.xvfb().run("xsetroot", &["-solid", "#aa2222"])?;
        let changed = Instant::now() + Duration::from_secs(15);
        while frames(&expert).await? <= end {
            anyhow::ensure!(Instant::now() < changed, "the change never arrived");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        h.screenshot(&expert, "still-changed").await?;
        Ok(())
    })
    .await;
}
