//! "Restart and reconnect" with the real apps: the expert restarts the
//! client's computer and asks for the session to resume. The client's
//! restart command is a script that kills its app at once (as a computer
//! going down would); the test checks the app set itself to start at
//! login, then starts it again with the same user folders, as the login
//! would. The app rejoins by itself: the expert's tab shows the client's
//! screen again, chat crosses, and the client's bar says the session
//! resumed, with the same permissions, without a consent dialog.

use std::os::unix::fs::PermissionsExt;

use lifeline_e2e::flows::{establish_with, loopback};
use lifeline_e2e::screen::first_picture;
use lifeline_e2e::{AppOptions, e2e};

const PASSWORD: &str = "correct horse battery";

#[tokio::test(flavor = "multi_thread")]
async fn the_session_resumes_after_the_clients_computer_restarts() {
    e2e("reboot_reconnect", |h| async move {
        let server = h.signaling().await?;
        server
            .add_expert("ann", "Ann from the Help Desk", PASSWORD)
            .await?;
        let home = tempfile::tempdir()?;
        // The "restart": the command kills the app that runs it.
        let restart = home.path().join("restart.sh");
        std::fs::write(&restart, "#!/bin/sh\ntouch \"$0.ran\"\nkill -9 $PPID\n")?;
        std::fs::set_permissions(&restart, std::fs::Permissions::from_mode(0o755))?;
        let mut options = AppOptions {
            home: Some(home.path().to_owned()),
            ..loopback()
        };
        options.env.extend([
            ("LIFELINE_REBOOT_COMMAND".into(), restart.display().to_string()),
            ("LIFELINE_REBOOT_COUNTDOWN_SECS".into(), "1".into()),
        ]);
        let client = h.launch_app_with("client", &server, options.clone()).await?;
        let expert = h.launch_app_with("expert", &server, loopback()).await?;
        establish_with(&client, &expert, "ann", PASSWORD, &["#want-reboot"], &[]).await?;
        first_picture(&expert).await?;

        expert.open_menu("tools-more").await?;
        expert.click("#reboot-request").await?;
        expert.wait_for("#reboot-reconnect:checked").await?;
        expert.click("#reboot-confirm").await?;
        let ran = home.path().join("restart.sh.ran");
        lifeline_e2e::flows::wait_until("the restart", || Ok(ran.exists())).await?;
        let entry = home.path().join("config/autostart/lifeline-reconnect.desktop");
        let entry = std::fs::read_to_string(&entry)
            .map_err(|e| anyhow::anyhow!("no start at login ({e})"))?;
        let binary = lifeline_e2e::paths::binary("lifeline")?;
        anyhow::ensure!(
            entry.contains(&format!("Exec=\"{}\"", binary.display())),
            "the entry does not start Lifeline: {entry}"
        );

        // The login starts the app again, with what the last one left.
        let again = h.launch_app_with("client-after-restart", &server, options).await?;
        again.wait_for("#session-stop").await?;
        expert.wait_for("#safety-code").await?;
        first_picture(&expert).await?;
        let notice = again.text("#bar-notice").await?;
        anyhow::ensure!(
            notice == "The session resumed after the restart, with the permissions you gave before. Click Stop to end it.",
            "{notice:?}"
        );
        expert
            .type_into("#chat-input", "Welcome back!\u{e007}")
            .await?;
        again.open_bar_panel("chat").await?;
        let heard = again
            .text(".chat-line[data-from='peer'] .chat-text")
            .await?;
        anyhow::ensure!(heard == "Welcome back!", "{heard:?}");
        h.screenshot(&again, "resumed").await?;
        h.screenshot(&expert, "resumed").await?;
        anyhow::ensure!(
            !home.path().join("data/lifeline/reconnect.json").exists(),
            "the grant was kept after use"
        );
        Ok(())
    })
    .await;
}
