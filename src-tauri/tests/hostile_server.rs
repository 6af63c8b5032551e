//! A hostile signaling server that sits in the middle (see `mitm`): it
//! ends DTLS with each app itself and bridges their data channels, so both
//! apps see a working session and the server reads every chat line.
//!
//! - Without a PIN the session works, which is exactly the danger, and the
//!   two safety codes differ: the people comparing them on the phone see
//!   the attack. The test asserts that they differ.
//! - With a PIN the PIN check fails on both sides and neither side's
//!   session ever becomes active: no channel is answered, nothing shared.
//!
//! - A server that announces a session, with every permission and an
//!   offer, before the client accepted gets no answer; and when the client
//!   accepts less than everything, the session keeps to what it accepted.
//!
//! And, without any relay: a wrong PIN ends the session on both sides, and
//! the right one lets it start. Both sides say the PIN check failed even
//! when the side that failed first closes the connection before the desk
//! delivers its proof to the other.

mod common;
mod mitm;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{
    InputRecorder, MemoryClipboard, Pins, ask_and_accept, side_with, start_desk, wait_for,
};
use lifeline_lib::desk::link::DeskLink;
use lifeline_lib::session::engine::{Command, SessionHandle};
use lifeline_lib::session::log::LogEntry;
use lifeline_lib::session::scopes::{Scope, Scopes};
use lifeline_lib::session::view::{Phase, SessionView};
use lifeline_signaling::protocol::{AppMessage, Role};

struct Sides {
    client_link: DeskLink,
    client: SessionHandle,
    expert_link: DeskLink,
    expert: SessionHandle,
    _dir: tempfile::TempDir,
}

fn sides(url: &str) -> Sides {
    sides_through(url, url)
}

/// The client on `client_url`, the expert on `expert_url`.
fn sides_through(client_url: &str, expert_url: &str) -> Sides {
    let dir = tempfile::tempdir().unwrap();
    let (input, clip) = (InputRecorder::default(), MemoryClipboard::default());
    let (client_link, client) = side_with(
        client_url,
        Role::Client,
        &dir.path().join("client"),
        &input,
        &clip,
    );
    let (expert_link, expert) = side_with(
        expert_url,
        Role::Expert,
        &dir.path().join("expert"),
        &input,
        &clip,
    );
    Sides {
        client_link,
        client,
        expert_link,
        expert,
        _dir: dir,
    }
}

fn files() -> Scopes {
    [Scope::Files].into_iter().collect()
}

async fn start(s: &Sides, pins: Pins) {
    ask_and_accept(
        (&s.client_link, &s.client),
        (&s.expert_link, &s.expert),
        (files(), files()),
        pins,
    )
    .await;
}

fn safety_code(view: &SessionView) -> String {
    match &view.phase {
        Phase::Active { safety_code, .. } => safety_code.clone(),
        other => panic!("not active: {other:?}"),
    }
}

/// Waits for the session to end with `code`, and checks it never became
/// active on this side.
async fn refused(side: &SessionHandle, code: &str) {
    let mut views = side.subscribe();
    let ended = wait_for(&mut views, "the session to end", |v| {
        assert!(
            !matches!(v.phase, Phase::Active { .. }),
            "the session became active"
        );
        v.phase == Phase::Idle && v.notice.is_some()
    })
    .await;
    assert_eq!(ended.notice.unwrap().code, code);
}

/// The client shows PIN 4821 and the expert types `typed`: the check
/// fails on both sides (with `4821`, because of a relay in the middle).
async fn both_refuse_the_pin(s: &Sides, typed: &'static str) {
    let pins = Pins {
        client: Some("4821"),
        expert: Some(typed),
    };
    start(s, pins).await;
    tokio::join!(
        refused(&s.client, "pin_mismatch"),
        refused(&s.expert, "pin_mismatch")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_pin_a_man_in_the_middle_shows_as_different_safety_codes() {
    let (_desk_dir, url, _stop, _server) = start_desk().await;
    let overheard = Arc::new(Mutex::new(Vec::new()));
    let relay = mitm::start(url, mitm::Mode::Middle(Arc::clone(&overheard))).await;
    let s = sides(&relay);
    let mut client_view = s.client.subscribe();
    let mut expert_view = s.expert.subscribe();
    start(&s, Pins::default()).await;
    let active = |v: &SessionView| matches!(v.phase, Phase::Active { .. });
    let at_client = wait_for(&mut client_view, "the client's session", active).await;
    let at_expert = wait_for(&mut expert_view, "the expert's session", active).await;

    // The relay really is in the middle: the chat crosses it, readable.
    s.expert
        .command(Command::Chat("the admin password is hunter2".into()))
        .await
        .unwrap();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let read = overheard
            .lock()
            .unwrap()
            .iter()
            .any(|line| line.contains("hunter2"));
        let delivered = s.client.log().await.unwrap().iter().any(
            |item| matches!(&item.entry, LogEntry::Chat { text, .. } if text.contains("hunter2")),
        );
        if read && delivered {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the chat line did not cross the relay (read {read}, delivered {delivered})"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }

    let (client_code, expert_code) = (safety_code(&at_client), safety_code(&at_expert));
    assert_eq!(client_code.len(), 7);
    assert_ne!(
        client_code, expert_code,
        "a man in the middle must show as different safety codes"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_pin_a_man_in_the_middle_is_refused() {
    let (_desk_dir, url, _stop, _server) = start_desk().await;
    let relay = mitm::start(url, mitm::Mode::Middle(Arc::new(Mutex::new(Vec::new())))).await;
    both_refuse_the_pin(&sides(&relay), "4821").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_pin_ends_the_session_and_the_right_one_starts_it() {
    let (_desk_dir, url, _stop, _server) = start_desk().await;
    both_refuse_the_pin(&sides(&url), "4812").await;

    let s = sides(&url);
    let mut client_view = s.client.subscribe();
    let mut expert_view = s.expert.subscribe();
    start(
        &s,
        Pins {
            client: Some("4821"),
            expert: Some("4821"),
        },
    )
    .await;
    let active = |v: &SessionView| matches!(v.phase, Phase::Active { .. });
    let at_client = wait_for(&mut client_view, "the client's session", active).await;
    let at_expert = wait_for(&mut expert_view, "the expert's session", active).await;
    assert_eq!(safety_code(&at_client), safety_code(&at_expert));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_pin_is_named_even_when_the_close_outruns_the_proof() {
    let (_desk_dir, url, _stop, _server) = start_desk().await;
    // The client fails first, on the expert's proof, and closes at once;
    // its own proof reaches the expert a second after the close.
    let late = mitm::start(url.clone(), mitm::Mode::Late(Duration::from_secs(1))).await;
    both_refuse_the_pin(&sides_through(&url, &late), "4812").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_cannot_start_a_session_or_widen_it_without_the_clients_consent() {
    let (_desk_dir, url, _stop, _server) = start_desk().await;
    let sent = Arc::new(Mutex::new(Vec::new()));
    let relay = mitm::start(url.clone(), mitm::Mode::Forge(Arc::clone(&sent))).await;
    // Only the client goes through the hostile relay.
    let dir = tempfile::tempdir().unwrap();
    let (input, clip) = (InputRecorder::default(), MemoryClipboard::default());
    let (client_link, client) = side_with(
        &relay,
        Role::Client,
        &dir.path().join("client"),
        &input,
        &clip,
    );
    let (expert_link, expert) = side_with(
        &url,
        Role::Expert,
        &dir.path().join("expert"),
        &input,
        &clip,
    );
    let asked: Scopes = [Scope::Files, Scope::Control].into_iter().collect();
    let mut client_view = client.subscribe();

    // The request arrives, with the forged start and offer right behind it.
    let id = common::fresh_id(&client_link, "").await;
    common::sign_in(&expert).await;
    expert
        .command(Command::Connect {
            id,
            notes: String::new(),
            scopes: asked,
            reason: None,
            pin: None,
        })
        .await
        .unwrap();
    wait_for(&mut client_view, "the consent request", |v| {
        matches!(v.phase, Phase::Asked { .. })
    })
    .await;
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    assert!(
        matches!(client.view().phase, Phase::Asked { .. }),
        "{:?}",
        client.view().phase
    );
    let answered = sent
        .lock()
        .unwrap()
        .iter()
        .any(|m| matches!(m, AppMessage::Signal { .. } | AppMessage::Accept { .. }));
    assert!(!answered, "the client answered before its user accepted");

    // The user accepts files only; the server claims every permission.
    client
        .accept(&common::asked_session(&client), files())
        .await
        .unwrap();
    let active = wait_for(&mut client_view, "the client's session", |v| {
        matches!(v.phase, Phase::Active { .. })
    })
    .await;
    match active.phase {
        Phase::Active { scopes, .. } => assert_eq!(scopes, files()),
        other => panic!("{other:?}"),
    }
    let _keep = (client_link, expert_link);
}
