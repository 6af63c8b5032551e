//! A chat line that arrives while the expert's window is not focused: the
//! expert's app asks the desktop for a notification over D-Bus (the real
//! tauri-plugin-notification, watched with `dbus-monitor` on a private
//! session bus), and the unread count shows until the window has the focus
//! again.

use std::process::{Command, Stdio};
use std::time::Duration;

use lifeline_e2e::flows::{establish, loopback, wait_until};
use lifeline_e2e::process::ChildGuard;
use lifeline_e2e::xvfb::Xvfb;
use lifeline_e2e::{AppInstance, e2e};

const PASSWORD: &str = "correct horse battery";

/// A private session bus; returns it and its address.
fn session_bus() -> anyhow::Result<(ChildGuard, String)> {
    let mut command = Command::new("dbus-daemon");
    command
        .args(["--session", "--nofork", "--nopidfile", "--print-address=1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut bus = ChildGuard::spawn("dbus-daemon", command)?;
    let address = bus.first_stdout_line(Duration::from_secs(10))?;
    Ok((bus, address.trim().to_owned()))
}

/// `dbus-monitor` on `address`, writing what it sees to `log`.
fn monitor(address: &str, log: &std::path::Path) -> anyhow::Result<ChildGuard> {
    let mut command = Command::new("dbus-monitor");
    command
        .args([
            "--address",
            address,
            "interface='org.freedesktop.Notifications'",
        ])
        .stdout(Stdio::from(std::fs::File::create(log)?))
        .stderr(Stdio::null());
    ChildGuard::spawn("dbus-monitor", command)
}

/// Another window on `xvfb` that takes the keyboard focus from the app.
fn focus_elsewhere(xvfb: &Xvfb) -> anyhow::Result<std::process::Child> {
    let term = Command::new("xterm")
        .args(["-title", "elsewhere", "-geometry", "20x5+600+500"])
        .env("DISPLAY", xvfb.display())
        .spawn()?;
    for _ in 0..50 {
        if xvfb
            .run(
                "xdotool",
                &[
                    "search",
                    "--sync",
                    "--name",
                    "elsewhere",
                    "windowfocus",
                    "--sync",
                ],
            )
            .is_ok()
        {
            return Ok(term);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    anyhow::bail!("the other window never took the focus")
}

async fn has(app: &AppInstance, css: &str) -> bool {
    app.client()
        .find(lifeline_e2e::Locator::Css(css))
        .await
        .is_ok()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unfocused_expert_is_notified_and_counts_unread_lines() {
    e2e("chat_alerts", |h| async move {
        let (_bus, address) = session_bus()?;
        let seen = lifeline_e2e::artifacts::dir_for("chat_alerts")?.join("dbus-monitor.log");
        let _monitor = monitor(&address, &seen)?;
        let server = h.signaling().await?;
        server
            .add_expert("ann", "Ann from the Help Desk", PASSWORD)
            .await?;
        let client = h.launch_app_with("client", &server, loopback()).await?;
        let mut options = loopback();
        options
            .env
            .push(("DBUS_SESSION_BUS_ADDRESS".into(), address.clone()));
        let expert = h.launch_app_with("expert", &server, options).await?;
        establish(&client, &expert, "ann", PASSWORD, &[]).await?;
        expert.wait_for("#chat-log").await?;

        let mut other = focus_elsewhere(expert.xvfb())?;
        client.open_bar_panel("chat").await?;
        client
            .type_into("#chat-input", "Are you still there?\u{e007}")
            .await?;
        wait_until("the notification", || {
            let text = std::fs::read_to_string(&seen).unwrap_or_default();
            Ok(text.contains("member=Notify")
                && text.contains("Message from")
                && text.contains("Are you still there?"))
        })
        .await?;
        // Shown, but not seen: the window is not focused.
        let unread = expert.text("#chat-unread").await?;
        anyhow::ensure!(unread == "1 unread", "{unread:?}");

        // Back to the window: the line counts as read.
        other.kill()?;
        other.wait()?;
        expert.xvfb().run(
            "xdotool",
            &[
                "search",
                "--sync",
                "--onlyvisible",
                "--name",
                "Lifeline",
                "windowfocus",
                "--sync",
            ],
        )?;
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while has(&expert, "#chat-unread").await {
            anyhow::ensure!(
                std::time::Instant::now() < deadline,
                "the count stays once the window has the focus"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok(())
    })
    .await;
}
