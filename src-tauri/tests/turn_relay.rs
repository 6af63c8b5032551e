//! A session through a real TURN relay: Debian's coturn on loopback, with
//! the desk handing out REST credentials made from the secret they share.
//! Both apps allow relayed candidates only (`LIFELINE_ICE_RELAY_ONLY`), so
//! nothing can go directly: the session connects, chat crosses, the path
//! both sides report is relayed, and coturn's log shows the allocations.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::coturn::{Coturn, TURN_SECRET};
use common::{
    PatternScreen, chat_round_trip, establish, pattern_backends, start_desk_with, wait_for,
};
use lifeline_lib::desk::link;
use lifeline_lib::media::sink::NoSink;
use lifeline_lib::peer::PeerSettings;
use lifeline_lib::peer::path::Reach;
use lifeline_lib::session::engine::{self, SessionHandle};
use lifeline_lib::session::scopes::{Scope, Scopes};
use lifeline_signaling::protocol::Role;

fn relayed_side(url: &str, role: Role) -> (link::DeskLink, SessionHandle) {
    let (link, events) = link::spawn(url.to_owned(), role);
    let settings = PeerSettings {
        udp_addrs: vec!["127.0.0.1:0".into()],
        relay_only: true,
        ..PeerSettings::default()
    };
    let backends = pattern_backends(&PatternScreen::moving(false), Arc::new(NoSink));
    let session = engine::spawn(role, link.client(), events, settings, backends);
    (link, session)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_goes_through_the_relay_when_nothing_goes_directly() {
    let turn_dir = tempfile::tempdir().unwrap();
    let coturn = Coturn::start(turn_dir.path());
    let turn_url = format!("turn:127.0.0.1:{}?transport=udp", coturn.port);
    let (_dir, url, _stop, _server) = start_desk_with(|config| {
        config.ice.turn_urls = vec![turn_url];
        config.ice.turn_secret = Some(TURN_SECRET.into());
        config.ice.turn_ttl = Duration::from_secs(3600);
    })
    .await;
    let (client_link, client) = relayed_side(&url, Role::Client);
    let (expert_link, expert) = relayed_side(&url, Role::Expert);
    let view = Scopes::NONE.with(Scope::View);
    establish(&client_link, &client, &expert_link, &expert, view, view).await;
    chat_round_trip(&expert, &client).await;

    for (side, name) in [(&expert, "expert"), (&client, "client")] {
        let path = wait_for(&mut side.subscribe(), "the chosen path", |v| {
            v.path.is_some()
        })
        .await
        .path
        .unwrap();
        assert!(path.relayed(), "{name}: {path:?}");
        assert_eq!(path.local, Reach::Relay, "{name}: {path:?}");
        assert_eq!(
            path.relay_protocol.as_deref(),
            Some("udp"),
            "{name}: {path:?}"
        );
    }
    let log = coturn.log();
    assert!(
        log.matches("ALLOCATE").count() >= 2 || log.matches("allocation").count() >= 2,
        "coturn made no allocations for both sides:\n{log}"
    );
}
