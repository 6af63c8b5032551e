//! Steps several tests share: an expert signs in, connects to a client by
//! its ID, and the client accepts with the scopes it chooses.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::signaling::SignalingServer;
use crate::{AppInstance, AppOptions, Harness};

/// Polls `ok` every 100 ms until it holds, for up to 15 s.
pub async fn wait_until<F>(what: &str, mut ok: F) -> anyhow::Result<()>
where
    F: FnMut() -> anyhow::Result<bool>,
{
    let deadline = Instant::now() + Duration::from_secs(15);
    while !ok()? {
        anyhow::ensure!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(())
}

/// The app's WebRTC on loopback only, so tests need no network.
pub fn loopback() -> AppOptions {
    AppOptions {
        env: vec![("LIFELINE_UDP_ADDRS".into(), "127.0.0.1:0".into())],
        ..AppOptions::default()
    }
}

/// A desk with the expert account `ann` ("Ann from the Help Desk",
/// `password`), and a client app and an expert app on it, on loopback.
pub async fn desk_and_two_apps(
    h: &Harness,
    password: &str,
) -> anyhow::Result<(SignalingServer, Arc<AppInstance>, Arc<AppInstance>)> {
    let server = h.signaling().await?;
    server
        .add_expert("ann", "Ann from the Help Desk", password)
        .await?;
    let client = h.launch_app_with("client", &server, loopback()).await?;
    let expert = h.launch_app_with("expert", &server, loopback()).await?;
    Ok((server, client, expert))
}

/// The client gets an ID; the expert signs in and connects with it. Returns
/// the ID once the client's consent dialog is open.
pub async fn ask(
    client: &AppInstance,
    expert: &AppInstance,
    user: &str,
    password: &str,
) -> anyhow::Result<String> {
    ask_for(client, expert, user, password, &[]).await
}

/// [`ask`], with the expert also ticking `tick` (such as `"#want-reboot"`,
/// which is off by default).
pub async fn ask_for(
    client: &AppInstance,
    expert: &AppInstance,
    user: &str,
    password: &str,
    tick: &[&str],
) -> anyhow::Result<String> {
    let id = client_gets_id(client).await?;
    expert_asks(expert, user, password, &id, tick).await?;
    client.wait_for("#consent-accept").await?;
    Ok(id)
}

/// The client (on the start screen) picks client mode, waits for the
/// desk, clicks Get ID and returns the ID as shown ("482 913").
pub async fn client_gets_id(client: &AppInstance) -> anyhow::Result<String> {
    client.click("#mode-client").await?;
    client
        .wait_for("#desk-status[data-state='connected']")
        .await?;
    client.click("#get-id").await?;
    client.text("#client-id").await
}

/// The expert (on the start screen) signs in and asks for `id`, ticking
/// `tick` too, and clicks Connect.
pub async fn expert_asks(
    expert: &AppInstance,
    user: &str,
    password: &str,
    id: &str,
    tick: &[&str],
) -> anyhow::Result<()> {
    expert_signs_in(expert, user, password).await?;
    expert_connects(expert, id, None, tick).await
}

/// The expert (on the start screen) picks expert mode and signs in.
pub async fn expert_signs_in(
    expert: &AppInstance,
    user: &str,
    password: &str,
) -> anyhow::Result<()> {
    expert.click("#mode-expert").await?;
    expert
        .wait_for("#desk-status[data-state='connected']")
        .await?;
    expert.type_into("#sign-in-user", user).await?;
    expert.type_into("#sign-in-password", password).await?;
    expert.click("#sign-in-submit").await?;
    expert.wait_for("#signed-in-as").await?;
    Ok(())
}

/// The signed-in expert types `id` (and `pin`), ticks `tick`, connects.
pub async fn expert_connects(
    expert: &AppInstance,
    id: &str,
    pin: Option<&str>,
    tick: &[&str],
) -> anyhow::Result<()> {
    expert.type_into("#client-id-input", id).await?;
    if let Some(pin) = pin {
        expert.type_into("#client-pin-input", pin).await?;
    }
    for checkbox in tick {
        expert.click(checkbox).await?;
    }
    expert.click("#connect").await?;
    Ok(())
}

/// The client, already in client mode, gets a new ID in place of `old`.
pub async fn new_id(client: &AppInstance, old: &str) -> anyhow::Result<String> {
    client.click("#get-id").await?;
    let mut id = String::new();
    let deadline = Instant::now() + Duration::from_secs(15);
    while id.is_empty() || id == old {
        anyhow::ensure!(Instant::now() < deadline, "no new ID replaced {old}");
        tokio::time::sleep(Duration::from_millis(100)).await;
        id = client.text("#client-id").await?;
    }
    Ok(id)
}

/// [`ask`], then the client unticks `refuse` (such as `"#grant-control"`)
/// and accepts. Returns the ID once both sides show the running session.
pub async fn establish(
    client: &AppInstance,
    expert: &AppInstance,
    user: &str,
    password: &str,
    refuse: &[&str],
) -> anyhow::Result<String> {
    establish_with(client, expert, user, password, &[], refuse).await
}

/// [`establish`], with the expert also ticking `tick` first.
pub async fn establish_with(
    client: &AppInstance,
    expert: &AppInstance,
    user: &str,
    password: &str,
    tick: &[&str],
    refuse: &[&str],
) -> anyhow::Result<String> {
    let id = ask_for(client, expert, user, password, tick).await?;
    for checkbox in refuse {
        client.click(checkbox).await?;
    }
    client.click("#consent-accept").await?;
    expert.wait_for("#safety-code").await?;
    client.wait_for("#safety-code").await?;
    // The expert reads the code aloud and confirms it matched: the large
    // copy over the remote screen goes.
    expert.click("#safety-confirm").await?;
    Ok(id)
}
