//! A client on a Wayland desktop, with the real apps: the client app's
//! session says Wayland (`XDG_SESSION_TYPE`, `WAYLAND_DISPLAY` and the
//! session bus of a headless sway with the desktop portal,
//! `lifeline_e2e::wayland`), so it shares that desktop's screen through the
//! portal and PipeWire and injects the expert's input with the virtual
//! pointer. Its own window stays on its X server, where WebDriver drives it.
//! - the sway output's colour reaches the expert's canvas, and follows a
//!   change;
//! - the expert's click on the canvas reaches a window on the Wayland
//!   desktop (`wev`, a real Wayland client that prints its events);
//! - the desk's session record says the screen came through Wayland;
//! - sharing stopped from the desktop (its portal gone, as when the user
//!   stops it from the desktop's indicator) withdraws the expert's view,
//!   and the client's bar says so;
//! - on a Wayland desktop without a screen-sharing portal, the expert's view
//!   and the client's bar say why there is no picture, in words.

use std::sync::Arc;
use std::time::{Duration, Instant};

use lifeline_e2e::flows::{establish, loopback};
use lifeline_e2e::screen::{canvas_pixel, click_remote, close};
use lifeline_e2e::signaling::SignalingServer;
use lifeline_e2e::wayland::Desktop;
use lifeline_e2e::xvfb::SCREEN;
use lifeline_e2e::{AppInstance, Harness, e2e};

const PASSWORD: &str = "correct horse battery";
const CENTRE: (u32, u32) = (SCREEN.0 / 2, SCREEN.1 / 2);

/// A desk with the expert `ann`, a client app whose session is
/// `desktop`'s (its own window stays on its X server, for WebDriver), and
/// an expert app.
async fn desk_and_apps(
    h: &Harness,
    desktop: &Desktop,
) -> anyhow::Result<(SignalingServer, Arc<AppInstance>, Arc<AppInstance>)> {
    let server = h.signaling().await?;
    server
        .add_expert("ann", "Ann from the Help Desk", PASSWORD)
        .await?;
    let mut options = loopback();
    for name in [
        "XDG_SESSION_TYPE",
        "XDG_CURRENT_DESKTOP",
        "WAYLAND_DISPLAY",
        "DBUS_SESSION_BUS_ADDRESS",
    ] {
        options.env.push((name.into(), desktop.var(name).into()));
    }
    options.env.push(("GDK_BACKEND".into(), "x11".into()));
    let client = h.launch_app_with("client", &server, options).await?;
    let expert = h.launch_app_with("expert", &server, loopback()).await?;
    Ok((server, client, expert))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_desktop_without_a_portal_is_explained_to_the_expert() {
    e2e("wayland_no_portal", |h| async move {
        let mut desktop = Desktop::start(SCREEN.0, SCREEN.1, "#204080")?;
        desktop.stop_portal();
        let (_server, client, expert) = desk_and_apps(&h, &desktop).await?;
        establish(&client, &expert, "ann", PASSWORD, &[]).await?;
        let said = expert.wait_for("#screen-problem").await?.text().await?;
        anyhow::ensure!(
            said.contains("cannot be shown") && said.contains("portal"),
            "the expert was told {said:?}"
        );
        let said = client.wait_for("#bar-screen-problem").await?.text().await?;
        anyhow::ensure!(
            said.contains("not being shared") && said.contains("portal"),
            "the client was told {said:?}"
        );
        Ok(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_client_on_wayland_is_seen_and_controlled() {
    e2e("wayland_client", |h| async move {
        let mut desktop = Desktop::start(SCREEN.0, SCREEN.1, "#204080")?;
        let (server, client, expert) = desk_and_apps(&h, &desktop).await?;

        let result = async {
            establish(&client, &expert, "ann", PASSWORD, &[]).await?;
            expert.wait_for("#screen-canvas").await?;
            painted_and_shown(&desktop, &expert, "#c00000", [0xc0, 0, 0]).await?;
            painted_and_shown(&desktop, &expert, "#204080", [0x20, 0x40, 0x80]).await?;
            clicks_reach_a_wayland_window(&desktop, &expert).await?;
            the_record_says_wayland(&server).await?;
            stopped_from_the_desktop(&mut desktop, &client, &expert).await
        }
        .await;
        result.map_err(|error| anyhow::anyhow!("{error:#}\n{}", desktop.logs()))
    })
    .await;
}

/// Paints the output `colour` until the expert's canvas shows `rgb`: the
/// wlroots portal 0.7 sends a new cast of an unchanged screen no frame
/// until the screen changes, so a first picture may need a change.
async fn painted_and_shown(
    desktop: &Desktop,
    expert: &AppInstance,
    colour: &str,
    rgb: [i64; 3],
) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        desktop.paint(colour)?;
        let painted = Instant::now();
        while painted.elapsed() < Duration::from_secs(2) {
            let (_, _, seen) = canvas_pixel(expert, CENTRE).await?;
            if close(seen, rgb) {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "the canvas never showed {colour}; it shows {:?}",
            canvas_pixel(expert, CENTRE).await?
        );
    }
}

/// The desktop stops sharing under a running session: the expert's view
/// is withdrawn, and the client's bar says what happened.
async fn stopped_from_the_desktop(
    desktop: &mut Desktop,
    client: &AppInstance,
    expert: &AppInstance,
) -> anyhow::Result<()> {
    desktop.stop_portal();
    let said = expert.wait_for("#screen-no-view").await?.text().await?;
    anyhow::ensure!(said.contains("not allowed"), "the expert was told {said:?}");
    let said = client.wait_for("#bar-notice").await?.text().await?;
    anyhow::ensure!(
        said.contains("stopped sharing your screen from the desktop"),
        "the client was told {said:?}"
    );
    Ok(())
}

/// Waits until the desk's Session Usage Report names the client's screen
/// backend.
async fn the_record_says_wayland(server: &SignalingServer) -> anyhow::Result<()> {
    let token = server.report_token("ann", PASSWORD).await?;
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let report = server.session_report_with(&token).await?;
        let rows = report.as_array().cloned().unwrap_or_default();
        if rows.iter().any(|row| row["client_screen"] == "wayland") {
            return Ok(());
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "the record never said wayland: {report}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// wev fills the output; the expert clicks until wev reports the press
/// (its window may map after the first click).
async fn clicks_reach_a_wayland_window(
    desktop: &Desktop,
    expert: &AppInstance,
) -> anyhow::Result<()> {
    let (_wev, log) = desktop.wev()?;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        click_remote(expert, CENTRE).await?;
        tokio::time::sleep(Duration::from_millis(500)).await;
        let seen = std::fs::read_to_string(&log).unwrap_or_default();
        if seen.contains("button: 272 (left), state: 1 (pressed)") {
            return Ok(());
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "wev never saw the expert's click; it logged:\n{seen}"
        );
    }
}
