//! The desk restarts during a session (an upgrade, a crash): the session
//! goes on peer to peer, both apps relink by themselves, the expert is
//! still signed in (its notes still save), and when the client ends the
//! session the desk's record of it ends too, on the expert's word, though
//! the restarted desk never paired the two.

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use common::{PASSWORD, PatternScreen, chat_round_trip, establish, side, wait_for};
use lifeline_lib::desk::DeskStatus;
use lifeline_lib::media::sink::NoSink;
use lifeline_lib::session::engine::Command;
use lifeline_lib::session::scopes::{Scope, Scopes};
use lifeline_lib::session::view::Phase;
use lifeline_signaling::accounts::Accounts;
use lifeline_signaling::http::Server;
use lifeline_signaling::protocol::Role;
use tokio::sync::oneshot;

/// A desk on `addr` (a free port for `None`) with its database in `dir`.
struct Desk {
    addr: SocketAddr,
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<Result<(), lifeline_signaling::http::ServeError>>,
}

fn database(dir: &std::path::Path) -> String {
    format!("sqlite://{}?mode=rwc", dir.join("desk.db").display())
}

impl Desk {
    async fn start(dir: &std::path::Path, addr: Option<SocketAddr>) -> Self {
        let config = lifeline_signaling::Config {
            database_url: database(dir),
            ..Default::default()
        };
        let listener = tokio::net::TcpListener::bind(addr.unwrap_or(([127, 0, 0, 1], 0).into()))
            .await
            .unwrap();
        let addr = listener.local_addr().unwrap();
        let server = Server::open(config).await.unwrap();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(server.run(listener, async {
            let _ = stopped.await;
        }));
        Self { addr, stop, task }
    }

    async fn stop(self) {
        let _ = self.stop.send(());
        let _ = tokio::time::timeout(Duration::from_secs(5), self.task).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_outlives_a_desk_restart_and_its_record_ends() {
    let dir = tempfile::tempdir().unwrap();
    let pool = lifeline_signaling::db::open(&database(dir.path()))
        .await
        .unwrap();
    Accounts::new(pool.clone(), Duration::from_secs(3600))
        .add("ann", "Ann from the Help Desk", PASSWORD)
        .await
        .unwrap();
    let desk = Desk::start(dir.path(), None).await;
    let addr = desk.addr;
    let url = format!("ws://{addr}/ws");
    let screen = PatternScreen::moving(false);
    let (client_link, client) = side(&url, Role::Client, &screen, Arc::new(NoSink));
    let (expert_link, expert) = side(&url, Role::Expert, &screen, Arc::new(NoSink));
    let control = Scopes::NONE.with(Scope::Control);
    establish(
        &client_link,
        &client,
        &expert_link,
        &expert,
        control,
        control,
    )
    .await;
    // The expert's `connected` reached the desk: the record started.
    let rows = || lifeline_signaling::records::list(&pool, 0, i64::MAX, None);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !rows()
        .await
        .unwrap()
        .iter()
        .any(|r| r.started_at_ms.is_some())
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the record never started"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // Down, and up again on the same address with the same database.
    desk.stop().await;
    for link in [&client_link, &expert_link] {
        wait_for(&mut link.subscribe(), "the desk to be gone", |s| {
            *s != DeskStatus::Connected
        })
        .await;
    }
    chat_round_trip(&expert, &client).await;
    let desk = Desk::start(dir.path(), Some(addr)).await;
    for link in [&client_link, &expert_link] {
        wait_for(&mut link.subscribe(), "the link back", |s| {
            *s == DeskStatus::Connected
        })
        .await;
    }

    // The expert is signed in again: the restarted desk saves its notes.
    let mut expert_view = expert.subscribe();
    expert
        .command(Command::SetNotes(
            "Printer fixed after the desk's upgrade".into(),
        ))
        .await
        .unwrap();
    wait_for(&mut expert_view, "the notes saved", |v| {
        v.notes.saved_at_ms.is_some()
    })
    .await;
    chat_round_trip(&client, &expert).await;

    // The client ends it; the record ends with it.
    client.command(Command::Stop).await.unwrap();
    wait_for(&mut expert_view, "the expert's end", |v| {
        v.phase == Phase::Idle
    })
    .await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let record = loop {
        let rows = rows().await.unwrap();
        assert_eq!(rows.len(), 1, "{rows:#?}");
        if rows[0].ended_at_ms.is_some() {
            break rows[0].clone();
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the record never ended: {rows:#?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(record.started_at_ms.is_some(), "{record:#?}");
    assert_eq!(
        record.end_reason.as_deref(),
        Some("expert_bye"),
        "{record:#?}"
    );
    assert_eq!(record.notes, "Printer fixed after the desk's upgrade");
    desk.stop().await;
}
