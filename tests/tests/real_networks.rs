//! Real apps on a real network (namespaces, `lifeline_e2e::net`): the
//! client sits in a corporate network whose only way out is its router's
//! proxy (tinyproxy, Basic authentication); the expert is at home behind a
//! NAT that lets UDP out only to the desk's servers, so no direct path can
//! be punched. The desk and coturn are on the test internet.
//!
//! The client types the proxy into Settings: a wrong password gets the
//! proxy's refusal in plain words, the right one links. The session then
//! runs through coturn: the client's side over TURN/TLS through the proxy,
//! the expert's over TURN/UDP. The client's screen reaches the expert's
//! canvas, and the expert's overlay and the desk's record say the path.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rcgen::PublicKeyData;

use lifeline_e2e::flows::establish;
use lifeline_e2e::net::coturn::{Coturn, TURN_SECRET};
use lifeline_e2e::net::netns::{INTERNET, Network, Router};
use lifeline_e2e::net::proxies::tinyproxy_in;
use lifeline_e2e::screen::{Rgb, wait_for_colours};
use lifeline_e2e::{AppInstance, AppOptions, SignalingServer, e2e};

const PASSWORD: &str = "correct horse battery";
const RED: Rgb = [255, 0, 0];
/// A point of the client's screen outside the app's window.
const OUTSIDE: (u32, u32) = (1180, 700);

#[tokio::test(flavor = "multi_thread")]
async fn a_corporate_client_and_a_home_expert_meet_through_the_relay() {
    e2e("real_networks", |h| async move {
        let network = Network::build(&[Router::Corporate, Router::HomeWithoutPunching]);
        let dir = tempfile::tempdir()?;
        let (cert, key, pin) = turn_certificate(dir.path())?;
        let _coturn = Coturn::start_in(dir.path(), &network.internet, Some((&cert, &key)));
        let config = desk_config(dir.path())?;
        let config = config.display().to_string();
        let server = h
            .signaling_in(network.internet.name(), INTERNET, &["--config", &config])
            .await?;
        server
            .add_expert("ann", "Ann from the Help Desk", PASSWORD)
            .await?;
        let (corporate, home) = (&network.sites[0], &network.sites[1]);
        let lan = format!("{}/24", corporate.gateway);
        let proxy = tinyproxy_in(dir.path(), &corporate.router, &corporate.gateway, &lan);
        let inside = |netns: &str, env: Vec<(String, String)>| AppOptions {
            env,
            netns: Some(netns.to_owned()),
            ..AppOptions::default()
        };
        // The client trusts the desk's TURN server by its key.
        let pinned = vec![("LIFELINE_SERVER_PIN".to_owned(), pin)];
        let client = h
            .launch_app_with("client", &server, inside(corporate.host.name(), pinned))
            .await?;
        let expert = h
            .launch_app_with("expert", &server, inside(home.host.name(), Vec::new()))
            .await?;

        let outcome = async {
            the_proxy_in_settings(&client, &corporate.gateway, proxy.port).await?;
            client.xvfb().run("xsetroot", &["-solid", "#ff0000"])?;
            establish(&client, &expert, "ann", PASSWORD, &[]).await?;
            wait_for_colours(&expert, &[(OUTSIDE, RED)]).await?;

            expert.open_menu("screen-menu").await?;
            expert.click("#screen-stats-toggle").await?;
            let path = expert.text("#screen-stats-path").await?;
            anyhow::ensure!(
                path == "Path: relayed by the desk's TURN server, UDP",
                "{path:?}"
            );
            h.screenshot(&expert, "relayed").await?;
            the_record_says(&server, "relay/tls", "relay/udp").await?;
            let log = std::fs::read_to_string(dir.path().join("tinyproxy.log"))?;
            for port in [server.addr().port(), 5349] {
                let target = format!("{INTERNET}:{port}");
                anyhow::ensure!(
                    log.lines()
                        .any(|l| l.contains("CONNECT") && l.contains(&target)),
                    "the proxy carried nothing to {target}:\n{log}"
                );
            }
            anyhow::ensure!(
                corporate.dropped() > 0,
                "the corporate router dropped nothing"
            );
            Ok(())
        }
        .await;
        outcome.map_err(|e: anyhow::Error| e.context(network.describe()))
    })
    .await;
}

/// The client has no way to the desk but the proxy: with a wrong password
/// it is told the proxy refused, and with the right one it links.
async fn the_proxy_in_settings(client: &AppInstance, host: &str, port: u16) -> anyhow::Result<()> {
    client.click("#mode-client").await?;
    for (password, state) in [("wrong", "offline"), ("s3cret", "connected")] {
        client.click("#open-settings").await?;
        client.type_into("#settings-proxy-host", host).await?;
        client
            .type_into("#settings-proxy-port", &port.to_string())
            .await?;
        client.type_into("#settings-proxy-user", "ann").await?;
        client
            .type_into("#settings-proxy-password", password)
            .await?;
        client.click("#settings-save").await?;
        client.wait_for("#settings-saved").await?;
        let status = format!("#desk-status[data-state='{state}']");
        client.wait_for(&status).await?;
        if state == "offline" {
            let said = client.text("#desk-status").await?;
            anyhow::ensure!(
                said == "The proxy refused the user name or password (407). Check them in Settings.",
                "{said:?}"
            );
        }
    }
    // Back to the start screen, where the session begins.
    client.click("#change-mode").await?;
    Ok(())
}

/// Waits until the desk's record of the session says the client's and
/// the expert's paths.
async fn the_record_says(
    server: &SignalingServer,
    client: &str,
    expert: &str,
) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let report = server.session_report("ann", PASSWORD).await?;
        let rows = report.as_array().cloned().unwrap_or_default();
        if rows
            .iter()
            .any(|row| row["client_path"] == client && row["expert_path"] == expert)
        {
            return Ok(());
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "no record with the paths {client} and {expert}: {report}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// coturn's certificate and key for the internet's address, and the
/// key's verification code (the SHA-256 of its public key).
fn turn_certificate(dir: &Path) -> anyhow::Result<(PathBuf, PathBuf, String)> {
    let certified = rcgen::generate_simple_self_signed(vec![INTERNET.into()])?;
    let (cert, key) = (dir.join("turn.pem"), dir.join("turn.key"));
    std::fs::write(&cert, certified.cert.pem())?;
    std::fs::write(&key, certified.signing_key.serialize_pem())?;
    let spki = certified.signing_key.subject_public_key_info();
    let digest = ring::digest::digest(&ring::digest::SHA256, &spki);
    let pin = digest.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    Ok((cert, key, pin))
}

/// The desk's configuration: coturn for STUN, and for TURN over UDP and
/// TLS with the shared secret.
fn desk_config(dir: &Path) -> anyhow::Result<PathBuf> {
    let path = dir.join("desk.toml");
    std::fs::write(
        &path,
        format!(
            "[ice]\nstun_urls = [\"stun:{INTERNET}:3478\"]\n\
             turn_urls = [\"turn:{INTERNET}:3478?transport=udp\", \"turns:{INTERNET}:5349\"]\n\
             turn_secret = \"{TURN_SECRET}\"\n"
        ),
    )?;
    Ok(path)
}
