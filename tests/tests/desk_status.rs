//! The client always sees how its link to the support desk is doing: it says
//! it is connected, says so plainly with a countdown when the desk goes away,
//! and reconnects by itself when the desk comes back on the same address.

use std::time::Duration;

use lifeline_e2e::e2e;

#[tokio::test(flavor = "multi_thread")]
async fn the_client_shows_and_recovers_its_link_to_the_desk() {
    e2e("desk_status", |h| async move {
        let mut server = h.signaling().await?;
        let app = h.launch_app("client", &server).await?;
        app.click("#mode-client").await?;

        app.wait_for("#desk-status[data-state='connected']").await?;
        let text = app.text("#desk-status").await?;
        anyhow::ensure!(
            text == "Connected to the support desk.",
            "status says {text:?}"
        );

        server.stop();
        app.wait_for("#desk-status[data-state='offline']").await?;
        let text = app.text("#desk-status").await?;
        anyhow::ensure!(
            text.starts_with("Can't reach the support desk. Retrying in ")
                || text.ends_with("Retrying now…"),
            "offline status says {text:?}"
        );
        h.screenshot(&app, "offline").await?;

        server.restart().await?;
        tokio::time::timeout(
            Duration::from_secs(20),
            app.wait_for("#desk-status[data-state='connected']"),
        )
        .await
        .map_err(|_| anyhow::anyhow!("did not reconnect within 20 s"))??;
        Ok(())
    })
    .await;
}
