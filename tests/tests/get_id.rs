//! A client gets a one-time ID from the real signaling server through the
//! real app: the description counter follows typing, the ID appears grouped
//! as "123 456" with its one-hour validity, and asking again shows a different
//! ID and says the previous one no longer works.

use lifeline_e2e::e2e;

fn is_grouped_id(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() == 7
        && bytes[3] == b' '
        && bytes
            .iter()
            .enumerate()
            .all(|(i, b)| i == 3 || b.is_ascii_digit())
}

#[tokio::test(flavor = "multi_thread")]
async fn the_client_gets_a_one_time_id_and_can_replace_it() {
    e2e("get_id", |h| async move {
        let server = h.signaling().await?;
        let app = h.launch_app("client", &server).await?;
        app.click("#mode-client").await?;
        app.wait_for("#desk-status[data-state='connected']").await?;

        app.wait_for("#description")
            .await?
            .send_keys("Printer offline")
            .await?;
        let counter = app.text("#description-counter").await?;
        anyhow::ensure!(counter == "15/60", "counter says {counter:?}");

        app.click("#get-id").await?;
        let first = app.text("#client-id").await?;
        anyhow::ensure!(is_grouped_id(&first), "the ID reads {first:?}");
        let validity = app.text("#id-validity").await?;
        anyhow::ensure!(
            validity == "Valid for 1:00:00" || validity.starts_with("Valid for 59:"),
            "validity says {validity:?}"
        );
        anyhow::ensure!(
            app.client()
                .find(lifeline_e2e::Locator::Css("#id-replaced"))
                .await
                .is_err(),
            "a first ID replaces nothing"
        );
        h.screenshot(&app, "id").await?;

        app.click("#get-id").await?;
        app.wait_for("#id-replaced").await?;
        let second = app.text("#client-id").await?;
        anyhow::ensure!(is_grouped_id(&second), "the new ID reads {second:?}");
        anyhow::ensure!(second != first, "asking again gave the same ID {first}");
        h.screenshot(&app, "new-id").await?;
        Ok(())
    })
    .await;
}
