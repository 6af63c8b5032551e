//! An answer names the request the person read. Through the real signaling
//! server: the expert withdraws a request and sends another in its place
//! while the client's dialog is open; an Accept or Decline naming the first
//! is refused with `request_changed`, nothing is accepted or shared, and
//! the request now on screen can still be answered.

mod common;

use common::{desks_connected, fresh_id, side_with, sign_in, start_desk, wait_for};
use lifeline_lib::session::engine::{Command, SessionError, SessionHandle};
use lifeline_lib::session::scopes::{Scope, Scopes};
use lifeline_lib::session::view::{Phase, SessionView};
use lifeline_signaling::protocol::Role;

fn asked(view: &SessionView) -> Option<String> {
    match &view.phase {
        Phase::Asked { session, .. } => Some(session.to_string()),
        _ => None,
    }
}

async fn connect(expert: &SessionHandle, id: &str, scopes: Scopes) {
    expert
        .command(Command::Connect {
            id: id.to_owned(),
            notes: String::new(),
            scopes,
            reason: None,
            pin: None,
        })
        .await
        .unwrap();
}

/// A client with a fresh ID and a signed-in expert, through a real desk.
struct Sides {
    client: SessionHandle,
    expert: SessionHandle,
    id: String,
    /// The desk, its folder and the desk links, kept for the test.
    _held: Box<dyn std::any::Any>,
}

async fn sides() -> Sides {
    let (desk_dir, url, stop, server) = start_desk().await;
    let dir = tempfile::tempdir().unwrap();
    let (input, clip) = Default::default();
    let (client_link, client) = side_with(&url, Role::Client, &dir.path().join("c"), &input, &clip);
    let (expert_link, expert) = side_with(&url, Role::Expert, &dir.path().join("e"), &input, &clip);
    desks_connected(&[&client_link, &expert_link]).await;
    let id = fresh_id(&client_link, "").await;
    sign_in(&expert).await;
    Sides {
        client,
        expert,
        id,
        _held: Box::new((desk_dir, stop, server, dir, client_link, expert_link)),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_to_a_replaced_request_is_refused() {
    let Sides {
        client,
        expert,
        id,
        _held,
    } = sides().await;
    let mut client_view = client.subscribe();

    // The person reads a request for the view only…
    let view_only: Scopes = [Scope::View].into_iter().collect();
    connect(&expert, &id, view_only).await;
    let first = asked(
        &wait_for(&mut client_view, "the first request", |v| {
            asked(v).is_some()
        })
        .await,
    )
    .unwrap();

    // …and, before the click arrives, it is replaced by one for everything.
    expert.command(Command::Cancel).await.unwrap();
    wait_for(&mut client_view, "the withdrawal", |v| {
        v.phase == Phase::Idle
    })
    .await;
    wait_for(&mut expert.subscribe(), "the expert's withdrawal", |v| {
        v.phase == Phase::Idle
    })
    .await;
    // An answer to a request that is gone is refused as well.
    assert_eq!(
        client.accept(&first, view_only).await,
        Err(SessionError::RequestChanged)
    );
    let everything: Scopes = Scope::ALL.into_iter().collect();
    connect(&expert, &id, everything).await;
    let second = asked(
        &wait_for(&mut client_view, "the second request", |v| {
            asked(v).is_some_and(|s| s != first)
        })
        .await,
    )
    .unwrap();
    // The desk tells the expert which session it is in its own time.
    wait_for(
        &mut expert.subscribe(),
        "the expert's second request",
        |v| matches!(&v.phase, Phase::Waiting { session, .. } if *session == second),
    )
    .await;

    // The click meant for the first request answers nothing.
    assert_eq!(
        client.accept(&first, everything).await,
        Err(SessionError::RequestChanged)
    );
    assert_eq!(
        client.decline(&first).await,
        Err(SessionError::RequestChanged)
    );
    // Refused outright, so nothing reached the desk: the views are as they
    // were, and the accept below proves the request was still pending.
    let (at_client, at_expert) = (client.view(), expert.view());
    assert_eq!(asked(&at_client), Some(second.clone()), "{at_client:?}");
    assert!(at_client.screen.is_none());
    assert!(
        matches!(&at_expert.phase, Phase::Waiting { session, .. } if *session == second),
        "the expert's request must still wait: {:?}",
        at_expert.phase
    );

    // The request on screen is still the person's to answer.
    client.accept(&second, view_only).await.unwrap();
    wait_for(&mut client_view, "the client's session", |v| {
        matches!(v.phase, Phase::Active { .. })
    })
    .await;
}

/// The expert withdraws a request before the desk has said which session
/// it is (a Cancel right after Connect): the withdrawal is not lost, the
/// client's dialog closes, and the next request is asked afresh.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_withdrawn_at_once_closes_the_clients_dialog() {
    let Sides {
        client,
        expert,
        id,
        _held,
    } = sides().await;
    let mut client_view = client.subscribe();

    let view_only: Scopes = [Scope::View].into_iter().collect();
    connect(&expert, &id, view_only).await;
    expert.command(Command::Cancel).await.unwrap();
    let withdrawn = |v: &SessionView| {
        v.phase == Phase::Idle && v.notice.as_ref().is_some_and(|n| n.code == "cancelled")
    };
    wait_for(&mut client_view, "the client's dialog to close", withdrawn).await;
    wait_for(
        &mut expert.subscribe(),
        "the expert's withdrawal",
        withdrawn,
    )
    .await;

    // The desk forgot it: a new request is asked, and answered.
    connect(&expert, &id, view_only).await;
    let second =
        asked(&wait_for(&mut client_view, "the next request", |v| asked(v).is_some()).await)
            .unwrap();
    client.accept(&second, view_only).await.unwrap();
    wait_for(&mut client_view, "the client's session", |v| {
        matches!(v.phase, Phase::Active { .. })
    })
    .await;
}
