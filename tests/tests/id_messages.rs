//! Every way a Client ID can be wrong, as the expert sees it: Techinline's
//! messages by their exact text, first in English and then in Italian after
//! a live language switch. Empty, malformed, unknown, superseded by a newer
//! ID, already used for a session, and (on a second desk with short-lived
//! IDs, which the client picks in Settings and the expert names when
//! signing in again) expired.

use lifeline_e2e::flows::{client_gets_id, expert_connects, expert_signs_in, loopback, new_id};
use lifeline_e2e::{AppInstance, e2e};

const PASSWORD: &str = "correct horse battery";

/// Each outcome's code and its text in English and Italian.
const MESSAGES: &[(&str, &str, &str)] = &[
    (
        "id_empty",
        "Please enter the Client ID.",
        "Inserisca l'ID cliente.",
    ),
    (
        "id_invalid",
        "Wrong Client ID. A Client ID is a 6-digit number.",
        "ID cliente errato. L'ID cliente è un numero di 6 cifre.",
    ),
    (
        "id_unknown",
        "No client has this Client ID. Please check the number with the client.",
        "Nessun cliente ha questo ID. Verifichi il numero con il cliente.",
    ),
    (
        "id_superseded",
        "This Client ID is no longer valid because the client has received a new one. Ask the client for the current ID.",
        "Questo ID cliente non è più valido perché il cliente ne ha ricevuto uno nuovo. Chieda al cliente l'ID attuale.",
    ),
    (
        "id_used",
        "This Client ID has already been used for a session. Ask the client for a new ID.",
        "Questo ID cliente è già stato usato per una sessione. Chieda al cliente un nuovo ID.",
    ),
    (
        "id_expired",
        "This Client ID has expired: an ID is valid for 1 hour. Ask the client for a new ID.",
        "Questo ID cliente è scaduto: un ID vale 1 ora. Chieda al cliente un nuovo ID.",
    ),
];

fn message(code: &str, italian: bool) -> &'static str {
    let (_, en, it) = MESSAGES
        .iter()
        .find(|(c, _, _)| *c == code)
        .expect("a known code");
    if italian { it } else { en }
}

/// Connects to `typed` and checks the status line shows exactly the
/// message for `code`, with the code only in the details line.
async fn refused(
    expert: &AppInstance,
    typed: &str,
    code: &str,
    italian: bool,
) -> anyhow::Result<()> {
    expert_connects(expert, typed, None, &[]).await?;
    let notice = format!("#session-notice[data-code='{code}']");
    let shown = expert.text(&format!("{notice} p:first-child")).await?;
    anyhow::ensure!(
        shown == message(code, italian),
        "{typed:?}: {shown:?}, not {code}'s message"
    );
    let details = expert.text(&format!("{notice} p.details")).await?;
    anyhow::ensure!(details.ends_with(code), "{typed:?}: details {details:?}");
    Ok(())
}

async fn choose_language(app: &AppInstance, code: &str) -> anyhow::Result<()> {
    app.wait_for("#language")
        .await?
        .select_by_value(code)
        .await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn every_id_mistake_gets_its_message_in_english_then_italian() {
    e2e("id_messages", |h| async move {
        // Many misses in a row are what an attacker guessing IDs does; this
        // desk lets the test make them without backing off.
        let config = lifeline_e2e::artifacts::dir_for("id_messages")?.join("desk.toml");
        std::fs::write(&config, "[limits]\nfree_failures = 100\n")?;
        let config = config.display().to_string();
        let server = h.signaling_with(&["--config", &config]).await?;
        server.add_expert("ann", "Ann", PASSWORD).await?;
        let client = h.launch_app_with("client", &server, loopback()).await?;
        let expert = h.launch_app_with("expert", &server, loopback()).await?;

        let superseded = client_gets_id(&client).await?;
        let spent = new_id(&client, &superseded).await?;
        h.screenshot(&client, "client-id").await?;
        expert_signs_in(&expert, "ann", PASSWORD).await?;
        h.screenshot(&expert, "expert-connect").await?;

        // A session spends its ID.
        expert_connects(&expert, &spent, None, &[]).await?;
        client.click("#consent-accept").await?;
        expert.wait_for("#safety-code").await?;
        expert.click("#tool-disconnect").await?;
        client
            .wait_for("#session-notice[data-code='peer_left']")
            .await?;

        let digits = |id: &str| id.replace(' ', "");
        let unknown = ["100000", "100001", "100002"]
            .into_iter()
            .find(|id| *id != digits(&superseded) && *id != digits(&spent))
            .expect("one of three differs from two IDs");
        let cases = [
            ("", "id_empty"),
            ("12345", "id_invalid"),
            (unknown, "id_unknown"),
            (superseded.as_str(), "id_superseded"),
            (spent.as_str(), "id_used"),
        ];
        for (typed, code) in cases {
            refused(&expert, typed, code, false).await?;
        }
        h.screenshot(&expert, "expert-id-refused").await?;

        choose_language(&expert, "it").await?;
        for (typed, code) in cases {
            refused(&expert, typed, code, true).await?;
        }
        h.screenshot(&expert, "expert-id-refused-it").await?;

        // A desk whose IDs live four seconds: the client chooses it in
        // Settings, the expert signs out and names it when signing in.
        let short = h
            .signaling_with(&["--config", &config, "--id-lifetime-secs", "4"])
            .await?;
        short.add_expert("ann", "Ann", PASSWORD).await?;
        client.click("#open-settings").await?;
        client
            .type_into("#settings-signaling-url", &short.ws_url())
            .await?;
        client.click("#settings-save").await?;
        client.wait_for("#settings-saved").await?;
        client
            .wait_for("#desk-status[data-state='connected']")
            .await?;
        expert.click("#sign-out").await?;
        expert.type_into("#sign-in-server", &short.ws_url()).await?;
        expert.type_into("#sign-in-user", "ann").await?;
        expert.type_into("#sign-in-password", PASSWORD).await?;
        expert.click("#sign-in-submit").await?;
        expert.wait_for("#signed-in-as").await?;
        for app in [&client, &expert] {
            let desk = app.text("#signaling-url").await?;
            anyhow::ensure!(desk == short.ws_url(), "{}: still on {desk}", app.name());
        }
        for italian in [true, false] {
            client.click("#get-id").await?;
            let id = client.text("#client-id").await?;
            client
                .wait_for_within("#id-validity.expired", std::time::Duration::from_secs(10))
                .await?;
            if !italian {
                choose_language(&expert, "en").await?;
            }
            refused(&expert, &id, "id_expired", italian).await?;
        }
        Ok(())
    })
    .await;
}
