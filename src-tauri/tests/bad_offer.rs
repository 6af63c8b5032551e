//! A malformed offer ends the attempt instead of leaving the client
//! connecting for ever. Through the real signaling server, a modified
//! expert (a bare desk link speaking the protocol by hand) sends garbage
//! as its offer once the client accepted: the client's session ends within
//! seconds with `bad_offer`, and the desk tells the expert the client left.

mod common;

use std::time::Duration;

use common::{PASSWORD, asked_session, desks_connected, fresh_id, side_with, start_desk, wait_for};
use lifeline_lib::desk::link::{self, DeskEvents};
use lifeline_lib::session::scopes::{Scope, Scopes};
use lifeline_lib::session::view::Phase;
use lifeline_signaling::protocol::{AppMessage, LeaveReason, Role, ServerMessage, Signal};

/// The next desk message that `pick` takes, within 10 s.
async fn next<T>(events: &mut DeskEvents, pick: impl Fn(ServerMessage) -> Option<T>) -> T {
    tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let message = events.recv().await.expect("the desk link is up");
            if let Some(found) = pick(message) {
                return found;
            }
        }
    })
    .await
    .expect("the desk's message in time")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_garbage_offer_ends_the_attempt_with_bad_offer() {
    let (_desk_dir, url, _stop, _server) = start_desk().await;
    let dir = tempfile::tempdir().unwrap();
    let (input, clip) = Default::default();
    let (client_link, client) = side_with(&url, Role::Client, &dir.path().join("c"), &input, &clip);
    let (expert_link, mut heard) = link::spawn(url.clone(), Role::Expert);
    desks_connected(&[&client_link, &expert_link]).await;
    let desk = expert_link.client();
    let id = fresh_id(&client_link, "").await;
    desk.send(AppMessage::Login {
        user: "ann".into(),
        password: PASSWORD.into(),
        code: None,
    })
    .await
    .unwrap();
    next(&mut heard, |m| {
        matches!(m, ServerMessage::SignedIn { .. }).then_some(())
    })
    .await;
    let files: Scopes = [Scope::Files].into_iter().collect();
    desk.send(AppMessage::Connect {
        id,
        notes: String::new(),
        scopes: files,
        reason: None,
    })
    .await
    .unwrap();

    let mut client_view = client.subscribe();
    wait_for(&mut client_view, "the consent request", |v| {
        matches!(v.phase, Phase::Asked { .. })
    })
    .await;
    client.accept(&asked_session(&client), files).await.unwrap();
    let session = next(&mut heard, |m| match m {
        ServerMessage::SessionStarted { session, .. } => Some(session),
        _ => None,
    })
    .await;
    desk.send(AppMessage::Signal {
        session: session.clone(),
        signal: Signal::Offer {
            sdp: "this is not an SDP\r\nm=nonsense\r\n".into(),
        },
    })
    .await
    .unwrap();

    let ended = wait_for(&mut client_view, "the attempt to end", |v| {
        v.phase == Phase::Idle
    })
    .await;
    let notice = ended.notice.expect("the client is told why");
    assert_eq!(notice.code, "bad_offer", "{notice:?}");
    let left = next(&mut heard, |m| match m {
        ServerMessage::PeerLeft { session: s, reason } if s == session => Some(reason),
        _ => None,
    })
    .await;
    assert_eq!(left, LeaveReason::Bye);
}
