//! The expert's file manager on the client's files, between two real apps
//! over real WebRTC, driven in the real webviews: open folders, create one,
//! upload into it from the local pane, rename and move, copy, download,
//! and delete after confirming (a cancelled delete deletes nothing). Each
//! step is checked on the client's disk, and the client's running log names
//! every change.

use std::path::Path;
use std::time::Duration;

use lifeline_e2e::flows::{establish, loopback, wait_until};
use lifeline_e2e::{AppInstance, AppOptions, e2e};

const PASSWORD: &str = "correct horse battery";

fn with_folders(home: &Path, downloads: &Path) -> AppOptions {
    let mut options = loopback();
    options.env.extend([
        ("LIFELINE_SHARED_DIR".into(), home.display().to_string()),
        (
            "LIFELINE_DOWNLOAD_DIR".into(),
            downloads.display().to_string(),
        ),
    ]);
    options
}

fn entry(pane: &str, name: &str) -> String {
    format!("#{pane} .fb-entry[data-name='{name}']")
}

/// Selects an entry, as a click on its row does.
async fn select(app: &AppInstance, pane: &str, name: &str) -> anyhow::Result<()> {
    app.click(&entry(pane, name)).await?;
    app.wait_for(&format!("{}[aria-selected='true']", entry(pane, name)))
        .await?;
    Ok(())
}

/// Opens a folder from the keyboard (Enter on its row).
async fn open(app: &AppInstance, pane: &str, name: &str) -> anyhow::Result<()> {
    app.wait_for(&entry(pane, name))
        .await?
        .send_keys("\u{e007}")
        .await?;
    Ok(())
}

/// Asks for a name with `button`, types `typed` and submits with Enter.
/// A click that lands while the page is still moving (a listing arriving)
/// can miss; the name field not showing means clicking again.
async fn answer(app: &AppInstance, button: &str, typed: &str) -> anyhow::Result<()> {
    for _ in 0..3 {
        app.click(button).await?;
        if app
            .wait_for_within("#fb-name-input", Duration::from_secs(3))
            .await
            .is_ok()
        {
            break;
        }
        eprintln!("e2e: {button} opened no name field; clicking again");
    }
    app.type_into("#fb-name-input", &format!("{typed}\u{e007}"))
        .await
}

#[tokio::test(flavor = "multi_thread")]
async fn the_expert_manages_the_clients_files() {
    e2e("file_browser", |h| async move {
        let server = h.signaling().await?;
        server
            .add_expert("ann", "Ann from the Help Desk", PASSWORD)
            .await?;
        let work = tempfile::tempdir()?;
        let client_home = work.path().join("client-home");
        let expert_home = work.path().join("expert-home");
        let expert_downloads = work.path().join("expert-downloads");
        std::fs::create_dir_all(client_home.join("Documents"))?;
        std::fs::write(client_home.join("Documents/report.txt"), "quarterly")?;
        std::fs::create_dir_all(expert_home.join("tools"))?;
        std::fs::write(expert_home.join("tools/fix.sh"), "#!/bin/sh\necho fixed\n")?;

        let client = h
            .launch_app_with(
                "client",
                &server,
                with_folders(&client_home, &work.path().join("client-downloads")),
            )
            .await?;
        let expert = h
            .launch_app_with(
                "expert",
                &server,
                with_folders(&expert_home, &expert_downloads),
            )
            .await?;
        establish(&client, &expert, "ann", PASSWORD, &[]).await?;
        expert.click("#tool-files").await?;

        open(&expert, "remote-pane", "Documents").await?;
        expert.wait_for(&entry("remote-pane", "report.txt")).await?;

        answer(&expert, "#fb-mkdir", "Logs").await?;
        expert.wait_for(&entry("remote-pane", "Logs")).await?;
        anyhow::ensure!(client_home.join("Documents/Logs").is_dir());

        // Upload from the local pane into the folder on show.
        open(&expert, "local-pane", "tools").await?;
        select(&expert, "local-pane", "fix.sh").await?;
        expert.click("#fb-upload").await?;
        let uploaded = client_home.join("Documents/fix.sh");
        wait_until("the upload", || Ok(uploaded.exists())).await?;
        anyhow::ensure!(std::fs::read_to_string(&uploaded)? == "#!/bin/sh\necho fixed\n");
        expert.wait_for(&entry("remote-pane", "fix.sh")).await?;

        select(&expert, "remote-pane", "report.txt").await?;
        answer(&expert, "#fb-rename", "Documents/Logs/old-report.txt").await?;
        let moved = client_home.join("Documents/Logs/old-report.txt");
        wait_until("the move", || Ok(moved.exists())).await?;
        anyhow::ensure!(!client_home.join("Documents/report.txt").exists());

        select(&expert, "remote-pane", "fix.sh").await?;
        answer(&expert, "#fb-copy", "Documents/fix.sh").await?;
        expert.wait_for(&entry("remote-pane", "fix (1).sh")).await?;

        select(&expert, "remote-pane", "fix (1).sh").await?;
        expert.click("#fb-download").await?;
        let downloaded = expert_downloads.join("fix (1).sh");
        wait_until("the download", || Ok(downloaded.exists())).await?;
        anyhow::ensure!(std::fs::read_to_string(&downloaded)? == "#!/bin/sh\necho fixed\n");

        // Delete asks first; cancelling keeps the folder.
        select(&expert, "remote-pane", "Logs").await?;
        expert.click("#fb-delete").await?;
        expert.click("#fb-delete-cancel").await?;
        anyhow::ensure!(moved.exists(), "a cancelled delete deleted");
        h.screenshot(&expert, "expert-file-manager").await?;
        select(&expert, "remote-pane", "Logs").await?;
        expert.click("#fb-delete").await?;
        expert.click("#fb-delete-confirm").await?;
        let logs = client_home.join("Documents/Logs");
        wait_until("the delete", || Ok(!logs.exists())).await?;

        // A refused request says why on the expert's side.
        answer(&expert, "#fb-mkdir", "fix.sh").await?;
        let refusal = expert.text("#fb-error").await?;
        anyhow::ensure!(refusal.contains("already"), "refusal: {refusal}");

        client.open_bar_panel("chat").await?;
        let log = client.text("#chat-log").await?;
        for change in [
            "created folder /Documents/Logs",
            "moved /Documents/report.txt to /Documents/Logs/old-report.txt",
            "downloaded /Documents/fix (1).sh",
            "deleted /Documents/Logs",
        ] {
            anyhow::ensure!(
                log.contains(change),
                "the client's log lacks {change:?}:\n{log}"
            );
        }
        Ok(())
    })
    .await;
}
