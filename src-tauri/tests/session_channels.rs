//! The data channels between two real engines, through the real signaling
//! server and real WebRTC: chat both ways into the log and the transcript,
//! remote input injected only while the client grants control, and grants
//! withdrawn and given back during the session.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::{
    InputRecorder, MemoryClipboard, PatternScreen, chat_round_trip, establish, has_event,
    rebooted_marker, recording_client, scopes, side_with, spawn_side, start_desk, wait_for,
    wait_log,
};
use lifeline_lib::clipboard::content::ClipContent;
use lifeline_lib::input::event::InputEvent;
use lifeline_lib::input::injector::{InjectError, Injector};
use lifeline_lib::session::engine::{Backends, Command, LogItem};
use lifeline_lib::session::log::{Author, EventCode, LogEntry};
use lifeline_lib::session::scopes::{Scope, Scopes};
use lifeline_lib::session::transcript;
use lifeline_lib::session::view::{Phase, SessionView};
use lifeline_signaling::protocol::Role;

fn has_chat(items: &[LogItem], from: Author, text: &str) -> bool {
    items.iter().any(
        |i| matches!(&i.entry, LogEntry::Chat { from: f, text: t, .. } if *f == from && t == text),
    )
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
async fn the_clipboard_goes_both_ways_only_while_granted() {
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

    // Text over 32 KiB, by hand (the expert's sync off, so it goes once),
    // and an image, synced, go on the files channel and arrive whole.
    expert
        .command(Command::SetClipboardSync(false))
        .await
        .unwrap();
    wait_for(&mut expert.subscribe(), "sync off", |v| !v.clipboard_sync).await;
    let long = "0123456789 abcdef\n".repeat(6000);
    expert_clip.copy(&long);
    expert.command(Command::SendClipboard).await.unwrap();
    wait_clipboard(&client_clip, "the expert's long text", &long).await;
    let image = ClipContent::Png(lifeline_e2e::images::noise_png(320, 200, 1));
    client_clip.copy_content(image.clone());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while expert_clip.content().as_ref() != Some(&image) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the client's image never came"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    wait_log(&expert, "the image in the log", |items| {
        items.iter().any(|i| {
            matches!(&i.entry, LogEntry::Event { code, detail, .. }
            if *code == EventCode::ClipboardImageReceived && detail == "320×200")
        })
    })
    .await;

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
    assert!(
        client_clip.content() == Some(image),
        "the client's clipboard changed"
    );
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
