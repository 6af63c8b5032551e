//! Shared by the engine's integration tests: a real signaling server on a
//! loopback socket, and session engines speaking through it over real
//! WebRTC, with a test pattern for a screen and a recorder for input.
#![allow(dead_code)]

pub mod kept_log;

// Not every test binary uses every part of the network.
#[allow(unused_imports)]
pub use lifeline_e2e::net::{coturn, netns, proxies, wire};

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lifeline_lib::clipboard::backend::{ClipboardBackend, ClipboardError};
use lifeline_lib::clipboard::content::ClipContent;
use lifeline_lib::desk::DeskStatus;
use lifeline_lib::desk::link::{self, DeskLink};
use lifeline_lib::input::event::MouseButton;
use lifeline_lib::input::injector::{InjectError, Injector};
use lifeline_lib::media::capture::{CaptureError, Capturer, MonitorInfo, TestPattern};
use lifeline_lib::media::frame::RgbaFrame;
use lifeline_lib::media::sink::{CollectingSink, FrameSink, NoSink};
use lifeline_lib::peer::PeerSettings;
use lifeline_lib::session::end_action::EndActions;
use lifeline_lib::session::engine::{self, Backends, Command, LogItem, SessionHandle};
use lifeline_lib::session::log::{Author, LogEntry};
use lifeline_lib::session::reboot::RebootPlan;
use lifeline_lib::session::scopes::{Scope, Scopes};
use lifeline_lib::session::view::{Phase, SessionView};
use lifeline_lib::transfer::runner::{Direction, State};
use lifeline_signaling::accounts::Accounts;
use lifeline_signaling::http::Server;
use lifeline_signaling::protocol::Role;
use tokio::sync::{oneshot, watch};

pub const PASSWORD: &str = "correct horse battery";

pub async fn wait_for<T: Clone + std::fmt::Debug>(
    rx: &mut watch::Receiver<T>,
    what: &str,
    ok: impl Fn(&T) -> bool,
) -> T {
    wait_for_within(rx, what, Duration::from_secs(15), ok).await
}

/// What the test controls and sees of the client's test pattern: whether
/// it moves, and how often the pipeline has looked at it.
#[derive(Debug, Default)]
pub struct PatternScreen {
    pub moving: AtomicBool,
    pub captures: AtomicUsize,
}

impl PatternScreen {
    pub fn moving(moving: bool) -> Arc<Self> {
        Arc::new(Self {
            moving: AtomicBool::new(moving),
            captures: AtomicUsize::new(0),
        })
    }

    pub fn captures(&self) -> usize {
        self.captures.load(Ordering::Relaxed)
    }
}

/// The test pattern, moving while the test says so.
pub struct Pattern {
    pattern: TestPattern,
    screen: Arc<PatternScreen>,
}

impl Capturer for Pattern {
    fn monitors(&mut self) -> Result<Vec<MonitorInfo>, CaptureError> {
        self.pattern.monitors()
    }

    fn capture(&mut self, index: usize) -> Result<RgbaFrame, CaptureError> {
        self.pattern.moving = self.screen.moving.load(Ordering::Relaxed);
        self.screen.captures.fetch_add(1, Ordering::Relaxed);
        self.pattern.capture(index)
    }
}

/// One side's engine on loopback WebRTC, linked to the desk at `url`.
pub fn spawn_side(url: &str, role: Role, backends: Backends) -> (DeskLink, SessionHandle) {
    let (link, events) = link::spawn(url.to_owned(), role);
    let settings = PeerSettings {
        udp_addrs: vec!["127.0.0.1:0".into()],
        ..PeerSettings::default()
    };
    let session = engine::spawn(role, link.client(), events, settings, backends);
    (link, session)
}

pub fn side(
    url: &str,
    role: Role,
    screen: &Arc<PatternScreen>,
    sink: Arc<dyn FrameSink>,
) -> (DeskLink, SessionHandle) {
    spawn_side(url, role, pattern_backends(screen, sink))
}

/// Backends with the test pattern for a screen, `sink` for frames, and
/// nothing kept.
pub fn pattern_backends(screen: &Arc<PatternScreen>, sink: Arc<dyn FrameSink>) -> Backends {
    let screen = Arc::clone(screen);
    let injected = InputRecorder::default();
    Backends {
        capturers: Arc::new(move || {
            Box::new(Pattern {
                pattern: TestPattern::new(320, 180),
                screen: Arc::clone(&screen),
            }) as Box<dyn Capturer>
        }),
        sink,
        injector: Arc::new(move || Ok(Box::new(injected.clone()) as Box<dyn Injector>)),
        clipboard: Arc::new(|| Ok(Box::new(MemoryClipboard::default()) as _)),
        reboot: RebootPlan {
            command: vec!["false".into()],
            countdown: Duration::from_secs(1),
        },
        // Never the real ones: a test must not lock the machine.
        end_actions: EndActions {
            lock: vec!["false".into()],
            log_out: vec!["false".into()],
        },
        reconnect: None,
        downloads: std::env::temp_dir().join("lifeline-test-downloads"),
        shared: None,
        transcripts: None,
        pointer: Default::default(),
    }
}

/// A client's backends with the test pattern for a screen: what it is
/// made to type goes into `injected`, files it receives into `downloads`.
pub fn recording_client(
    screen: &Arc<PatternScreen>,
    injected: &InputRecorder,
    downloads: std::path::PathBuf,
) -> Backends {
    let recorder = injected.clone();
    Backends {
        injector: Arc::new(move || Ok(Box::new(recorder.clone()) as Box<dyn Injector>)),
        downloads,
        ..pattern_backends(screen, Arc::new(lifeline_lib::media::sink::NoSink))
    }
}

/// One side with its own transcripts folder and input recorder.
pub fn side_with(
    url: &str,
    role: Role,
    transcripts: &std::path::Path,
    injected: &InputRecorder,
    clipboard: &MemoryClipboard,
) -> (DeskLink, SessionHandle) {
    let injected = injected.clone();
    let clipboard = clipboard.clone();
    let backends = Backends {
        capturers: Arc::new(|| Box::new(TestPattern::new(320, 180)) as Box<dyn Capturer>),
        sink: Arc::new(NoSink),
        injector: Arc::new(move || Ok(Box::new(injected.clone()) as Box<dyn Injector>)),
        clipboard: Arc::new(move || Ok(Box::new(clipboard.clone()) as _)),
        // "Restarting" leaves a mark the test can see.
        reboot: RebootPlan {
            command: vec![
                "touch".into(),
                rebooted_marker(transcripts).display().to_string(),
            ],
            countdown: Duration::from_secs(1),
        },
        // "Locking" and "logging out" leave marks the test can see.
        end_actions: EndActions {
            lock: marking(transcripts, "locked"),
            log_out: marking(transcripts, "logged-out"),
        },
        reconnect: None,
        downloads: downloads_of(transcripts),
        shared: Some(shared_of(transcripts)),
        transcripts: Some(transcripts.to_owned()),
        pointer: Default::default(),
    };
    spawn_side(url, role, backends)
}

/// A command that creates the mark `name` beside `transcripts`.
fn marking(transcripts: &std::path::Path, name: &str) -> Vec<String> {
    let mark = transcripts.with_extension(name);
    vec!["touch".into(), mark.display().to_string()]
}

/// The file a test side's "restart" creates.
pub fn rebooted_marker(transcripts: &std::path::Path) -> std::path::PathBuf {
    transcripts.with_extension("rebooted")
}

/// Where a test side saves received files.
pub fn downloads_of(transcripts: &std::path::Path) -> std::path::PathBuf {
    transcripts.with_extension("downloads")
}

/// The folder a side made by [`side_with`] shares with the file browser.
pub fn shared_of(transcripts: &std::path::Path) -> std::path::PathBuf {
    transcripts.with_extension("shared")
}

/// A clipboard in memory that the test reads and writes like a user, and
/// that counts how often the app has read it.
#[derive(Debug, Clone, Default)]
pub struct MemoryClipboard {
    content: Arc<Mutex<Option<ClipContent>>>,
    reads: Arc<AtomicUsize>,
}

impl MemoryClipboard {
    /// Its text, or "" while it holds none.
    pub fn text(&self) -> String {
        match self.content() {
            Some(ClipContent::Text(text)) => text,
            _ => String::new(),
        }
    }

    pub fn content(&self) -> Option<ClipContent> {
        self.content.lock().unwrap().clone()
    }

    pub fn copy(&self, text: &str) {
        self.copy_content(ClipContent::Text(text.to_owned()));
    }

    pub fn copy_content(&self, content: ClipContent) {
        *self.content.lock().unwrap() = Some(content);
    }

    /// How often the app has read this clipboard so far.
    pub fn reads(&self) -> usize {
        self.reads.load(Ordering::Relaxed)
    }

    /// Waits until the app has read the clipboard `more` times from now
    /// (automatic sync polls it).
    pub async fn wait_reads(&self, more: usize) {
        let want = self.reads() + more;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while self.reads() < want {
            assert!(
                tokio::time::Instant::now() < deadline,
                "the clipboard is not being watched"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl ClipboardBackend for MemoryClipboard {
    fn get(&mut self) -> Result<ClipContent, ClipboardError> {
        self.reads.fetch_add(1, Ordering::Relaxed);
        self.content().ok_or(ClipboardError::Empty)
    }
    fn set(&mut self, content: &ClipContent) -> Result<(), ClipboardError> {
        self.copy_content(content.clone());
        Ok(())
    }
}

/// Records what would have been injected, as text lines.
#[derive(Debug, Clone, Default)]
pub struct InputRecorder(pub Arc<Mutex<Vec<String>>>);

impl InputRecorder {
    pub fn lines(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }

    fn record(&self, line: String) -> Result<(), InjectError> {
        self.0.lock().unwrap().push(line);
        Ok(())
    }
}

impl Injector for InputRecorder {
    fn pointer_to(&mut self, x: i32, y: i32) -> Result<(), InjectError> {
        self.record(format!("move {x},{y}"))
    }
    fn button(&mut self, button: MouseButton, down: bool) -> Result<(), InjectError> {
        self.record(format!("{button:?} {down}"))
    }
    fn wheel(&mut self, dx: i32, dy: i32) -> Result<(), InjectError> {
        self.record(format!("wheel {dx},{dy}"))
    }
    fn key(&mut self, evdev: u16, down: bool) -> Result<(), InjectError> {
        self.record(format!("key {evdev} {down}"))
    }
    fn text(&mut self, text: &str) -> Result<(), InjectError> {
        self.record(format!("text {text}"))
    }
}

/// Signs the expert in, connects to the client asking for `asked`, and
/// has the client accept with `granted`; returns once both are active.
pub async fn establish(
    client_link: &DeskLink,
    client: &SessionHandle,
    expert_link: &DeskLink,
    expert: &SessionHandle,
    asked: Scopes,
    granted: Scopes,
) {
    let mut client_view = client.subscribe();
    let mut expert_view = expert.subscribe();
    ask_and_accept(
        (client_link, client),
        (expert_link, expert),
        (asked, granted),
        Pins::default(),
    )
    .await;
    let active = |v: &SessionView| matches!(v.phase, Phase::Active { .. });
    wait_for(&mut expert_view, "the expert's session", active).await;
    wait_for(&mut client_view, "the client's session", active).await;
}

/// The PIN the client shows and the one the expert types (`None`: no PIN).
#[derive(Debug, Clone, Default)]
pub struct Pins {
    pub client: Option<&'static str>,
    pub expert: Option<&'static str>,
}

/// Waits until every link is connected to the desk.
pub async fn desks_connected(links: &[&DeskLink]) {
    for link in links {
        wait_for(&mut link.subscribe(), "the desk", |s| {
            *s == DeskStatus::Connected
        })
        .await;
    }
}

/// A fresh client ID from the desk, with `description`.
pub async fn fresh_id(client_link: &DeskLink, description: &str) -> String {
    client_link
        .client()
        .request_id(description.to_owned())
        .await
        .unwrap()
        .id
}

/// Signs the expert in as `ann` and waits until its view says so.
pub async fn sign_in(expert: &SessionHandle) {
    let mut view = expert.subscribe();
    expert
        .command(Command::Login {
            user: "ann".into(),
            password: PASSWORD.into(),
            code: None,
        })
        .await
        .unwrap();
    wait_for(&mut view, "sign-in", |v| v.signed_in_as.is_some()).await;
}

/// [`establish`] up to the client's Accept, with PINs, without waiting for
/// the connection.
pub async fn ask_and_accept(
    (client_link, client): (&DeskLink, &SessionHandle),
    (expert_link, expert): (&DeskLink, &SessionHandle),
    (asked, granted): (Scopes, Scopes),
    pins: Pins,
) {
    desks_connected(&[client_link, expert_link]).await;
    let mut client_view = client.subscribe();
    let id = fresh_id(client_link, "").await;
    client
        .command(Command::UsePin(pins.client.map(str::to_owned)))
        .await
        .unwrap();
    sign_in(expert).await;
    expert
        .command(Command::Connect {
            id,
            notes: String::new(),
            scopes: asked,
            reason: None,
            pin: pins.expert.map(str::to_owned),
        })
        .await
        .unwrap();
    wait_for(&mut client_view, "the consent request", |v| {
        matches!(v.phase, Phase::Asked { .. })
    })
    .await;
    client
        .accept(&asked_session(client), granted)
        .await
        .unwrap();
}

/// The session of the request the client's consent dialog shows now.
pub fn asked_session(client: &SessionHandle) -> String {
    match client.view().phase {
        Phase::Asked { session, .. } => session.to_string(),
        other => panic!("no request on screen: {other:?}"),
    }
}

pub fn frames_of(sink: &CollectingSink) -> Vec<lifeline_lib::media::sink::ScreenFrame> {
    sink.frames.lock().unwrap().clone()
}

/// Polls until `ok` holds for the sink's frames, or fails after 10 s.
pub async fn wait_for_frames(sink: &CollectingSink, what: &str, ok: impl Fn(usize) -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !ok(frames_of(sink).len()) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}; {} frames",
            frames_of(sink).len()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Waits until `side`'s first incoming transfer has ended, and checks that
/// it ended done.
pub async fn incoming_done(side: &SessionHandle) {
    let mut view = side.subscribe();
    let ended = view
        .wait_for(|v| {
            v.transfers
                .iter()
                .any(|t| t.direction == Direction::Incoming && t.state != State::Running)
        })
        .await
        .unwrap()
        .clone();
    assert_eq!(
        ended.transfers[0].state,
        State::Done,
        "{:?}",
        ended.transfers
    );
}

/// A desk on a real socket: its folder (with `desk.db`), its URL, the
/// sender that stops it, and its task.
pub type RunningDesk = (
    tempfile::TempDir,
    String,
    oneshot::Sender<()>,
    tokio::task::JoinHandle<Result<(), lifeline_signaling::http::ServeError>>,
);

/// A real signaling server on a loopback socket, with one expert account.
pub async fn start_desk() -> RunningDesk {
    start_desk_with(|_| {}).await
}

/// [`start_desk`], with its configuration changed by `tweak`.
pub async fn start_desk_with(tweak: impl FnOnce(&mut lifeline_signaling::Config)) -> RunningDesk {
    start_desk_on("127.0.0.1:0", tweak).await
}

/// [`start_desk_with`], listening on `address`.
pub async fn start_desk_on(
    address: &str,
    tweak: impl FnOnce(&mut lifeline_signaling::Config),
) -> RunningDesk {
    let dir = tempfile::tempdir().unwrap();
    let mut config = lifeline_signaling::Config {
        database_url: format!("sqlite://{}?mode=rwc", dir.path().join("desk.db").display()),
        ..Default::default()
    };
    tweak(&mut config);
    let pool = lifeline_signaling::db::open(&config.database_url)
        .await
        .unwrap();
    Accounts::new(pool, Duration::from_secs(3600))
        .add("ann", "Ann from the Help Desk", PASSWORD)
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind(address).await.unwrap();
    let url = format!("ws://{}/ws", listener.local_addr().unwrap());
    let server = Server::open(config).await.unwrap();
    let (stop_server, stopped) = oneshot::channel::<()>();
    let server_task = tokio::spawn(server.run(listener, async {
        let _ = stopped.await;
    }));
    (dir, url, stop_server, server_task)
}

/// The desk on the test internet's address, handing out its coturn for
/// STUN (and what `tweak` adds), and a runtime on each site's computer.
pub struct DeskOnInternet {
    pub url: String,
    pub computers: Vec<netns::NsRuntime>,
    _desk: (tempfile::TempDir, oneshot::Sender<()>),
    _internet: netns::NsRuntime,
}

impl DeskOnInternet {
    pub async fn start(
        network: &netns::Network,
        tweak: impl FnOnce(&mut lifeline_signaling::Config) + Send + 'static,
    ) -> Self {
        let internet = netns::NsRuntime::start(&network.internet);
        let (desk_dir, url, stop, _task) = internet
            .run_async(async move {
                start_desk_on(&format!("{}:0", netns::INTERNET), |config| {
                    config.ice.stun_urls = vec![format!("stun:{}:3478", netns::INTERNET)];
                    tweak(config);
                })
                .await
            })
            .await;
        let computers = network
            .sites
            .iter()
            .map(|s| netns::NsRuntime::start(&s.host))
            .collect();
        Self {
            url,
            computers,
            _desk: (desk_dir, stop),
            _internet: internet,
        }
    }

    /// An engine in `role` with `backends` on the computer of site
    /// `index`, linked to the desk the plain way.
    pub async fn engine(
        &self,
        index: usize,
        role: lifeline_signaling::protocol::Role,
        backends: lifeline_lib::session::engine::Backends,
    ) -> (
        lifeline_lib::desk::link::DeskLink,
        lifeline_lib::session::engine::SessionHandle,
    ) {
        use lifeline_lib::desk::{link, proxy::Route};
        use lifeline_lib::session::engine;
        let url = self.url.clone();
        self.computers[index]
            .run(move || {
                let (link, events) = link::spawn_with(url, role, None, Route::System, None);
                let settings = lifeline_lib::peer::PeerSettings::default();
                let session = engine::spawn(role, link.client(), events, settings, backends);
                (link, session)
            })
            .await
    }
}

/// [`wait_for`], for as long as `within`.
pub async fn wait_for_within<T: Clone + std::fmt::Debug>(
    rx: &mut watch::Receiver<T>,
    what: &str,
    within: Duration,
    ok: impl Fn(&T) -> bool,
) -> T {
    let result = tokio::time::timeout(within, async {
        rx.wait_for(|v| ok(v)).await.map(|v| v.clone())
    })
    .await;
    match result {
        Ok(Ok(value)) => value,
        _ => panic!(
            "timed out waiting for {what}; last: {:?}",
            rx.borrow().clone()
        ),
    }
}

/// A chat line from `a` reaches `b`, and `b`'s answer reaches `a`: both
/// engines handled everything sent on the control channel before them (a
/// positive signal for checks that something did not happen).
pub async fn chat_round_trip(a: &SessionHandle, b: &SessionHandle) {
    for (from, to, text) in [(a, b, "ping"), (b, a, "pong")] {
        from.command(Command::Chat(text.into())).await.unwrap();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let heard = to.log().await.unwrap().into_iter().any(|item| {
                matches!(item.entry, LogEntry::Chat { from: Author::Peer, text: ref t, .. } if t == text)
            });
            if heard {
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{text} never arrived"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

pub fn scopes(list: &[Scope]) -> Scopes {
    list.iter().copied().collect()
}

/// Polls the session's log until `ok` holds, or fails after 10 s.
pub async fn wait_log(session: &SessionHandle, what: &str, ok: impl Fn(&[LogItem]) -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let items = session.log().await.unwrap();
        if ok(&items) {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}; log: {items:#?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

pub fn has_event(items: &[LogItem], code: &str) -> bool {
    items
        .iter()
        .any(|i| matches!(&i.entry, LogEntry::Event { code: c, .. } if *c == code))
}

/// A running session between two engines made by [`side_with`], whose
/// transcripts (and what is kept beside them) go in `client_dir` and
/// `expert_dir`.
pub struct Pair {
    pub client: SessionHandle,
    pub expert: SessionHandle,
    pub client_dir: std::path::PathBuf,
    pub expert_dir: std::path::PathBuf,
    _links: (DeskLink, DeskLink),
}

/// Two sides through the desk at `url`, their files under `dir`; the
/// expert asks for `asked` and the client grants `granted`.
pub async fn pair(url: &str, dir: &std::path::Path, asked: Scopes, granted: Scopes) -> Pair {
    let (client_dir, expert_dir) = (dir.join("client"), dir.join("expert"));
    let make = |role, at: &std::path::Path| {
        side_with(
            url,
            role,
            at,
            &InputRecorder::default(),
            &MemoryClipboard::default(),
        )
    };
    let (client_link, client) = make(Role::Client, &client_dir);
    let (expert_link, expert) = make(Role::Expert, &expert_dir);
    establish(&client_link, &client, &expert_link, &expert, asked, granted).await;
    Pair {
        client,
        expert,
        client_dir,
        expert_dir,
        _links: (client_link, expert_link),
    }
}
