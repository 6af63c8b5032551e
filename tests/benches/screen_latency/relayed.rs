//! The same changes through the desk's TURN relay: a second desk that
//! hands out a real coturn (on loopback, TURN over UDP), a new client app
//! on its own 1920×1080 screen, and an expert app that may only relay
//! (`LIFELINE_ICE_RELAY_ONLY=1`), so every packet goes expert → coturn →
//! client and back. Printed beside the direct loopback session of the same
//! run: what the relay's extra hop and allocation cost.

use lifeline_e2e::Harness;
use lifeline_e2e::flows::{ask, loopback};
use lifeline_e2e::net::coturn::{Coturn, TURN_SECRET};

use crate::painter::Painter;
use crate::report::{ratio, show, summary};
use crate::{CHANGES_KINDS, PASSWORD, Photon, client_app, stop, watch};

/// Accept → first picture and the changes through coturn, with the path
/// the desk recorded for the expert's side.
pub(crate) async fn through_turn(h: &Harness) -> anyhow::Result<(Photon, String)> {
    let dir = tempfile::tempdir()?;
    let coturn = Coturn::start(dir.path());
    let config = dir.path().join("desk.toml");
    std::fs::write(
        &config,
        format!(
            "[ice]\nturn_urls = [\"turn:127.0.0.1:{}?transport=udp\"]\nturn_secret = \"{TURN_SECRET}\"\n",
            coturn.port
        ),
    )?;
    let server = h
        .signaling_with(&["--config", &config.display().to_string()])
        .await?;
    server.add_expert("ann", "Ann", PASSWORD).await?;
    let client = client_app(h, &server, "client-turn").await?;
    let mut relay_only = loopback();
    relay_only
        .env
        .push(("LIFELINE_ICE_RELAY_ONLY".into(), "1".into()));
    let expert = h
        .launch_app_with("expert-turn", &server, relay_only)
        .await?;
    client.xvfb().run("xdotool", &["mousemove", "0", "0"])?;
    let mut painter = Painter::connect(&client.xvfb().display())?;
    ask(&client, &expert, "ann", PASSWORD).await?;
    let photon = watch(&client, &expert, &mut painter).await?;
    let token = server.report_token("ann", PASSWORD).await?;
    let report = server.session_report_with(&token).await?;
    let path = report[0]["expert_path"]
        .as_str()
        .unwrap_or("not recorded")
        .to_owned();
    stop(&client).await?;
    Ok((photon, path))
}

/// The relayed session's figures beside the direct one's.
pub(crate) fn print(direct: &Photon, relayed: &Photon, path: &str) {
    println!();
    println!(
        "Through the desk's TURN relay (coturn on loopback, the expert relay-only; its recorded path: {path}),"
    );
    println!("motion to photon, ms, p50 / p95 (samples); ×: relayed ÷ direct, same run");
    for change in CHANGES_KINDS {
        let (ours, base) = (relayed.of(change), direct.of(change));
        println!(
            "  {:<8} relayed {:<24} direct {:<24} {} / {}",
            change.name(),
            summary(ours),
            summary(base),
            ratio(ours.percentile(50.0), base.percentile(50.0)),
            ratio(ours.percentile(95.0), base.percentile(95.0)),
        );
    }
    println!(
        "  Accept → first picture: relayed {} ms, direct {} ms ({})",
        show(relayed.first_picture),
        show(direct.first_picture),
        ratio(relayed.first_picture, direct.first_picture)
    );
}
