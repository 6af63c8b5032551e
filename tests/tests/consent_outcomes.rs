//! A request that never becomes a session, three ways, on a desk whose
//! consent timeout is shortened to four seconds: the client declines, the
//! expert cancels, nobody answers. Each side sees its own exact message and
//! nothing is shared. The desk records every session, and the consent
//! dialog says so before the person answers.

use std::time::Duration;

use lifeline_e2e::flows::{client_gets_id, expert_connects, expert_signs_in, loopback, new_id};
use lifeline_e2e::{AppInstance, e2e};

const PASSWORD: &str = "correct horse battery";

/// The status line's message for `code`, exactly.
async fn notice(app: &AppInstance, code: &str) -> anyhow::Result<String> {
    app.wait_for_within(
        &format!("#session-notice[data-code='{code}']"),
        Duration::from_secs(20),
    )
    .await?;
    app.text(&format!(
        "#session-notice[data-code='{code}'] p:first-child"
    ))
    .await
}

async fn expect(app: &AppInstance, code: &str, text: &str) -> anyhow::Result<()> {
    let shown = notice(app, code).await?;
    anyhow::ensure!(shown == text, "{}: {code} shows {shown:?}", app.name());
    Ok(())
}

/// Nothing of a session exists on either side.
async fn no_session(client: &AppInstance, expert: &AppInstance) -> anyhow::Result<()> {
    for app in [client, expert] {
        for css in ["#session-banner", "#safety-code", "#consent-accept"] {
            let found = app
                .client()
                .find(lifeline_e2e::Locator::Css(css))
                .await
                .is_ok();
            anyhow::ensure!(!found, "{} still shows {css}", app.name());
        }
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_request_is_declined_cancelled_or_times_out() {
    e2e("consent_outcomes", |h| async move {
        let server = h
            .signaling_with(&["--consent-timeout-secs", "4", "--record-sessions"])
            .await?;
        server.add_expert("ann", "Ann", PASSWORD).await?;
        let client = h.launch_app_with("client", &server, loopback()).await?;
        let expert = h.launch_app_with("expert", &server, loopback()).await?;
        let mut id = client_gets_id(&client).await?;
        expert_signs_in(&expert, "ann", PASSWORD).await?;

        // Declined.
        expert_connects(&expert, &id, None, &[]).await?;
        expect(
            &expert,
            "located",
            "Remote client located. Waiting for client's connection approval.",
        )
        .await?;
        let told = client.text("#consent-recorded").await?;
        anyhow::ensure!(
            told == "This support desk records every session: what the expert sees of your \
                     screen is recorded, and the bar shows it.",
            "{told:?}"
        );
        h.screenshot(&client, "consent-recorded").await?;
        client.click("#consent-decline").await?;
        expect(&expert, "declined", "Client has declined the connection.").await?;
        // An answer, not a fault: no error style, no code.
        expert
            .wait_for("#session-notice.notice[data-code='declined']")
            .await?;
        expect(
            &client,
            "declined",
            "You declined the request. Nobody is connected to your computer.",
        )
        .await?;
        no_session(&client, &expert).await?;
        h.screenshot(&expert, "declined").await?;

        // Cancelled by the expert while the client is being asked.
        id = new_id(&client, &id).await?;
        expert_connects(&expert, &id, None, &[]).await?;
        client.wait_for("#consent-accept").await?;
        expert.click("#cancel-request").await?;
        expect(
            &expert,
            "cancelled",
            "The connection request has been cancelled.",
        )
        .await?;
        expect(&client, "cancelled", "The expert withdrew the request.").await?;
        no_session(&client, &expert).await?;

        // Nobody answers: the desk closes the request after its timeout.
        id = new_id(&client, &id).await?;
        expert_connects(&expert, &id, None, &[]).await?;
        let countdown = client.text("#consent-countdown").await?;
        anyhow::ensure!(
            countdown.starts_with("This request closes in 0:0"),
            "{countdown:?}"
        );
        expect(
            &expert,
            "timeout",
            "The client did not answer in time. The connection request has been closed.",
        )
        .await?;
        expect(
            &client,
            "timeout",
            "The request was closed because it was not answered in time.",
        )
        .await?;
        no_session(&client, &expert).await?;
        h.screenshot(&client, "timed-out").await?;
        Ok(())
    })
    .await;
}
