//! The expert's session tools between two real engines, through the real
//! signaling server and real WebRTC, each only within its permission:
//! system information, ending with the screen locked, the command shell,
//! session recording and reverse view. Each is refused without its permission (with a
//! positive sign: the refusal in the expert's record), works with it, and
//! leaves its trace in both records.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use common::{
    Pair, PatternScreen, chat_round_trip, establish, has_event, pair, pattern_backends, scopes,
    spawn_side, start_desk, start_desk_with, wait_for, wait_log,
};
use lifeline_e2e::host;
use lifeline_lib::media::capture::{Capturer, TestPattern};
use lifeline_lib::media::sink::CollectingSink;
use lifeline_lib::recording::vp8_header::keyframe_size;
use lifeline_lib::session::end_action::EndAction;
use lifeline_lib::session::engine::{Backends, Command, ShellOutput};
use lifeline_lib::session::log::{EventCode, LogEntry};
use lifeline_lib::session::notice::NoticeCode;
use lifeline_lib::session::scopes::{Scope, Scopes};
use lifeline_lib::session::transcript;
use lifeline_lib::session::view::{Phase, SessionView, ShellState};
use lifeline_signaling::protocol::Role;

/// The client grants `scopes` now; returns once the expert sees it.
async fn grant(pair: &Pair, scopes: Scopes) {
    pair.client
        .command(Command::SetGrants(scopes))
        .await
        .unwrap();
    wait_for(
        &mut pair.expert.subscribe(),
        "the grant",
        |v| matches!(&v.phase, Phase::Active { scopes: s, .. } if *s == scopes),
    )
    .await;
}

/// The one file in `dir` whose name holds `part`.
fn file_in(dir: &Path, part: &str) -> PathBuf {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .find(|e| e.file_name().to_string_lossy().contains(part))
        .unwrap_or_else(|| panic!("no {part} file in {dir:?}"))
        .path()
}

/// System information goes to the expert only while the client grants
/// it: refused (and nothing taken) before, this computer's snapshot after,
/// kept beside the expert's transcript.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn system_information_is_sent_only_while_granted() {
    let (_desk_dir, url, _stop_server, _server_task) = start_desk().await;
    let dir = tempfile::tempdir().unwrap();
    let asked = scopes(&[Scope::SystemInfo, Scope::Files]);
    let pair = pair(&url, dir.path(), asked, scopes(&[Scope::Files])).await;
    let (client, expert) = (&pair.client, &pair.expert);

    // Not granted: refused, and the expert's panel stops waiting.
    let mut expert_view = expert.subscribe();
    expert.command(Command::AskSystemInfo).await.unwrap();
    wait_log(expert, "the refusal", |items| has_event(items, "refused")).await;
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
    grant(&pair, asked).await;
    expert.command(Command::AskSystemInfo).await.unwrap();
    let seen = wait_for(&mut expert_view, "the snapshot", |v| {
        v.system_info.as_ref().is_some_and(|i| i.snapshot.is_some())
    })
    .await;
    let snapshot = seen.system_info.unwrap().snapshot.unwrap();
    assert_eq!(snapshot.hostname, host::hostname());
    assert_eq!(snapshot.memory.total_bytes, host::memory_total_bytes());
    assert_eq!(snapshot.displays.len(), 1, "the test pattern's monitor");
    wait_log(client, "the client's record", |items| {
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
    let kept = std::fs::read(pair.expert_dir.join(file)).unwrap();
    let kept: lifeline_lib::system_info::SystemSnapshot = serde_json::from_slice(&kept).unwrap();
    assert_eq!(kept, snapshot);
}

/// The event codes in the one transcript in `dir`.
fn transcript_codes(dir: &Path) -> Vec<String> {
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
    let asked = scopes(&[Scope::Control, Scope::Reboot, Scope::Files]);
    let pair = pair(&url, dir.path(), asked, scopes(&[Scope::Files])).await;
    let (client, expert) = (&pair.client, &pair.expert);
    let locked = pair.client_dir.with_extension("locked");

    let lock = || Command::EndWith(EndAction::Lock);
    expert.command(lock()).await.unwrap();
    wait_log(expert, "the refusal", |items| has_event(items, "refused")).await;
    assert!(!locked.exists(), "nothing run without the permission");

    grant(&pair, scopes(&[Scope::Files, Scope::Reboot])).await;
    expert.command(lock()).await.unwrap();
    let ended_locked = |v: &SessionView| {
        v.phase == Phase::Idle && v.notice.as_ref().is_some_and(|n| n.code == "locked")
    };
    wait_for(&mut expert.subscribe(), "the expert's end", ended_locked).await;
    wait_for(&mut client.subscribe(), "the client's end", ended_locked).await;
    assert!(locked.exists(), "the lock command ran");
    for side in [&pair.client_dir, &pair.expert_dir] {
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

/// A command shell runs only within `shell`: refused before the grant (no
/// process started), a real one after it that follows its terminal's
/// size, and ended, process and all, when the permission is withdrawn.
/// Both sides keep its transcript.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shell_runs_only_while_granted_and_dies_with_the_grant() {
    let (_desk_dir, url, _stop_server, _server_task) = start_desk().await;
    let dir = tempfile::tempdir().unwrap();
    let (asked, files) = (
        scopes(&[Scope::Shell, Scope::Files]),
        scopes(&[Scope::Files]),
    );
    let pair = pair(&url, dir.path(), asked, files).await;
    let (client, expert) = (&pair.client, &pair.expert);
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
    let reason = seen.shells[0].reason.clone().unwrap_or_default();
    assert!(reason.contains("not allowed"), "{reason:?}");
    wait_log(expert, "the refusal", |items| has_event(items, "refused")).await;
    assert!(!has_event(&client.log().await.unwrap(), "shell_opened"));

    // Granted: a real shell, as this user.
    grant(&pair, asked).await;
    let mut output = expert.subscribe_shell();
    expert.command(open()).await.unwrap();
    let seen = wait_for(&mut expert_view, "the shell", |v| {
        v.shells.get(1).is_some_and(|s| s.state == ShellState::Open)
    })
    .await;
    let (shell, pid) = (seen.shells[1].id, seen.shells[1].pid.unwrap());
    let alive = |pid: u32| Path::new(&format!("/proc/{pid}")).exists();
    assert!(alive(pid));
    let input = |text: &str| Command::ShellInput {
        shell,
        text: text.into(),
    };
    expert
        .command(input("echo lifeline-$((6*7))\r"))
        .await
        .unwrap();
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
    for (side, handle) in [("client", client), ("expert", expert)] {
        wait_log(handle, side, |items| {
            has_event(items, "shell_opened") && has_event(items, "shell_closed")
        })
        .await;
    }
    for side in [&pair.client_dir, &pair.expert_dir] {
        let transcript = std::fs::read_to_string(file_in(side, ".shell-")).unwrap();
        assert!(
            transcript.contains(r#""text":"echo lifeline-$((6*7))\r""#),
            "{side:?}: {transcript}"
        );
        assert!(transcript.contains("lifeline-42"), "{side:?}: {transcript}");
    }
}

/// The expert records what it sees, into a WebM file beside its
/// transcript that plays back as the client's screen; the client is told
/// when the recording starts and stops, and both records say so. It is
/// asked for at once, before the first picture.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_expert_records_the_screen_and_the_client_is_told() {
    let (_desk_dir, url, _stop_server, _server_task) = start_desk().await;
    let dir = tempfile::tempdir().unwrap();
    let view = scopes(&[Scope::View]);
    let pair = pair(&url, dir.path(), view, view).await;
    let (client, expert) = (&pair.client, &pair.expert);

    expert.command(Command::Record(true)).await.unwrap();
    let mut client_view = client.subscribe();
    wait_for(&mut client_view, "the client told", |v| v.recording).await;
    wait_log(expert, "the start", |items| {
        has_event(items, "recording_started")
    })
    .await;
    let file = file_in(&pair.expert_dir, ".recording-");
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
    for (side, handle) in [("client", client), ("expert", expert)] {
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

/// The keyframe sizes among the frames `sink` was given.
fn keyframe_sizes(sink: &CollectingSink) -> Vec<(u32, u32)> {
    let frames = sink.frames.lock().unwrap();
    frames
        .iter()
        .filter(|f| f.keyframe)
        .filter_map(|f| keyframe_size(&f.data))
        .collect()
}

fn frames_in(sink: &CollectingSink) -> usize {
    sink.frames.lock().unwrap().len()
}

/// Reverse view: the expert shows its own screen (a 256×144 pattern) to
/// the client, on the same transceiver that brings the client's (320×180)
/// the other way. Refused before the grant (nothing shown); shown after,
/// while the client's screen still reaches the expert; and when the client
/// closes its window, the expert stops and is told, and nothing more is
/// shown.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_expert_shows_its_screen_only_while_the_client_allows() {
    let (_desk_dir, url, _stop_server, _server_task) = start_desk().await;
    let screen = Arc::new(PatternScreen::default());
    let (client_sink, expert_sink) = (
        Arc::new(CollectingSink::default()),
        Arc::new(CollectingSink::default()),
    );
    let (client_link, client) = spawn_side(
        &url,
        Role::Client,
        pattern_backends(&screen, Arc::clone(&client_sink) as _),
    );
    let expert_backends = Backends {
        capturers: Arc::new(|| Box::new(TestPattern::new(256, 144)) as Box<dyn Capturer>),
        ..pattern_backends(&screen, Arc::clone(&expert_sink) as _)
    };
    let (expert_link, expert) = spawn_side(&url, Role::Expert, expert_backends);
    let asked = scopes(&[Scope::View, Scope::ReverseView]);
    let view = scopes(&[Scope::View]);
    establish(&client_link, &client, &expert_link, &expert, asked, view).await;

    // Not granted: refused on the expert's side, nothing shown.
    expert.command(Command::ShowMyScreen(true)).await.unwrap();
    wait_for(&mut expert.subscribe(), "the refusal", |v| {
        v.notice
            .as_ref()
            .is_some_and(|n| n.code == NoticeCode::NotGranted)
    })
    .await;
    assert!(!expert.view().reverse_view);

    client.command(Command::SetGrants(asked)).await.unwrap();
    wait_for(
        &mut expert.subscribe(),
        "the grant",
        |v| matches!(&v.phase, Phase::Active { scopes: s, .. } if *s == asked),
    )
    .await;
    expert.command(Command::ShowMyScreen(true)).await.unwrap();
    wait_for(&mut client.subscribe(), "the client told", |v| {
        v.reverse_view
    })
    .await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while keyframe_sizes(&client_sink).is_empty() || keyframe_sizes(&expert_sink).is_empty() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no picture: the client got {} frames, the expert {}",
            frames_in(&client_sink),
            frames_in(&expert_sink)
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        keyframe_sizes(&client_sink)
            .iter()
            .all(|s| *s == (256, 144))
    );
    assert!(
        keyframe_sizes(&expert_sink)
            .iter()
            .all(|s| *s == (320, 180))
    );

    // The client closes its window: the expert stops, and is told.
    client.command(Command::CloseExpertScreen).await.unwrap();
    wait_for(&mut expert.subscribe(), "the expert told", |v| {
        !v.reverse_view
            && v.notice
                .as_ref()
                .is_some_and(|n| n.code == NoticeCode::ReverseViewClosed)
    })
    .await;
    let shown = frames_in(&client_sink);
    // A chat line sent after the expert stopped arrives after any frame
    // it sent before: none may show once it is in.
    chat_round_trip(&expert, &client).await;
    assert_eq!(frames_in(&client_sink), shown, "frames shown after closing");
    for (side, handle) in [("client", &client), ("expert", &expert)] {
        wait_log(handle, side, |items| {
            has_event(items, "reverse_view_started") && has_event(items, "reverse_view_closed")
        })
        .await;
    }
}

/// A desk that records every session: the expert's app records from the
/// client's first picture by itself, refuses to stop, stops when the
/// screen is no longer shared and starts again when it is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn where_the_desk_records_every_session_the_recording_cannot_stop() {
    let (_desk_dir, url, _stop_server, _server_task) =
        start_desk_with(|config| config.record_sessions = true).await;
    let dir = tempfile::tempdir().unwrap();
    let view = scopes(&[Scope::View]);
    let pair = pair(&url, dir.path(), view, view).await;
    let (client, expert) = (&pair.client, &pair.expert);
    wait_for(&mut expert.subscribe(), "the recording", |v| {
        v.recording && v.recording_required
    })
    .await;
    wait_for(&mut client.subscribe(), "the client told", |v| v.recording).await;

    expert.command(Command::Record(false)).await.unwrap();
    wait_for(&mut expert.subscribe(), "the refusal", |v| {
        v.notice
            .as_ref()
            .is_some_and(|n| n.code == NoticeCode::RecordingRequired)
    })
    .await;
    assert!(expert.view().recording, "the recording stopped");

    grant(&pair, Scopes::NONE).await;
    wait_for(&mut expert.subscribe(), "the end with the screen", |v| {
        !v.recording
    })
    .await;
    grant(&pair, view).await;
    wait_for(&mut expert.subscribe(), "a new recording", |v| v.recording).await;
    wait_log(expert, "two recordings", |items| {
        items
            .iter()
            .filter(|i| matches!(&i.entry, LogEntry::Event { code, .. } if *code == EventCode::RecordingStarted))
            .count()
            == 2
    })
    .await;
}
