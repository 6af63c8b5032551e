//! The app starts in its real webview, the start screen offers both modes,
//! and choosing "I need help" shows the client screen with the signaling URL
//! that the Rust side resolved from its environment (a value only a Rust
//! command can supply), then leaves a screenshot artifact.

use lifeline_e2e::e2e;

#[tokio::test(flavor = "multi_thread")]
async fn client_mode_shows_the_desk_the_app_is_pointed_at() {
    e2e("start_screen", |h| async move {
        let server = h.signaling().await?;
        let app = h.launch_app("client", &server).await?;

        let question = app.text("#start-question").await?;
        anyhow::ensure!(
            question == "How can Lifeline help you today?",
            "start screen says {question:?}"
        );
        h.screenshot(&app, "start").await?;

        app.click("#mode-client").await?;
        app.wait_for("#client-home").await?;
        let url = app.text("#signaling-url").await?;
        anyhow::ensure!(
            url == server.ws_url(),
            "the client screen shows {url:?}, expected the harness's server {}",
            server.ws_url()
        );

        let shot = h.screenshot(&app, "client-home").await?;
        eprintln!("screenshot: {}", shot.display());
        Ok(())
    })
    .await;
}
