//! The expert's workspace at the app's default 1024×720 window: during a
//! session the remote screen fills the window under one slim toolbar. With
//! the side panel closed the picture covers at least 85 % of the window;
//! open, the stage and the panel share the window without overlapping, and
//! the panel resizes from the keyboard. The toolbar holds on one line, in
//! English and in Italian, and every control in it has a name and takes
//! the keyboard focus. The client's session bar holds on one line in
//! Italian too. The System tab shows the client's computer, and its tool
//! is off when the client did not allow it. The Shell tab runs a real
//! shell on the client, which follows the panel's size and ends with the
//! permission. "Disconnect and lock the screen" runs the client's lock
//! command. A recording the client's bar announces, and the desk's report
//! names, still plays after the expert's app is killed in the middle of it. The expert shows its own
//! screen: its colour reaches a window on the client's side, and when the
//! client closes that window the expert stops and is told.

use std::path::PathBuf;

use lifeline_e2e::flows::{ask_for, expert_connects, loopback, new_id};
use lifeline_e2e::screen::first_picture;
use lifeline_e2e::signaling::SignalingServer;
use lifeline_e2e::{AppInstance, e2e};
use serde::Deserialize;

const PASSWORD: &str = "correct horse battery";

#[derive(Debug, Deserialize)]
struct Rect {
    left: f64,
    top: f64,
    right: f64,
    bottom: f64,
}

impl Rect {
    fn area(&self) -> f64 {
        (self.right - self.left).max(0.0) * (self.bottom - self.top).max(0.0)
    }
}

#[derive(Debug, Deserialize)]
struct Layout {
    window: [f64; 2],
    canvas: Rect,
    stage: Rect,
    panel: Option<Rect>,
    toolbar: Rect,
    /// The toolbar's content is wider than the toolbar (it would wrap or
    /// be cut off).
    toolbar_overflows: bool,
    /// Toolbar controls that a keyboard cannot reach (tabindex -1).
    unreachable: Vec<String>,
}

async fn layout(expert: &AppInstance) -> anyhow::Result<Layout> {
    let value = expert
        .client()
        .execute(
            "const box = (el) => {
               if (!el) return null;
               const r = el.getBoundingClientRect();
               return {left: r.left, top: r.top, right: r.right, bottom: r.bottom};
             };
             const bar = document.querySelector('#remote-screen [role=toolbar]');
             const controls = [...bar.querySelectorAll('button, select, input, summary')];
             return {
               window: [window.innerWidth, window.innerHeight],
               canvas: box(document.getElementById('screen-canvas')),
               stage: box(document.querySelector('.stage')),
               panel: box(document.getElementById('side-panel')),
               toolbar: box(bar),
               toolbar_overflows: bar.scrollWidth > bar.clientWidth + 1,
               unreachable: controls
                 .filter((c) => c.getClientRects().length > 0 && c.tabIndex < 0)
                 .map((c) => c.id || c.outerHTML.slice(0, 60)),
             };",
            vec![],
        )
        .await?;
    Ok(serde_json::from_value(value)?)
}

/// One line of toolbar, every control reachable and named.
async fn check_toolbar(expert: &AppInstance, language: &str) -> anyhow::Result<()> {
    let l = layout(expert).await?;
    let height = l.toolbar.bottom - l.toolbar.top;
    anyhow::ensure!(
        !l.toolbar_overflows && height <= 48.0,
        "{language}: the toolbar does not fit one line ({height} px high, overflowing: {})",
        l.toolbar_overflows
    );
    anyhow::ensure!(
        l.unreachable.is_empty(),
        "{language}: not reachable by keyboard: {:?}",
        l.unreachable
    );
    let unnamed = expert.unlabelled().await?;
    anyhow::ensure!(unnamed.is_empty(), "{language}: unnamed {unnamed:?}");
    Ok(())
}

/// The System tab shows the client's computer (the same machine here) as
/// the system itself gives it.
async fn check_system_info(expert: &AppInstance) -> anyhow::Result<()> {
    expert.open_menu("tools-more").await?;
    expert.click("#tool-system").await?;
    expert.wait_for("#system-info-taken").await?;
    let shown = expert.text("#system-info-hostname").await?;
    anyhow::ensure!(
        shown == lifeline_e2e::host::hostname(),
        "hostname {shown:?}"
    );
    let bytes = lifeline_e2e::host::memory_total_bytes();
    let total = expert
        .wait_for("#system-info-memory")
        .await?
        .attr("data-total-bytes")
        .await?;
    anyhow::ensure!(
        total == Some(bytes.to_string()),
        "memory total {total:?}, /proc/meminfo {bytes} bytes"
    );
    Ok(())
}

/// The terminal's text, as the expert sees it.
async fn terminal_text(expert: &AppInstance) -> anyhow::Result<String> {
    let text = expert
        .client()
        .execute(
            "const rows = document.querySelector('#shell-terminal .xterm-rows');
             return rows ? rows.innerText : '';",
            vec![],
        )
        .await?;
    Ok(text.as_str().unwrap_or_default().to_owned())
}

/// Types `keys` into the terminal and waits until `want` shows in it.
async fn shell_says(expert: &AppInstance, keys: &str, want: &str) -> anyhow::Result<String> {
    let input = expert
        .wait_for("#shell-terminal .xterm-helper-textarea")
        .await?;
    input.send_keys(keys).await?;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        let text = terminal_text(expert).await?;
        if text.contains(want) {
            return Ok(text);
        }
        anyhow::ensure!(
            std::time::Instant::now() < deadline,
            "no {want:?} in the terminal: {text:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// The terminal's size as `stty size` says it on the client: (rows, cols).
/// The line is marked so that the typed command (echoed, and wrapped at
/// the terminal's width) cannot pass for it.
async fn stty_size(expert: &AppInstance, mark: &str) -> anyhow::Result<(u32, u32)> {
    let keys = format!("echo {mark}x$((1+1)) $(stty size)\u{E007}");
    let printed = format!("{mark}x2 ");
    let text = shell_says(expert, &keys, &printed).await?;
    let line = text
        .lines()
        .rev()
        .find_map(|l| l.split(&printed).nth(1))
        .ok_or_else(|| anyhow::anyhow!("no size line in {text:?}"))?;
    let numbers: Vec<u32> = line
        .split_whitespace()
        .filter_map(|n| n.parse().ok())
        .collect();
    match numbers[..] {
        [rows, cols, ..] => Ok((rows, cols)),
        _ => anyhow::bail!("not a size: {line:?}"),
    }
}

/// The terminal's clipboard keys, as in desktop terminals, through the
/// expert's own X clipboard: a word of output selected with a double click
/// is copied with Ctrl+Shift+C, and a command copied elsewhere is pasted
/// once with Ctrl+Shift+V and runs. (WebKitGTK turns both keys into the
/// copy and paste that xterm.js answers; Ctrl+C stays the interrupt.)
async fn copy_and_paste_in_the_shell(expert: &AppInstance) -> anyhow::Result<()> {
    use fantoccini::actions::{InputSource, MouseActions, PointerAction};
    // The output line (the command's own line holds `$((6*7))`).
    let at = expert
        .client()
        .execute(
            "const row = [...document.querySelectorAll('#shell-terminal .xterm-rows > div')]
               .find((r) => r.innerText.trim() === 'lifeline-42');
             const box = row.getBoundingClientRect();
             return [box.left + 20, box.top + box.height / 2];",
            vec![],
        )
        .await?;
    let xy: Vec<f64> = serde_json::from_value(at)?;
    let (x, y) = (xy[0].round(), xy[1].round());
    let mut mouse = MouseActions::new("mouse".into()).then(PointerAction::MoveTo {
        duration: None,
        x,
        y,
    });
    for _ in 0..2 {
        mouse = mouse
            .then(PointerAction::Down { button: 0 })
            .then(PointerAction::Up { button: 0 });
    }
    expert.client().perform_actions(mouse).await?;
    let input = expert
        .wait_for("#shell-terminal .xterm-helper-textarea")
        .await?;
    input.send_keys("\u{E009}\u{E008}c\u{E000}").await?;
    lifeline_e2e::flows::wait_until("the copied word", || {
        Ok(expert.xvfb().clipboard_text() == "lifeline-42")
    })
    .await?;
    expert.xvfb().copy_text("echo pasted-$((5+5))")?;
    input.send_keys("\u{E009}\u{E008}v\u{E000}").await?;
    let text = shell_says(expert, "\u{E007}", "pasted-10").await?;
    anyhow::ensure!(!text.contains("$((5+5))echo"), "pasted twice: {text:?}");
    Ok(())
}

/// The Shell tab opens a real shell on the client: a command's output
/// shows in the terminal, `stty size` follows the panel's width, and
/// taking the permission back ends the shell's process. The client's
/// transcript of the shell holds the command and its output.
async fn check_shell(client: &AppInstance, expert: &AppInstance) -> anyhow::Result<()> {
    expert.click("#tool-shell").await?;
    let state = expert.wait_for("#shell-state[data-state='open']").await?;
    let pid: u32 = state.attr("data-pid").await?.unwrap_or_default().parse()?;
    anyhow::ensure!(std::path::Path::new(&format!("/proc/{pid}")).exists());
    shell_says(expert, "echo lifeline-$((6*7))\u{E007}", "lifeline-42").await?;
    copy_and_paste_in_the_shell(expert).await?;
    let before = stty_size(expert, "size1").await?;
    expert.click("#side-panel-handle").await?;
    expert.press("\u{E012}\u{E012}\u{E012}").await?; // ArrowLeft: wider
    let mut after = before;
    for attempt in 0..20 {
        after = stty_size(expert, &format!("size{}", attempt + 2)).await?;
        if after.1 > before.1 {
            break;
        }
    }
    anyhow::ensure!(
        after.1 > before.1,
        "the shell kept {before:?} after widening: {after:?}"
    );
    // Taken back from the client's bar: the shell and its process end.
    client.open_bar_panel("permissions").await?;
    client.click("#grant-shell").await?;
    expert.wait_for("#shell-state[data-state='ended']").await?;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while std::path::Path::new(&format!("/proc/{pid}")).exists() {
        anyhow::ensure!(
            std::time::Instant::now() < deadline,
            "shell {pid} outlived the permission"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let transcripts = client.data_dir().join("transcripts");
    let shell = std::fs::read_dir(&transcripts)?
        .flatten()
        .find(|e| e.file_name().to_string_lossy().contains(".shell-"))
        .ok_or_else(|| anyhow::anyhow!("no shell transcript in {}", transcripts.display()))?;
    let kept = std::fs::read_to_string(shell.path())?;
    anyhow::ensure!(
        kept.contains("echo lifeline-$((6*7))") && kept.contains("lifeline-42"),
        "the transcript: {kept}"
    );
    Ok(())
}

async fn panel_width(expert: &AppInstance) -> anyhow::Result<f64> {
    Ok(layout(expert)
        .await?
        .panel
        .map_or(0.0, |p| p.right - p.left))
}

#[tokio::test(flavor = "multi_thread")]
async fn the_remote_screen_fills_the_window_beside_the_side_panel() {
    e2e("workspace", |h| async move {
        let server = h.signaling().await?;
        server
            .add_expert("ann", "Ann from the Help Desk", PASSWORD)
            .await?;
        // "Locking the screen" leaves a mark instead.
        let marks = tempfile::tempdir()?;
        let locked = marks.path().join("locked");
        let mut options = loopback();
        options.env.push((
            "LIFELINE_LOCK_COMMAND".into(),
            format!("touch {}", locked.display()),
        ));
        let client = h.launch_app_with("client", &server, options).await?;
        let expert = h.launch_app_with("expert", &server, loopback()).await?;
        // The command shell stands out in the consent dialog.
        let id = ask_for(&client, &expert, "ann", PASSWORD, &["#want-shell"]).await?;
        client.wait_for("#consent-shell-detail").await?;
        h.screenshot(&client, "consent-shell").await?;
        client.click("#consent-accept").await?;
        expert.click("#safety-confirm").await?;
        first_picture(&expert).await?;
        expert.wait_for("#screen-canvas:not(.hidden)").await?;

        // A session opens with the chat beside the screen.
        let open = layout(&expert).await?;
        let (Some(panel), [width, height]) = (&open.panel, open.window) else {
            anyhow::bail!("no side panel at the start: {open:?}")
        };
        anyhow::ensure!(
            open.canvas.right <= panel.left + 0.5 && open.stage.right <= panel.left + 0.5,
            "the picture and the panel overlap: {open:?}"
        );
        anyhow::ensure!(
            (open.stage.right - open.stage.left) + (panel.right - panel.left) >= width - 1.0
                && open.stage.bottom >= height - 1.0
                && panel.bottom >= height - 1.0,
            "the stage and the panel leave part of the window empty: {open:?}"
        );
        check_toolbar(&expert, "English").await?;
        h.screenshot(&expert, "panel-chat").await?;

        // The handle widens the panel from the keyboard.
        let before = panel_width(&expert).await?;
        expert.click("#side-panel-handle").await?;
        expert.press("\u{E012}\u{E012}").await?; // ArrowLeft twice
        let wider = panel_width(&expert).await?;
        anyhow::ensure!(
            (wider - before - 48.0).abs() < 1.0,
            "two steps left: {before} → {wider}"
        );

        expert.click("#tool-files").await?;
        expert.wait_for("#remote-pane").await?;
        h.screenshot(&expert, "panel-files").await?;
        expert.click("#tool-notes").await?;
        expert.wait_for("#session-notes-text").await?;
        h.screenshot(&expert, "panel-notes").await?;
        check_system_info(&expert).await?;
        h.screenshot(&expert, "panel-system").await?;
        check_shell(&client, &expert).await?;
        h.screenshot(&expert, "panel-shell").await?;
        record_briefly(&server, &client, &expert).await?;
        show_the_experts_screen(&h, &client, &expert).await?;

        // The toolbar's menus open under their buttons, inside the window.
        for menu in ["screen-menu", "tools-more"] {
            expert.open_menu(menu).await?;
            let inside = expert
                .client()
                .execute(
                    "const r = document.querySelector(`#${arguments[0]} .menu-body`)
                       .getBoundingClientRect();
                     return r.left >= 0 && r.right <= window.innerWidth
                       && r.bottom <= window.innerHeight;",
                    vec![serde_json::json!(menu)],
                )
                .await?;
            anyhow::ensure!(
                inside == serde_json::Value::Bool(true),
                "the {menu} menu leaves the window"
            );
            h.screenshot(&expert, menu).await?;
            expert.click(&format!("#{menu} > summary")).await?;
        }

        // Closed, the picture has the window.
        expert.click("#side-panel-close").await?;
        let closed = layout(&expert).await?;
        anyhow::ensure!(closed.panel.is_none(), "the panel stayed: {closed:?}");
        let share = closed.canvas.area() / (width * height);
        anyhow::ensure!(
            share >= 0.85,
            "the picture covers {:.0} % of the window",
            share * 100.0
        );
        eprintln!("the picture covers {:.1} % of the window", share * 100.0);
        h.screenshot(&expert, "panel-closed").await?;

        // Popped out, the panel has a window of its own (for a second
        // monitor) and the picture keeps the whole main window; the chat
        // there reaches the client, and the panel comes back on request.
        expert.click("#tool-chat").await?;
        expert.click("#side-panel-popout").await?;
        let main = expert.client().window().await?;
        let popped = expert.another_window(&main, "the panel's").await?;
        expert.wait_for("#workspace").await?;
        let alone = layout(&expert).await?;
        anyhow::ensure!(alone.panel.is_none(), "the panel stayed beside the screen");
        expert.client().switch_to_window(popped).await?;
        expert.wait_for("#panel-window[data-tab='chat']").await?;
        expert
            .type_into("#chat-input", "From the second monitor\u{e007}")
            .await?;
        client.open_bar_panel("chat").await?;
        let heard = client
            .text(".chat-line[data-from='peer'] .chat-text")
            .await?;
        anyhow::ensure!(heard == "From the second monitor", "{heard:?}");
        expert.click("#panel-tab-log").await?;
        expert
            .wait_for("#session-log .log-event[data-code='connected']")
            .await?;
        h.screenshot(&expert, "panel-window-log").await?;
        expert.click_closing_window("#panel-dock").await?;
        expert.client().switch_to_window(main).await?;
        expert.wait_for("#side-panel[data-tab='log']").await?;

        // Ending with the client's screen locked: the client's lock command
        // runs, and both sides say so.
        expert.open_menu("tools-more").await?;
        expert.click("#tool-end-lock").await?;
        expert
            .wait_for("#session-notice[data-code='locked']")
            .await?;
        client
            .wait_for("#session-notice[data-code='locked']")
            .await?;
        anyhow::ensure!(locked.exists(), "the lock command did not run");
        h.screenshot(&expert, "ended-locked").await?;
        play_recording(&expert).await?;
        h.screenshot(&expert, "recording-player").await?;

        // In Italian, the longer words still fit one line.
        expert.wait_for("#connect").await?;
        expert
            .wait_for("#language")
            .await?
            .select_by_value("it")
            .await?;
        client
            .wait_for("#language")
            .await?
            .select_by_value("it")
            .await?;
        let id = new_id(&client, &id).await?;
        expert_connects(&expert, &id, None, &[]).await?;
        // Without system information this time: the expert's tool is off.
        client.click("#grant-system_info").await?;
        client.click("#consent-accept").await?;
        expert.click("#safety-confirm").await?;
        // The client's bar keeps its controls on one line in Italian too.
        client.wait_for("#client-bar #safety-code").await?;
        let one_line = client
            .client()
            .execute(
                "const bar = document.querySelector('#client-bar .bar');
                 const tops = [...bar.children].map((c) => {
                   const r = c.getBoundingClientRect();
                   return r.top + r.height / 2;
                 });
                 return bar.scrollWidth <= bar.clientWidth
                   && Math.max(...tops) - Math.min(...tops) < 4;",
                vec![],
            )
            .await?;
        anyhow::ensure!(
            one_line == serde_json::Value::Bool(true),
            "the client's bar does not fit one line in Italian"
        );
        h.screenshot(&client, "client-bar-italian").await?;
        expert.click("#tool-chat").await?;
        expert.wait_for("#side-panel[data-tab='chat']").await?;
        expert.wait_for("#screen-canvas:not(.hidden)").await?;
        check_toolbar(&expert, "Italian").await?;
        expert.wait_for("#tool-system:disabled").await?;
        h.screenshot(&expert, "italian").await?;
        record_until_killed(&h, &client, &expert).await
    })
    .await;
}

/// The expert starts recording from the menu; the client's bar says so.
/// Returns the file, once a picture is in it (a recording already there
/// is not it).
async fn start_recording(client: &AppInstance, expert: &AppInstance) -> anyhow::Result<PathBuf> {
    let transcripts = expert.data_dir().join("transcripts");
    let before = recordings_in(&transcripts);
    expert.open_menu("tools-more").await?;
    expert.click("#tool-record").await?;
    expert.wait_for("#recording-indicator").await?;
    client.wait_for("#bar-recording").await?;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        let recorded = recordings_in(&transcripts)
            .into_iter()
            .filter(|f| !before.contains(f))
            .find(|f| std::fs::metadata(f).is_ok_and(|m| m.len() > 8 * 1024));
        if let Some(file) = recorded {
            return Ok(file);
        }
        anyhow::ensure!(
            std::time::Instant::now() < deadline,
            "no picture recorded in {}",
            transcripts.display()
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

fn recordings_in(dir: &std::path::Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "webm"))
                .collect()
        })
        .unwrap_or_default()
}

/// A short recording, stopped from the menu: the client's bar stops
/// saying so, the expert's log says how long it was, and the desk's
/// Session Usage Report names the file.
async fn record_briefly(
    server: &SignalingServer,
    client: &AppInstance,
    expert: &AppInstance,
) -> anyhow::Result<()> {
    let file = start_recording(client, expert).await?;
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let token = server.report_token("ann", PASSWORD).await?;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        let report = server.session_report_with(&token).await?;
        let rows = report.as_array().cloned().unwrap_or_default();
        if rows.iter().any(|row| row["recordings"] == name.as_str()) {
            break;
        }
        anyhow::ensure!(
            std::time::Instant::now() < deadline,
            "the desk's record does not name {name}: {report}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    expert.open_menu("tools-more").await?;
    expert.click("#tool-record").await?;
    expert.open_menu("tools-more").await?;
    expert.click("#tool-log").await?;
    expert
        .wait_for("#session-log .log-event[data-code='recording_stopped']")
        .await?;
    let shown = client
        .client()
        .execute("return !!document.getElementById('bar-recording');", vec![])
        .await?;
    anyhow::ensure!(
        shown == serde_json::Value::Bool(false),
        "the client's bar still says recorded"
    );
    Ok(())
}

/// The expert's own screen (its root window painted magenta, right of and
/// below the app's window) in a window on the client's side; the client
/// closes it, and the expert stops showing it and is told.
async fn show_the_experts_screen(
    h: &lifeline_e2e::Harness,
    client: &AppInstance,
    expert: &AppInstance,
) -> anyhow::Result<()> {
    const MAGENTA: lifeline_e2e::screen::Rgb = [255, 0, 255];
    const BARE: (u32, u32) = (1200, 770);
    expert.xvfb().run("xsetroot", &["-solid", "#ff00ff"])?;
    let main = client.client().window().await?;
    expert.open_menu("tools-more").await?;
    expert.click("#tool-reverse").await?;
    expert.wait_for("#reverse-indicator").await?;
    let shown = client
        .another_window(&main, "the expert's screen's")
        .await?;
    client.client().switch_to_window(shown).await?;
    client.wait_for("#expert-screen #screen-canvas").await?;
    lifeline_e2e::screen::wait_for_colours(client, &[(BARE, MAGENTA)]).await?;
    h.screenshot(client, "client-expert-screen").await?;
    client.click_closing_window("#expert-screen-close").await?;
    client.client().switch_to_window(main).await?;
    expert
        .wait_for("#session-log .log-event[data-code='reverse_view_closed']")
        .await?;
    // Said over the workspace too, for a moment.
    let told = expert
        .text("#workspace-notice[data-code='reverse_view_closed'] p")
        .await?;
    anyhow::ensure!(
        told == "The client closed the window with your screen.",
        "{told:?}"
    );
    h.screenshot(expert, "notice-reverse-closed").await?;
    let gone = expert
        .client()
        .execute(
            "return !document.getElementById('reverse-indicator');",
            vec![],
        )
        .await?;
    anyhow::ensure!(
        gone == serde_json::Value::Bool(true),
        "the expert still shows its screen"
    );
    Ok(())
}

/// The expert's home lists the recording, and the app plays it: the video
/// loads at the client's screen size.
async fn play_recording(expert: &AppInstance) -> anyhow::Result<()> {
    expert.click("#recordings .recording-play").await?;
    expert.wait_for("#recording-player").await?;
    let (width, height) = lifeline_e2e::xvfb::SCREEN;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        let state = expert
            .client()
            .execute(
                "const v = document.getElementById('recording-player');
                 return [v.readyState, v.videoWidth, v.videoHeight, v.error ? v.error.code : 0];",
                vec![],
            )
            .await?;
        if state == serde_json::json!([4, width, height, 0])
            || state == serde_json::json!([3, width, height, 0])
            || state == serde_json::json!([2, width, height, 0])
        {
            return Ok(());
        }
        anyhow::ensure!(
            std::time::Instant::now() < deadline,
            "the recording did not play: [readyState, width, height, error] = {state}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// The expert records the session (the client's bar says so), and its
/// app is killed while recording: the file it leaves plays from the start,
/// at the client's screen size.
async fn record_until_killed(
    h: &lifeline_e2e::Harness,
    client: &AppInstance,
    expert: &AppInstance,
) -> anyhow::Result<()> {
    let file = start_recording(client, expert).await?;
    h.screenshot(client, "client-bar-recording").await?;
    expert.kill();
    let decoded = lifeline_e2e::webm::decode_webm(&file)?;
    let (width, height) = lifeline_e2e::xvfb::SCREEN;
    anyhow::ensure!(
        (decoded.width, decoded.height) == (width as usize, height as usize)
            && !decoded.frames.is_empty(),
        "the killed app's recording: {}×{}, {} frames",
        decoded.width,
        decoded.height,
        decoded.frames.len()
    );
    Ok(())
}
