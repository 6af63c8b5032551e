//! The expert's own shortcuts reach the remote computer while the remote
//! screen has the keyboard. A window manager takes Alt+Tab with a passive
//! grab on the root window; one stands in for it on the expert's X server.
//! Before the screen has the focus, Alt+Tab goes to that "window manager";
//! with the focus (and control) the app holds the keyboard: xdotool's
//! Alt+Tab on the expert's X server reaches the remote screen and a window
//! on the client's X server, while the window manager gets nothing; after
//! Ctrl+Alt+Shift the window manager has it again.

use lifeline_e2e::flows::{desk_and_two_apps, establish, wait_until};
use lifeline_e2e::keys::{KeyWatcher, TAB};
use lifeline_e2e::{AppInstance, e2e};

const PASSWORD: &str = "correct horse battery";

fn alt_tab(expert: &AppInstance) -> anyhow::Result<()> {
    expert.xvfb().run("xdotool", &["key", "alt+Tab"])?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn alt_tab_goes_to_the_client_while_the_remote_screen_has_the_keyboard() {
    e2e("keyboard_grab", |h| async move {
        let (_server, client, expert) = desk_and_two_apps(&h, PASSWORD).await?;
        establish(&client, &expert, "ann", PASSWORD, &[]).await?;
        expert
            .wait_for("#screen-canvas.controlling:not(.hidden)")
            .await?;
        let window_manager = KeyWatcher::root_grab(&expert.xvfb().display(), TAB)?;
        let at_client = KeyWatcher::focused_window(&client.xvfb().display())?;

        // The screen does not have the keyboard: the desktop takes Alt+Tab.
        alt_tab(&expert)?;
        wait_until("the window manager to take Alt+Tab", || {
            Ok(window_manager.alt_presses(TAB) == 1)
        })
        .await?;

        // The screen takes the focus (as Tab or a click would give it). The
        // page notes the keys it is given, to show Alt+Tab reached it.
        expert
            .client()
            .execute(
                "window.keysSeen = [];
                 addEventListener('keydown', (e) => keysSeen.push(e.code + (e.altKey ? '+alt' : '')), true);
                 document.getElementById('screen-canvas').focus();
                 return 0;",
                vec![],
            )
            .await?;
        expert
            .wait_for("#screen-canvas[data-keyboard='held']")
            .await?;
        alt_tab(&expert)?;
        // Alt+Tab travels on to the window with the focus on the client's
        // screen: the whole way, past the held keyboard. (The window
        // manager kept the first Alt's release, so the webview takes this
        // Alt for a repeat; it is sent all the same.)
        let arrived = wait_until("Alt+Tab to reach the client's window", || {
            Ok(at_client.alt_presses(TAB) == 1)
        })
        .await;
        anyhow::ensure!(
            arrived.is_ok(),
            "Alt+Tab did not reach the client's window: it saw {:?}",
            at_client.presses()
        );
        let seen = expert
            .client()
            .execute("return window.keysSeen;", vec![])
            .await?;
        anyhow::ensure!(
            seen.as_array().is_some_and(|keys| keys.iter().any(|k| k == "Tab+alt")),
            "the remote screen was not given Alt+Tab: {seen}"
        );
        anyhow::ensure!(
            window_manager.alt_presses(TAB) == 1,
            "the window manager took Alt+Tab too"
        );

        // Ctrl+Alt+Shift gives the keyboard back to the desktop.
        expert.xvfb().run("xdotool", &["key", "ctrl+alt+shift"])?;
        expert
            .wait_for("#screen-canvas[data-keyboard='free']")
            .await?;
        alt_tab(&expert)?;
        wait_until("the window manager to take Alt+Tab again", || {
            Ok(window_manager.alt_presses(TAB) == 2)
        })
        .await?;
        Ok(())
    })
    .await;
}
