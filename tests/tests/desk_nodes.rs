//! Two real apps on two nodes of one desk (two signaling processes sharing
//! Redis and a database): the client asks node A for its ID, the expert
//! connects through node B, and they hold a whole session — consent, the
//! screen, chat both ways and a file — over WebRTC between the two app
//! processes, with every signaling message between them crossing nodes.

use std::time::Duration;

use lifeline_e2e::e2e;
use lifeline_e2e::files::{random_file, same, send_path, transfer_ended, with_downloads};
use lifeline_e2e::flows::establish;
use lifeline_e2e::screen::first_picture;

const PASSWORD: &str = "correct horse battery";

#[tokio::test(flavor = "multi_thread")]
async fn an_expert_on_one_node_helps_a_client_on_another() {
    e2e("desk_nodes", |h| async move {
        let (_redis, nodes) = h.signaling_nodes(2).await?;
        nodes[0]
            .add_expert("ann", "Ann from the Help Desk", PASSWORD)
            .await?;
        let work = tempfile::tempdir()?;
        let client_downloads = work.path().join("client-downloads");
        let client = h
            .launch_app_with("client", &nodes[0], with_downloads(&client_downloads))
            .await?;
        let expert = h
            .launch_app_with("expert", &nodes[1], with_downloads(&work.path().join("e")))
            .await?;

        establish(&client, &expert, "ann", PASSWORD, &[]).await?;
        first_picture(&expert).await?;
        h.screenshot(&expert, "expert-sees-the-client").await?;

        client.open_bar_panel("chat").await?;
        client
            .type_into("#chat-input", "Hello from node A\u{e007}")
            .await?;
        let heard = expert
            .text(".chat-line[data-from='peer'] .chat-text")
            .await?;
        anyhow::ensure!(heard == "Hello from node A", "{heard:?}");
        expert
            .type_into("#chat-input", "Hello from node B\u{e007}")
            .await?;
        let answer = client
            .text(".chat-line[data-from='peer'] .chat-text")
            .await?;
        anyhow::ensure!(answer == "Hello from node B", "{answer:?}");

        let file = work.path().join("outbox/fix.bin");
        random_file(&file, 2 << 20, 3)?;
        send_path(&expert, &file).await?;
        let state = transfer_ended(&client, "fix.bin", Duration::from_secs(60)).await?;
        anyhow::ensure!(state == "done", "the file transfer ended {state}");
        same(&file, &client_downloads.join("fix.bin"))?;

        // One record, in the database both nodes share.
        for node in &nodes {
            let rows = node.session_report("ann", PASSWORD).await?;
            let rows = rows.as_array().cloned().unwrap_or_default();
            anyhow::ensure!(rows.len() == 1, "{rows:?}");
            anyhow::ensure!(rows[0]["outcome"] == "accepted", "{rows:?}");
        }
        h.screenshot(&client, "client-bar").await?;
        Ok(())
    })
    .await;
}
