//! The desk's own client, without a build of its own: a `desk.toml` beside
//! the app's executable makes it start as that desk's client, branded, its
//! key pinned; a `lifeline://get-help` link opens it for the link's desk
//! once the user has seen the desk's card and trusted it; a link whose
//! code names another key is refused, and nothing is saved. The desk is
//! the real server behind a TLS endpoint with a self-signed certificate.

use std::path::Path;

use lifeline_e2e::tls_front::TlsFront;
use lifeline_e2e::{AppInstance, AppOptions, Locator, e2e};

/// A 48×48 orange square, as a desk's logo.
fn write_logo(path: &Path) -> anyhow::Result<()> {
    let file = std::fs::File::create(path)?;
    let mut encoder = png::Encoder::new(file, 48, 48);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let pixels: Vec<u8> = [0xf0, 0x80, 0x10].repeat(48 * 48);
    encoder.write_header()?.write_image_data(&pixels)?;
    Ok(())
}

fn is_grouped_id(text: &str) -> bool {
    text.len() == 7
        && text
            .chars()
            .enumerate()
            .all(|(i, c)| if i == 3 { c == ' ' } else { c.is_ascii_digit() })
}

/// Get ID works on the held desk, through the front.
async fn gets_an_id(app: &AppInstance, front: &TlsFront) -> anyhow::Result<()> {
    app.wait_for("#desk-status[data-state='connected']").await?;
    app.click("#get-id").await?;
    let id = app.text("#client-id").await?;
    anyhow::ensure!(is_grouped_id(&id), "the ID reads {id:?}");
    anyhow::ensure!(
        front.handshakes() >= 1,
        "the app did not come through the TLS front"
    );
    Ok(())
}

async fn absent(app: &AppInstance, css: &str) -> anyhow::Result<bool> {
    Ok(app.client().find(Locator::Css(css)).await.is_err())
}

/// The settings the app saved: nothing of a link's desk, nor a mode.
fn saved_settings(app: &AppInstance) -> String {
    std::fs::read_to_string(app.config_dir().join("settings.json")).unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_desk_file_beside_the_app_makes_it_that_desks_client() {
    e2e("branded_client", |h| async move {
        let server = h.signaling().await?;
        let front = TlsFront::start(server.addr()).await?;
        let (install, binary) = lifeline_e2e::paths::installed_copy("lifeline")?;
        write_logo(&install.path().join("acme.png"))?;
        std::fs::write(
            install.path().join("desk.toml"),
            format!(
                "name = \"Acme Help Desk\"\ndesk = \"{}\"\npin = \"{}\"\nlogo = \"acme.png\"\n",
                front.wss_url(),
                front.pin()
            ),
        )?;
        let options = AppOptions {
            binary: Some(binary),
            ..AppOptions::default()
        };
        let app = h.launch_app_with("client", &server, options).await?;
        // Straight into client mode: no start screen, no way back to it.
        app.wait_for("#client-home").await?;
        anyhow::ensure!(absent(&app, "#mode-client").await? && absent(&app, "#change-mode").await?);
        let name = app.text("#desk-brand-name").await?;
        anyhow::ensure!(name == "Acme Help Desk", "the header names {name:?}");
        let logo = app
            .wait_for("#desk-brand-logo")
            .await?
            .attr("src")
            .await?
            .unwrap_or_default();
        anyhow::ensure!(
            logo.starts_with("data:image/png;base64,"),
            "the logo is {logo:.40}"
        );
        app.wait_for("#desk-pinned").await?;
        let url = app.text("#signaling-url").await?;
        anyhow::ensure!(
            url == front.wss_url(),
            "the app uses {url}, not the desk file's desk"
        );
        gets_an_id(&app, &front).await?;
        h.screenshot(&app, "branded").await?;
        Ok(())
    })
    .await;
}

/// The desk behind a front whose key it names in `[client]`, with a logo.
async fn desk_behind_a_front(
    h: &lifeline_e2e::Harness,
    dir: &Path,
) -> anyhow::Result<(lifeline_e2e::SignalingServer, TlsFront)> {
    let mut front = TlsFront::bind().await?;
    write_logo(&dir.join("logo.png"))?;
    let config = dir.join("signaling.toml");
    std::fs::write(
        &config,
        format!(
            "[client]\npin = \"{}\"\nlogo = \"{}\"\n",
            front.pin(),
            dir.join("logo.png").display()
        ),
    )?;
    let server = h
        .signaling_with(&["--config", &config.display().to_string()])
        .await?;
    front.relay_to(server.addr());
    Ok((server, front))
}

fn link(front: &TlsFront, pin: &str) -> String {
    let desk = front.https_url().replace(':', "%3A").replace('/', "%2F");
    format!("lifeline://get-help?desk={desk}&pin={pin}")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_link_opens_the_app_for_its_desk_once_the_user_trusts_it() {
    e2e("help_link", |h| async move {
        let dir = tempfile::tempdir()?;
        let (server, front) = desk_behind_a_front(&h, dir.path()).await?;
        let options = AppOptions {
            args: vec![link(&front, front.pin())],
            ..AppOptions::default()
        };
        let app = h.launch_app_with("client", &server, options).await?;
        // The desk's card, fetched over TLS to the link's key: its name
        // (the address until the desk's admin sets one), logo and code.
        let host = front.https_url().trim_start_matches("https://").to_owned();
        let name = app.text("#link-desk-name").await?;
        anyhow::ensure!(name == host, "the card names {name:?}");
        app.wait_for("#link-desk-logo").await?;
        let code = app.text("#link-desk-code").await?;
        anyhow::ensure!(
            code.starts_with(&front.pin()[..4]) && code.contains(' '),
            "the code reads {code:?}"
        );
        anyhow::ensure!(
            front.handshakes() == 1,
            "only the card was fetched before the user's word"
        );
        anyhow::ensure!(
            absent(&app, "#desk-status").await?,
            "no desk link before the user trusts it"
        );
        h.screenshot(&app, "asks").await?;

        app.click("#link-trust").await?;
        app.wait_for("#client-home").await?;
        let brand = app.text("#desk-brand-name").await?;
        anyhow::ensure!(brand == host, "the header names {brand:?}");
        gets_an_id(&app, &front).await?;
        anyhow::ensure!(
            front.handshakes() >= 2,
            "the desk link went through the front"
        );
        let saved = saved_settings(&app);
        anyhow::ensure!(
            !saved.contains("localhost") && !saved.contains("\"client\""),
            "saved: {saved}"
        );
        h.screenshot(&app, "trusted").await?;
        Ok(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_link_whose_code_names_another_key_is_refused() {
    e2e("help_link_wrong_pin", |h| async move {
        let dir = tempfile::tempdir()?;
        let (server, front) = desk_behind_a_front(&h, dir.path()).await?;
        let options = AppOptions {
            args: vec![link(&front, &"0f".repeat(32))],
            ..AppOptions::default()
        };
        let app = h.launch_app_with("client", &server, options).await?;
        let refusal = app
            .wait_for("#link-error[data-code='desk_pin_mismatch']")
            .await?
            .text()
            .await?;
        anyhow::ensure!(
            refusal.contains("does not match"),
            "the app says {refusal:?}"
        );
        anyhow::ensure!(
            front.handshakes() == 0,
            "the app talked to a key the link does not name"
        );
        h.screenshot(&app, "refused").await?;
        app.click("#link-dismiss").await?;
        // Back to the start screen as it always was; nothing was saved.
        app.wait_for("#mode-client").await?;
        let saved = saved_settings(&app);
        anyhow::ensure!(!saved.contains("localhost"), "saved: {saved}");
        Ok(())
    })
    .await;
}
