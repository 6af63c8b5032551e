//! `make bench`: input latency, from the expert's engine taking an event to
//! the client's injector having injected it into a real X server (XTest on
//! `Xvfb -noreset`), over real WebRTC on loopback with the real signaling
//! server. Both engines run in this process, so one clock times both ends.
//! It prints p50/p95/p99 and what the XTest call itself costs; it asserts
//! nothing about speed.

#[path = "../tests/common/mod.rs"]
mod common;
mod support;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{MemoryClipboard, establish, start_desk};
use lifeline_lib::desk::link;
use lifeline_lib::input::enigo_injector::EnigoInjector;
use lifeline_lib::input::event::{InputEvent, MouseButton};
use lifeline_lib::input::injector::{InjectError, Injector};
use lifeline_lib::media::capture::{Capturer, TestPattern};
use lifeline_lib::media::sink::NoSink;
use lifeline_lib::session::engine::{Backends, Command, SessionHandle};
use lifeline_lib::session::reboot::RebootPlan;
use lifeline_lib::session::scopes::Scope;
use lifeline_signaling::protocol::Role;

const EVENTS: usize = 2000;
const WARMUP: usize = 100;
const SPACING: Duration = Duration::from_millis(2);

/// The real injector, timing each call and noting when it returned.
struct Timed {
    inner: EnigoInjector,
    done: Arc<Mutex<Vec<(Instant, Duration)>>>,
}

impl Timed {
    fn note(&self, started: Instant) {
        self.done
            .lock()
            .unwrap()
            .push((Instant::now(), started.elapsed()));
    }
}

impl Injector for Timed {
    fn pointer_to(&mut self, x: i32, y: i32) -> Result<(), InjectError> {
        let started = Instant::now();
        let result = self.inner.pointer_to(x, y);
        self.note(started);
        result
    }
    fn button(&mut self, button: MouseButton, down: bool) -> Result<(), InjectError> {
        self.inner.button(button, down)
    }
    fn wheel(&mut self, dx: i32, dy: i32) -> Result<(), InjectError> {
        self.inner.wheel(dx, dy)
    }
    fn key(&mut self, evdev: u16, down: bool) -> Result<(), InjectError> {
        let started = Instant::now();
        let result = self.inner.key(evdev, down);
        self.note(started);
        result
    }
    fn text(&mut self, text: &str) -> Result<(), InjectError> {
        self.inner.text(text)
    }
}

fn side(
    url: &str,
    role: Role,
    display: &str,
    done: &Arc<Mutex<Vec<(Instant, Duration)>>>,
) -> (link::DeskLink, SessionHandle) {
    let (display, done) = (display.to_owned(), Arc::clone(done));
    let backends = Backends {
        capturers: Arc::new(|| Box::new(TestPattern::new(1280, 800)) as Box<dyn Capturer>),
        sink: Arc::new(NoSink),
        injector: Arc::new(move || {
            Ok(Box::new(Timed {
                inner: EnigoInjector::with_display(Some(&display))?,
                done: Arc::clone(&done),
            }) as Box<dyn Injector>)
        }),
        clipboard: Arc::new(|| Ok(Box::new(MemoryClipboard::default()) as _)),
        reboot: RebootPlan::default(),
        end_actions: Default::default(),
        reconnect: None,
        downloads: std::env::temp_dir(),
        shared: None,
        transcripts: None,
        pointer: Default::default(),
    };
    common::spawn_side(url, role, backends)
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let index = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[index].as_secs_f64() * 1000.0
}

fn line(name: &str, mut samples: Vec<Duration>) {
    samples.sort();
    println!(
        "{name:<34} p50 {:>6.3} ms   p95 {:>6.3} ms   p99 {:>6.3} ms   max {:>7.3} ms",
        percentile(&samples, 0.50),
        percentile(&samples, 0.95),
        percentile(&samples, 0.99),
        percentile(&samples, 1.0),
    );
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let (_xvfb, display) = support::start_xvfb(1280, 800);
    let (_desk_dir, url, _stop_server, _server_task) = start_desk().await;
    let done = Arc::new(Mutex::new(Vec::new()));
    let (client_link, client) = side(&url, Role::Client, &display, &done);
    let (expert_link, expert) = side(&url, Role::Expert, &display, &done);
    let control = [Scope::Control].into_iter().collect();
    establish(
        &client_link,
        &client,
        &expert_link,
        &expert,
        control,
        control,
    )
    .await;

    // Alternating presses and releases of one key: every event is injected
    // (only pointer moves coalesce), so the n-th injection answers the n-th
    // event.
    let mut sent = Vec::with_capacity(EVENTS);
    for n in 0..WARMUP + EVENTS {
        let event = InputEvent::Key {
            code: "ShiftLeft".into(),
            down: n % 2 == 0,
        };
        sent.push(Instant::now());
        expert.command(Command::Input(event)).await.unwrap();
        tokio::time::sleep(SPACING).await;
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while done.lock().unwrap().len() < WARMUP + EVENTS {
        assert!(Instant::now() < deadline, "not every event was injected");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let done = done.lock().unwrap().clone();
    let latency: Vec<Duration> = sent
        .iter()
        .zip(&done)
        .skip(WARMUP)
        .map(|(sent, (injected, _))| injected.duration_since(*sent))
        .collect();
    let xtest: Vec<Duration> = done.iter().skip(WARMUP).map(|(_, took)| *took).collect();
    println!(
        "input latency, expert engine → WebRTC data channel → client engine → XTest on Xvfb ({EVENTS} events, one every {} ms):",
        SPACING.as_millis()
    );
    line("event to injected (end to end)", latency);
    line("of which the XTest call", xtest);
}
