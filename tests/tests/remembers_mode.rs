//! The start screen's choice is remembered: it is written to the settings
//! file by the Rust side, and a reloaded UI opens straight in that mode.

use lifeline_e2e::e2e;

#[tokio::test(flavor = "multi_thread")]
async fn the_last_mode_is_remembered() {
    e2e("remembers_mode", |h| async move {
        let server = h.signaling().await?;
        let app = h.launch_app("expert", &server).await?;

        app.click("#mode-expert").await?;
        app.wait_for("#expert-home").await?;
        let saved = std::fs::read_to_string(app.config_dir().join("settings.json"))?;
        anyhow::ensure!(
            saved.contains(r#""mode": "expert""#),
            "settings file holds {saved}"
        );

        app.reload().await?;
        app.wait_for("#expert-home").await?;

        // Changing mode goes back to the start screen, and that is remembered too.
        app.click("#change-mode").await?;
        app.wait_for("#start-question").await?;
        app.reload().await?;
        app.wait_for("#start-question").await?;
        Ok(())
    })
    .await;
}
