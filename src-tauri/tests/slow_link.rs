//! Typing while a file streams over a slow line. Two homes behind NAT on
//! the test internet, each router's line a [`Wire`] of 1 MB/s (8 Mbit/s)
//! each way with 20 ms of delay and a router's 100 ms queue: an 80 ms
//! round trip between the computers. The expert sends a 16 MiB file and
//! types while it streams. Every channel shares one SCTP association,
//! first in, first out, so each keystroke waits behind the file's bytes
//! already queued: with the old fixed 4 MiB allowance that was 5 s. The
//! file's pace (`transfer::pace`) keeps it to a few hundred ms (the line's
//! own queue is 100 ms of it), and the file moves no slower.
//!
//! [`Wire`]: common::wire::Wire

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::coturn::Coturn;
use common::netns::{Network, Router};
use common::wire::Impairment;
use common::{
    DeskOnInternet, InputRecorder, PatternScreen, establish, pattern_backends, recording_client,
};
use lifeline_lib::input::event::InputEvent;
use lifeline_lib::media::sink::NoSink;
use lifeline_lib::session::engine::{Command, SessionHandle};
use lifeline_lib::session::scopes::{Scope, Scopes};
use lifeline_lib::transfer::runner::{Direction, State, TransferView};
use lifeline_signaling::protocol::Role;
use ring::digest::{SHA256, digest};

/// Each home line's speed, each way.
const RATE: u64 = 1_000_000;
/// Each way, on each of the two lines a packet crosses.
const DELAY: Duration = Duration::from_millis(20);
const FILE_BYTES: usize = 16 << 20;
const KEYSTROKES: usize = 15;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typing_is_not_held_up_by_a_file_on_a_slow_line() {
    let dir = tempfile::tempdir().unwrap();
    let impairment = Impairment {
        delay: DELAY,
        loss_ppm: 0,
        rate: Some(RATE),
    };
    let network = Network::build_impaired(&[Router::Home, Router::Home], impairment);
    let _coturn = Coturn::start_in(dir.path(), &network.internet, None);
    let desk = DeskOnInternet::start(&network, |_| {}).await;

    let screen = PatternScreen::moving(false);
    let injected = InputRecorder::default();
    let downloads = dir.path().join("client-downloads");
    let client_backends = recording_client(&screen, &injected, downloads);
    let (client_link, client) = desk.engine(0, Role::Client, client_backends).await;
    let expert_backends = pattern_backends(&screen, Arc::new(NoSink));
    let (expert_link, expert) = desk.engine(1, Role::Expert, expert_backends).await;
    let all: Scopes = [Scope::View, Scope::Control, Scope::Files]
        .into_iter()
        .collect();
    establish(&client_link, &client, &expert_link, &expert, all, all).await;

    let mut typist = Typist {
        expert: &expert,
        injected: &injected,
        typed: 0,
    };
    let idle = typist.type_keys(5).await;

    let file = dir.path().join("update.bin");
    let bytes: Vec<u8> = (0..FILE_BYTES as u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(&file, &bytes).unwrap();
    let sent_at = Instant::now();
    let send = Command::SendFiles {
        path: file,
        into: None,
    };
    expert.command(send).await.unwrap();
    let mut view = client.subscribe();
    tokio::time::timeout(
        Duration::from_secs(30),
        view.wait_for(|v| incoming(&v.transfers).is_some_and(|t| t.bytes_done >= 1 << 20)),
    )
    .await
    .expect("the first MiB of the file within 30 s")
    .unwrap();

    let busy = typist.type_keys(KEYSTROKES).await;
    // Whether the file was still streaming when the last key arrived.
    let still = incoming(&client.view().transfers).map(|t| (t.state, t.bytes_done));

    let finished = tokio::time::timeout(
        Duration::from_secs(90),
        view.wait_for(|v| incoming(&v.transfers).is_some_and(|t| t.state != State::Running)),
    )
    .await
    .expect("the file within 90 s")
    .unwrap()
    .clone();
    let took = sent_at.elapsed();
    let done = incoming(&finished.transfers).unwrap();
    assert_eq!(done.state, State::Done, "{done:?}");
    let arrived = std::fs::read(dir.path().join("client-downloads/update.bin")).unwrap();
    assert_eq!(
        digest(&SHA256, &arrived).as_ref(),
        digest(&SHA256, &bytes).as_ref()
    );

    let throughput = FILE_BYTES as f64 / took.as_secs_f64();
    let (p50, p90, worst) = (at(&busy, 0.5), at(&busy, 0.9), at(&busy, 1.0));
    let overflowed: u64 = network
        .sites
        .iter()
        .map(|s| s.wire.as_ref().unwrap().0.overflowed())
        .sum();
    eprintln!(
        "{} MB/s lines, {} ms round trip: keystroke idle p50 {:.0?}; \
         while the file streams p50 {p50:.0?}, p90 {p90:.0?}, worst {worst:.0?}; \
         the file at {:.2} MB/s ({:.0} % of the line); the lines' queues dropped {overflowed} frames",
        RATE as f64 / 1e6,
        DELAY.as_millis() * 4,
        at(&idle, 0.5),
        throughput / 1e6,
        100.0 * throughput / RATE as f64,
    );
    assert!(
        matches!(still, Some((State::Running, done)) if done < FILE_BYTES as u64),
        "the file was no longer streaming when the typing ended: {still:?}"
    );
    // With the old fixed allowance, keystrokes waited 5 s here.
    assert!(
        p90 <= Duration::from_millis(1500),
        "keystrokes waited behind the file: p90 {p90:?}, worst {worst:?}"
    );
    // It made 0.56-0.63 MB/s with the old allowance, 0.66-0.75 with the
    // pace; a pace that starved the file would show here.
    assert!(
        throughput >= 0.45 * RATE as f64,
        "the file moved at only {throughput:.0} B/s on a {RATE} B/s line"
    );
}

/// The incoming transfer in the client's view.
fn incoming(transfers: &[TransferView]) -> Option<&TransferView> {
    transfers
        .iter()
        .find(|t| t.direction == Direction::Incoming)
}

/// The expert typing, one key at a time, each timed until the client's
/// injector has it.
struct Typist<'a> {
    expert: &'a SessionHandle,
    injected: &'a InputRecorder,
    typed: usize,
}

impl Typist<'_> {
    /// Types `count` keys 100 ms apart; how long each took to arrive.
    async fn type_keys(&mut self, count: usize) -> Vec<Duration> {
        let mut took = Vec::with_capacity(count);
        for _ in 0..count {
            let n = self.typed;
            self.typed += 1;
            let started = Instant::now();
            let text = InputEvent::Text {
                text: n.to_string(),
            };
            self.expert.command(Command::Input(text)).await.unwrap();
            let line = format!("text {n}");
            while !self.injected.lines().contains(&line) {
                assert!(
                    started.elapsed() < Duration::from_secs(20),
                    "keystroke {n} never arrived"
                );
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
            took.push(started.elapsed());
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        took
    }
}

/// The `share` quantile of `times`.
fn at(times: &[Duration], share: f64) -> Duration {
    let mut sorted = times.to_vec();
    sorted.sort();
    let index = ((sorted.len() - 1) as f64 * share).round() as usize;
    sorted[index]
}
