//! One expert, two clients at once, in three real apps on three X servers:
//! the expert connects to client A, opens a second tab and connects to
//! client B. Each tab shows its own client's screen (each client's desktop
//! has its own colour), chat in a tab reaches that tab's client only, a
//! line from the client in the background raises its tab's unread count,
//! and a large file sent in A's tab arrives whole while B's tab is shown.
//! Both sessions are in the desk's report. Closing B's tab ends B's
//! session alone.

use std::time::{Duration, Instant};

use lifeline_e2e::files::{random_file, same, send_path, temporary_in, with_downloads};
use lifeline_e2e::flows::{client_gets_id, establish, expert_connects, wait_until};
use lifeline_e2e::screen::{Rgb, first_picture, wait_for_colours};
use lifeline_e2e::{AppInstance, e2e};

const PASSWORD: &str = "correct horse battery";
const RED: Rgb = [255, 0, 0];
const BLUE: Rgb = [0, 0, 255];
/// A point of each client's desktop below its app's window.
const DESKTOP: (u32, u32) = (600, 770);
/// Large enough to still be on its way when the other tab is shown.
const BIG_MIB: u64 = 384;

/// The expert's tabs, in order, by number.
async fn tabs(expert: &AppInstance) -> anyhow::Result<Vec<u64>> {
    let value = expert
        .client()
        .execute(
            "return [...document.querySelectorAll('#session-tabs .pick')]
               .map((b) => Number(b.id.replace('session-tab-', '')));",
            vec![],
        )
        .await?;
    Ok(serde_json::from_value(value)?)
}

/// Shows `tab` and waits until the window says it is the one shown.
async fn show(expert: &AppInstance, tab: u64) -> anyhow::Result<()> {
    expert.click(&format!("#session-tab-{tab}")).await?;
    expert
        .wait_for(&format!("#session-tab-{tab}[aria-current='page']"))
        .await?;
    Ok(())
}

/// The expert, in the shown tab, says `text`; `client` reads it.
async fn say(expert: &AppInstance, client: &AppInstance, text: &str) -> anyhow::Result<()> {
    expert
        .type_into("#chat-input", &format!("{text}\u{e007}"))
        .await?;
    client.open_bar_panel("chat").await?;
    let deadline = Instant::now() + Duration::from_secs(15);
    while !chat_of(client).await?.contains(text) {
        anyhow::ensure!(
            Instant::now() < deadline,
            "{text:?} never reached {}",
            client.name()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(())
}

/// The chat as `client`'s bar shows it.
async fn chat_of(client: &AppInstance) -> anyhow::Result<String> {
    client.open_bar_panel("chat").await?;
    client.full_text("#chat-log").await
}

fn paint(app: &AppInstance, colour: Rgb) -> anyhow::Result<()> {
    let hex = format!("#{:02x}{:02x}{:02x}", colour[0], colour[1], colour[2]);
    app.xvfb().run("xsetroot", &["-solid", &hex])?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn an_expert_helps_two_clients_at_once_in_two_tabs() {
    e2e("several_sessions", |h| async move {
        let server = h.signaling().await?;
        server
            .add_expert("ann", "Ann from the Help Desk", PASSWORD)
            .await?;
        let work = tempfile::tempdir()?;
        let downloads = |name: &str| work.path().join(name);
        let a = h
            .launch_app_with("client-a", &server, with_downloads(&downloads("a")))
            .await?;
        let b = h
            .launch_app_with("client-b", &server, with_downloads(&downloads("b")))
            .await?;
        let expert = h
            .launch_app_with("expert", &server, with_downloads(&downloads("expert")))
            .await?;
        paint(&a, RED)?;
        paint(&b, BLUE)?;
        let big = work.path().join("outbox/driver-pack.bin");
        random_file(&big, BIG_MIB << 20, 21)?;

        // Client A, as any session starts.
        let id_a = establish(&a, &expert, "ann", PASSWORD, &[]).await?;
        first_picture(&expert).await?;
        wait_for_colours(&expert, &[(DESKTOP, RED)]).await?;

        // A second client while A's session runs: a new tab from the
        // toolbar's menu, then the usual ID and Accept.
        expert.open_menu("tools-more").await?;
        expert.click("#tool-new-session").await?;
        expert.wait_for("#session-tabs").await?;
        expert.wait_for("#client-id-input").await?;
        let id_b = client_gets_id(&b).await?;
        expert_connects(&expert, &id_b, None, &[]).await?;
        b.click("#consent-accept").await?;
        expert.wait_for("#safety-confirm").await?;
        expert.click("#safety-confirm").await?;
        let [tab_a, tab_b] = tabs(&expert).await?[..] else {
            anyhow::bail!("the expert has not two tabs");
        };
        expert
            .wait_for(&format!("#session-tab-{tab_b}[aria-current='page']"))
            .await?;
        first_picture(&expert).await?;
        wait_for_colours(&expert, &[(DESKTOP, BLUE)]).await?;

        // Chat in B's tab reaches B.
        say(&expert, &b, "Hello B, I am looking at your screen").await?;

        // A's tab shows A's screen again, and its chat reaches A only: B
        // heard its own line above, and A hears this one, not B's.
        show(&expert, tab_a).await?;
        first_picture(&expert).await?;
        wait_for_colours(&expert, &[(DESKTOP, RED)]).await?;
        say(&expert, &a, "Hello A, the driver pack is coming").await?;
        anyhow::ensure!(!chat_of(&a).await?.contains("Hello B"));

        // A file sent in A's tab keeps going while B's tab is shown.
        send_path(&expert, &big).await?;
        show(&expert, tab_b).await?;
        let arriving = downloads("a");
        wait_until("A's copy under way", || {
            Ok(temporary_in(&arriving).is_some())
        })
        .await?;
        let arrived = arriving.join("driver-pack.bin");
        let deadline = Instant::now() + Duration::from_secs(120);
        while !arrived.exists() {
            anyhow::ensure!(Instant::now() < deadline, "the file never arrived at A");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        same(&big, &arrived)?;
        expert
            .wait_for(&format!("#session-tab-{tab_b}[aria-current='page']"))
            .await?;
        say(&expert, &b, "Still with you, B").await?;
        anyhow::ensure!(!chat_of(&b).await?.contains("Hello A"));

        // A line from A while B's tab is shown: A's tab counts it.
        a.open_bar_panel("chat").await?;
        a.type_into("#chat-input", "Got it, thanks!\u{e007}")
            .await?;
        let unread = expert.text(&format!("#session-tab-unread-{tab_a}")).await?;
        anyhow::ensure!(unread.starts_with('1'), "A's tab counts {unread:?}");
        h.screenshot(&expert, "two-tabs").await?;
        let unnamed = expert.unlabelled().await?;
        anyhow::ensure!(unnamed.is_empty(), "unnamed controls: {unnamed:?}");
        h.screenshot(&b, "bar").await?;

        // Both sessions are in the desk's report.
        let report = server.session_report("ann", PASSWORD).await?;
        for id in [&id_a, &id_b] {
            let digits: String = id.chars().filter(char::is_ascii_digit).collect();
            anyhow::ensure!(
                report.as_array().into_iter().flatten().any(|row| {
                    row["client_id"] == digits.as_str() && !row["started_at_ms"].is_null()
                }),
                "no started session with {digits} in the report: {report}"
            );
        }

        // In Italian, from a third tab's start page (where the language is
        // chosen); an idle tab closes at once.
        expert.click("#session-tab-new").await?;
        expert.wait_for("#client-id-input").await?;
        expert
            .wait_for("#language")
            .await?
            .select_by_value("it")
            .await?;
        let third = *tabs(&expert).await?.last().unwrap_or(&0);
        show(&expert, tab_b).await?;
        first_picture(&expert).await?;
        h.screenshot(&expert, "two-tabs-it").await?;
        expert.click(&format!("#session-tab-close-{third}")).await?;
        let deadline = Instant::now() + Duration::from_secs(15);
        while tabs(&expert).await?.len() != 2 {
            anyhow::ensure!(Instant::now() < deadline, "the idle tab stays");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }

        // Closing B's tab (it asks once more, since it ends the session)
        // ends B's session; A's goes on, alone in the window.
        expert.click(&format!("#session-tab-close-{tab_b}")).await?;
        expert.click(&format!("#session-tab-close-{tab_b}")).await?;
        b.wait_for("#session-notice").await?;
        b.wait_for("#get-id").await?;
        // With one tab left, the strip goes and A's screen has the window.
        let deadline = Instant::now() + Duration::from_secs(15);
        while !tabs(&expert).await?.is_empty() {
            anyhow::ensure!(Instant::now() < deadline, "the strip stays for one tab");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        wait_for_colours(&expert, &[(DESKTOP, RED)]).await?;
        say(&expert, &a, "Anything else?").await
    })
    .await;
}
