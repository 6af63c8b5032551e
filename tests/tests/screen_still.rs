//! A still screen costs nothing: after the first picture, ten seconds of a
//! client screen where nothing changes bring the expert at most one video
//! frame (a refresh keyframe is allowed), counted by the expert view's
//! received-frames counter. Then one change on the client's screen arrives
//! as at least one new frame, proving the counter was live all along.

use std::time::{Duration, Instant};

use lifeline_e2e::e2e;
use lifeline_e2e::flows::{desk_and_two_apps, establish};
use lifeline_e2e::screen::{first_picture, frames_received, frames_settled};

const PASSWORD: &str = "correct horse battery";
const STILL: Duration = Duration::from_secs(10);

#[tokio::test(flavor = "multi_thread")]
async fn a_still_screen_sends_at_most_one_frame_in_ten_seconds() {
    e2e("screen_still", |h| async move {
        let (_server, client, expert) = desk_and_two_apps(&h, PASSWORD).await?;
        client.xvfb().run("xsetroot", &["-solid", "#225522"])?;
        establish(&client, &expert, "ann", PASSWORD, &[]).await?;
        first_picture(&expert).await?;
        // The session's start settles (both UIs stop changing): the count
        // starts once it held still for a second.
        let start = frames_settled(&expert).await?;
        h.screenshot(&expert, "still-start").await?;
        tokio::time::sleep(STILL).await;
        let end = frames_received(&expert).await?;
        anyhow::ensure!(
            end - start <= 1,
            "a still screen sent {} frames in {STILL:?}",
            end - start
        );

        // The counter is live: a change on the client's screen arrives.
        client.xvfb().run("xsetroot", &["-solid", "#aa2222"])?;
        let changed = Instant::now() + Duration::from_secs(15);
        while frames_received(&expert).await? <= end {
            anyhow::ensure!(Instant::now() < changed, "the change never arrived");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        h.screenshot(&expert, "still-changed").await?;
        Ok(())
    })
    .await;
}
