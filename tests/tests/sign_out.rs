//! An expert who does nothing is signed out by the desk (after 8 hours;
//! three seconds on this test's desk) and the app says so in plain words
//! and shows the sign-in form again.

use lifeline_e2e::e2e;
use lifeline_e2e::flows::expert_signs_in;

const PASSWORD: &str = "correct horse battery";

#[tokio::test(flavor = "multi_thread")]
async fn an_idle_expert_is_signed_out_with_a_clear_message() {
    e2e("sign_out", |h| async move {
        let config = lifeline_e2e::artifacts::dir_for("sign_out")?.join("desk.toml");
        std::fs::write(&config, "token_idle_secs = 3\n")?;
        let server = h
            .signaling_with(&["--config", &config.display().to_string()])
            .await?;
        server.add_expert("ann", "Ann", PASSWORD).await?;
        let expert = h.launch_app("expert", &server).await?;
        expert_signs_in(&expert, "ann", PASSWORD).await?;

        let notice = "#session-notice[data-code='signed_out'] p:first-child";
        let shown = expert
            .wait_for_within(notice, std::time::Duration::from_secs(15))
            .await?
            .text()
            .await?;
        anyhow::ensure!(
            shown == "You were signed out after 8 hours of inactivity. Please sign in again.",
            "{shown:?}"
        );
        expert.wait_for("#sign-in-user").await?;
        h.screenshot(&expert, "signed-out").await?;
        Ok(())
    })
    .await;
}
