//! Files and folders between two real apps, each on its own X server, over
//! real WebRTC through the real signaling server, driven in both real
//! webviews: the expert sends a folder (nested files, an empty folder) and
//! a large random file; the client sends a file back. Every file arrives
//! under the receiver's download folder with the sender's SHA-256. And a
//! transfer cut off by killing the expert's app resumes, from a new expert
//! app in a new session, where the client's partial copy ends.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use lifeline_e2e::e2e;
use lifeline_e2e::files::{
    random_file, same, send_path, temporary_in, transfer_ended, with_downloads,
};
use lifeline_e2e::flows::{establish, expert_asks, new_id, wait_until};

const PASSWORD: &str = "correct horse battery";
/// The large file's size; `LIFELINE_E2E_BIG_MIB` overrides it.
const BIG_MIB: u64 = 1024;

fn big_mib() -> u64 {
    std::env::var("LIFELINE_E2E_BIG_MIB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(BIG_MIB)
}

#[tokio::test(flavor = "multi_thread")]
async fn folders_and_a_large_file_go_both_ways_intact() {
    e2e("file_transfer", |h| async move {
        let server = h.signaling().await?;
        server
            .add_expert("ann", "Ann from the Help Desk", PASSWORD)
            .await?;
        let work = tempfile::tempdir()?;
        let client_downloads = work.path().join("client-downloads");
        let expert_downloads = work.path().join("expert-downloads");
        let client = h
            .launch_app_with("client", &server, with_downloads(&client_downloads))
            .await?;
        let expert = h
            .launch_app_with("expert", &server, with_downloads(&expert_downloads))
            .await?;

        // What the expert sends: a folder, and a large file.
        let kit: PathBuf = work.path().join("outbox/kit");
        std::fs::create_dir_all(kit.join("drivers/empty"))?;
        std::fs::write(kit.join("readme.txt"), "Run setup, then restart.")?;
        random_file(&kit.join("drivers/net.bin"), 3 << 20, 5)?;
        let big_size = big_mib() << 20;
        let big = work.path().join("outbox/image.iso");
        random_file(&big, big_size, 9)?;

        establish(&client, &expert, "ann", PASSWORD, &[]).await?;

        send_path(&expert, &kit).await?;
        let state = transfer_ended(&expert, "kit", Duration::from_secs(60)).await?;
        anyhow::ensure!(state == "done", "the folder transfer ended {state}");
        for file in ["readme.txt", "drivers/net.bin"] {
            same(&kit.join(file), &client_downloads.join("kit").join(file))?;
        }
        anyhow::ensure!(client_downloads.join("kit/drivers/empty").is_dir());

        let started = Instant::now();
        send_path(&expert, &big).await?;
        let limit = Duration::from_secs(30 + big_mib() / 2);
        client.open_bar_panel("chat").await?;
        let state = transfer_ended(&client, "image.iso", limit).await?;
        anyhow::ensure!(state == "done", "the large file ended {state}");
        let to_client = started.elapsed();
        same(&big, &client_downloads.join("image.iso"))?;
        // Two large files on the disk at a time, not four: CI's disk is
        // shared with the build.
        std::fs::remove_file(&big)?;
        std::fs::remove_file(client_downloads.join("image.iso"))?;

        // What the client sends back.
        let report = work.path().join("client-files/diagnostics.zip");
        random_file(&report, big_size, 13)?;
        let started = Instant::now();
        send_path(&client, &report).await?;
        let state = transfer_ended(&expert, "diagnostics.zip", limit).await?;
        anyhow::ensure!(state == "done", "the client's file ended {state}");
        let to_expert = started.elapsed();
        same(&report, &expert_downloads.join("diagnostics.zip"))?;
        h.screenshot(&client, "client-after-transfers").await?;
        eprintln!(
            "{} MiB: expert → client {to_client:.1?}, client → expert {to_expert:.1?}",
            big_mib()
        );
        Ok(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_transfer_cut_off_by_a_killed_app_resumes_in_the_next_session() {
    e2e("file_resume", |h| async move {
        let server = h.signaling().await?;
        server
            .add_expert("ann", "Ann from the Help Desk", PASSWORD)
            .await?;
        let work = tempfile::tempdir()?;
        let client_downloads = work.path().join("client-downloads");
        let client = h
            .launch_app_with("client", &server, with_downloads(&client_downloads))
            .await?;
        let first = h
            .launch_app_with("expert", &server, with_downloads(&work.path().join("e1")))
            .await?;
        let big = work.path().join("outbox/image.iso");
        random_file(&big, 256 << 20, 21)?;

        let id = establish(&client, &first, "ann", PASSWORD, &[]).await?;
        send_path(&first, &big).await?;
        // Kill the expert's app once a good part has arrived.
        // The receiver names its temporary file itself.
        let enough = 24 << 20;
        wait_until("part of the file to arrive", || {
            Ok(temporary_in(&client_downloads)
                .and_then(|part| std::fs::metadata(part).ok())
                .is_some_and(|m| m.len() >= enough))
        })
        .await?;
        let part = temporary_in(&client_downloads).expect("the partial copy");
        first.kill();
        // The desk loses the killed app at once and ICE hears nothing from
        // it within 3 s: the client ends the session as the other side
        // gone (peer_left), well before ICE would call the path failed
        // (15 s; 28 s before the desk's word counted).
        let killed = std::time::Instant::now();
        client
            .wait_for_within(
                "#session-notice[data-code='peer_left']",
                Duration::from_secs(30),
            )
            .await?;
        let noticed = killed.elapsed();
        println!("the client noticed the killed expert after {noticed:.1?}");
        anyhow::ensure!(
            noticed < Duration::from_secs(12),
            "the dead expert was noticed only after {noticed:?}"
        );
        client.wait_for("#get-id").await?;
        let kept = std::fs::metadata(&part)?.len();
        anyhow::ensure!(kept >= enough, "the partial file was not kept");

        // A new expert app, a new ID, a new session: the same file again.
        let second = h
            .launch_app_with("expert2", &server, with_downloads(&work.path().join("e2")))
            .await?;
        let id = new_id(&client, &id).await?;
        expert_asks(&second, "ann", PASSWORD, &id, &[]).await?;
        client.click("#consent-accept").await?;
        second.wait_for("#safety-code").await?;
        send_path(&second, &big).await?;
        client.open_bar_panel("chat").await?;
        let state = transfer_ended(&client, "image.iso", Duration::from_secs(300)).await?;
        anyhow::ensure!(state == "done", "the resumed transfer ended {state}");
        same(&big, &client_downloads.join("image.iso"))?;
        anyhow::ensure!(!part.exists(), "the partial copy was left behind");
        let log = client.text("#chat-log").await?;
        anyhow::ensure!(
            log.contains("image.iso at byte"),
            "the client's log does not show a resume:\n{log}"
        );
        Ok(())
    })
    .await;
}
