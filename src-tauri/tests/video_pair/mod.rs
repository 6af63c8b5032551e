//! An expert and a client peer on loopback with the screen's video track
//! between them: the client's [`VideoSender`], and the expert's real
//! receive path (`screen_view`: reassembly, keyframe requests) ending in a
//! sink that counts what arrives. Signals travel through tasks that hold
//! each one for `signal_delay`, as the desk's relay would.
// Shared by several test crates; not each uses every item.
#![allow(dead_code)]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use lifeline_lib::media::sink::{FrameSink, ScreenFrame};
use lifeline_lib::peer::video::VideoSender;
use lifeline_lib::peer::{ConnectionState, Peer, PeerEvent, PeerSettings, Role};
use lifeline_lib::session::screen_view;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

pub fn loopback() -> PeerSettings {
    PeerSettings {
        udp_addrs: vec!["127.0.0.1:0".into()],
        ..PeerSettings::default()
    }
}

/// Keeps every frame and publishes how many there are.
#[derive(Debug)]
pub struct CountingSink {
    pub frames: Mutex<Vec<ScreenFrame>>,
    count: watch::Sender<usize>,
}

impl Default for CountingSink {
    fn default() -> Self {
        Self {
            frames: Mutex::new(Vec::new()),
            count: watch::channel(0).0,
        }
    }
}

impl FrameSink for CountingSink {
    fn deliver(&self, frame: ScreenFrame) {
        let mut frames = self.frames.lock().unwrap();
        frames.push(frame);
        self.count.send_replace(frames.len());
    }
}

impl CountingSink {
    pub fn frames(&self) -> Vec<ScreenFrame> {
        self.frames.lock().unwrap().clone()
    }

    /// Waits until at least `n` frames are in, or `limit` has passed;
    /// returns how many there are.
    pub async fn wait_for(&self, n: usize, limit: Duration) -> usize {
        let mut count = self.count.subscribe();
        let _ = tokio::time::timeout(limit, count.wait_for(|c| *c >= n)).await;
        *count.borrow()
    }
}

pub struct VideoPair {
    pub expert: Arc<Peer>,
    pub client: Arc<Peer>,
    pub video: Arc<VideoSender>,
    pub sink: Arc<CountingSink>,
    /// When each side saw the connection up.
    pub expert_up: watch::Receiver<Option<Instant>>,
    pub client_up: watch::Receiver<Option<Instant>>,
    /// When the offer was made.
    pub offered: Instant,
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for VideoPair {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

impl VideoPair {
    /// Both peers up, or a panic after 10 s.
    pub async fn connected(&mut self) -> Instant {
        let limit = Duration::from_secs(10);
        let expert = tokio::time::timeout(limit, self.expert_up.wait_for(Option::is_some))
            .await
            .expect("the expert connects")
            .unwrap()
            .unwrap();
        let client = tokio::time::timeout(limit, self.client_up.wait_for(Option::is_some))
            .await
            .expect("the client connects")
            .unwrap()
            .unwrap();
        expert.max(client)
    }

    pub async fn close(&self) {
        self.expert.close().await;
        self.client.close().await;
    }
}

/// Forwards one side's events: signals to the other side after `delay`,
/// its connection state to `up`, and (expert) the video track into the
/// screen view.
fn pump(
    mut events: mpsc::Receiver<PeerEvent>,
    to: Arc<Peer>,
    delay: Duration,
    up: watch::Sender<Option<Instant>>,
    sink: Arc<CountingSink>,
) -> Vec<JoinHandle<()>> {
    let (relay_tx, mut relay_rx) = mpsc::unbounded_channel();
    let relay = tokio::spawn(async move {
        while let Some((due, signal)) = relay_rx.recv().await {
            tokio::time::sleep_until(due).await;
            to.handle_signal(signal).await.expect("signal accepted");
        }
    });
    let events = tokio::spawn(async move {
        let mut viewer = None;
        while let Some(event) = events.recv().await {
            match event {
                PeerEvent::LocalSignal(signal) => {
                    let due = tokio::time::Instant::now() + delay;
                    let _ = relay_tx.send((due, signal));
                }
                PeerEvent::State(ConnectionState::Connected) => {
                    up.send_replace(Some(Instant::now()));
                }
                PeerEvent::Video(receiver) => {
                    viewer = Some(screen_view::spawn(
                        receiver,
                        Arc::clone(&sink) as Arc<dyn FrameSink>,
                        Arc::default(),
                        None,
                    ));
                }
                _ => {}
            }
        }
        if let Some(viewer) = viewer {
            viewer.abort();
        }
    });
    vec![relay, events]
}

/// Makes the pair and starts connecting; the offer and answer also take
/// `signal_delay` each way.
pub async fn video_pair(signal_delay: Duration) -> VideoPair {
    let (expert, expert_events) = Peer::new(Role::Offerer, &loopback()).await.unwrap();
    let client_settings = PeerSettings {
        share_screen: true,
        ..loopback()
    };
    let (client, client_events) = Peer::new(Role::Answerer, &client_settings).await.unwrap();
    let (expert, client) = (Arc::new(expert), Arc::new(client));
    let sink = Arc::new(CountingSink::default());
    let (expert_up_tx, expert_up) = watch::channel(None);
    let (client_up_tx, client_up) = watch::channel(None);
    expert.receive_video().await.unwrap();
    let offered = Instant::now();
    let offer = expert.create_offer().await.unwrap();
    let mut tasks = pump(
        expert_events,
        Arc::clone(&client),
        signal_delay,
        expert_up_tx,
        Arc::clone(&sink),
    );
    tokio::time::sleep(signal_delay).await;
    let answer = client
        .handle_signal(offer)
        .await
        .unwrap()
        .expect("an answer");
    let video = client.video_sender().await.expect("the client's track");
    tasks.extend(pump(
        client_events,
        Arc::clone(&expert),
        signal_delay,
        client_up_tx,
        Arc::clone(&sink),
    ));
    tokio::time::sleep(signal_delay).await;
    expert.handle_signal(answer).await.unwrap();
    VideoPair {
        expert,
        client,
        video,
        sink,
        expert_up,
        client_up,
        offered,
        tasks,
    }
}
