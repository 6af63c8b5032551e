//! Two session engines — an expert's and a client's — through the real
//! signaling server and real WebRTC on loopback: sign-in, connect, consent
//! with fewer scopes than asked, equal safety codes, the screen streamed
//! only within the granted scopes, and a session that outlives the server
//! and ends peer to peer.

mod common;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use common::{
    PatternScreen, chat_round_trip, desks_connected, establish, frames_of, fresh_id, side, sign_in,
    start_desk, wait_for, wait_for_frames,
};
use lifeline_lib::desk::DeskStatus;
use lifeline_lib::media::sink::{CollectingSink, NoSink};
use lifeline_lib::session::engine::Command;
use lifeline_lib::session::scopes::{Scope, Scopes};
use lifeline_lib::session::view::{Phase, SessionView};
use lifeline_signaling::protocol::Role;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_is_consented_connected_and_survives_the_desk() {
    let (_dir, url, stop_server, server_task) = start_desk().await;

    let moving = PatternScreen::moving(true);
    let screen = Arc::new(CollectingSink::default());
    let (client_link, client) = side(&url, Role::Client, &moving, Arc::new(NoSink));
    let (expert_link, expert) = side(&url, Role::Expert, &moving, screen.clone());
    // Handles on `moving` with no capturer running: the test's, and each
    // side's capturer factory.
    let idle_handles = Arc::strong_count(&moving);
    desks_connected(&[&client_link, &expert_link]).await;
    let mut client_view = client.subscribe();
    let mut expert_view = expert.subscribe();

    let id = fresh_id(&client_link, "Printer does not print").await;
    sign_in(&expert).await;

    let asked: Scopes = [Scope::View, Scope::Control].into_iter().collect();
    expert
        .command(Command::Connect {
            id,
            notes: "ticket 4711".into(),
            scopes: asked,
            reason: None,
            pin: None,
        })
        .await
        .unwrap();
    let waiting = wait_for(&mut expert_view, "located", |v| {
        matches!(v.phase, Phase::Waiting { .. })
    })
    .await;
    assert_eq!(waiting.notice.unwrap().code, "located");
    let request = wait_for(&mut client_view, "the consent request", |v| {
        matches!(v.phase, Phase::Asked { .. })
    })
    .await;
    let Phase::Asked {
        session: asked_for,
        expert: name,
        notes,
        scopes,
        ..
    } = request.phase
    else {
        unreachable!()
    };
    assert_eq!(name, "Ann from the Help Desk");
    assert_eq!(notes, "ticket 4711");
    assert_eq!(scopes, asked);

    // The client grants view only.
    let view_only: Scopes = [Scope::View].into_iter().collect();
    client.accept(&asked_for, view_only).await.unwrap();
    let active = |v: &SessionView| matches!(v.phase, Phase::Active { .. });
    let expert_active = wait_for(&mut expert_view, "the expert's session", active).await;
    let client_active = wait_for(&mut client_view, "the client's session", active).await;
    assert_eq!(expert_active.notice.as_ref().unwrap().code, "established");
    let (
        Phase::Active {
            safety_code: expert_code,
            scopes: expert_scopes,
            ..
        },
        Phase::Active {
            safety_code: client_code,
            scopes: client_scopes,
            peer,
            ..
        },
    ) = (expert_active.phase, client_active.phase)
    else {
        unreachable!()
    };
    assert_eq!(expert_code.len(), 7, "six digits, grouped: {expert_code}");
    assert_eq!(expert_code, client_code, "no one in the middle");
    assert_eq!(expert_scopes, view_only);
    assert_eq!(client_scopes, view_only);
    assert_eq!(peer, "Ann from the Help Desk");

    // The screen flows: a keyframe first, every frame stamped with its
    // capture time, and the expert learns what is shared.
    wait_for_frames(&screen, "the first frames", |n| n >= 3).await;
    let first = frames_of(&screen);
    assert!(first[0].keyframe, "the first frame is a keyframe");
    assert!(first.iter().all(|f| f.times.captured.is_some()));
    let latency = first[2].times.sink.unwrap() - first[2].times.captured.unwrap();
    assert!(latency < 1000.0, "{latency} ms from capture to arrival");
    let shared = wait_for(&mut expert_view, "the screen info", |v| v.screen.is_some()).await;
    assert_eq!(shared.screen.unwrap().monitors[0].width, 320);

    // A still screen sends nothing: once the last moving frame is in,
    // the pipeline looks at the screen again and again and sends none.
    moving.moving.store(false, Ordering::Relaxed);
    let looked = moving.captures();
    wait_until_looked(&moving, looked + 2).await;
    let settled = frames_of(&screen).len();
    let looked = moving.captures();
    wait_until_looked(&moving, looked + 10).await;
    assert_eq!(
        frames_of(&screen).len(),
        settled,
        "a still screen costs nothing"
    );

    // The expert's keyframe request travels as a PLI and is answered.
    expert.command(Command::RequestKeyframe).await.unwrap();
    wait_for_frames(&screen, "the requested keyframe", |n| n > settled).await;
    assert!(frames_of(&screen)[settled].keyframe);

    // The desk goes away (the links keep retrying); the session does not.
    let _ = stop_server.send(());
    let _ = tokio::time::timeout(Duration::from_secs(5), server_task).await;
    for link in [&client_link, &expert_link] {
        wait_for(&mut link.subscribe(), "the desk to be gone", |s| {
            !matches!(s, DeskStatus::Connected)
        })
        .await;
    }
    assert!(matches!(expert.view().phase, Phase::Active { .. }));
    assert!(matches!(client.view().phase, Phase::Active { .. }));
    let before = frames_of(&screen).len();
    moving.moving.store(true, Ordering::Relaxed);
    wait_for_frames(&screen, "frames without the desk", |n| n > before + 3).await;

    assert!(Arc::strong_count(&moving) > idle_handles, "a capturer runs");

    // The client stops; the expert hears it peer to peer.
    client.command(Command::Stop).await.unwrap();
    let ended = wait_for(&mut expert_view, "the end", |v| v.phase == Phase::Idle).await;
    assert_eq!(ended.notice.unwrap().code, "peer_left");
    let stopped = wait_for(&mut client_view, "the client's end", |v| {
        v.phase == Phase::Idle
    })
    .await;
    assert_eq!(stopped.notice.unwrap().code, "ended");
    // Capture stopped at once: the capturer, which holds a handle on
    // `moving`, is gone.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
    while Arc::strong_count(&moving) > idle_handles {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the capturer still runs after Stop"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    wait_for(&mut client_link.subscribe(), "the desk to be gone", |s| {
        matches!(s, DeskStatus::Offline { .. })
    })
    .await;
    drop(expert_link);
}

/// Consent is sacred: a client that grants control but not view shows
/// nothing, even though the expert asked for view.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_view_no_screen_leaves_the_client() {
    let (_dir, url, _stop_server, _server_task) = start_desk().await;
    let moving = PatternScreen::moving(true);
    let screen = Arc::new(CollectingSink::default());
    let (client_link, client) = side(&url, Role::Client, &moving, Arc::new(NoSink));
    let (expert_link, expert) = side(&url, Role::Expert, &moving, screen.clone());
    let asked: Scopes = [Scope::View, Scope::Control].into_iter().collect();
    let control_only: Scopes = [Scope::Control].into_iter().collect();
    establish(
        &client_link,
        &client,
        &expert_link,
        &expert,
        asked,
        control_only,
    )
    .await;

    // Ask for a screen twice; then a chat line each way proves both
    // engines handled everything before it. Nothing was captured, and no
    // frame came.
    expert.command(Command::RequestKeyframe).await.unwrap();
    expert.command(Command::RequestKeyframe).await.unwrap();
    chat_round_trip(&expert, &client).await;
    assert_eq!(moving.captures(), 0, "the client captured its screen");
    assert_eq!(frames_of(&screen).len(), 0, "no frame without view");
    assert!(
        expert.view().screen.is_none(),
        "no screen info without view"
    );
    assert!(client.view().screen.is_none(), "the client shares nothing");
}

/// Waits until the client's pipeline has looked at its screen `count`
/// times in all.
async fn wait_until_looked(screen: &PatternScreen, count: usize) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while screen.captures() < count {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the pipeline stopped looking at the screen"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
