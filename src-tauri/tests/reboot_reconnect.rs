//! "Restart and reconnect" between two real engines through the real desk
//! and real WebRTC. The expert asks for it; the client's countdown ends,
//! its grant goes to its store (with a real autostart entry, in a folder of
//! the test's), and its restart command runs. The client's app then dies
//! and a new one starts from the same store, as after the restart: it
//! rejoins by itself, the same expert's request is accepted for the same
//! permissions, and the session runs again, in a new session the expert's
//! side took up; the grant and the autostart entry are gone.

mod common;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use common::{
    PatternScreen, chat_round_trip, establish, pattern_backends, side, start_desk, wait_for,
};
use lifeline_lib::clock::unix_ms;
use lifeline_lib::desk::link::{self, DeskLink};
use lifeline_lib::desk::proxy::Route;
use lifeline_lib::media::sink::NoSink;
use lifeline_lib::peer::PeerSettings;
use lifeline_lib::platform::autostart::{ENTRY, XdgAutostart};
use lifeline_lib::session::engine::{self, Command, SessionHandle};
use lifeline_lib::session::log::{EventCode, LogEntry};
use lifeline_lib::session::reboot::RebootPlan;
use lifeline_lib::session::reconnect::ReconnectStore;
use lifeline_lib::session::scopes::{Scope, Scopes};
use lifeline_lib::session::view::{NoticeCode, Phase, SessionView};
use lifeline_signaling::protocol::Role;

fn store(dir: &Path) -> Arc<ReconnectStore> {
    let autostart = XdgAutostart {
        folder: dir.join("autostart"),
        program: std::env::current_exe().unwrap(),
    };
    Arc::new(ReconnectStore::new(
        dir.join("reconnect.json"),
        Arc::new(autostart),
    ))
}

/// The client's app, as it starts: with what its store kept.
fn client(url: &str, dir: &Path) -> (DeskLink, SessionHandle) {
    let store = store(dir);
    let rejoin = store.load(unix_ms()).map(|grant| grant.token);
    let (link, events) =
        link::spawn_with(url.to_owned(), Role::Client, None, Route::System, rejoin);
    let mut backends = pattern_backends(&PatternScreen::moving(false), Arc::new(NoSink));
    backends.reboot = RebootPlan {
        command: vec!["touch".into(), dir.join("restarted").display().to_string()],
        countdown: Duration::from_secs(1),
    };
    backends.reconnect = Some(store);
    let settings = PeerSettings {
        udp_addrs: vec!["127.0.0.1:0".into()],
        ..PeerSettings::default()
    };
    let session = engine::spawn(Role::Client, link.client(), events, settings, backends);
    (link, session)
}

fn session_of(view: &SessionView) -> Option<String> {
    match &view.phase {
        Phase::Active { session, .. } => Some(session.to_string()),
        _ => None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_session_resumes_after_the_clients_restart() {
    let (_desk_dir, url, _stop, _server) = start_desk().await;
    let dir = tempfile::tempdir().unwrap();
    let (client_link, first) = client(&url, dir.path());
    let (expert_link, expert) = side(
        &url,
        Role::Expert,
        &PatternScreen::moving(false),
        Arc::new(NoSink),
    );
    let allowed: Scopes = [Scope::View, Scope::Reboot].into_iter().collect();
    establish(
        &client_link,
        &first,
        &expert_link,
        &expert,
        allowed,
        allowed,
    )
    .await;
    let previous = session_of(&expert.view()).unwrap();

    expert
        .command(Command::RequestReboot { reconnect: true })
        .await
        .unwrap();
    let restarted = dir.path().join("restarted");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while !restarted.exists() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the restart never ran"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let grant = store(dir.path())
        .load(unix_ms())
        .expect("the grant was kept");
    assert_eq!(grant.expert, "Ann from the Help Desk");
    assert_eq!(grant.scopes, allowed);
    assert_eq!(grant.previous, previous.as_str());
    let entry = dir.path().join("autostart").join(ENTRY);
    assert!(entry.exists(), "the app was not set to start at login");

    // The computer goes down with the app; the expert's side notices.
    drop((first, client_link));
    wait_for(&mut expert.subscribe(), "the expert to see it go", |v| {
        v.phase == Phase::Idle
    })
    .await;

    // The app starts again after the restart.
    let (_link, again) = client(&url, dir.path());
    let resumed = wait_for(&mut expert.subscribe(), "the session again", |v| {
        session_of(v).is_some_and(|s| s != previous)
    })
    .await;
    let back = wait_for(&mut again.subscribe(), "the client's session", |v| {
        matches!(v.phase, Phase::Active { .. })
    })
    .await;
    assert_eq!(session_of(&back), session_of(&resumed));
    let Phase::Active { scopes, .. } = &back.phase else {
        unreachable!()
    };
    assert_eq!(*scopes, allowed, "the same permissions, no more");
    chat_round_trip(&expert, &again).await;
    let notice = wait_for(&mut again.subscribe(), "the client told", |v| {
        v.notice
            .as_ref()
            .is_some_and(|n| n.code == NoticeCode::Resumed)
    })
    .await;
    assert!(notice.notice.is_some());
    let logged = again.log().await.unwrap().into_iter().any(
        |item| matches!(item.entry, LogEntry::Event { code, .. } if code == EventCode::Resumed),
    );
    assert!(logged, "the client's log does not say the session resumed");
    assert!(
        store(dir.path()).load(unix_ms()).is_none(),
        "the grant was used up"
    );
    assert!(!entry.exists(), "the app still starts at login");
}
