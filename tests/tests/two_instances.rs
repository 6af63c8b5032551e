//! Two app instances run at once without touching each other: each has its
//! own X display (its window exists there and only there), its own settings,
//! and its own WebDriver session.

use lifeline_e2e::e2e;

#[tokio::test(flavor = "multi_thread")]
async fn two_instances_are_isolated() {
    e2e("two_instances", |h| async move {
        let server = h.signaling().await?;
        let (client, expert) = tokio::try_join!(
            h.launch_app("client", &server),
            h.launch_app("expert", &server)
        )?;
        anyhow::ensure!(
            client.xvfb().display() != expert.xvfb().display(),
            "both instances got display {}",
            client.xvfb().display()
        );

        client.click("#mode-client").await?;
        expert.click("#mode-expert").await?;
        client.wait_for("#client-home").await?;
        expert.wait_for("#expert-home").await?;

        // Each display holds exactly one Lifeline window: its own.
        for app in [&client, &expert] {
            let windows = app.xvfb().run(
                "xdotool",
                &["search", "--onlyvisible", "--name", "^Lifeline$"],
            )?;
            anyhow::ensure!(
                windows.lines().count() == 1,
                "{} display {} has windows {windows:?}",
                app.name(),
                app.xvfb().display()
            );
        }

        // Settings did not leak from one instance to the other.
        let client_settings = std::fs::read_to_string(client.config_dir().join("settings.json"))?;
        let expert_settings = std::fs::read_to_string(expert.config_dir().join("settings.json"))?;
        anyhow::ensure!(
            client_settings.contains(r#""mode": "client""#),
            "{client_settings}"
        );
        anyhow::ensure!(
            expert_settings.contains(r#""mode": "expert""#),
            "{expert_settings}"
        );

        h.screenshot(&client, "isolated").await?;
        h.screenshot(&expert, "isolated").await?;
        Ok(())
    })
    .await;
}
