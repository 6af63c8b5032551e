//! PIN binding in the real apps: a client that requires a PIN shows one
//! beside its ID. An expert who types another PIN gets no session, and both
//! sides say why; with the right PIN the session starts and both screens
//! show the same safety code.

use lifeline_e2e::flows::{client_gets_id, expert_connects, expert_signs_in, loopback, new_id};
use lifeline_e2e::{AppInstance, AppOptions, e2e};

const PASSWORD: &str = "correct horse battery";

fn requiring_pin() -> AppOptions {
    let mut options = loopback();
    options
        .env
        .push(("LIFELINE_REQUIRE_PIN".into(), "1".into()));
    options
}

async fn pin_of(client: &AppInstance) -> anyhow::Result<String> {
    let pin = client.text("#client-pin").await?;
    anyhow::ensure!(
        pin.len() == 4 && pin.chars().all(|c| c.is_ascii_digit()),
        "PIN {pin:?}"
    );
    Ok(pin)
}

/// Waits until the status line says the PIN check failed.
async fn says_pin_failed(app: &AppInstance) -> anyhow::Result<()> {
    let notice = app.wait_for("#session-notice").await?;
    let mut text = String::new();
    for _ in 0..100 {
        text = notice.text().await?;
        if text.contains("PIN check failed") {
            return Ok(());
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    anyhow::bail!("{}: the notice says {text:?}", app.name())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_pin_is_refused_and_the_right_one_connects() {
    e2e("pin_binding", |h| async move {
        let server = h.signaling().await?;
        server
            .add_expert("ann", "Ann from the Help Desk", PASSWORD)
            .await?;
        let client = h
            .launch_app_with("client", &server, requiring_pin())
            .await?;
        let expert = h.launch_app_with("expert", &server, loopback()).await?;

        let id = client_gets_id(&client).await?;
        let pin = pin_of(&client).await?;
        h.screenshot(&client, "id-with-pin").await?;

        // A wrong PIN: the client accepts, but no session starts.
        let wrong: String = pin
            .bytes()
            .map(|digit| char::from(b'0' + (digit - b'0' + 1) % 10))
            .collect();
        expert_signs_in(&expert, "ann", PASSWORD).await?;
        expert_connects(&expert, &id, Some(&wrong), &[]).await?;
        client.click("#consent-accept").await?;
        tokio::try_join!(says_pin_failed(&client), says_pin_failed(&expert))?;
        anyhow::ensure!(
            client
                .client()
                .find(lifeline_e2e::Locator::Css("#safety-code"))
                .await
                .is_err(),
            "the client shows a session"
        );

        // The right PIN, with the next ID.
        let id = new_id(&client, &id).await?;
        let pin = pin_of(&client).await?;
        expert_connects(&expert, &id, Some(&pin), &[]).await?;
        client.click("#consent-accept").await?;
        let at_client = client.text("#safety-code").await?;
        let at_expert = expert.text("#safety-code").await?;
        anyhow::ensure!(
            at_client == at_expert && at_client.len() == 7,
            "safety codes {at_client:?} and {at_expert:?}"
        );
        h.screenshot(&client, "session-with-pin").await?;
        Ok(())
    })
    .await;
}
