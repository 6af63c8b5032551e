//! The expert's own app on a Wayland desktop (a headless sway, from
//! `lifeline_e2e::wayland`), the client's on its X server as usual:
//! - the remote screen's keyboard hold works there too. sway's own binding
//!   for Alt+Tab stands in for the desktop's window switcher. Before the
//!   screen has the keyboard, sway takes Alt+Tab; while it holds it (GTK
//!   asks the compositor to inhibit its shortcuts), Alt+Tab and Tab reach
//!   a window on the client's X server and sway takes nothing; after
//!   Ctrl+Alt+Shift sway has it again. The keys come from the app's own
//!   `WlrInjector`, a virtual keyboard with the standard layout (`wtype`'s
//!   made-up keymap turns Tab into another key for a page that reads the
//!   key's position);
//! - full screen: the view's button makes the compositor show the window
//!   full screen (sway's tree says so), and leaving full screen restores
//!   it.

use std::path::Path;
use std::sync::Arc;

use lifeline_e2e::flows::{establish, loopback, wait_until};
use lifeline_e2e::keys::{KeyWatcher, TAB};
use lifeline_e2e::signaling::SignalingServer;
use lifeline_e2e::wayland::Desktop;
use lifeline_e2e::xvfb::SCREEN;
use lifeline_e2e::{AppInstance, Harness, e2e};
use lifeline_lib::input::injector::Injector;
use lifeline_lib::input::wlr_injector::WlrInjector;

const PASSWORD: &str = "correct horse battery";

/// A desk with the expert `ann`, a client app as usual, and an expert app
/// whose window is on `desktop` (`GDK_BACKEND=wayland`).
async fn desk_and_apps(
    h: &Harness,
    desktop: &Desktop,
) -> anyhow::Result<(SignalingServer, Arc<AppInstance>, Arc<AppInstance>)> {
    let server = h.signaling().await?;
    server
        .add_expert("ann", "Ann from the Help Desk", PASSWORD)
        .await?;
    let client = h.launch_app_with("client", &server, loopback()).await?;
    let mut options = loopback();
    for name in ["XDG_SESSION_TYPE", "WAYLAND_DISPLAY"] {
        options.env.push((name.into(), desktop.var(name).into()));
    }
    options.env.push(("GDK_BACKEND".into(), "wayland".into()));
    let expert = h.launch_app_with("expert", &server, options).await?;
    Ok((server, client, expert))
}

/// sway's own binding for Alt+Tab, counting its presses in a file.
struct Switcher(std::path::PathBuf);

impl Switcher {
    fn bind(desktop: &Desktop) -> anyhow::Result<Self> {
        use std::os::unix::fs::PermissionsExt;
        let file = desktop.path_of("alt-tab.log");
        std::fs::write(&file, "")?;
        // sway's programs run as its user.
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o666))?;
        desktop.swaymsg(&[
            "bindsym",
            "Mod1+Tab",
            "exec",
            &format!("echo switched >> {}", file.display()),
        ])?;
        Ok(Self(file))
    }

    fn presses(&self) -> usize {
        std::fs::read_to_string(&self.0)
            .unwrap_or_default()
            .lines()
            .count()
    }
}

/// Linux key codes (`input-event-codes.h`).
const ALT: u16 = 56;
const CTRL: u16 = 29;
const SHIFT: u16 = 42;
const TAB_KEY: u16 = 15;

/// Presses `keys` in order and releases them in reverse, on the
/// desktop's virtual keyboard.
fn chord(keyboard: &mut WlrInjector, keys: &[u16]) -> anyhow::Result<()> {
    for key in keys {
        keyboard.key(*key, true)?;
    }
    for key in keys.iter().rev() {
        keyboard.key(*key, false)?;
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn the_expert_app_on_wayland_holds_the_keyboard_and_goes_full_screen() {
    e2e("wayland_expert", |h| async move {
        let desktop = Desktop::start(SCREEN.0, SCREEN.1, "#204080")?;
        let (_server, client, expert) = desk_and_apps(&h, &desktop).await?;
        let result = async {
            establish(&client, &expert, "ann", PASSWORD, &[]).await?;
            expert
                .wait_for("#screen-canvas.controlling:not(.hidden)")
                .await?;
            keyboard_held(&desktop, &client, &expert).await?;
            full_screen(&desktop, &expert).await
        }
        .await;
        result.map_err(|error| anyhow::anyhow!("{error:#}\n{}", desktop.logs()))
    })
    .await;
}

async fn keyboard_held(
    desktop: &Desktop,
    client: &AppInstance,
    expert: &AppInstance,
) -> anyhow::Result<()> {
    let switcher = Switcher::bind(desktop)?;
    let at_client = KeyWatcher::focused_window(&client.xvfb().display())?;
    let mut keyboard = WlrInjector::connect(Path::new(desktop.var("WAYLAND_DISPLAY")))?;

    // The screen does not have the keyboard: the desktop takes Alt+Tab.
    // (Until the seat has taken up the new keyboard, a key may be lost.)
    wait_until("sway to take Alt+Tab", || {
        chord(&mut keyboard, &[ALT, TAB_KEY])?;
        std::thread::sleep(std::time::Duration::from_millis(200));
        Ok(switcher.presses() > 0)
    })
    .await?;
    let taken = switcher.presses();

    expert
        .client()
        .execute(
            "document.getElementById('screen-canvas').focus(); return 0;",
            vec![],
        )
        .await?;
    expert
        .wait_for("#screen-canvas[data-keyboard='held']")
        .await?;
    chord(&mut keyboard, &[ALT, TAB_KEY])?;
    chord(&mut keyboard, &[TAB_KEY])?;
    let arrived = wait_until("Alt+Tab and Tab to reach the client's window", || {
        let presses = at_client.presses();
        let tabs = presses.iter().filter(|p| p.keysym == TAB && !p.alt).count();
        Ok(at_client.alt_presses(TAB) == 1 && tabs == 1)
    })
    .await;
    anyhow::ensure!(
        arrived.is_ok(),
        "the keys did not reach the client's window: it saw {:?}",
        at_client.presses()
    );
    anyhow::ensure!(switcher.presses() == taken, "sway took Alt+Tab too");

    // Ctrl+Alt+Shift gives the keyboard back to the desktop.
    chord(&mut keyboard, &[CTRL, ALT, SHIFT])?;
    expert
        .wait_for("#screen-canvas[data-keyboard='free']")
        .await?;
    chord(&mut keyboard, &[ALT, TAB_KEY])?;
    wait_until("sway to take Alt+Tab again", || {
        Ok(switcher.presses() == taken + 1)
    })
    .await
}

/// Whether sway shows the expert's window full screen: its node in sway's
/// tree (app id `lifeline`) says so.
fn shown_full_screen(desktop: &Desktop) -> anyhow::Result<bool> {
    fn find(node: &serde_json::Value) -> Option<&serde_json::Value> {
        if node["app_id"] == "lifeline" {
            return Some(node);
        }
        node["nodes"]
            .as_array()
            .into_iter()
            .chain(node["floating_nodes"].as_array())
            .flatten()
            .find_map(find)
    }
    let tree: serde_json::Value = serde_json::from_str(&desktop.swaymsg(&["-t", "get_tree"])?)?;
    let window = find(&tree).ok_or_else(|| anyhow::anyhow!("no lifeline window in {tree}"))?;
    Ok(window["fullscreen_mode"] != 0)
}

async fn full_screen(desktop: &Desktop, expert: &AppInstance) -> anyhow::Result<()> {
    anyhow::ensure!(!shown_full_screen(desktop)?, "full screen before asked");
    expert.click("#screen-fullscreen").await?;
    wait_until("sway to show the window full screen", || {
        shown_full_screen(desktop)
    })
    .await?;
    expert
        .client()
        .execute("document.exitFullscreen(); return 0;", vec![])
        .await?;
    wait_until("sway to show the window as before", || {
        Ok(!shown_full_screen(desktop)?)
    })
    .await
}
