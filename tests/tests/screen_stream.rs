//! The client's real screen, live in the expert's real webview: the client
//! app's X server shows colour blocks drawn by X clients (xsetroot, xterm); the expert app,
//! on its own X server, connects through the real signaling server; the
//! picture travels as VP8 over WebRTC between the two app processes and is
//! decoded by WebCodecs onto a canvas, whose pixels the test reads back.
//! Then the picture changes and the canvas follows.

use std::time::Instant;

use fantoccini::actions::{InputSource, MouseActions, PointerAction};
use lifeline_e2e::flows::{desk_and_two_apps, establish};
use lifeline_e2e::screen::{Rgb, canvas_pixel, wait_for_colours};
use lifeline_e2e::xvfb::{SCREEN, Xvfb};
use lifeline_e2e::{AppInstance, e2e};

const PASSWORD: &str = "correct horse battery";
const RED: Rgb = [255, 0, 0];
const GREEN: Rgb = [0, 255, 0];
const BLUE: Rgb = [0, 0, 255];

/// A point on the client's screen outside the app's 1024×720 window (no
/// window manager: the window sits at the top left).
const RIGHT_BLOCK: (u32, u32) = (1180, 200);
const BOTTOM_BLOCK: (u32, u32) = (600, 770);

/// Paints the client's screen: the root window in `bottom`, and a terminal
/// with a `right` background over x 1100–1220, y 0–260 (20×20 cells of
/// xterm's 6×13 font). Returns the terminal, killed on drop.
fn paint(xvfb: &Xvfb, right: Rgb, bottom: Rgb) -> anyhow::Result<Block> {
    let colour = |c: Rgb| format!("#{:02x}{:02x}{:02x}", c[0], c[1], c[2]);
    xvfb.run("xsetroot", &["-solid", &colour(bottom)])?;
    let child = std::process::Command::new("xterm")
        .args(["-geometry", "20x20+1100+0", "-bg", &colour(right)])
        .args(["-fg", &colour(right), "-e", "sleep", "3600"])
        .env("DISPLAY", xvfb.display())
        .spawn()?;
    Ok(Block(child))
}

struct Block(std::process::Child);

impl Drop for Block {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_expert_sees_the_clients_screen_and_follows_it() {
    e2e("screen_stream", |h| async move {
        let (_server, client, expert) = desk_and_two_apps(&h, PASSWORD).await?;
        let block = paint(client.xvfb(), BLUE, RED)?;

        // The expert's Settings ask for speed from the start of a session.
        expert.click("#open-settings").await?;
        expert
            .wait_for("#settings-quality")
            .await?
            .select_by_value("speed")
            .await?;
        expert.click("#settings-save").await?;
        expert.wait_for("#settings-saved").await?;

        let started = Instant::now();
        establish(&client, &expert, "ann", PASSWORD, &[]).await?;
        expert.wait_for("#screen-canvas").await?;
        wait_for_colours(&expert, &[(RIGHT_BLOCK, BLUE), (BOTTOM_BLOCK, RED)]).await?;
        let first_picture = started.elapsed();
        let (width, height, _) = canvas_pixel(&expert, (0, 0)).await?;
        anyhow::ensure!(
            (width, height) == (SCREEN.0 as i64, SCREEN.1 as i64),
            "the canvas is {width}×{height}, the client's screen {SCREEN:?}"
        );
        h.screenshot(&expert, "expert-sees-blocks").await?;

        // Fit shrinks the picture into the window; 1:1 shows one screen
        // pixel per pixel; full screen gives the picture the whole display.
        let shown_width = |expert: &AppInstance| {
            let expert = expert.client().clone();
            async move {
                let width = expert
                    .execute(
                        "return document.getElementById('screen-canvas').getBoundingClientRect().width;",
                        vec![],
                    )
                    .await?;
                anyhow::Ok(width.as_f64().unwrap_or_default().round() as i64)
            }
        };
        let fitted = shown_width(&expert).await?;
        anyhow::ensure!(fitted < SCREEN.0 as i64, "fit shows {fitted} px wide");
        expert.click("#screen-actual").await?;
        let actual = shown_width(&expert).await?;
        anyhow::ensure!(actual == SCREEN.0 as i64, "1:1 shows {actual} px wide");
        expert.click("#screen-fit").await?;
        expert.click("#screen-fullscreen").await?;
        let mut full = serde_json::Value::Null;
        for _ in 0..50 {
            full = expert
                .client()
                .execute(
                    "const f = document.fullscreenElement; \
                     return !!f && f.contains(document.getElementById('screen-canvas'));",
                    vec![],
                )
                .await?;
            if full == serde_json::Value::Bool(true) {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        anyhow::ensure!(full == serde_json::Value::Bool(true), "no full screen");
        // The toolbar tucks itself away, and the pointer at the top edge
        // brings it back.
        expert
            .wait_for("#remote-screen.autohide .session-toolbar.tucked")
            .await?;
        let edge = MouseActions::new("mouse".into()).then(PointerAction::MoveTo {
            duration: None,
            x: 300.0,
            y: 1.0,
        });
        expert.client().perform_actions(edge).await?;
        expert
            .wait_for("#remote-screen.autohide .session-toolbar:not(.tucked)")
            .await?;
        // (No screenshot: without a window manager, Xvfb's window never
        // changes size, so the picture would look as before.)
        expert
            .client()
            .execute("return document.exitFullscreen().then(() => true);", vec![])
            .await?;

        // The picture changes; the canvas follows.
        drop(block);
        let _block = paint(client.xvfb(), RED, GREEN)?;
        wait_for_colours(&expert, &[(RIGHT_BLOCK, RED), (BOTTOM_BLOCK, GREEN)]).await?;

        // The overlay's figures come from the same frames.
        expert.open_menu("screen-menu").await?;
        expert.click("#screen-stats-toggle").await?;
        let line = expert.text("#screen-stats").await?;
        anyhow::ensure!(line.starts_with("1280×800 · "), "{line:?}");
        // On one machine the chosen pair is direct, over UDP.
        let path = expert.text("#screen-stats-path").await?;
        anyhow::ensure!(path == "Path: direct, UDP", "{path:?}");
        h.screenshot(&expert, "stats").await?;
        // The client reports the quality it encodes at: the one asked for.
        expert
            .wait_for("#screen-quality option[value='speed']:checked")
            .await?;
        let monitor = expert.text("#screen-monitor").await?;
        anyhow::ensure!(monitor.contains("(1280×800)"), "{monitor:?}");
        eprintln!("first picture {first_picture:?} after the test started connecting");

        // Stop ends the stream on the expert's side too.
        client.click("#session-stop").await?;
        expert
            .wait_for("#session-notice[data-code='peer_left']")
            .await?;
        anyhow::ensure!(
            expert
                .client()
                .find(lifeline_e2e::Locator::Css("#screen-canvas"))
                .await
                .is_err(),
            "the remote screen closes with the session"
        );
        Ok(())
    })
    .await;
}
