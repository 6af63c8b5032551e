//! Lifeline without a mouse, in the real webview: a client reaches every
//! step with Tab and Enter, the Settings dialog takes the focus and gives
//! it back, and no visible control on the main screens lacks a name a
//! screen reader could read.

use lifeline_e2e::{AppInstance, e2e};

const TAB: &str = "\u{E004}";
const ENTER: &str = "\u{E007}";
const ESCAPE: &str = "\u{E00C}";

/// Presses Tab until `id` has the focus; fails after `most` presses.
async fn tab_to(app: &AppInstance, id: &str, most: usize) -> anyhow::Result<()> {
    let mut seen = Vec::new();
    for _ in 0..most {
        app.press(TAB).await?;
        let focused = app.focused_id().await?;
        if focused == id {
            return Ok(());
        }
        seen.push(focused);
    }
    anyhow::bail!("Tab never reached #{id}; it went through {seen:?}")
}

async fn all_named(app: &AppInstance, screen: &str) -> anyhow::Result<()> {
    let unnamed = app.unlabelled().await?;
    anyhow::ensure!(
        unnamed.is_empty(),
        "{screen}: controls without a name: {unnamed:?}"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_client_gets_an_id_with_the_keyboard_alone() {
    e2e("keyboard", |h| async move {
        let server = h.signaling().await?;
        let app = h.launch_app("app", &server).await?;

        app.wait_for("#mode-client").await?;
        all_named(&app, "start").await?;
        tab_to(&app, "mode-client", 6).await?;
        app.press(ENTER).await?;
        app.wait_for("#desk-status[data-state='connected']").await?;
        tab_to(&app, "description", 8).await?;
        app.press("Printer offline").await?;
        tab_to(&app, "get-id", 4).await?;
        app.press(ENTER).await?;
        let id = app.text("#client-id").await?;
        anyhow::ensure!(id.len() == 7, "{id:?}");
        all_named(&app, "client with an ID").await?;
        h.screenshot(&app, "keyboard-client-id").await?;

        // Settings: Enter opens it with the focus inside, Escape closes it
        // and the focus comes back to where it was.
        app.click("#open-settings").await?;
        app.wait_for("#settings-signaling-url").await?;
        let inside = app.focused_id().await?;
        // The dialog itself, or a field in it.
        anyhow::ensure!(
            inside == "settings" || inside.starts_with("settings-"),
            "the dialog opened with the focus on {inside:?}"
        );
        all_named(&app, "settings").await?;
        app.press(ESCAPE).await?;
        let mut back = String::new();
        for _ in 0..30 {
            back = app.focused_id().await?;
            if back == "open-settings" {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        anyhow::ensure!(back == "open-settings", "the focus went to {back:?}");

        // The expert's screens.
        tab_to(&app, "change-mode", 20).await?;
        app.press(ENTER).await?;
        tab_to(&app, "mode-expert", 6).await?;
        app.press(ENTER).await?;
        app.wait_for("#sign-in-user").await?;
        all_named(&app, "expert sign-in").await?;
        h.screenshot(&app, "keyboard-expert-sign-in").await?;
        Ok(())
    })
    .await;
}
