//! Sessions across a test internet made of network namespaces
//! (`common::netns`), with the desk and a real coturn on the internet:
//! - two homes behind NAT punch through to each other (the desk hands
//!   out STUN only, so nothing else could connect them);
//! - when one home's router lets UDP out only to the desk's servers, hole
//!   punching fails and the TURN relay carries the session over UDP;
//! - when both routers drop UDP, over TURN/TCP;
//! - a computer in a corporate network whose only way out is an
//!   authenticating proxy: a wrong password is named as such, the right
//!   one links to the desk through the proxy, and the session relays over
//!   TURN/TLS through it (a pinned certificate), with a PIN bound to it;
//! - the client's (or the expert's) network changes under a session: its
//!   desk link is made again at once and takes the session back at the
//!   desk, the expert restarts ICE through it, and the session carries on.
//!
//! Each session shows the same safety code on both sides, chat crosses,
//! and the path each side reports says which way it went.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::coturn::{Coturn, TURN_SECRET};
use common::netns::{INTERNET, Network, Router, Site};
use common::proxies::{Running, tinyproxy_in};
use common::{
    DeskOnInternet, PatternScreen, Pins, ask_and_accept, chat_round_trip, pattern_backends,
    wait_for, wait_for_within,
};
use lifeline_lib::desk::DeskStatus;
use lifeline_lib::desk::link::{self, DeskLink};
use lifeline_lib::desk::proxy::{Credentials, Proxy, ProxyKind, Route};
use lifeline_lib::desk::tls::{self, ServerPin};
use lifeline_lib::media::sink::NoSink;
use lifeline_lib::peer::PeerSettings;
use lifeline_lib::peer::path::{NetworkPath, Reach};
use lifeline_lib::session::engine::{self, SessionHandle};
use lifeline_lib::session::log::{EventCode, LogEntry};
use lifeline_lib::session::scopes::{Scope, Scopes};
use lifeline_lib::session::view::{Phase, SessionView};
use lifeline_signaling::protocol::Role;
use rcgen::PublicKeyData;

/// How the desk's TURN server may be reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Turn {
    Udp,
    Tcp,
    /// On 5349, with a self-signed certificate the apps pin.
    Tls,
}

/// The internet's servers, and a runtime inside each site's computer.
struct World {
    network: Network,
    coturn: Coturn,
    desk: DeskOnInternet,
    turn_tls: Arc<rustls::ClientConfig>,
    dir: tempfile::TempDir,
}

impl World {
    /// The desk hands out coturn for STUN, and for TURN by `turn`.
    async fn build(routers: &[Router], turn: &[Turn]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let network = Network::build(routers);
        let certified = rcgen::generate_simple_self_signed(vec![INTERNET.into()]).unwrap();
        let (cert, key) = (dir.path().join("turn.pem"), dir.path().join("turn.key"));
        std::fs::write(&cert, certified.cert.pem()).unwrap();
        std::fs::write(&key, certified.signing_key.serialize_pem()).unwrap();
        let tls = turn
            .contains(&Turn::Tls)
            .then_some((cert.as_path(), key.as_path()));
        let coturn = Coturn::start_in(dir.path(), &network.internet, tls);
        let pin = ServerPin::of_public_key(&certified.signing_key.subject_public_key_info());
        let urls: Vec<String> = turn
            .iter()
            .map(|t| match t {
                Turn::Udp => format!("turn:{INTERNET}:3478?transport=udp"),
                Turn::Tcp => format!("turn:{INTERNET}:3478?transport=tcp"),
                Turn::Tls => format!("turns:{INTERNET}:5349"),
            })
            .collect();
        let desk = DeskOnInternet::start(&network, move |config| {
            config.ice.turn_urls = urls;
            config.ice.turn_secret = Some(TURN_SECRET.into());
            config.ice.turn_ttl = Duration::from_secs(3600);
        })
        .await;
        Self {
            network,
            coturn,
            desk,
            turn_tls: tls::client_config(Some(pin)),
            dir,
        }
    }

    fn desk_port(&self) -> u16 {
        let authority = self.desk.url.trim_start_matches("ws://");
        let port = authority.split(['/', ':']).nth(1).unwrap();
        port.parse().unwrap()
    }

    fn site(&self, index: usize) -> &Site {
        &self.network.sites[index]
    }

    /// An engine on the computer of site `index`, reaching the desk and
    /// TURN over TCP by `route`.
    async fn side(&self, index: usize, role: Role, route: Route) -> (DeskLink, SessionHandle) {
        let (url, turn_tls) = (self.desk.url.clone(), Arc::clone(&self.turn_tls));
        self.desk.computers[index]
            .run(move || {
                let (link, events) = link::spawn_with(url, role, None, route.clone(), None);
                let settings = PeerSettings {
                    turn_route: route,
                    turn_tls,
                    ..PeerSettings::default()
                };
                let backends = pattern_backends(&PatternScreen::moving(false), Arc::new(NoSink));
                let session = engine::spawn(role, link.client(), events, settings, backends);
                (link, session)
            })
            .await
    }

    /// An authenticating tinyproxy on site `index`'s router.
    fn proxy(&self, index: usize) -> Running {
        let site = self.site(index);
        let lan = format!("{}/24", site.gateway);
        tinyproxy_in(self.dir.path(), &site.router, &site.gateway, &lan)
    }

    /// The route through site `index`'s proxy, as `ann` with `password`.
    fn through(&self, index: usize, proxy: &Running, password: &str) -> Route {
        Route::Through(Proxy {
            kind: ProxyKind::Http,
            host: self.site(index).gateway.clone(),
            port: proxy.port,
            credentials: Some(Credentials::new("ann", password, "")),
        })
    }
}

impl Drop for World {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let log = self.coturn.log();
            let tail: Vec<&str> = log.lines().rev().take(80).collect();
            eprintln!("coturn's log, last lines first:\n{}", tail.join("\n"));
        }
    }
}

/// The client of site 0 accepts the expert of site 1 (with `pins`); both
/// sessions come up with one safety code, chat crosses, and each side's
/// chosen path is returned, expert first.
async fn session(
    client: &(DeskLink, SessionHandle),
    expert: &(DeskLink, SessionHandle),
    pins: Pins,
) -> [NetworkPath; 2] {
    let view = Scopes::NONE.with(Scope::View);
    let (mut client_view, mut expert_view) = (client.1.subscribe(), expert.1.subscribe());
    ask_and_accept(
        (&client.0, &client.1),
        (&expert.0, &expert.1),
        (view, view),
        pins,
    )
    .await;
    let active = |v: &SessionView| matches!(v.phase, Phase::Active { .. });
    let codes = [
        wait_for(&mut expert_view, "the expert's session", active).await,
        wait_for(&mut client_view, "the client's session", active).await,
    ]
    .map(|v| match v.phase {
        Phase::Active { safety_code, .. } => safety_code,
        _ => unreachable!(),
    });
    assert_eq!(codes[0], codes[1], "the safety codes differ");
    for side in [expert, client] {
        wait_for(&mut side.1.subscribe(), "the chosen path", |v| {
            v.path.is_some()
        })
        .await;
    }
    // Each side tells the other its end of the path before its view shows
    // the path: after a chat line each way, both have heard.
    chat_round_trip(&expert.1, &client.1).await;
    let mut paths: Vec<NetworkPath> = [expert, client]
        .map(|side| side.1.view().path.unwrap())
        .into();
    [paths.remove(0), paths.remove(0)]
}

fn allocations(coturn: &Coturn) -> usize {
    coturn.log().matches("ALLOCATE").count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_homes_behind_nat_punch_through_to_each_other() {
    let world = World::build(&[Router::Home, Router::Home], &[]).await;
    let client = world.side(0, Role::Client, Route::System).await;
    let expert = world.side(1, Role::Expert, Route::System).await;
    let paths = session(&client, &expert, Pins::default()).await;
    for path in &paths {
        assert!(!path.relayed(), "{paths:?}");
        // The other side's address is the one its NAT showed: the private
        // addresses behind the routers reach nothing.
        assert!(
            matches!(path.remote, Reach::ServerReflexive | Reach::PeerReflexive),
            "{paths:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_hole_punching_the_relay_carries_the_session() {
    let world = World::build(&[Router::HomeWithoutPunching, Router::Home], &[Turn::Udp]).await;
    let client = world.side(0, Role::Client, Route::System).await;
    let expert = world.side(1, Role::Expert, Route::System).await;
    let paths = session(&client, &expert, Pins::default()).await;
    for path in &paths {
        assert!(path.relayed(), "{paths:?}");
    }
    let [_, client_path] = &paths;
    assert_eq!(client_path.local, Reach::Relay, "{paths:?}");
    assert_eq!(client_path.relay_protocol.as_deref(), Some("udp"));
    assert!(world.site(0).dropped() > 0, "the router dropped nothing");
    assert!(allocations(&world.coturn) >= 1, "{}", world.coturn.log());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_udp_dropped_on_both_sides_turn_goes_over_tcp() {
    let world = World::build(&[Router::NoUdp, Router::NoUdp], &[Turn::Udp, Turn::Tcp]).await;
    let client = world.side(0, Role::Client, Route::System).await;
    let expert = world.side(1, Role::Expert, Route::System).await;
    let paths = session(&client, &expert, Pins::default()).await;
    for path in &paths {
        assert_eq!(path.local, Reach::Relay, "{paths:?}");
        assert_eq!(path.relay_protocol.as_deref(), Some("tcp"), "{paths:?}");
    }
    for site in [0, 1] {
        assert!(
            world.site(site).dropped() > 0,
            "router {site} dropped nothing"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corporate_computer_gets_out_through_its_proxy_only() {
    let world = World::build(&[Router::Corporate, Router::Home], &[Turn::Tls]).await;
    let proxy = world.proxy(0);
    // A wrong password: the status names it, and nothing links.
    let (wrong, _session) = world
        .side(0, Role::Client, world.through(0, &proxy, "wrong"))
        .await;
    let status = wait_for(&mut wrong.subscribe(), "the proxy's refusal", |s| {
        matches!(s, DeskStatus::Connected | DeskStatus::Offline { .. })
    })
    .await;
    assert!(
        matches!(
            status,
            DeskStatus::Offline {
                problem: Some("proxy_auth_refused"),
                ..
            }
        ),
        "{status:?}"
    );
    drop((wrong, _session));

    let route = world.through(0, &proxy, "s3cret");
    let client = world.side(0, Role::Client, route).await;
    let expert = world.side(1, Role::Expert, Route::System).await;
    let pins = Pins {
        client: Some("5190"),
        expert: Some("5190"),
    };
    let paths = session(&client, &expert, pins).await;
    let [expert_path, client_path] = &paths;
    assert!(expert_path.relayed(), "{paths:?}");
    assert_eq!(client_path.local, Reach::Relay, "{paths:?}");
    assert_eq!(client_path.relay_protocol.as_deref(), Some("tls"));
    // The computer tried to go out directly, and its router stopped it.
    assert!(world.site(0).dropped() > 0, "the router dropped nothing");
    let log = std::fs::read_to_string(world.dir.path().join("tinyproxy.log")).unwrap();
    for (what, port) in [("the desk", world.desk_port()), ("TURN", 5349)] {
        let target = format!("{INTERNET}:{port}");
        assert!(
            log.lines()
                .any(|l| l.contains("CONNECT") && l.contains(&target)),
            "the proxy carried nothing to {what} ({target}):\n{log}"
        );
    }
}

/// Waits longer than `wait_for` does: ICE takes its time to give up.
async fn wait_long<T: Clone + std::fmt::Debug>(
    rx: &mut tokio::sync::watch::Receiver<T>,
    what: &str,
    ok: impl Fn(&T) -> bool,
) -> T {
    wait_for_within(rx, what, Duration::from_secs(40), ok).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_session_carries_on_when_the_clients_network_changes() {
    carries_on_when_moved(&[Role::Client]).await;
}

/// The expert's own new link takes the session back (`reattached`), where
/// the client's move had the desk tell the expert (`peer_back`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_session_carries_on_when_the_experts_network_changes() {
    carries_on_when_moved(&[Role::Expert]).await;
}

/// Both at once: whichever link is back first, the offer its news brings
/// about may go to the other's dead link; the other's return brings
/// another.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_session_carries_on_when_both_networks_change() {
    carries_on_when_moved(&[Role::Client, Role::Expert]).await;
}

/// Two homes behind NAT in a session; the computers of `moved` lose their
/// addresses and get others mid-session.
async fn carries_on_when_moved(moved: &[Role]) {
    let world = World::build(&[Router::Home, Router::Home], &[Turn::Udp]).await;
    let client = world.side(0, Role::Client, Route::System).await;
    let expert = world.side(1, Role::Expert, Route::System).await;
    session(&client, &expert, Pins::default()).await;
    let side = |role: &Role| match role {
        Role::Client => (0, &client),
        Role::Expert => (1, &expert),
    };
    // The first moved side's link is the one timed.
    let mut link = side(&moved[0]).1.0.subscribe();
    let before = [client.1.view(), expert.1.view()].map(|v| (v.phase, v.notice));

    let changed = std::time::Instant::now();
    for role in moved {
        world.site(side(role).0).renumber();
    }
    // The quiet path makes the moved side prove its desk link, which died
    // with its old address: it is made again within seconds, not at the
    // link's silence limit (45 s), and takes the session back at the desk.
    // The link's state changes only when it drops (and it may be made
    // again before this side looks): its first change is the drop.
    link.mark_unchanged();
    tokio::time::timeout(Duration::from_secs(40), link.changed())
        .await
        .expect("the moved side's desk link to drop")
        .unwrap();
    let dropped = changed.elapsed();
    wait_long(&mut link, "the moved side's desk link again", |s| {
        matches!(s, DeskStatus::Connected)
    })
    .await;
    let relinked = changed.elapsed();
    // Each side's log says the path was lost, then back: the expert
    // restarted ICE through the desk, and the path came back from the
    // new address.
    for side in [&client.1, &expert.1] {
        lost_then_back(side).await;
    }
    chat_round_trip(&expert.1, &client.1).await;
    let recovered = changed.elapsed();
    eprintln!(
        "{moved:?} moved: the first one's link dropped after {dropped:?}, relinked after \
         {relinked:?}, chat crossed again after {recovered:?}"
    );
    assert!(dropped < Duration::from_secs(15), "{dropped:?}");
    // The same session throughout, nothing new said (a side signed in
    // again may have cleared its old notice), nothing pending.
    let after = [client.1.view(), expert.1.view()];
    for ((phase, notice), now) in before.into_iter().zip(after) {
        assert_eq!(phase, now.phase, "the session changed");
        assert!(now.notice.is_none() || now.notice == notice, "{now:?}");
        assert!(!now.reconnecting);
    }
}

/// Waits until `side`'s session log says the path came back, after it
/// said the path was lost.
async fn lost_then_back(side: &SessionHandle) {
    let codes = || async {
        side.log()
            .await
            .unwrap()
            .into_iter()
            .filter_map(|item| match item.entry {
                LogEntry::Event { code, .. } => Some(code),
                _ => None,
            })
            .collect::<Vec<_>>()
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(40);
    loop {
        let codes = codes().await;
        let lost = codes.iter().position(|c| *c == EventCode::PathLost);
        let back = codes.iter().position(|c| *c == EventCode::PathBack);
        if let (Some(lost), Some(back)) = (lost, back) {
            assert!(lost < back, "{codes:?}");
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the path never came back: {codes:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
