//! One expert, two clients, two tabs: each tab's request, consent, chat
//! and end are its own, through one desk link, the real signaling server
//! and real WebRTC. A tab opened later knows the expert is signed in, and
//! closing a tab ends only its session.

mod common;

use std::sync::Arc;

use common::{
    PatternScreen, asked_session, chat_round_trip, desks_connected, fresh_id, pattern_backends,
    side, sign_in, start_desk, wait_for,
};
use lifeline_lib::desk::link::{self, DeskLink};
use lifeline_lib::media::sink::NoSink;
use lifeline_lib::peer::PeerSettings;
use lifeline_lib::session::engine::{Command, SessionHandle};
use lifeline_lib::session::log::{Author, LogEntry};
use lifeline_lib::session::scopes::{Scope, Scopes};
use lifeline_lib::session::tabs::{TabId, Tabs, TabsError};
use lifeline_lib::session::view::{NoticeCode, Phase, SessionView};
use lifeline_signaling::protocol::Role;

fn active(view: &SessionView) -> bool {
    matches!(view.phase, Phase::Active { .. })
}

/// `tab` asks for the client at `link`, which accepts; both become active.
async fn connect(tabs: &Tabs, tab: TabId, (link, client): (&DeskLink, &SessionHandle)) {
    let mut client_view = client.subscribe();
    let id = fresh_id(link, "").await;
    let view = Scopes::NONE.with(Scope::View);
    let request = Command::Connect {
        id,
        notes: String::new(),
        scopes: view,
        reason: None,
        pin: None,
    };
    tabs.connect(Some(tab), request).await.unwrap();
    wait_for(&mut client_view, "the consent request", |v| {
        matches!(v.phase, Phase::Asked { .. })
    })
    .await;
    client.accept(&asked_session(client), view).await.unwrap();
    wait_for(&mut client_view, "the client's session", active).await;
    let expert = tabs.handle(Some(tab)).unwrap();
    wait_for(&mut expert.subscribe(), "the tab's session", active).await;
}

async fn heard(side: &SessionHandle, text: &str) -> bool {
    side.log().await.unwrap().into_iter().any(|item| {
        matches!(item.entry, LogEntry::Chat { from: Author::Peer, text: ref t, .. } if t == text)
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_tab_holds_its_own_session() {
    let (_dir, url, _stop, _server) = start_desk().await;
    let screen = PatternScreen::moving(false);
    let (a_link, a) = side(&url, Role::Client, &screen, Arc::new(NoSink));
    let (b_link, b) = side(&url, Role::Client, &screen, Arc::new(NoSink));
    let (expert_link, events) = link::spawn(url.clone(), Role::Expert);
    let settings = PeerSettings {
        udp_addrs: vec!["127.0.0.1:0".into()],
        ..PeerSettings::default()
    };
    let backends = pattern_backends(&screen, Arc::new(NoSink));
    let tabs = Tabs::start(
        Role::Expert,
        expert_link.client(),
        events,
        settings,
        backends,
        Arc::new(|_, _| {}),
    );
    desks_connected(&[&a_link, &b_link, &expert_link]).await;

    let first = tabs.list().shown;
    let tab_a = tabs.handle(Some(first)).unwrap();
    sign_in(&tab_a).await;
    connect(&tabs, first, (&a_link, &a)).await;

    let second = tabs.open().unwrap();
    assert_eq!(tabs.list().tabs, [first, second]);
    assert_eq!(tabs.list().shown, second, "a new tab is shown at once");
    let tab_b = tabs.handle(Some(second)).unwrap();
    wait_for(&mut tab_b.subscribe(), "the new tab's sign-in", |v| {
        v.signed_in_as.as_deref() == Some("Ann from the Help Desk")
    })
    .await;
    connect(&tabs, second, (&b_link, &b)).await;
    assert!(active(&tab_a.view()), "the first session goes on");

    // Each tab's chat goes to its own client only. The round trips are
    // the positive signal: each client handled all it was sent.
    tab_a.command(Command::Chat("for A".into())).await.unwrap();
    tab_b.command(Command::Chat("for B".into())).await.unwrap();
    chat_round_trip(&tab_a, &a).await;
    chat_round_trip(&tab_b, &b).await;
    assert!(heard(&a, "for A").await && !heard(&a, "for B").await);
    assert!(heard(&b, "for B").await && !heard(&b, "for A").await);

    // The shown tab's commands need no number; another tab is one click.
    tabs.show(first).unwrap();
    assert!(Arc::ptr_eq(&tabs.handle(None).unwrap(), &tab_a));

    // Closing B's tab ends B's session, and only that.
    let mut b_view = b.subscribe();
    tabs.close(second).unwrap();
    wait_for(&mut b_view, "B's session to end", |v| {
        v.phase == Phase::Idle
            && v.notice
                .as_ref()
                .is_some_and(|n| n.code == NoticeCode::PeerLeft)
    })
    .await;
    assert_eq!(tabs.handle(Some(second)).err(), Some(TabsError::NoSuchTab));
    assert_eq!(tabs.close(first), Err(TabsError::LastTab));
    chat_round_trip(&tab_a, &a).await;
    assert!(active(&tab_a.view()));
}

#[tokio::test]
async fn a_client_has_one_tab() {
    let (_dir, url, _stop, _server) = start_desk().await;
    let (client_link, events) = link::spawn(url, Role::Client);
    let tabs = Tabs::start(
        Role::Client,
        client_link.client(),
        events,
        PeerSettings::default(),
        pattern_backends(&PatternScreen::moving(false), Arc::new(NoSink)),
        Arc::new(|_, _| {}),
    );
    assert_eq!(tabs.open(), Err(TabsError::OneOnly));
    assert_eq!(tabs.list().tabs.len(), 1);
}
