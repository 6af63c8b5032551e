//! The data channels between two real engines, through the real signaling
//! server and real WebRTC: chat both ways into the log and the transcript,
//! remote input injected only while the client grants control, and grants
//! withdrawn and given back during the session.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::{
    InputRecorder, MemoryClipboard, PatternScreen, chat_round_trip, establish, rebooted_marker,
    recording_client, side_with, spawn_side, start_desk, wait_for,
};
use lifeline_lib::input::event::InputEvent;
use lifeline_lib::input::injector::{InjectError, Injector};
use lifeline_lib::session::end_action::EndAction;
use lifeline_lib::session::engine::{Backends, Command, LogItem, SessionHandle, ShellOutput};
use lifeline_lib::session::log::{Author, EventCode, LogEntry};
use lifeline_lib::session::scopes::{Scope, Scopes};
use lifeline_lib::session::transcript;
use lifeline_lib::session::view::{Phase, SessionView, ShellState};
use lifeline_signaling::protocol::Role;

fn scopes(list: &[Scope]) -> Scopes {
    list.iter().copied().collect()
}

/// Polls the session's log until `ok` holds, or fails after 10 s.
async fn wait_log(session: &SessionHandle, what: &str, ok: impl Fn(&[LogItem]) -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let items = session.log().await.unwrap();
        if ok(&items) {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}; log: {items:#?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn has_chat(items: &[LogItem], from: Author, text: &str) -> bool {
    items.iter().any(
        |i| matches!(&i.entry, LogEntry::Chat { from: f, text: t, .. } if *f == from && t == text),
    )
}

fn has_event(items: &[LogItem], code: &str) -> bool {
    items
        .iter()
        .any(|i| matches!(&i.entry, LogEntry::Event { code: c, .. } if *c == code))
}

async fn wait_injected(recorder: &InputRecorder, what: &str, count: usize) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while recorder.lines().len() < count {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}; injected: {:?}",
            recorder.lines()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn key(code: &str, down: bool) -> Command {
    Command::Input(InputEvent::Key {
        code: code.into(),
        down,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_input_and_grants_are_the_clients_to_decide() {
    let (_desk_dir, url, _stop_server, _server_task) = start_desk().await;
    let dir = tempfile::tempdir().unwrap();
    let injected = InputRecorder::default();
    let (client_link, client) = side_with(
        &url,
        Role::Client,
        &dir.path().join("client"),
        &injected,
        &MemoryClipboard::default(),
    );
    let (expert_link, expert) = side_with(
        &url,
        Role::Expert,
        &dir.path().join("expert"),
        &InputRecorder::default(),
        &MemoryClipboard::default(),
    );
    let asked = scopes(&[Scope::View, Scope::Control, Scope::Files]);
    let control = scopes(&[Scope::Control]);
    establish(&client_link, &client, &expert_link, &expert, asked, control).await;

    // Chat, both ways, lands in both logs.
    let question = "Hello! Can you open the printer settings?";
    expert
        .command(Command::Chat(question.into()))
        .await
        .unwrap();
    wait_log(&client, "the expert's line", |items| {
        has_chat(items, Author::Peer, question)
    })
    .await;
    client.command(Command::Chat("Done.".into())).await.unwrap();
    wait_log(&expert, "the client's answer", |items| {
        has_chat(items, Author::Peer, "Done.") && has_chat(items, Author::Me, question)
    })
    .await;

    // Input is injected in order, aimed at the monitor's pixels.
    expert
        .command(Command::Input(InputEvent::Move { x: 0.5, y: 0.5 }))
        .await
        .unwrap();
    expert.command(key("KeyH", true)).await.unwrap();
    expert.command(key("KeyH", false)).await.unwrap();
    wait_injected(&injected, "the first input", 3).await;
    assert_eq!(
        injected.lines(),
        ["move 160,90", "key 35 true", "key 35 false"]
    );

    // The client stops control: the expert sees it at once, and what it
    // sends anyway is refused by the client, not injected.
    let mut expert_view = expert.subscribe();
    client
        .command(Command::SetGrants(Scopes::NONE))
        .await
        .unwrap();
    wait_for(
        &mut expert_view,
        "the withdrawal",
        |v| matches!(&v.phase, Phase::Active { scopes, .. } if scopes.is_empty()),
    )
    .await;
    expert.command(key("KeyX", true)).await.unwrap();
    expert.command(key("KeyX", false)).await.unwrap();
    wait_log(&expert, "the refusal", |items| has_event(items, "refused")).await;
    wait_log(&client, "the client's record", |items| {
        has_event(items, "withdrawn") && has_event(items, "refused")
    })
    .await;
    assert_eq!(
        injected.lines().len(),
        3,
        "nothing injected without control"
    );

    // Grants never go beyond the request, and view cannot come back when
    // the screen was never shared.
    let mut client_view = client.subscribe();
    client
        .command(Command::SetGrants(scopes(&[Scope::Control, Scope::Reboot])))
        .await
        .unwrap();
    let refused = wait_for(&mut client_view, "the refused grant", |v| {
        v.notice.as_ref().is_some_and(|n| n.code == "grant_refused")
    })
    .await;
    assert!(refused.notice.unwrap().message.contains("reboot"));

    // Control given back works again.
    client.command(Command::SetGrants(control)).await.unwrap();
    wait_for(
        &mut expert_view,
        "control again",
        |v| matches!(&v.phase, Phase::Active { scopes, .. } if *scopes == control),
    )
    .await;
    expert
        .command(Command::Input(InputEvent::Text {
            text: "ü€".into()
        }))
        .await
        .unwrap();
    wait_injected(&injected, "input after the re-grant", 4).await;
    assert_eq!(injected.lines()[3], "text ü€");

    // The transcript on disk holds the conversation and the events.
    client.command(Command::Stop).await.unwrap();
    wait_for(&mut client_view, "the end", |v| v.phase == Phase::Idle).await;
    let listed = transcript::list(&dir.path().join("client")).unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].header.role, "client");
    assert_eq!(listed[0].header.peer, "Ann from the Help Desk");
    let (_, entries) = transcript::read(&dir.path().join("client"), &listed[0].name).unwrap();
    // The path's event comes whenever the statistics show it: not part of
    // the sequence.
    let codes: Vec<&str> = entries
        .iter()
        .filter_map(|e| match e {
            LogEntry::Event { code, .. } => Some(code.as_str()),
            LogEntry::Chat { .. } => None,
        })
        .filter(|code| !code.starts_with("path_"))
        .collect();
    assert_eq!(
        codes,
        ["connected", "withdrawn", "refused", "granted", "ended"]
    );
    let chats: Vec<(Author, &str)> = entries
        .iter()
        .filter_map(|e| match e {
            LogEntry::Chat { from, text, .. } => Some((*from, text.as_str())),
            LogEntry::Event { .. } => None,
        })
        .collect();
    assert_eq!(chats, [(Author::Peer, question), (Author::Me, "Done.")]);
}

async fn wait_clipboard(clipboard: &MemoryClipboard, what: &str, want: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while clipboard.text() != want {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}; clipboard: {:?}",
            clipboard.text()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clipboard_text_goes_both_ways_only_while_granted() {
    let (_desk_dir, url, _stop_server, _server_task) = start_desk().await;
    let dir = tempfile::tempdir().unwrap();
    let (client_clip, expert_clip) = (MemoryClipboard::default(), MemoryClipboard::default());
    let input = InputRecorder::default();
    let (client_link, client) = side_with(
        &url,
        Role::Client,
        &dir.path().join("c"),
        &input,
        &client_clip,
    );
    let (expert_link, expert) = side_with(
        &url,
        Role::Expert,
        &dir.path().join("e"),
        &input,
        &expert_clip,
    );
    let clipboard = scopes(&[Scope::Clipboard]);
    establish(
        &client_link,
        &client,
        &expert_link,
        &expert,
        clipboard,
        clipboard,
    )
    .await;

    // By hand, expert to client.
    expert_clip.copy("ssh support@10.0.0.7");
    expert.command(Command::SendClipboard).await.unwrap();
    wait_clipboard(&client_clip, "the expert's text", "ssh support@10.0.0.7").await;

    // Automatically, client to expert, without echo.
    client
        .command(Command::SetClipboardSync(true))
        .await
        .unwrap();
    expert
        .command(Command::SetClipboardSync(true))
        .await
        .unwrap();
    for side in [&client, &expert] {
        wait_for(&mut side.subscribe(), "sync on", |v| v.clipboard_sync).await;
    }
    // The owner takes the text present when sync starts as known: copy
    // only once it has looked.
    client_clip.wait_reads(1).await;
    client_clip.copy("error 0x80070005");
    wait_clipboard(&expert_clip, "the client's copy", "error 0x80070005").await;
    // The expert's watcher looks at the text it was given, twice; an echo
    // would go out on the control channel ahead of the chat line that
    // follows, so once the line is in, the count is final.
    expert_clip.wait_reads(2).await;
    chat_round_trip(&expert, &client).await;
    let sent = |items: &[LogItem]| {
        items
            .iter()
            .filter(
                |i| matches!(&i.entry, LogEntry::Event { code, .. } if *code == EventCode::ClipboardSent),
            )
            .count()
    };
    assert_eq!(sent(&expert.log().await.unwrap()), 1, "the expert echoed");
    assert_eq!(sent(&client.log().await.unwrap()), 1);

    // Withdrawn: the expert's text no longer reaches the client.
    let mut expert_view = expert.subscribe();
    client
        .command(Command::SetGrants(Scopes::NONE))
        .await
        .unwrap();
    wait_for(&mut expert_view, "the withdrawal", |v| {
        matches!(&v.phase, Phase::Active { scopes, .. } if scopes.is_empty()) && !v.clipboard_sync
    })
    .await;
    expert_clip.copy("not for the client");
    expert.command(Command::SendClipboard).await.unwrap();
    chat_round_trip(&expert, &client).await;
    assert_eq!(client_clip.text(), "error 0x80070005");
    assert!(!client.view().clipboard_sync, "sync stops with the grant");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_counts_down_and_the_client_can_cancel_it() {
    let (_desk_dir, url, _stop_server, _server_task) = start_desk().await;
    let dir = tempfile::tempdir().unwrap();
    let (input, clip) = (InputRecorder::default(), MemoryClipboard::default());
    let client_dir = dir.path().join("client");
    let marker = rebooted_marker(&client_dir);
    let (client_link, client) = side_with(&url, Role::Client, &client_dir, &input, &clip);
    let (expert_link, expert) = side_with(&url, Role::Expert, &dir.path().join("e"), &input, &clip);
    let reboot = scopes(&[Scope::Reboot]);
    establish(&client_link, &client, &expert_link, &expert, reboot, reboot).await;
    let mut client_view = client.subscribe();
    let mut expert_view = expert.subscribe();

    // Cancelled in time: nothing runs.
    expert
        .command(Command::RequestReboot { reconnect: false })
        .await
        .unwrap();
    wait_for(&mut client_view, "the countdown", |v| {
        v.reboot_at_ms.is_some()
    })
    .await;
    wait_for(&mut expert_view, "the expert's countdown", |v| {
        v.reboot_at_ms.is_some()
    })
    .await;
    client.command(Command::CancelReboot).await.unwrap();
    wait_for(&mut expert_view, "the cancellation", |v| {
        v.reboot_at_ms.is_none()
    })
    .await;

    // Left alone, the countdown runs the command. (A countdown still
    // running would refuse this second request and run on its own: the
    // log below proves it was cancelled; the timing of a cancelled
    // countdown is unit-tested in session/deadlines.rs.)
    let asked = tokio::time::Instant::now();
    expert
        .command(Command::RequestReboot { reconnect: false })
        .await
        .unwrap();
    let deadline = asked + Duration::from_secs(10);
    while !marker.exists() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the restart never ran"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        asked.elapsed() >= Duration::from_millis(900),
        "no countdown"
    );
    wait_log(&client, "the record", |items| has_event(items, "rebooting")).await;
    let restarts: Vec<String> = client
        .log()
        .await
        .unwrap()
        .into_iter()
        .filter_map(|item| match item.entry {
            LogEntry::Event { code, .. } if code.as_str().starts_with("reboot") => {
                Some(code.as_str().to_owned())
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        restarts,
        [
            "reboot_scheduled",
            "reboot_cancelled",
            "reboot_scheduled",
            "rebooting"
        ]
    );
}

/// The client's desktop declines remote control in its own dialog (as
/// GNOME's portal can, after Lifeline's Accept): control is withdrawn on
/// both sides, both say why, and turning control on again asks the
/// desktop again, which this time allows it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_desktop_that_declines_control_withdraws_it_on_both_sides() {
    let (_desk_dir, url, _stop_server, _server_task) = start_desk().await;
    let dir = tempfile::tempdir().unwrap();
    let injected = InputRecorder::default();
    let asked_desktop = Arc::new(AtomicUsize::new(0));
    let backends = Backends {
        injector: Arc::new({
            let (injected, asked) = (injected.clone(), Arc::clone(&asked_desktop));
            move || match asked.fetch_add(1, Ordering::SeqCst) {
                0 => Err(InjectError::Unavailable(
                    "the desktop's remote control was declined".into(),
                )),
                _ => Ok(Box::new(injected.clone()) as Box<dyn Injector>),
            }
        }),
        ..recording_client(&PatternScreen::moving(false), &injected, dir.path().into())
    };
    let (client_link, client) = spawn_side(&url, Role::Client, backends);
    let (expert_link, expert) = side_with(
        &url,
        Role::Expert,
        &dir.path().join("expert"),
        &InputRecorder::default(),
        &MemoryClipboard::default(),
    );
    let control = scopes(&[Scope::Control, Scope::Files]);
    establish(
        &client_link,
        &client,
        &expert_link,
        &expert,
        control,
        control,
    )
    .await;

    expert.command(key("KeyA", true)).await.unwrap();
    let files = scopes(&[Scope::Files]);
    let only_files =
        |v: &SessionView| matches!(&v.phase, Phase::Active { scopes, .. } if *scopes == files);
    let told = |v: &SessionView| {
        v.notice
            .as_ref()
            .is_some_and(|n| n.code == "control_declined" && n.message.contains("declined"))
    };
    for (side, handle) in [("client", &client), ("expert", &expert)] {
        wait_for(&mut handle.subscribe(), side, |v| only_files(v) && told(v)).await;
        wait_log(handle, "the record of why", |items| {
            has_event(items, "control_unavailable") && has_event(items, "withdrawn")
        })
        .await;
    }

    // Control given back asks the desktop again; allowed now, input flows.
    client.command(Command::SetGrants(control)).await.unwrap();
    wait_for(
        &mut expert.subscribe(),
        "control again",
        |v| matches!(&v.phase, Phase::Active { scopes, .. } if *scopes == control),
    )
    .await;
    expert.command(key("KeyB", true)).await.unwrap();
    wait_injected(&injected, "input once the desktop allows it", 1).await;
    assert_eq!(
        injected.lines(),
        ["key 48 true"],
        "the declined key is gone"
    );
    assert_eq!(asked_desktop.load(Ordering::SeqCst), 2);
}

/// `/proc/meminfo`'s `MemTotal`, in bytes.
fn meminfo_total() -> u64 {
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap();
    let line = meminfo
        .lines()
        .find(|l| l.starts_with("MemTotal:"))
        .unwrap();
    let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib * 1024
}

/// System information goes to the expert only while the client grants
/// it: refused (and nothing taken) before, this computer's snapshot after,
/// kept beside the expert's transcript.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn system_information_is_sent_only_while_granted() {
    let (_desk_dir, url, _stop_server, _server_task) = start_desk().await;
    let dir = tempfile::tempdir().unwrap();
    let make = |role, name| {
        side_with(
            &url,
            role,
            &dir.path().join(name),
            &InputRecorder::default(),
            &MemoryClipboard::default(),
        )
    };
    let (client_link, client) = make(Role::Client, "client");
    let (expert_link, expert) = make(Role::Expert, "expert");
    let asked = scopes(&[Scope::SystemInfo, Scope::Files]);
    let files = scopes(&[Scope::Files]);
    establish(&client_link, &client, &expert_link, &expert, asked, files).await;

    // Not granted: refused, and the expert's panel stops waiting.
    let mut expert_view = expert.subscribe();
    expert.command(Command::AskSystemInfo).await.unwrap();
    wait_log(&expert, "the refusal", |items| has_event(items, "refused")).await;
    let seen = wait_for(&mut expert_view, "the panel", |v| {
        v.system_info.as_ref().is_some_and(|i| !i.asking)
    })
    .await;
    assert!(seen.system_info.unwrap().snapshot.is_none());
    let client_log = client.log().await.unwrap();
    assert!(
        !has_event(&client_log, "system_info_sent"),
        "nothing sent without the permission: {client_log:#?}"
    );

    // Granted: this computer's figures arrive.
    client.command(Command::SetGrants(asked)).await.unwrap();
    wait_for(
        &mut expert_view,
        "the grant",
        |v| matches!(&v.phase, Phase::Active { scopes, .. } if *scopes == asked),
    )
    .await;
    expert.command(Command::AskSystemInfo).await.unwrap();
    let seen = wait_for(&mut expert_view, "the snapshot", |v| {
        v.system_info.as_ref().is_some_and(|i| i.snapshot.is_some())
    })
    .await;
    let snapshot = seen.system_info.unwrap().snapshot.unwrap();
    let hostname = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    assert_eq!(snapshot.hostname, hostname.trim());
    assert_eq!(snapshot.memory.total_bytes, meminfo_total());
    assert_eq!(snapshot.displays.len(), 1, "the test pattern's monitor");
    wait_log(&client, "the client's record", |items| {
        has_event(items, "system_info_sent")
    })
    .await;

    // The expert's record names the file the snapshot was kept in.
    let log = expert.log().await.unwrap();
    let detail = log
        .iter()
        .find_map(|item| match &item.entry {
            LogEntry::Event { code, detail, .. } if *code == EventCode::SystemInfoReceived => {
                Some(detail.clone())
            }
            _ => None,
        })
        .expect("the expert logged the snapshot");
    let file = detail
        .rsplit_once('(')
        .and_then(|(_, rest)| rest.strip_suffix(')'))
        .unwrap_or_else(|| panic!("no file named in {detail:?}"));
    let kept = std::fs::read(dir.path().join("expert").join(file)).unwrap();
    let kept: lifeline_lib::system_info::SystemSnapshot = serde_json::from_slice(&kept).unwrap();
    assert_eq!(kept, snapshot);
}

/// The event codes in the one transcript in `dir`.
fn transcript_codes(dir: &std::path::Path) -> Vec<String> {
    let listed = transcript::list(dir).unwrap();
    let (_, entries) = transcript::read(dir, &listed[0].name).unwrap();
    entries
        .iter()
        .filter_map(|e| match e {
            LogEntry::Event { code, .. } => Some(code.as_str().to_owned()),
            LogEntry::Chat { .. } => None,
        })
        .collect()
}

/// Ending with the client's screen locked needs `control` or `reboot`:
/// refused without either (nothing run, the session goes on), carried out
/// with `reboot`, confirmed to the expert, and both sessions end.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ending_with_a_lock_runs_only_within_the_grants() {
    let (_desk_dir, url, _stop_server, _server_task) = start_desk().await;
    let dir = tempfile::tempdir().unwrap();
    let (client_dir, expert_dir) = (dir.path().join("client"), dir.path().join("expert"));
    let make = |role, at: &std::path::Path| {
        side_with(
            &url,
            role,
            at,
            &InputRecorder::default(),
            &MemoryClipboard::default(),
        )
    };
    let (client_link, client) = make(Role::Client, &client_dir);
    let (expert_link, expert) = make(Role::Expert, &expert_dir);
    let asked = scopes(&[Scope::Control, Scope::Reboot, Scope::Files]);
    let files = scopes(&[Scope::Files]);
    establish(&client_link, &client, &expert_link, &expert, asked, files).await;
    let locked = client_dir.with_extension("locked");

    expert
        .command(Command::EndWith(EndAction::Lock))
        .await
        .unwrap();
    wait_log(&expert, "the refusal", |items| has_event(items, "refused")).await;
    assert!(!locked.exists(), "nothing run without the permission");

    let with_reboot = scopes(&[Scope::Files, Scope::Reboot]);
    client
        .command(Command::SetGrants(with_reboot))
        .await
        .unwrap();
    let mut expert_view = expert.subscribe();
    wait_for(
        &mut expert_view,
        "the grant",
        |v| matches!(&v.phase, Phase::Active { scopes, .. } if *scopes == with_reboot),
    )
    .await;
    expert
        .command(Command::EndWith(EndAction::Lock))
        .await
        .unwrap();
    let ended_locked = |v: &SessionView| {
        v.phase == Phase::Idle && v.notice.as_ref().is_some_and(|n| n.code == "locked")
    };
    wait_for(&mut expert_view, "the expert's end", ended_locked).await;
    wait_for(&mut client.subscribe(), "the client's end", ended_locked).await;
    assert!(locked.exists(), "the lock command ran");
    for side in [&client_dir, &expert_dir] {
        let codes = transcript_codes(side);
        assert!(
            codes.ends_with(&["locked".to_owned(), "ended".to_owned()]),
            "{side:?}: {codes:?}"
        );
    }
}

/// The shell's output the expert saw, decoded, until `want` shows in it.
async fn shell_output_until(
    output: &mut tokio::sync::broadcast::Receiver<ShellOutput>,
    seen: &mut String,
    want: &str,
) {
    use base64::Engine as _;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !seen.contains(want) {
        let next = tokio::time::timeout_at(deadline, output.recv()).await;
        let Ok(Ok(chunk)) = next else {
            panic!("no {want:?} in the shell's output: {seen:?}");
        };
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(chunk.data)
            .unwrap();
        seen.push_str(&String::from_utf8_lossy(&bytes));
    }
}

/// The one shell transcript beside the transcript in `dir`.
fn shell_transcript(dir: &std::path::Path) -> String {
    let file = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .find(|e| e.file_name().to_string_lossy().contains(".shell-"))
        .expect("a shell transcript");
    std::fs::read_to_string(file.path()).unwrap()
}

/// A command shell runs only within `shell`: refused before the grant (no
/// process started), a real one after it that follows its terminal's
/// size, and ended, process and all, when the permission is withdrawn.
/// Both sides keep its transcript.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shell_runs_only_while_granted_and_dies_with_the_grant() {
    let (_desk_dir, url, _stop_server, _server_task) = start_desk().await;
    let dir = tempfile::tempdir().unwrap();
    let (client_dir, expert_dir) = (dir.path().join("client"), dir.path().join("expert"));
    let make = |role, at: &std::path::Path| {
        side_with(
            &url,
            role,
            at,
            &InputRecorder::default(),
            &MemoryClipboard::default(),
        )
    };
    let (client_link, client) = make(Role::Client, &client_dir);
    let (expert_link, expert) = make(Role::Expert, &expert_dir);
    let asked = scopes(&[Scope::Shell, Scope::Files]);
    let files = scopes(&[Scope::Files]);
    establish(&client_link, &client, &expert_link, &expert, asked, files).await;
    let mut expert_view = expert.subscribe();

    // Not granted: refused, and the terminal says why.
    let open = || Command::ShellOpen { cols: 80, rows: 24 };
    expert.command(open()).await.unwrap();
    let seen = wait_for(&mut expert_view, "the refusal", |v| {
        v.shells
            .first()
            .is_some_and(|s| s.state == ShellState::Refused)
    })
    .await;
    assert!(
        seen.shells[0]
            .reason
            .as_deref()
            .unwrap()
            .contains("not allowed")
    );
    wait_log(&expert, "the refusal", |items| has_event(items, "refused")).await;
    assert!(!has_event(&client.log().await.unwrap(), "shell_opened"));

    // Granted: a real shell, as this user.
    client.command(Command::SetGrants(asked)).await.unwrap();
    wait_for(
        &mut expert_view,
        "the grant",
        |v| matches!(&v.phase, Phase::Active { scopes, .. } if *scopes == asked),
    )
    .await;
    let mut output = expert.subscribe_shell();
    expert.command(open()).await.unwrap();
    let seen = wait_for(&mut expert_view, "the shell", |v| {
        v.shells.get(1).is_some_and(|s| s.state == ShellState::Open)
    })
    .await;
    let (shell, pid) = (seen.shells[1].id, seen.shells[1].pid.unwrap());
    let alive = |pid: u32| std::path::Path::new(&format!("/proc/{pid}")).exists();
    assert!(alive(pid));
    let typed = "echo lifeline-$((6*7))\r";
    let input = |text: &str| Command::ShellInput {
        shell,
        text: text.into(),
    };
    expert.command(input(typed)).await.unwrap();
    let mut seen = String::new();
    shell_output_until(&mut output, &mut seen, "lifeline-42").await;
    let resize = Command::ShellResize {
        shell,
        cols: 100,
        rows: 30,
    };
    expert.command(resize).await.unwrap();
    expert.command(input("stty size\r")).await.unwrap();
    shell_output_until(&mut output, &mut seen, "30 100").await;

    // Withdrawn: the shell and its process end, on both sides' word.
    client.command(Command::SetGrants(files)).await.unwrap();
    wait_for(&mut expert_view, "the shell's end", |v| {
        v.shells[1].state == ShellState::Ended
    })
    .await;
    assert!(!alive(pid), "the shell's process outlived the permission");
    for (side, handle) in [("client", &client), ("expert", &expert)] {
        wait_log(handle, side, |items| {
            has_event(items, "shell_opened") && has_event(items, "shell_closed")
        })
        .await;
    }
    for side in [&client_dir, &expert_dir] {
        let transcript = shell_transcript(side);
        assert!(
            transcript.contains(r#""text":"echo lifeline-$((6*7))\r""#),
            "{side:?}: {transcript}"
        );
        assert!(transcript.contains("lifeline-42"), "{side:?}: {transcript}");
    }
}

/// The one file in `dir` whose name holds `part`.
fn file_in(dir: &std::path::Path, part: &str) -> std::path::PathBuf {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .find(|e| e.file_name().to_string_lossy().contains(part))
        .unwrap_or_else(|| panic!("no {part} file in {dir:?}"))
        .path()
}

/// The expert records what it sees, into a WebM file beside its
/// transcript that plays back as the client's screen; the client is told
/// when the recording starts and stops, and both records say so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_expert_records_the_screen_and_the_client_is_told() {
    let (_desk_dir, url, _stop_server, _server_task) = start_desk().await;
    let dir = tempfile::tempdir().unwrap();
    let (client_dir, expert_dir) = (dir.path().join("client"), dir.path().join("expert"));
    let make = |role, at: &std::path::Path| {
        side_with(
            &url,
            role,
            at,
            &InputRecorder::default(),
            &MemoryClipboard::default(),
        )
    };
    let (client_link, client) = make(Role::Client, &client_dir);
    let (expert_link, expert) = make(Role::Expert, &expert_dir);
    let view = scopes(&[Scope::View]);
    establish(&client_link, &client, &expert_link, &expert, view, view).await;

    expert.command(Command::Record(true)).await.unwrap();
    let mut client_view = client.subscribe();
    wait_for(&mut client_view, "the client told", |v| v.recording).await;
    wait_log(&expert, "the start", |items| {
        has_event(items, "recording_started")
    })
    .await;
    let file = file_in(&expert_dir, ".recording-");
    // Frames arrive (the pattern moves): the file grows.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while std::fs::metadata(&file).unwrap().len() < 16 * 1024 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the recording did not grow"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    expert.command(Command::Record(false)).await.unwrap();
    wait_for(&mut client_view, "the client told of the end", |v| {
        !v.recording
    })
    .await;
    for (side, handle) in [("client", &client), ("expert", &expert)] {
        wait_log(handle, side, |items| {
            has_event(items, "recording_started") && has_event(items, "recording_stopped")
        })
        .await;
    }
    let decoded = lifeline_e2e::webm::decode_webm(&file).unwrap();
    assert_eq!((decoded.width, decoded.height), (320, 180));
    assert!(decoded.frames.len() >= 5, "{} frames", decoded.frames.len());
    // The pattern: blue, but for its moving white bar.
    let blue = (0..decoded.width)
        .filter(|&x| {
            let [r, g, b, _] = decoded.pixel(0, x, 90);
            r < 60 && (30..100).contains(&g) && b > 120
        })
        .count();
    assert!(blue >= 280, "{blue} of 320 pixels are the pattern's blue");
}
