//! `make bench`: the product on paths other than loopback, each figure
//! beside plain TCP on the same path in the same run.
//! - **Through TURN**: Debian's coturn on loopback relays both sides (ICE
//!   allowed relayed candidates only), over UDP and over TCP. The baseline
//!   is TCP through a relay hop on the same loopback, copied the fast way
//!   (`std::io::copy` on threads of its own, which splices on Linux): the
//!   shape of a TURN path, sender to relay to receiver, without the TURN.
//! - **At 100 ms RTT**: two homes behind NAT on the test internet, each
//!   router's cable to it a 25 ms wire, as in `tests/lossy_network.rs`
//!   without the loss. Connect to first picture (beside the same on
//!   loopback), and file throughput beside TCP between the same two
//!   computers (a port forwarded on the receiver's router).
//!
//! Files live in `/dev/shm`. It prints figures and asserts only that every
//! byte arrived. Through coturn the file is 64 MiB, not the 1 GiB of the
//! loopback bench: coturn's own 128 KiB socket buffers drop the bursts of
//! SCTP packets, and each loss costs webrtc-rs's SCTP a retransmission
//! timeout of at least a second (docs/testing.md, "Benchmarks").

#[path = "../tests/common/mod.rs"]
mod common;

use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::coturn::{Coturn, TURN_SECRET};
use common::netns::{Network, Router};
use common::wire::Impairment;
use common::{
    DeskOnInternet, PatternScreen, desks_connected, establish, fresh_id, incoming_done,
    pattern_backends, sign_in, start_desk_with,
};
use lifeline_lib::desk::link::{self, DeskLink};
use lifeline_lib::desk::proxy::Route;
use lifeline_lib::media::sink::{CollectingSink, FrameSink, NoSink};
use lifeline_lib::peer::PeerSettings;
use lifeline_lib::session::engine::{self, Backends, Command, SessionHandle};
use lifeline_lib::session::scopes::{Scope, Scopes};
use lifeline_lib::session::view::Phase;
use lifeline_signaling::protocol::Role;

/// The file sent through TURN, and at 100 ms RTT, in MiB;
/// `LIFELINE_BENCH_MIB` sets another size for both, for a quick look.
const RELAYED_MIB: usize = 64;
const SLOW_MIB: usize = 32;

fn mib(default: usize) -> usize {
    let asked = std::env::var("LIFELINE_BENCH_MIB").ok();
    asked.and_then(|n| n.parse().ok()).unwrap_or(default) << 20
}
/// Each way on each of the two wires: 100 ms between the computers.
const WIRE_DELAY: Duration = Duration::from_millis(25);
/// The port the receiving home's router forwards to its computer.
const FORWARDED: u16 = 9000;

/// Noise, so that nothing on the way can compress it.
fn write_file(path: &Path, size: usize) {
    lifeline_e2e::files::random_file(path, size as u64, 7).unwrap();
}

fn mb_per_s(bytes: usize, took: Duration) -> f64 {
    bytes as f64 / 1e6 / took.as_secs_f64()
}

/// Test-pattern backends that save received files in `downloads`, and
/// give frames to `sink`.
fn backends(downloads: &Path, sink: Arc<dyn FrameSink>) -> Backends {
    let mut backends = pattern_backends(&PatternScreen::moving(true), sink);
    backends.downloads = downloads.to_owned();
    backends
}

fn spawn(url: &str, role: Role, settings: PeerSettings, backends: Backends) -> Side {
    let (link, events) = link::spawn_with(url.to_owned(), role, None, Route::System, None);
    let session = engine::spawn(role, link.client(), events, settings, backends);
    (link, session)
}

type Side = (DeskLink, SessionHandle);

/// The expert sends `source`; returns how long until the client has it
/// whole, checked (its SHA-256) and named.
async fn send_file(expert: &SessionHandle, client: &SessionHandle, source: &Path) -> Duration {
    let started = Instant::now();
    let send = Command::SendFiles {
        path: source.to_owned(),
        into: None,
    };
    expert.command(send).await.unwrap();
    incoming_done(client).await;
    started.elapsed()
}

/// Checks that `received` is `source` byte for byte, and removes it.
fn same_file(source: &Path, received: &Path) {
    let (a, b) = (
        std::fs::read(source).unwrap(),
        std::fs::read(received).unwrap(),
    );
    assert!(a == b, "{} differs from what was sent", received.display());
    std::fs::remove_file(received).unwrap();
}

/// Sends `source` over `socket` with `std::io::copy`; the receiver saves
/// it to `target`. Returns the time from connecting to the last byte saved.
fn tcp_copy(
    connect: impl FnOnce() -> TcpStream,
    listener: TcpListener,
    source: &Path,
    target: &Path,
) -> Duration {
    let target = target.to_owned();
    let receiver = std::thread::spawn(move || {
        let (mut socket, _) = listener.accept().unwrap();
        let mut file = std::fs::File::create(&target).unwrap();
        std::io::copy(&mut socket, &mut file).unwrap();
    });
    let started = Instant::now();
    let mut socket = connect();
    let mut file = std::fs::File::open(source).unwrap();
    std::io::copy(&mut file, &mut socket).unwrap();
    socket.shutdown(Shutdown::Write).unwrap();
    receiver.join().unwrap();
    started.elapsed()
}

/// Plain TCP through a relay hop on loopback: the sender connects to the
/// relay, which connects on to the receiver and copies between the two.
fn tcp_through_relay(source: &Path, target: &Path) -> Duration {
    let receiver = TcpListener::bind("127.0.0.1:0").unwrap();
    let onward = receiver.local_addr().unwrap();
    let relay = TcpListener::bind("127.0.0.1:0").unwrap();
    let relay_at = relay.local_addr().unwrap();
    std::thread::spawn(move || {
        let (mut near, _) = relay.accept().unwrap();
        let mut far = TcpStream::connect(onward).unwrap();
        let (mut near_back, mut far_back) = (near.try_clone().unwrap(), far.try_clone().unwrap());
        let back = std::thread::spawn(move || std::io::copy(&mut far_back, &mut near_back));
        let _ = std::io::copy(&mut near, &mut far);
        let _ = far.shutdown(Shutdown::Write);
        let _ = back.join();
    });
    tcp_copy(
        || TcpStream::connect(relay_at).unwrap(),
        receiver,
        source,
        target,
    )
}

/// A relay-only session through coturn by `turn_url`, and the file's time.
async fn through_turn(turn_url: String, source: &Path, dir: &Path) -> Duration {
    let (_desk_dir, url, _stop, _server) = start_desk_with(|config| {
        config.ice.turn_urls = vec![turn_url];
        config.ice.turn_secret = Some(TURN_SECRET.into());
        config.ice.turn_ttl = Duration::from_secs(3600);
    })
    .await;
    let settings = PeerSettings {
        udp_addrs: vec!["127.0.0.1:0".into()],
        relay_only: true,
        ..PeerSettings::default()
    };
    let downloads = dir.join("relayed-downloads");
    let client_backends = backends(&downloads, Arc::new(NoSink));
    let (client_link, client) = spawn(&url, Role::Client, settings.clone(), client_backends);
    let expert_backends = backends(&dir.join("unused"), Arc::new(NoSink));
    let (expert_link, expert) = spawn(&url, Role::Expert, settings, expert_backends);
    let files: Scopes = [Scope::View, Scope::Files].into_iter().collect();
    establish(&client_link, &client, &expert_link, &expert, files, files).await;
    let path = expert.view().path.expect("a chosen path");
    assert!(path.relayed(), "{path:?}");
    let took = send_file(&expert, &client, source).await;
    same_file(source, &downloads.join(source.file_name().unwrap()));
    took
}

/// From the expert's Connect to the first frame it gets, the client
/// accepting at once; both are linked to the desk and the expert signed
/// in before the clock starts.
async fn first_picture(client: &Side, expert: &Side, frames: &CollectingSink) -> Duration {
    desks_connected(&[&client.0, &expert.0]).await;
    let id = fresh_id(&client.0, "").await;
    sign_in(&expert.1).await;
    let mut asked = client.1.subscribe();
    let scopes: Scopes = [Scope::View, Scope::Files].into_iter().collect();
    let started = Instant::now();
    let connect = Command::Connect {
        id,
        notes: String::new(),
        scopes,
        reason: None,
        pin: None,
    };
    expert.1.command(connect).await.unwrap();
    let request = asked
        .wait_for(|v| matches!(v.phase, Phase::Asked { .. }))
        .await
        .unwrap()
        .clone();
    let Phase::Asked { session, .. } = request.phase else {
        unreachable!("waited for a request")
    };
    client.1.accept(session.as_ref(), scopes).await.unwrap();
    while frames.frames.lock().unwrap().is_empty() {
        assert!(started.elapsed() < Duration::from_secs(30), "no picture");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    started.elapsed()
}

async fn first_picture_on_loopback(dir: &Path) -> Duration {
    let (_desk_dir, url, _stop, _server) = start_desk_with(|_| {}).await;
    let settings = PeerSettings {
        udp_addrs: vec!["127.0.0.1:0".into()],
        ..PeerSettings::default()
    };
    let frames = Arc::new(CollectingSink::default());
    let client = spawn(
        &url,
        Role::Client,
        settings.clone(),
        backends(dir, Arc::new(NoSink)),
    );
    let expert = spawn(
        &url,
        Role::Expert,
        settings,
        backends(dir, Arc::clone(&frames) as _),
    );
    first_picture(&client, &expert, &frames).await
}

/// Two homes 100 ms apart: Connect to first picture, the file through the
/// session, and the file over plain TCP between the same two computers.
async fn at_100_ms(dir: &Path, source: &Path) -> (Duration, Duration, Duration) {
    let impairment = Impairment {
        delay: WIRE_DELAY,
        loss_ppm: 0,
        rate: None,
    };
    let network = Network::build_impaired(&[Router::Home, Router::Home], impairment);
    let _coturn = Coturn::start_in(dir, &network.internet, None);
    let desk = DeskOnInternet::start(&network, |_| {}).await;
    let frames = Arc::new(CollectingSink::default());
    let downloads = dir.join("slow-downloads");
    let mut sides = Vec::new();
    for (index, role, backends) in [
        (0, Role::Client, backends(&downloads, Arc::new(NoSink))),
        (1, Role::Expert, backends(dir, Arc::clone(&frames) as _)),
    ] {
        let url = desk.url.clone();
        let side = desk.computers[index]
            .run(move || spawn(&url, role, PeerSettings::default(), backends))
            .await;
        sides.push(side);
    }
    let expert = sides.pop().unwrap();
    let client = sides.pop().unwrap();
    let picture = first_picture(&client, &expert, &frames).await;
    let file = send_file(&expert.1, &client.1, source).await;
    same_file(source, &downloads.join(source.file_name().unwrap()));

    // TCP from the expert's computer to the client's, through the
    // client's router (a forwarded port) and both wires.
    let home = &network.sites[0];
    let lan_ip = format!("{}.2", home.gateway.rsplit_once('.').unwrap().0);
    let rules = format!(
        "table ip bench {{\n chain pre {{\n  type nat hook prerouting priority dstnat;\n  \
         iifname \"wan0\" tcp dport {FORWARDED} dnat to {lan_ip}:{FORWARDED}\n }}\n}}\n"
    );
    home.router.run("nft", &["-f", "-"], &rules);
    let listener = home
        .host
        .thread(|| TcpListener::bind(("0.0.0.0", FORWARDED)).unwrap());
    let wan = home.wan.clone();
    let connect = {
        let expert_host = network.sites[1].host.name().to_owned();
        move || {
            let address = format!("{wan}:{FORWARDED}").parse().unwrap();
            common::netns::connect_in(&expert_host, address).unwrap()
        }
    };
    let target = dir.join("tcp-slow.bin");
    let tcp = tcp_copy(connect, listener, source, &target);
    same_file(source, &target);
    drop(desk);
    (picture, file, tcp)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let shm = Path::new("/dev/shm");
    let dir = if shm.is_dir() {
        tempfile::tempdir_in(shm).unwrap()
    } else {
        tempfile::tempdir().unwrap()
    };
    let (relayed_size, slow_size) = (mib(RELAYED_MIB), mib(SLOW_MIB));
    let relayed: PathBuf = dir.path().join("relayed.bin");
    write_file(&relayed, relayed_size);
    let coturn = Coturn::start(dir.path());

    let target = dir.path().join("tcp-relayed.bin");
    let tcp = tcp_through_relay(&relayed, &target);
    same_file(&relayed, &target);
    let udp_url = format!("turn:127.0.0.1:{}?transport=udp", coturn.port);
    let over_udp = through_turn(udp_url, &relayed, dir.path()).await;
    let tcp_url = format!("turn:127.0.0.1:{}?transport=tcp", coturn.port);
    let over_tcp = through_turn(tcp_url, &relayed, dir.path()).await;
    let rate = |took| mb_per_s(relayed_size, took);
    println!(
        "file throughput through a relay on loopback, {} MiB, file to file:",
        relayed_size >> 20
    );
    println!(
        "  TCP through a relay hop (std::io::copy)  {:>8.1} MB/s  ({tcp:.2?})",
        rate(tcp)
    );
    for (name, took) in [("TURN over UDP", over_udp), ("TURN over TCP", over_tcp)] {
        println!(
            "  Lifeline, {name} (coturn)          {:>8.1} MB/s  ({took:.2?}), {:.2} of TCP",
            rate(took),
            rate(took) / rate(tcp)
        );
    }

    let slow = dir.path().join("slow.bin");
    write_file(&slow, slow_size);
    let near = first_picture_on_loopback(dir.path()).await;
    let (picture, file, tcp) = at_100_ms(dir.path(), &slow).await;
    let rate = |took| mb_per_s(slow_size, took);
    println!("two homes behind NAT at 100 ms RTT (25 ms wires), no loss:");
    println!(
        "  Connect to first picture       {:>7} ms  (on loopback {} ms: {:.1} RTTs more)",
        picture.as_millis(),
        near.as_millis(),
        (picture.as_secs_f64() - near.as_secs_f64()) / 0.1
    );
    println!(
        "  file, {} MiB: plain TCP        {:>8.1} MB/s  ({tcp:.2?})",
        slow_size >> 20,
        rate(tcp)
    );
    println!(
        "  file, {} MiB: Lifeline         {:>8.1} MB/s  ({file:.2?}), {:.2} of TCP",
        slow_size >> 20,
        rate(file),
        rate(file) / rate(tcp)
    );
}
