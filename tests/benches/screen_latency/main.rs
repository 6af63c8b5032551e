//! `make bench`: what the expert sees, end to end, and which half of the
//! path costs the time.
//!
//! The client app runs on a 1920×1080 `Xvfb`, the expert app on its own;
//! they meet through the real signaling server and stream over WebRTC on
//! loopback. In one run, against the same client, the bench measures:
//! - **motion to photon** without trusting any timestamp: the bench's own
//!   X client ([`painter`]) paints a patch of a known colour on the client's
//!   screen and notes when it was drawn; an eye ([`probe`]) finds that
//!   colour on the receiver and notes when it showed. At least 50 changes
//!   per case, for a character-sized patch (typing) and a full-screen
//!   change (motion);
//! - the same changes sent by **GStreamer** (ximagesrc → vp8enc → RTP →
//!   vp8dec → ximagesink, tuned for latency; [`gstreamer`]): the baseline;
//! - the same client received by **Chromium** acting as the expert through
//!   the desk's own protocol ([`chromium`]): a standard receiver, so the
//!   client's half of the latency shows apart from the expert app's half;
//! - Accept → first picture, for the expert app and for Chromium;
//! - for the static, typing, motion and pointer-only scenarios
//!   ([`scenario`]): frames per second sent, received, decoded and painted,
//!   the view's per-stage latency, and the CPU of both apps.
//!
//! Every process shares this machine's clock, so no clock needs syncing.
//! It prints figures only and asserts nothing about speed: it is not part
//! of `make test`. How to read it: docs/screen-streaming.md, "Measuring it".

mod chromium;
mod cpu;
mod gstreamer;
mod measure;
mod painter;
mod probe;
mod relayed;
mod report;
mod scenario;

use std::sync::Arc;
use std::time::Duration;

use lifeline_e2e::flows::{ask, loopback, new_id};
use lifeline_e2e::xvfb::Xvfb;
use lifeline_e2e::{AppInstance, AppOptions, Harness, SignalingServer, e2e};
use serde_json::Value;

use crate::chromium::Chromium;
use crate::cpu::CpuSample;
use crate::gstreamer::Baseline;
use crate::measure::glass_to_glass;
use crate::painter::{Change, Painter};
use crate::probe::{Eye, PageEye, Placement, ScreenEye, Sighting};
use crate::report::{Figures, percentile, ratio, show, show1, summary};
use crate::scenario::{ChromiumRow, LifelineRow, SCENARIOS, number};

const PASSWORD: &str = "correct horse battery";
const SCREEN: (u32, u32) = (1920, 1080);
/// Changes per case (after the warm-up); `LIFELINE_BENCH_CHANGES` sets
/// another count for a quick look.
fn changes() -> u32 {
    std::env::var("LIFELINE_BENCH_CHANGES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(50)
}
const CHANGES_KINDS: [Change; 2] = [Change::Typing, Change::Motion];

/// What one receiver showed of the painted changes.
#[derive(Debug, Default)]
struct Photon {
    typing: Figures,
    motion: Figures,
    /// The same changes seen on the receiver's own X screen, past its
    /// compositing (the Lifeline expert app only).
    on_screen: Option<(Figures, Figures)>,
    /// Accept → first picture, ms (not for GStreamer, which has no Accept).
    first_picture: Option<f64>,
    /// CPU of the sender while the changes were measured (GStreamer only).
    sender_cpu: Option<f64>,
}

impl Photon {
    fn of(&self, change: Change) -> &Figures {
        match change {
            Change::Typing => &self.typing,
            Change::Motion => &self.motion,
        }
    }

    fn set(&mut self, change: Change, figures: Figures) {
        match change {
            Change::Typing => self.typing = figures,
            Change::Motion => self.motion = figures,
        }
    }
}

async fn script(app: &AppInstance, js: &str) -> anyhow::Result<Value> {
    Ok(app.client().execute(js, vec![]).await?)
}

/// Both cases of changes against one eye.
/// `view`: the Lifeline expert app, whose meter's stage figures for each
/// case are printed too.
async fn both_changes(
    painter: &mut Painter,
    eye: &mut Eye,
    photon: &mut Photon,
    view: Option<&AppInstance>,
) -> anyhow::Result<()> {
    for change in CHANGES_KINDS {
        if let Some(app) = view {
            script(app, "window.lifelineScreen.clearLatencies(); return 0;").await?;
        }
        let figures = glass_to_glass(painter, eye, change, changes()).await?;
        eprintln!("bench: {} {}", change.name(), summary(&figures));
        explain(change, &figures, &eye.sightings().await?);
        if let Some(app) = view {
            let stats = script(app, "return window.lifelineScreen.stats();").await?;
            eprintln!(
                "bench: {} the view's stages p50/p95 ms: {}",
                change.name(),
                stage_cells(&stats).join(", ")
            );
        }
        photon.set(change, figures);
    }
    painter.hide()
}

/// Where each change's time went, from what a page eye noted when it saw
/// it: the eye's own look interval (a page looks once per animation frame,
/// so a slow one is late to see), and in the Lifeline view the frame it
/// had painted last: painter → that frame's capture on the client, capture
/// → drawn on the expert's canvas, drawn → seen.
fn explain(change: Change, figures: &Figures, sightings: &[Sighting]) {
    let mut parts: [Vec<f64>; 4] = Default::default();
    for &drawn in &figures.drawn {
        let Some(sighting) = sightings.iter().find(|s| s.seen_at >= drawn) else {
            continue;
        };
        parts[0].extend(sighting.gap);
        if let (Some(captured), Some(on_canvas)) = (sighting.captured, sighting.drawn) {
            parts[1].push(captured - drawn);
            parts[2].push(on_canvas - captured);
            parts[3].push(sighting.seen_at - on_canvas);
        }
    }
    let cell = |samples: &[f64]| {
        format!(
            "{}/{}",
            show(percentile(samples, 50.0)),
            show(percentile(samples, 95.0))
        )
    };
    if parts[0].is_empty() {
        return;
    }
    let mut line = format!(
        "bench: {} p50/p95 ms: the eye's look interval {}",
        change.name(),
        cell(&parts[0])
    );
    if !parts[1].is_empty() {
        line += &format!(
            "; painted → captured {}, captured → drawn {}, drawn → seen {}",
            cell(&parts[1]),
            cell(&parts[2]),
            cell(&parts[3])
        );
    }
    eprintln!("{line}");
}

/// The client accepts (clicked in its page, timed on the machine's clock).
async fn accept(client: &AppInstance) -> anyhow::Result<f64> {
    // Accept is enabled a moment after the dialog appears.
    client.wait_for("#consent-accept:enabled").await?;
    Ok(script(
        client,
        "const t = performance.timeOrigin + performance.now();\
         document.querySelector('#consent-accept').click(); return t;",
    )
    .await?
    .as_f64()
    .unwrap_or_default())
}

/// The client ends the session and is back to waiting with its screen.
async fn stop(client: &AppInstance) -> anyhow::Result<()> {
    client.click("#session-stop").await?;
    client
        .wait_for("#session-notice[data-code='ended']")
        .await?;
    Ok(())
}

/// GStreamer on the client's screen, with the client app idle.
async fn gstreamer(client: &AppInstance, painter: &mut Painter) -> anyhow::Result<Photon> {
    let baseline = Baseline::start(&client.xvfb().display(), SCREEN)?;
    let mut eye = Eye::Screen(ScreenEye::connect(&baseline.display())?);
    let before = CpuSample::take(baseline.sender_pid(), "gst-launch-1.0");
    let mut photon = Photon::default();
    both_changes(painter, &mut eye, &mut photon, None).await?;
    let (main, rest) = CpuSample::take(baseline.sender_pid(), "gst-launch-1.0").since(&before);
    photon.sender_cpu = Some(main + rest);
    Ok(photon)
}

/// The Lifeline expert app: first picture, the changes, the scenarios.
async fn lifeline(
    client: &AppInstance,
    expert: &AppInstance,
    painter: &mut Painter,
) -> anyhow::Result<(Photon, Vec<LifelineRow>)> {
    let photon = watch(client, expert, painter).await?;
    let mut rows = Vec::new();
    for name in SCENARIOS {
        rows.push(scenario::against_lifeline(name, client, expert).await?);
    }
    Ok((photon, rows))
}

/// The client accepts the expert app's request: Accept → first picture,
/// then the changes as the expert app shows them, in its page and on its
/// X screen.
async fn watch(
    client: &AppInstance,
    expert: &AppInstance,
    painter: &mut Painter,
) -> anyhow::Result<Photon> {
    let accepted = accept(client).await?;
    let first_paint = loop {
        let painted = script(
            expert,
            "return window.lifelineScreen ? window.lifelineScreen.firstPaintAtMs() : null;",
        )
        .await?;
        if let Some(at) = painted.as_f64() {
            break at;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let marks = script(
        expert,
        "return window.lifelineScreen ? window.lifelineScreen.firstPictureMarks() : null;",
    )
    .await?;
    if let Some(marks) = marks.as_object() {
        let mut marks: Vec<(f64, &str)> = marks
            .iter()
            .filter_map(|(what, at)| Some((at.as_f64()? - accepted, what.as_str())))
            .collect();
        marks.sort_by(|a, b| a.0.total_cmp(&b.0));
        let shown: Vec<String> = marks
            .iter()
            .map(|(ms, what)| format!("{what} +{ms:.0}"))
            .collect();
        eprintln!(
            "bench: the first picture's way, ms after Accept: {}",
            shown.join(", ")
        );
    }
    let mut photon = Photon {
        first_picture: Some(first_paint - accepted),
        ..Photon::default()
    };
    // The expert compared the safety code and closed the side panel: the
    // picture has the window, as while watching the client work.
    expert.click("#safety-confirm").await?;
    expert.click("#side-panel-close").await?;
    let mut eye = Eye::Page(PageEye::install(expert.client(), "#screen-canvas", SCREEN).await?);
    both_changes(painter, &mut eye, &mut photon, Some(expert)).await?;
    // The same changes read from the expert's X server, where its window
    // shows them: no script runs in the page while they are measured.
    match on_screen(expert.client(), "#screen-canvas").await {
        Ok(placement) => {
            eprintln!("bench: the Lifeline expert app, seen on its X screen ({placement:?})");
            let mut eye = Eye::Screen(ScreenEye::placed(&expert.xvfb().display(), placement)?);
            let mut on_screen = Photon::default();
            both_changes(painter, &mut eye, &mut on_screen, None).await?;
            photon.on_screen = Some((on_screen.typing, on_screen.motion));
        }
        Err(error) => eprintln!("bench: the expert's window not found on its screen: {error:#}"),
    }
    Ok(photon)
}

/// Where the element at `selector` (the expert's canvas, Chromium's video)
/// shows the client's screen on its receiver's X screen, once scrolled
/// into the window (the expert's view sits below the session banner and
/// its tools): the window's place, the viewport below whatever bar the
/// browser draws, the element's box in it, and its scale.
async fn on_screen(page: &fantoccini::Client, selector: &str) -> anyhow::Result<Placement> {
    let found = page
        .execute(
            "const e = document.querySelector(arguments[0]);\
             e.scrollIntoView({block: 'start'});\
             const r = e.getBoundingClientRect();\
             return [window.screenX + (window.outerWidth - window.innerWidth) / 2 + r.left,\
                     window.screenY + (window.outerHeight - window.innerHeight) + r.top,\
                     r.width / (e.videoWidth || e.width)];",
            vec![serde_json::json!(selector)],
        )
        .await?;
    let number = |i: usize| {
        found[i]
            .as_f64()
            .ok_or_else(|| anyhow::anyhow!("no box for {selector}"))
    };
    Ok(Placement {
        left: number(0)?,
        top: number(1)?,
        scale: number(2)?,
    })
}

/// Chromium as the expert: first frame, the changes, the scenarios.
async fn chromium(
    server_url: &str,
    id: &str,
    client: &AppInstance,
    painter: &mut Painter,
) -> anyhow::Result<(Photon, Vec<ChromiumRow>, Value)> {
    // Chromium shows the screen on an X server of its own, like the expert
    // app, so the same eye can read both off the screen.
    let screen = Xvfb::start_sized(SCREEN)?;
    let chromium = Chromium::launch(Some(&screen.display())).await?;
    let outcome = async {
        chromium.connect(server_url, "ann", PASSWORD, id).await?;
        let accepted = accept(client).await?;
        let first = chromium
            .wait_for("firstFrameAt", Duration::from_secs(30))
            .await?;
        let mut photon = Photon {
            first_picture: Some(first - accepted),
            ..Photon::default()
        };
        // The pointer scenario left the pointer somewhere; out of the way.
        client.xvfb().run("xdotool", &["mousemove", "0", "0"])?;
        let mut eye = Eye::Page(PageEye::install(chromium.client(), "#screen", SCREEN).await?);
        both_changes(painter, &mut eye, &mut photon, None).await?;
        let placement = on_screen(chromium.client(), "#screen").await?;
        eprintln!("bench: Chromium, seen on its X screen ({placement:?})");
        let mut eye = Eye::Screen(ScreenEye::placed(&screen.display(), placement)?);
        let mut on_screen = Photon::default();
        both_changes(painter, &mut eye, &mut on_screen, None).await?;
        photon.on_screen = Some((on_screen.typing, on_screen.motion));
        let mut rows = Vec::new();
        for name in SCENARIOS {
            rows.push(scenario::against_chromium(name, client, &chromium).await?);
        }
        let state = chromium.state().await?;
        let stats = chromium.stats().await?;
        Ok::<_, anyhow::Error>((
            photon,
            rows,
            serde_json::json!({"page": state, "stats": stats}),
        ))
    }
    .await;
    chromium.close().await;
    outcome
}

fn print_photon(gst: Option<&Photon>, lifeline: &Photon, chromium: Option<&Photon>) {
    println!();
    println!("Motion to photon, ms: painted on the client's X server → seen on the receiver");
    println!(
        "({} changes each; p50 / p95 (samples, missed); ×: Lifeline ÷ the other at the same percentile)",
        changes()
    );
    println!(
        "{:<8} {:<30} {:<30} {:<30} {:>13} {:>13}",
        "change",
        "Lifeline expert app",
        "Chromium expert",
        "GStreamer",
        "÷ Chromium",
        "÷ GStreamer"
    );
    for change in CHANGES_KINDS {
        let ours = lifeline.of(change);
        let cell =
            |photon: Option<&Photon>| photon.map_or_else(|| "-".into(), |p| summary(p.of(change)));
        let versus = |photon: Option<&Photon>, p: f64| {
            ratio(
                ours.percentile(p),
                photon.and_then(|o| o.of(change).percentile(p)),
            )
        };
        println!(
            "{:<8} {:<30} {:<30} {:<30} {:>13} {:>13}",
            change.name(),
            summary(ours),
            cell(chromium),
            cell(gst),
            format!("{} / {}", versus(chromium, 50.0), versus(chromium, 95.0)),
            format!("{} / {}", versus(gst, 50.0), versus(gst, 95.0)),
        );
    }
    println!("Seen on each receiver's own X screen (no script in its page while measured):");
    for (name, photon) in [
        ("Lifeline expert app", Some(lifeline)),
        ("Chromium", chromium),
    ] {
        if let Some((typing, motion)) = photon.and_then(|p| p.on_screen.as_ref()) {
            println!(
                "  {name}: typing {}, motion {}",
                summary(typing),
                summary(motion)
            );
        }
    }
    println!(
        "Accept → first picture: Lifeline expert app {} ms, Chromium {} ms ({})",
        show(lifeline.first_picture),
        show(chromium.and_then(|c| c.first_picture)),
        ratio(
            lifeline.first_picture,
            chromium.and_then(|c| c.first_picture)
        ),
    );
    if let Some(cpu) = gst.and_then(|g| g.sender_cpu) {
        println!("GStreamer's sender used {cpu:.1} % of a core while its changes were measured.");
    }
}

fn cpu_cell(cpu: Option<(f64, f64)>, split: bool) -> String {
    match cpu {
        Some((main, rest)) if split => format!("{main:.1}+{rest:.1}"),
        Some((main, rest)) => format!("{:.1}", main + rest),
        None => "-".into(),
    }
}

fn print_scenarios(rows: &[LifelineRow], chromium: Option<&[ChromiumRow]>) {
    println!();
    println!(
        "Scenarios, {} s each (fps: frames per second; CPU: % of one core, app+web views)",
        scenario::RUN.as_secs()
    );
    println!(
        "{:<8} {:>6} {:>6} {:>6} {:>6} {:>10} {:>10} {:>10} | {:>11} {:>10} {:>9}",
        "scenario",
        "sent",
        "recv",
        "decod",
        "paint",
        "client",
        "expert",
        "p50/p95",
        "Chr. rcv/dec",
        "client",
        "Chromium"
    );
    for (i, row) in rows.iter().enumerate() {
        let theirs = chromium.and_then(|c| c.get(i));
        // Capture → painted where the view keeps it, else → decoded.
        let painted = &row.stats["stages"]["capture_painted"];
        let latency = match (painted["p50"].as_f64(), painted["p95"].as_f64()) {
            (Some(p50), Some(p95)) => format!("{p50:.0}/{p95:.0}"),
            _ => format!(
                "{}/{}",
                show(number(&row.stats, &["latencyP50"])),
                show(number(&row.stats, &["latencyP95"]))
            ),
        };
        println!(
            "{:<8} {:>6} {:>6} {:>6} {:>6} {:>10} {:>10} {:>10} | {:>11} {:>10} {:>9}",
            row.name,
            show1(row.fps_sent),
            show1(row.fps_received),
            show1(row.fps_decoded),
            show1(row.fps_painted),
            cpu_cell(row.client_cpu, true),
            cpu_cell(row.expert_cpu, true),
            latency,
            format!(
                "{}/{}",
                show1(theirs.and_then(|c| c.fps_received)),
                show1(theirs.and_then(|c| c.fps_decoded))
            ),
            cpu_cell(theirs.and_then(|c| c.client_cpu), true),
            cpu_cell(theirs.and_then(|c| c.chromium_cpu), false),
        );
    }
    println!(
        "\"sent\" is the expert view's count of frames the client sent, where the view reports it; \
         \"p50/p95\" is the view's own capture → painted (or decoded) latency from the frames' \
         timestamps. \"Chr. rcv/dec\" is Chromium's framesReceived/framesDecoded in the same scenario in its own \
         session: what a standard receiver gets from the same client."
    );
    // The view's per-stage figures, where its meter keeps them.
    for row in rows {
        let cells = stage_cells(&row.stats);
        if !cells.is_empty() {
            println!("{} stages p50/p95 ms: {}", row.name, cells.join(", "));
        }
        if let Some(dropped) = row.stats["dropped"].as_object().filter(|d| !d.is_empty()) {
            println!(
                "{} frames dropped by the view: {}",
                row.name,
                Value::Object(dropped.clone())
            );
        }
    }
}

/// "key p50/p95" for each stage the view's meter has samples of.
fn stage_cells(stats: &Value) -> Vec<String> {
    let Some(stages) = stats["stages"].as_object() else {
        return Vec::new();
    };
    stages
        .iter()
        .filter(|(_, s)| s["samples"].as_u64().unwrap_or(0) > 0)
        .map(|(key, s)| {
            format!(
                "{key} {}/{}",
                show(s["p50"].as_f64()),
                show(s["p95"].as_f64())
            )
        })
        .collect()
}

/// A client app on its own 1920×1080 screen, on loopback.
async fn client_app(
    h: &Harness,
    server: &SignalingServer,
    name: &str,
) -> anyhow::Result<Arc<AppInstance>> {
    let options = AppOptions {
        screen: Some(SCREEN),
        ..loopback()
    };
    h.launch_app_with(name, server, options).await
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    e2e("bench_screen_latency", |h| async move {
        let server = h.signaling().await?;
        server.add_expert("ann", "Ann", PASSWORD).await?;
        let client = client_app(&h, &server, "client").await?;
        let expert = h.launch_app_with("expert", &server, loopback()).await?;
        // The pointer out of the way of every patch.
        client.xvfb().run("xdotool", &["mousemove", "0", "0"])?;
        let mut painter = Painter::connect(&client.xvfb().display())?;

        eprintln!("bench: GStreamer on the client's screen");
        let gst = gstreamer(&client, &mut painter)
            .await
            .map_err(|error| eprintln!("bench: no GStreamer baseline: {error:#}"))
            .ok();

        eprintln!("bench: the Lifeline expert app");
        let id = ask(&client, &expert, "ann", PASSWORD).await?;
        let (ours, rows) = lifeline(&client, &expert, &mut painter).await?;
        stop(&client).await?;

        eprintln!("bench: Chromium as the expert");
        let id = new_id(&client, &id).await?;
        let theirs = chromium(
            &server.ws_url(),
            &id.replace(' ', ""),
            &client,
            &mut painter,
        )
        .await
        .map_err(|error| eprintln!("bench: no Chromium figures: {error:#}"))
        .ok();
        if theirs.is_some() {
            stop(&client).await?;
        }

        eprintln!("bench: the Lifeline expert app through the desk's TURN relay");
        drop(painter);
        let relayed = relayed::through_turn(&h)
            .await
            .map_err(|error| eprintln!("bench: no figures through TURN: {error:#}"))
            .ok();

        print_photon(gst.as_ref(), &ours, theirs.as_ref().map(|t| &t.0));
        if let Some((photon, path)) = &relayed {
            relayed::print(&ours, photon, path);
        }
        print_scenarios(&rows, theirs.as_ref().map(|t| t.1.as_slice()));
        if let Some((_, _, details)) = &theirs {
            println!("Chromium at the end: {details}");
        }
        Ok(())
    })
    .await;
}
