//! The whole consent flow between two real apps, each on its own X server,
//! through the real signaling server, with WebRTC between the two app
//! processes: the expert signs in, malformed IDs get Techinline's messages,
//! the client sees who asks for what and grants less, both show the same
//! safety code, the expert sees the screen, they chat both ways (with an
//! unread count while the expert's chat is hidden), the expert's amended
//! notes reach the desk's session record, the client stops the session,
//! and the spent ID is refused. During the session the client's window is
//! a small bar that a real window manager keeps on top, with an unread
//! count of its own, and it is the app's window again afterwards.

use lifeline_e2e::flows::desk_and_two_apps;
use lifeline_e2e::{e2e, window};

const PASSWORD: &str = "correct horse battery";

#[tokio::test(flavor = "multi_thread")]
async fn an_expert_reaches_a_client_who_consents_and_stops() {
    e2e("support_session", |h| async move {
        let (server, client, expert) = desk_and_two_apps(&h, PASSWORD).await?;
        let _window_manager = window::start_window_manager(client.xvfb())?;

        client.click("#mode-client").await?;
        client
            .wait_for("#desk-status[data-state='connected']")
            .await?;
        client.type_into("#description", "Printer offline").await?;
        client.click("#get-id").await?;
        let id = client.text("#client-id").await?;

        expert.click("#mode-expert").await?;
        expert
            .wait_for("#desk-status[data-state='connected']")
            .await?;
        expert.type_into("#sign-in-user", "ann").await?;
        expert
            .type_into("#sign-in-password", "wrong password")
            .await?;
        expert.click("#sign-in-submit").await?;
        let refused = expert
            .text("#session-notice[data-code='bad_credentials']")
            .await?;
        anyhow::ensure!(
            refused.starts_with("Wrong user name or password."),
            "{refused:?}"
        );
        h.screenshot(&expert, "sign-in-refused").await?;
        expert.type_into("#sign-in-password", PASSWORD).await?;
        expert.click("#sign-in-submit").await?;
        let who = expert.text("#signed-in-as").await?;
        anyhow::ensure!(who == "Signed in as Ann from the Help Desk", "{who:?}");

        for (typed, code, message) in [
            ("", "id_empty", "Please enter the Client ID."),
            (
                "12345",
                "id_invalid",
                "Wrong Client ID. A Client ID is a 6-digit number.",
            ),
        ] {
            expert.type_into("#client-id-input", typed).await?;
            expert.click("#connect").await?;
            let shown = expert
                .text(&format!("#session-notice[data-code='{code}']"))
                .await?;
            anyhow::ensure!(shown.starts_with(message), "{typed:?} → {shown:?}");
        }

        // The ID as read over the phone, with its space.
        expert.type_into("#client-id-input", &id).await?;
        expert.type_into("#notes", "Ticket 4711: printer").await?;
        expert.click("#connect").await?;
        let located = expert.text("#session-notice[data-code='located']").await?;
        anyhow::ensure!(
            located == "Remote client located. Waiting for client's connection approval.",
            "{located:?}"
        );
        expert.wait_for("#request-countdown").await?;

        let title = client.text("#consent-title").await?;
        anyhow::ensure!(
            title == "Ann from the Help Desk wants to connect to your computer",
            "{title:?}"
        );
        let notes = client.text("#consent-notes").await?;
        anyhow::ensure!(notes == "Ticket 4711: printer", "{notes:?}");
        client.wait_for("#grant-files").await?;
        anyhow::ensure!(
            client
                .client()
                .find(lifeline_e2e::Locator::Css("#grant-reboot"))
                .await
                .is_err(),
            "reboot was not asked for, so it is not offered"
        );
        let countdown = client.text("#consent-countdown").await?;
        anyhow::ensure!(
            countdown.starts_with("This request closes in 5:00")
                || countdown.starts_with("This request closes in 4:5"),
            "{countdown:?}"
        );
        let focused = client.focused_id().await?;
        anyhow::ensure!(
            focused == "consent" || focused.starts_with("grant-"),
            "the request opened with the focus outside it, on {focused:?}"
        );
        for (app, screen) in [(&client, "consent"), (&expert, "waiting")] {
            let unnamed = app.unlabelled().await?;
            anyhow::ensure!(unnamed.is_empty(), "{screen}: unnamed {unnamed:?}");
        }
        h.screenshot(&client, "consent").await?;
        client.click("#grant-control").await?;
        client.click("#consent-accept").await?;

        let established = expert
            .text("#session-notice[data-code='established']")
            .await?;
        anyhow::ensure!(
            established == "Support session has been established with the client.",
            "{established:?}"
        );
        let expert_code = expert.text("#safety-code").await?;
        let client_code = client.text("#safety-code").await?;
        anyhow::ensure!(expert_code.len() == 7, "{expert_code:?}");
        anyhow::ensure!(expert_code == client_code, "{expert_code} ≠ {client_code}");
        // Compared aloud: the expert says so, and the large copy goes.
        h.screenshot(&expert, "expert-safety-code").await?;
        expert.click("#safety-confirm").await?;
        let gone = expert
            .client()
            .find(lifeline_e2e::Locator::Css("#safety-callout"));
        anyhow::ensure!(gone.await.is_err(), "the safety code's callout stayed");
        let scopes = client.full_text("#session-scopes").await?;
        anyhow::ensure!(
            scopes
                == "View the screen, Transfer files and folders, Transfer clipboard content, \
                    See system information (hardware, disks, network, programs), \
                    Show you the expert's screen (a demonstration)",
            "control was unticked: {scopes:?}"
        );
        let with = client.full_text("#session-peer").await?;
        anyhow::ensure!(with == "Session with Ann from the Help Desk", "{with:?}");
        // The client's window is the session's bar now: small, and kept
        // above every other window by the window manager.
        let bar = window::app_window(client.xvfb())?;
        lifeline_e2e::flows::wait_until("the client's window to become a bar", || {
            let (width, height) = window::size(client.xvfb(), &bar)?;
            Ok(width <= 760 && height <= 80 && window::is_above(client.xvfb(), &bar)?)
        })
        .await?;
        h.screenshot(&client, "client-bar").await?;
        // The client's tray shows the session too.
        lifeline_e2e::flows::wait_until("the client's tray icon", || {
            Ok(client.log_text().contains("session tray icon shown"))
        })
        .await?;

        // The expert sees the screen, and the toolbar says control was
        // not granted.
        expert.wait_for("#screen-canvas:not(.hidden)").await?;
        let control = expert.text("#control-state").await?;
        anyhow::ensure!(control == "Control: not allowed", "{control:?}");

        // Chat both ways; Enter sends.
        client.open_bar_panel("chat").await?;
        client
            .type_into("#chat-input", "Hello, the printer says offline\u{e007}")
            .await?;
        let heard = expert
            .text(".chat-line[data-from='peer'] .chat-text")
            .await?;
        anyhow::ensure!(heard == "Hello, the printer says offline", "{heard:?}");
        expert
            .type_into("#chat-input", "Let me look at it\u{e007}")
            .await?;
        let answer = client
            .text(".chat-line[data-from='peer'] .chat-text")
            .await?;
        anyhow::ensure!(answer == "Let me look at it", "{answer:?}");

        // With the chat hidden, a new line is counted as unread.
        expert.click("#tool-chat").await?;
        client
            .type_into("#chat-input", "Still there?\u{e007}")
            .await?;
        let unread = expert.text("#tool-chat-unread").await?;
        anyhow::ensure!(unread.starts_with('1'), "{unread:?}");
        expert.click("#tool-chat").await?;
        expert.wait_for("#chat-log").await?;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while expert
            .client()
            .find(lifeline_e2e::Locator::Css("#tool-chat-unread"))
            .await
            .is_ok()
        {
            anyhow::ensure!(
                std::time::Instant::now() < deadline,
                "the count stays after the chat is shown"
            );
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }

        // A line for the client while its chat is closed is counted on the
        // bar's Chat button, until the chat is opened.
        client.click("#bar-chat").await?;
        client.wait_for("#client-bar[data-panel='']").await?;
        expert
            .type_into("#chat-input", "One more thing\u{e007}")
            .await?;
        let unread = client.text("#bar-chat-unread").await?;
        anyhow::ensure!(unread == "1", "the bar counts {unread:?} unread");
        h.screenshot(&client, "client-bar-unread").await?;
        client.open_bar_panel("chat").await?;
        let gone = client
            .client()
            .find(lifeline_e2e::Locator::Css("#bar-chat-unread"));
        anyhow::ensure!(gone.await.is_err(), "the count stays with the chat open");

        // Notes amended during the session go to the desk's record.
        let amended = "Ticket 4711: printer driver reinstalled";
        expert.click("#tool-notes").await?;
        expert.type_into("#session-notes-text", amended).await?;
        expert.click("#session-notes-save").await?;
        expert
            .wait_for("#session-notes-state[data-saved='true']")
            .await?;
        let report = server.session_report("ann", PASSWORD).await?;
        let rows = report.as_array().cloned().unwrap_or_default();
        anyhow::ensure!(
            rows.iter().any(|row| row["notes"] == amended),
            "no record holds the amended notes: {report}"
        );
        for (app, screen) in [(&client, "client session"), (&expert, "expert session")] {
            let unnamed = app.unlabelled().await?;
            anyhow::ensure!(unnamed.is_empty(), "{screen}: unnamed {unnamed:?}");
        }
        h.screenshot(&client, "client-session").await?;
        h.screenshot(&expert, "expert-session").await?;

        client.click("#session-stop").await?;
        let left = expert
            .text("#session-notice[data-code='peer_left']")
            .await?;
        anyhow::ensure!(
            left.starts_with("The client has ended the session."),
            "{left:?}"
        );
        client
            .wait_for("#session-notice[data-code='ended']")
            .await?;
        lifeline_e2e::flows::wait_until("the tray icon to go", || {
            Ok(client.log_text().contains("session tray icon removed"))
        })
        .await?;
        // The window is the app's own again, as it was.
        let mut seen = None;
        let restored = lifeline_e2e::flows::wait_until("the client's window as it was", || {
            let now = (
                window::size(client.xvfb(), &bar)?,
                window::is_above(client.xvfb(), &bar)?,
            );
            seen = Some(now);
            Ok(now == ((1024, 720), false))
        })
        .await;
        restored.map_err(|e| e.context(format!("last seen (size, above): {seen:?}")))?;

        // The ID started a session, so it is spent.
        expert.type_into("#client-id-input", &id).await?;
        expert.click("#connect").await?;
        let used = expert.text("#session-notice[data-code='id_used']").await?;
        anyhow::ensure!(
            used.starts_with("This Client ID has already been used for a session."),
            "{used:?}"
        );
        Ok(())
    })
    .await;
}
