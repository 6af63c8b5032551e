//! The expert's remote-screen view as tests read it: the received-frames
//! counter the view keeps on its canvas (`data-frames`), the first
//! picture, and the moment the stream holds still.

use std::time::{Duration, Instant};

use crate::AppInstance;

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
