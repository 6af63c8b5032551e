//! The Settings screen in the real app: a mistyped value is refused in
//! plain words, with the field marked and nothing saved; good values are
//! kept across a restart of the UI, and the proxy password never comes
//! back to the screen, only the fact that one is saved.

use lifeline_e2e::e2e;

#[tokio::test(flavor = "multi_thread")]
async fn settings_are_checked_saved_and_kept() {
    e2e("settings", |h| async move {
        let server = h.signaling().await?;
        let app = h.launch_app("app", &server).await?;
        let downloads = app.data_dir().join("Received files");

        app.click("#open-settings").await?;
        app.type_into("#settings-proxy-host", "proxy.corp.example")
            .await?;
        app.type_into("#settings-proxy-port", "80800").await?;
        app.click("#settings-save").await?;
        let error = app
            .text("#settings-error[data-code='bad_proxy_port'] p:first-child")
            .await?;
        anyhow::ensure!(
            error == "The proxy port is a number from 1 to 65535. A proxy host needs one.",
            "{error:?}"
        );
        app.wait_for("#settings-proxy-port[aria-invalid='true']")
            .await?;
        let saved =
            std::fs::read_to_string(app.config_dir().join("settings.json")).unwrap_or_default();
        anyhow::ensure!(
            !saved.contains("proxy.corp.example"),
            "a refused form was saved: {saved}"
        );
        h.screenshot(&app, "settings-refused").await?;

        app.type_into("#settings-proxy-port", "8080").await?;
        app.type_into("#settings-proxy-user", "anna").await?;
        app.type_into("#settings-proxy-password", "s3cret!").await?;
        app.type_into("#settings-proxy-domain", "CORP").await?;
        app.type_into("#settings-download-dir", &downloads.display().to_string())
            .await?;
        app.wait_for("#settings-quality")
            .await?
            .select_by_value("best")
            .await?;
        app.click("#settings-save").await?;
        app.wait_for("#settings-saved").await?;
        anyhow::ensure!(downloads.is_dir(), "the download folder was not made");
        let page = app.client().source().await?;
        anyhow::ensure!(!page.contains("s3cret!"), "the password is in the page");

        // A restart of the UI reads everything back, except the password.
        app.reload().await?;
        app.click("#open-settings").await?;
        for (field, expected) in [
            ("#settings-proxy-host", "proxy.corp.example".to_owned()),
            ("#settings-proxy-port", "8080".to_owned()),
            ("#settings-proxy-user", "anna".to_owned()),
            ("#settings-proxy-domain", "CORP".to_owned()),
            ("#settings-download-dir", downloads.display().to_string()),
            ("#settings-quality", "best".to_owned()),
            ("#settings-proxy-password", String::new()),
        ] {
            let value = app
                .wait_for(field)
                .await?
                .prop("value")
                .await?
                .unwrap_or_default();
            anyhow::ensure!(value == expected, "{field} = {value:?}, not {expected:?}");
        }
        let note = app.text("#settings-password-set").await?;
        anyhow::ensure!(
            note == "A password is saved. Type a new one to replace it.",
            "{note:?}"
        );
        h.screenshot(&app, "settings").await?;

        // The dialog speaks Italian once the language changes.
        app.wait_for("#settings-language")
            .await?
            .select_by_value("it")
            .await?;
        let title = app.text("#settings-title").await?;
        anyhow::ensure!(title == "Impostazioni", "{title:?}");
        h.screenshot(&app, "settings-it").await?;
        app.click("#settings-cancel").await?;
        Ok(())
    })
    .await;
}
