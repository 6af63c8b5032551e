//! The language switches live, without a restart, and the choice is kept:
//! after picking Italiano the start screen speaks Italian at once, and still
//! does after the UI reloads.

use lifeline_e2e::e2e;

#[tokio::test(flavor = "multi_thread")]
async fn switching_to_italian_is_live_and_remembered() {
    e2e("language", |h| async move {
        let server = h.signaling().await?;
        let app = h.launch_app("client", &server).await?;
        let english = app.text("#start-question").await?;
        anyhow::ensure!(english == "How can Lifeline help you today?", "{english:?}");

        app.wait_for("#language")
            .await?
            .select_by_value("it")
            .await?;
        app.wait_for("#start-question").await?;
        let mut italian = String::new();
        for _ in 0..50 {
            italian = app.text("#start-question").await?;
            if italian != english {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        anyhow::ensure!(
            italian == "Come può aiutarla Lifeline oggi?",
            "after switching: {italian:?}"
        );
        let button = app.text("#mode-client .choice-title").await?;
        anyhow::ensure!(button == "Ho bisogno di assistenza", "{button:?}");
        h.screenshot(&app, "italian").await?;

        app.reload().await?;
        let reloaded = app.text("#start-question").await?;
        anyhow::ensure!(
            reloaded == "Come può aiutarla Lifeline oggi?",
            "after reload: {reloaded:?}"
        );
        Ok(())
    })
    .await;
}
