//! The four load scenarios (`scripts/bench-scenario.sh`: static, typing,
//! motion, pointer), each run for a fixed time against a receiver, with
//! what the receiver counted and the CPU each app used meanwhile.
//!
//! The Lifeline expert app's figures come from `window.lifelineScreen`, the
//! view's own meter (frames received, decoded and painted, per-stage
//! latency, drops); a field an older or newer meter lacks is printed as
//! "-". Chromium's come from its `getStats()`. A [`Scene`] owns the
//! scenario's X clients and kills them when dropped.

use std::time::Duration;

use lifeline_e2e::AppInstance;
use lifeline_e2e::scene::Scene;
use serde_json::Value;

use crate::chromium::Chromium;
use crate::cpu::CpuSample;

pub const SCENARIOS: [&str; 4] = ["static", "typing", "motion", "pointer"];
/// How long each scenario is measured, after a settling time.
pub const RUN: Duration = Duration::from_secs(10);
const SETTLE: Duration = Duration::from_secs(2);

/// The first of `keys` that `value` holds as a number.
pub fn number(value: &Value, keys: &[&str]) -> Option<f64> {
    keys.iter().find_map(|key| value[*key].as_f64())
}

/// CPU of an app's processes, as percent of one core: (app, web views).
fn cpu_of(app: &AppInstance) -> Option<CpuSample> {
    app.driver_pid().map(|pid| CpuSample::take(pid, "lifeline"))
}

fn cpu_between(before: Option<CpuSample>, after: Option<CpuSample>) -> Option<(f64, f64)> {
    Some(after?.since(&before?))
}

/// One scenario against the Lifeline expert app.
#[derive(Debug)]
pub struct LifelineRow {
    pub name: &'static str,
    pub fps_sent: Option<f64>,
    pub fps_received: Option<f64>,
    pub fps_decoded: Option<f64>,
    pub fps_painted: Option<f64>,
    pub client_cpu: Option<(f64, f64)>,
    pub expert_cpu: Option<(f64, f64)>,
    /// The view's meter at the end of the run (stages, drops, latency).
    pub stats: Value,
}

async fn lifeline_stats(expert: &AppInstance) -> anyhow::Result<Value> {
    Ok(expert
        .client()
        .execute(
            "return window.lifelineScreen ? window.lifelineScreen.stats() : null;",
            vec![],
        )
        .await?)
}

pub async fn against_lifeline(
    name: &'static str,
    client: &AppInstance,
    expert: &AppInstance,
) -> anyhow::Result<LifelineRow> {
    let scene = Scene::start(name, client)?;
    tokio::time::sleep(SETTLE).await;
    expert
        .client()
        .execute(
            "window.lifelineScreen && window.lifelineScreen.clearLatencies(); return 0;",
            vec![],
        )
        .await?;
    let before = lifeline_stats(expert).await?;
    let (client_before, expert_before) = (cpu_of(client), cpu_of(expert));
    tokio::time::sleep(RUN).await;
    let (client_after, expert_after) = (cpu_of(client), cpu_of(expert));
    let after = lifeline_stats(expert).await?;
    drop(scene);
    let rate = |keys: &[&str]| -> Option<f64> {
        Some((number(&after, keys)? - number(&before, keys)?) / RUN.as_secs_f64())
    };
    Ok(LifelineRow {
        name,
        fps_sent: rate(&["sent", "framesSent"]),
        fps_received: rate(&["frames", "received", "framesReceived"]),
        fps_decoded: rate(&["decoded", "framesDecoded"]),
        fps_painted: rate(&["painted", "framesPainted"]),
        client_cpu: cpu_between(client_before, client_after),
        expert_cpu: cpu_between(expert_before, expert_after),
        stats: after,
    })
}

/// One scenario against Chromium.
#[derive(Debug)]
pub struct ChromiumRow {
    pub fps_received: Option<f64>,
    pub fps_decoded: Option<f64>,
    pub client_cpu: Option<(f64, f64)>,
    pub chromium_cpu: Option<(f64, f64)>,
}

pub async fn against_chromium(
    name: &'static str,
    client: &AppInstance,
    chromium: &Chromium,
) -> anyhow::Result<ChromiumRow> {
    let scene = Scene::start(name, client)?;
    tokio::time::sleep(SETTLE).await;
    let before = chromium.stats().await?;
    let client_before = cpu_of(client);
    let chromium_before = CpuSample::take(chromium.driver_pid(), "chrome");
    tokio::time::sleep(RUN).await;
    let client_after = cpu_of(client);
    let chromium_after = CpuSample::take(chromium.driver_pid(), "chrome");
    let after = chromium.stats().await?;
    drop(scene);
    let rate = |key: &str| -> Option<f64> {
        Some((after[key].as_f64()? - before[key].as_f64()?) / RUN.as_secs_f64())
    };
    Ok(ChromiumRow {
        fps_received: rate("framesReceived"),
        fps_decoded: rate("framesDecoded"),
        client_cpu: cpu_between(client_before, client_after),
        chromium_cpu: Some(chromium_after.since(&chromium_before)),
    })
}
