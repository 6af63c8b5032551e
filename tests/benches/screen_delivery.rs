//! The expert app's delivery of frames to its own webview, measured in the
//! real apps: from the moment the app hands a frame to its sink to the
//! moment the frame's bytes reach JavaScript (the `sink_js` stage of the
//! view's stats), for typing (small frames) and full-screen motion (large
//! ones) on a 1920×1080 client. This is the measurement that chose the
//! webview transport (docs/screen-streaming.md, "Delivery to the webview").
//!
//! `cargo bench -p lifeline-e2e --bench screen_delivery`. Both apps share
//! this machine's clock. It prints figures only and asserts nothing.

use std::time::Duration;

use lifeline_e2e::flows::{establish, loopback};
use lifeline_e2e::scene::Scene;
use lifeline_e2e::{AppInstance, AppOptions, e2e};

const PASSWORD: &str = "correct horse battery";
const RUN: Duration = Duration::from_secs(8);

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
    value.map_or_else(|| "-".into(), |v| format!("{v:.1}"))
}

async fn samples(expert: &AppInstance, stage: &str) -> anyhow::Result<Vec<f64>> {
    let js = format!("return window.lifelineScreen.samples('{stage}');");
    let mut samples: Vec<f64> = serde_json::from_value(script(expert, &js).await?)?;
    samples.sort_by(f64::total_cmp);
    Ok(samples)
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    e2e("bench_screen_delivery", |h| async move {
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
        establish(&client, &expert, "ann", PASSWORD, &[]).await?;
        expert.wait_for("#screen-canvas").await?;
        println!(
            "{:<8} {:>6} {:>7} {:>7} {:>7} {:>8} {:>8} {:>8}",
            "scenario", "frames", "fps", "KB/frm", "painted", "deliv50", "deliv95", "delivmax"
        );
        for name in ["typing", "motion"] {
            let scene = Scene::start(name, &client)?;
            tokio::time::sleep(Duration::from_secs(2)).await;
            script(&expert, "window.lifelineScreen.clearLatencies(); return 0;").await?;
            let before = script(&expert, "return window.lifelineScreen.stats();").await?;
            tokio::time::sleep(RUN).await;
            let after = script(&expert, "return window.lifelineScreen.stats();").await?;
            let delivery = samples(&expert, "sink_js").await?;
            drop(scene);
            let count = |key: &str| {
                after[key].as_f64().unwrap_or_default() - before[key].as_f64().unwrap_or_default()
            };
            let frames = count("frames");
            println!(
                "{:<8} {:>6.0} {:>7.1} {:>7.1} {:>7.1} {:>8} {:>8} {:>8}",
                name,
                frames,
                frames / RUN.as_secs_f64(),
                after["kbps"].as_f64().unwrap_or_default()
                    / 8.0
                    / after["fps"].as_f64().unwrap_or(1.0).max(1.0),
                count("painted") / RUN.as_secs_f64(),
                show(percentile(&delivery, 50.0)),
                show(percentile(&delivery, 95.0)),
                show(delivery.last().copied()),
            );
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        println!(
            "deliv: ms from the expert app's sink to the frame's bytes in JavaScript; \
             KB/frm: the average frame over the last 2 s"
        );
        Ok(())
    })
    .await;
}
