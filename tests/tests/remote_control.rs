//! Remote control and chat between two real apps, each on its own X server,
//! through the real signaling server and real WebRTC:
//! - the expert clicks on the remote screen and the client's X pointer goes
//!   there (read back with `xdotool getmouselocation`);
//! - the expert types `hello` into a terminal on the client's display,
//!   running `cat > file`, and the file holds exactly that;
//! - chat travels both ways, and so does the clipboard (set and read with
//!   `xclip` on each X server): short text both ways, text over 32 KiB, and
//!   a PNG image that arrives byte for byte;
//! - after the client presses "Stop control", the same click has no effect;
//! - the expert asks for a restart: the client cancels the first, and the
//!   second runs the configured command after its countdown.

use std::path::Path;

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use lifeline_e2e::flows::{establish_with, loopback, wait_until};
use lifeline_e2e::screen::click_remote;
use lifeline_e2e::xvfb::Xvfb;
use lifeline_e2e::{AppInstance, e2e};

const PASSWORD: &str = "correct horse battery";
const CONTROL: char = '\u{e009}';
/// Where the terminal sits on the client's screen: right of the app's
/// 1024×720 window, so nothing covers it (there is no window manager).
const TERMINAL: (u32, u32) = (1100, 300);
/// A point inside the terminal: 40×10 cells of xterm's 6×13 font.
const IN_TERMINAL: (u32, u32) = (1220, 360);
/// A point on the bare root window.
const ELSEWHERE: (u32, u32) = (640, 760);

/// Opens a terminal on `xvfb` that copies what is typed into `file`.
fn terminal(xvfb: &Xvfb, file: &Path) -> anyhow::Result<std::process::Child> {
    let geometry = format!("40x10+{}+{}", TERMINAL.0, TERMINAL.1);
    let script = format!("exec cat > '{}'", file.display());
    Ok(std::process::Command::new("xterm")
        .args(["-geometry", &geometry, "-e", "sh", "-c", &script])
        .env("DISPLAY", xvfb.display())
        .spawn()?)
}

/// The client's X pointer, as `xdotool` reads it.
fn pointer(xvfb: &Xvfb) -> anyhow::Result<(i64, i64)> {
    let out = xvfb.run("xdotool", &["getmouselocation", "--shell"])?;
    let field = |name: &str| -> anyhow::Result<i64> {
        out.lines()
            .find_map(|l| l.strip_prefix(name))
            .ok_or_else(|| anyhow::anyhow!("no {name} in {out:?}"))?
            .trim()
            .parse()
            .map_err(Into::into)
    };
    Ok((field("X=")?, field("Y=")?))
}

/// Copies a PNG image to the CLIPBOARD selection of `xvfb`, as an image
/// viewer would: offered as `image/png` only.
fn copy_png_on(xvfb: &Xvfb, png: &Path) -> anyhow::Result<()> {
    let png = png.display().to_string();
    let args = ["-selection", "clipboard", "-t", "image/png", "-i", &png];
    let xclip = std::process::Command::new("xclip")
        .args(args)
        .env("DISPLAY", xvfb.display())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()?;
    anyhow::ensure!(xclip.success(), "xclip failed");
    Ok(())
}

/// The CLIPBOARD selection's `image/png` bytes on `xvfb`, or none.
fn png_on(xvfb: &Xvfb) -> Vec<u8> {
    std::process::Command::new("xclip")
        .args(["-selection", "clipboard", "-t", "image/png", "-o"])
        .env("DISPLAY", xvfb.display())
        .output()
        .map(|out| out.stdout)
        .unwrap_or_default()
}

/// Types on the expert's keyboard, a key at a time.
async fn type_keys(expert: &AppInstance, keys: &[&[char]]) -> anyhow::Result<()> {
    let mut actions = KeyActions::new("keyboard".into());
    for chord in keys {
        for &key in chord.iter() {
            actions = actions.then(KeyAction::Down { value: key });
        }
        for &key in chord.iter().rev() {
            actions = actions.then(KeyAction::Up { value: key });
        }
    }
    expert.client().perform_actions(actions).await?;
    Ok(())
}

fn near(a: (i64, i64), b: (u32, u32)) -> bool {
    (a.0 - b.0 as i64).abs() <= 2 && (a.1 - b.1 as i64).abs() <= 2
}

#[tokio::test(flavor = "multi_thread")]
async fn the_expert_controls_and_chats_until_the_client_stops_control() {
    e2e("remote_control", |h| async move {
        let server = h.signaling().await?;
        server
            .add_expert("ann", "Ann from the Help Desk", PASSWORD)
            .await?;
        let marks = tempfile::tempdir()?;
        let rebooted = marks.path().join("rebooted");
        let mut options = loopback();
        options.env.extend([
            (
                "LIFELINE_REBOOT_COMMAND".into(),
                format!("touch {}", rebooted.display()),
            ),
            ("LIFELINE_REBOOT_COUNTDOWN_SECS".into(), "2".into()),
        ]);
        let client = h.launch_app_with("client", &server, options).await?;
        let expert = h.launch_app_with("expert", &server, loopback()).await?;
        let typed = client.data_dir().join("typed.txt");
        let mut term = terminal(client.xvfb(), &typed)?;

        establish_with(&client, &expert, "ann", PASSWORD, &["#want-reboot"], &[]).await?;
        expert
            .wait_for("#screen-canvas.controlling:not(.hidden)")
            .await?;

        // A click lands where it was aimed.
        click_remote(&expert, IN_TERMINAL).await?;
        wait_until("the pointer to reach the terminal", || {
            Ok(near(pointer(client.xvfb())?, IN_TERMINAL))
        })
        .await?;

        // Keys go by physical code into the focused terminal. Ctrl+D twice:
        // the first hands `cat` the line, the second ends it.
        let ctrl_d: &[char] = &[CONTROL, 'd'];
        type_keys(
            &expert,
            &[&['h'], &['e'], &['l'], &['l'], &['o'], ctrl_d, ctrl_d],
        )
        .await?;
        wait_until("the terminal to finish", || Ok(term.try_wait()?.is_some())).await?;
        let written = std::fs::read_to_string(&typed)?;
        anyhow::ensure!(written == "hello", "the terminal wrote {written:?}");

        // Chat both ways.
        // Enter sends, as in any chat.
        expert
            .type_into("#chat-input", "Can you see the pointer?\u{e007}")
            .await?;
        client.open_bar_panel("chat").await?;
        client.wait_for(".chat-line[data-from='peer']").await?;
        let line = client
            .text(".chat-line[data-from='peer'] .chat-text")
            .await?;
        anyhow::ensure!(line == "Can you see the pointer?", "{line:?}");
        client.type_into("#chat-input", "Yes, thank you").await?;
        client.click("#chat-send").await?;
        let answer = expert
            .wait_for(".chat-line[data-from='peer'] .chat-text")
            .await?;
        anyhow::ensure!(answer.text().await? == "Yes, thank you");

        // Clipboard text, by hand, both ways.
        expert.xvfb().copy_text("ssh support@10.0.0.7")?;
        expert.click("#clipboard-send").await?;
        wait_until("the client's clipboard", || {
            Ok(client.xvfb().clipboard_text() == "ssh support@10.0.0.7")
        })
        .await?;
        client.xvfb().copy_text("Fehler 0x80070005 – Zugriff verweigert")?;
        client.click("#clipboard-send").await?;
        wait_until("the expert's clipboard", || {
            Ok(expert.xvfb().clipboard_text() == "Fehler 0x80070005 – Zugriff verweigert")
        })
        .await?;
        // Past the control channel's 32 KiB: a long log, and a screenshot.
        let long: String = (0..3000).map(|n| format!("{n:05} error\n")).collect();
        expert.xvfb().copy_text(&long)?;
        expert.click("#clipboard-send").await?;
        wait_until("the long text", || Ok(client.xvfb().clipboard_text() == long)).await?;
        let png = lifeline_e2e::images::noise_png(400, 300, 3);
        let png_file = marks.path().join("screenshot.png");
        std::fs::write(&png_file, &png)?;
        copy_png_on(client.xvfb(), &png_file)?;
        client.click("#clipboard-send").await?;
        wait_until("the image", || Ok(png_on(expert.xvfb()) == png)).await?;
        let logged = expert
            .text(".log-event[data-code='clipboard_image_received']")
            .await?;
        anyhow::ensure!(logged.contains("400×300"), "{logged:?}");

        // The client stops control: both sides show it, and a click on the
        // remote screen no longer moves the client's pointer.
        client.open_bar_panel("permissions").await?;
        client.click("#stop-control").await?;
        client.wait_for("#grant-control:not(:checked)").await?;
        client.open_bar_panel("chat").await?;
        client.wait_for(".log-event[data-code='withdrawn']").await?;
        expert.wait_for(".log-event[data-code='withdrawn']").await?;
        expert.wait_for("#screen-canvas:not(.controlling)").await?;
        let state = expert.text("#control-state[data-state='refused']").await?;
        anyhow::ensure!(
            state == "Control: not allowed",
            "the expert's toolbar says {state:?}"
        );
        // The click is not even sent: the view's count of the events it
        // sent is the same once the click's events have been handled (the
        // client would refuse it as well; its engine's tests show that).
        let sent = || async {
            anyhow::Ok(
                expert
                    .client()
                    .execute(
                        "return Number(document.getElementById('screen-canvas').dataset.inputs || 0);",
                        vec![],
                    )
                    .await?
                    .as_i64()
                    .unwrap_or_default(),
            )
        };
        let (before, sent_before) = (pointer(client.xvfb())?, sent().await?);
        anyhow::ensure!(sent_before > 0, "the earlier clicks and keys were counted");
        click_remote(&expert, ELSEWHERE).await?;
        let sent_after = sent().await?;
        anyhow::ensure!(
            sent_after == sent_before,
            "the view sent {} events without control",
            sent_after - sent_before
        );
        let after = pointer(client.xvfb())?;
        anyhow::ensure!(
            after == before,
            "the pointer moved from {before:?} to {after:?}"
        );
        h.screenshot(&expert, "expert-after-stop-control").await?;

        // Control given back works again.
        client.open_bar_panel("permissions").await?;
        client.click("#grant-control").await?;
        expert.wait_for("#screen-canvas.controlling").await?;
        expert.wait_for("#control-state[data-state='on']").await?;
        click_remote(&expert, ELSEWHERE).await?;
        wait_until("the pointer to move again", || {
            Ok(near(pointer(client.xvfb())?, ELSEWHERE))
        })
        .await?;

        // A restart: the client cancels the first request; the second runs
        // the configured command once its countdown ends. A countdown left
        // running would refuse the second request and run on its own: the
        // client's log, in order, proves the first was cancelled.
        expert.open_menu("tools-more").await?;
        expert.click("#reboot-request").await?;
        expert.click("#reboot-confirm").await?;
        client.click("#reboot-cancel").await?;
        expert
            .wait_for(".log-event[data-code='reboot_cancelled']")
            .await?;
        // The second asks for the session to resume after the restart (on
        // by default): the client's countdown says so, and its app is set
        // to start at login with the desk's token kept.
        expert.open_menu("tools-more").await?;
        expert.click("#reboot-request").await?;
        expert.wait_for("#reboot-reconnect:checked").await?;
        h.screenshot(&expert, "reboot-confirm").await?;
        expert.click("#reboot-confirm").await?;
        let countdown = client.text("#reboot-countdown p").await?;
        anyhow::ensure!(
            countdown.contains("the session resumes by itself"),
            "{countdown:?}"
        );
        h.screenshot(&client, "reboot-countdown").await?;
        expert.wait_for("#reboot-countdown").await?;
        wait_until("the restart command", || Ok(rebooted.exists())).await?;
        let autostart = client.config_dir().join("../autostart/lifeline-reconnect.desktop");
        anyhow::ensure!(autostart.exists(), "no autostart entry at {}", autostart.display());
        anyhow::ensure!(client.data_dir().join("reconnect.json").exists(), "no grant kept");
        client.open_bar_panel("chat").await?;
        client
            .wait_for(".log-event[data-code='rebooting']")
            .await?;
        let restarts = client
            .client()
            .execute(
                "return [...document.querySelectorAll('.log-event')]
                   .map((e) => e.dataset.code)
                   .filter((c) => c.startsWith('reboot'));",
                vec![],
            )
            .await?;
        anyhow::ensure!(
            restarts
                == serde_json::json!([
                    "reboot_scheduled",
                    "reboot_cancelled",
                    "reboot_scheduled",
                    "rebooting"
                ]),
            "the client's log says {restarts}"
        );
        Ok(())
    })
    .await;
}
