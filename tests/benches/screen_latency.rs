//! `make bench`: what the expert sees, end to end, between two real apps.
//!
//! The client app runs on a 1920×1080 `Xvfb`, the expert app on its own;
//! they meet through the real signaling server and stream over WebRTC on
//! loopback. The bench prints:
//! - Accept → first picture painted on the expert's canvas;
//! - capture → decoded-in-webview latency p50/p95 for the static, typing and
//!   motion scenarios (scripts/bench-scenario.sh), from each frame's
//!   capture timestamp to the webview's decoder output;
//! - the bitrate and frame rate the expert received.
//!
//! Both apps share this machine's clock, so the latency needs no clock
//! sync. It prints figures only and asserts nothing about speed.

use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use lifeline_e2e::flows::{ask, loopback};
use lifeline_e2e::{AppInstance, AppOptions, e2e};

const PASSWORD: &str = "correct horse battery";
const RUN: Duration = Duration::from_secs(10);

/// A running scenario script and the X clients it started.
struct Scene(Child);

impl Scene {
    fn start(name: &str, app: &AppInstance) -> anyhow::Result<Self> {
        let script = lifeline_e2e::paths::workspace_root().join("scripts/bench-scenario.sh");
        let child = Command::new(script)
            .arg(name)
            .env("DISPLAY", app.xvfb().display())
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        Ok(Self(child))
    }
}

impl Drop for Scene {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", "--", &format!("-{}", self.0.id())])
            .status();
        let _ = self.0.wait();
    }
}

async fn script(app: &AppInstance, js: &str) -> anyhow::Result<serde_json::Value> {
    Ok(app.client().execute(js, vec![]).await?)
}

fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

fn show(value: Option<f64>) -> String {
    value.map_or_else(|| "-".into(), |v| format!("{v:.0}"))
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    e2e("bench_screen_latency", |h| async move {
        let server = h.signaling().await?;
        server.add_expert("ann", "Ann", PASSWORD).await?;
        let client = h
            .launch_app_with(
                "client",
                &server,
                AppOptions {
                    screen: Some((1920, 1080)),
                    ..loopback()
                },
            )
            .await?;
        let expert = h.launch_app_with("expert", &server, loopback()).await?;

        ask(&client, &expert, "ann", PASSWORD).await?;
        // Accept is enabled a moment after the dialog appears.
        client.wait_for("#consent-accept:enabled").await?;

        // The click's own time, in the page, on the machine's one clock.
        let accepted = script(
            &client,
            "const t = Date.now(); document.querySelector('#consent-accept').click(); return t;",
        )
        .await?
        .as_f64()
        .unwrap_or_default();
        let first_paint = loop {
            let painted = script(
                &expert,
                "return window.lifelineScreen ? window.lifelineScreen.firstPaintAtMs() : null;",
            )
            .await?;
            if let Some(at) = painted.as_f64() {
                break at;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        println!(
            "Accept → first picture on the expert's canvas: {:.0} ms (1920x1080, loopback)",
            first_paint - accepted
        );
        println!(
            "{:<8} {:>8} {:>8} {:>12} {:>9} {:>7} {:>9}",
            "scenario", "p50 ms", "p95 ms", "webview p50", "samples", "fps", "kbps"
        );
        for name in ["static", "typing", "motion"] {
            let scene = Scene::start(name, &client)?;
            tokio::time::sleep(Duration::from_secs(2)).await;
            script(&expert, "window.lifelineScreen.clearLatencies(); return 0;").await?;
            let before = script(&expert, "return window.lifelineScreen.stats().frames;")
                .await?
                .as_f64()
                .unwrap_or_default();
            tokio::time::sleep(RUN).await;
            let stats = script(&expert, "return window.lifelineScreen.stats();").await?;
            let samples: Vec<f64> = serde_json::from_value(
                script(&expert, "return window.lifelineScreen.latencies();").await?,
            )?;
            drop(scene);
            let frames = stats["frames"].as_f64().unwrap_or_default() - before;
            let mut sorted = samples.clone();
            sorted.sort_by(f64::total_cmp);
            println!(
                "{:<8} {:>8} {:>8} {:>12} {:>9} {:>7.1} {:>9.0}",
                name,
                show(percentile(&sorted, 50.0)),
                show(percentile(&sorted, 95.0)),
                show(stats["webviewP50"].as_f64()),
                sorted.len(),
                frames / RUN.as_secs_f64(),
                // The overlay's 2-second window, at the end of the run.
                stats["kbps"].as_f64().unwrap_or_default(),
            );
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        println!(
            "Latency is capture → decoded in the expert's webview (WebCodecs output), \
             per frame; \"webview\" is the part from the frame's arrival in the expert's \
             app to its decoded picture. A still screen sends no frames, so it has no samples."
        );
        Ok(())
    })
    .await;
}
