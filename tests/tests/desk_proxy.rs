//! A client behind an authenticating proxy, as in a corporate network:
//! the proxy is typed into the real Settings dialog; with a wrong password
//! the status line says the proxy refused it, in English and in Italian,
//! and with the right one the app links through the proxy (its log shows
//! the tunnel to the desk) and gets an ID.

use lifeline_e2e::e2e;
use lifeline_e2e::proxy::Tinyproxy;

#[tokio::test(flavor = "multi_thread")]
async fn the_desk_is_reached_through_the_proxy_in_settings() {
    e2e("desk_proxy", |h| async move {
        let server = h.signaling().await?;
        let work = tempfile::tempdir()?;
        let proxy = Tinyproxy::start(work.path(), "anna", "s3cret")?;
        let app = h.launch_app("client", &server).await?;
        app.click("#mode-client").await?;
        app.wait_for("#desk-status[data-state='connected']").await?;

        let save = |password: &'static str| {
            let app = &app;
            let port = proxy.port.to_string();
            async move {
                app.click("#open-settings").await?;
                app.type_into("#settings-proxy-host", "127.0.0.1").await?;
                app.type_into("#settings-proxy-port", &port).await?;
                app.type_into("#settings-proxy-user", "anna").await?;
                app.type_into("#settings-proxy-password", password).await?;
                // Saving closes the dialog; the link starts over at once.
                app.click("#settings-save").await?;
                app.wait_for("#settings-saved").await?;
                anyhow::Ok(())
            }
        };

        save("wrong").await?;
        app.wait_for("#desk-status[data-state='offline']").await?;
        let said = app.text("#desk-status").await?;
        anyhow::ensure!(
            said == "The proxy refused the user name or password (407). Check them in Settings.",
            "{said:?}"
        );
        h.screenshot(&app, "proxy-refused").await?;
        app.wait_for("#language")
            .await?
            .select_by_value("it")
            .await?;
        let said = app.text("#desk-status").await?;
        anyhow::ensure!(
            said == "Il proxy ha rifiutato nome utente o password (407). Li controlli nelle Impostazioni.",
            "{said:?}"
        );
        app.wait_for("#language")
            .await?
            .select_by_value("en")
            .await?;

        save("s3cret").await?;
        app.wait_for("#desk-status[data-state='connected']").await?;
        let desk = server.addr().to_string();
        anyhow::ensure!(
            proxy.tunnels_to(&desk) >= 1,
            "the proxy opened no tunnel to the desk at {desk}"
        );
        app.click("#get-id").await?;
        let id = app.text("#client-id").await?;
        anyhow::ensure!(id.chars().filter(char::is_ascii_digit).count() == 6, "{id:?}");
        Ok(())
    })
    .await;
}
