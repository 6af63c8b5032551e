//! A hostile (or merely slow) signaling server, for tests: a WebSocket
//! relay in front of the real one, in one of three modes.
//!
//! - [`Mode::Middle`] does what RustDesk's 2021 interception did. It
//!   answers the expert's offer with a peer of its own, makes its own offer
//!   to the client, and bridges the data channels between the two, so each
//!   app sees a working session whose DTLS ends at the relay. Everything
//!   else, the PIN check's messages included, passes through unchanged: the
//!   relay cannot do better without the PIN.
//! - [`Mode::Late`] is honest but slow at the wrong moment (see `late`).
//! - [`Mode::Forge`] lies to the client about consent: the moment a request
//!   arrives it announces a session with every permission and sends an
//!   offer, before anyone clicked Accept; and when the real session starts
//!   it announces every permission again. It records what the app sends.

mod late;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use futures_util::{SinkExt, StreamExt};
use lifeline_lib::peer::{
    Channel, Delivery, Incoming, Peer, PeerEvent, PeerSettings, Role as PeerRole,
};
use lifeline_signaling::protocol::signal::Signal;
use lifeline_signaling::protocol::{AppMessage, Scope, Scopes, ServerMessage, SessionId};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

/// What the relay read off the bridged data channels.
pub type Overheard = Arc<Mutex<Vec<String>>>;

/// The relay's channels towards the client, by label.
type Channels = HashMap<String, Channel>;

/// Either end of a relayed WebSocket.
trait Socket:
    futures_util::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>>
    + futures_util::Sink<Message>
    + Unpin
{
}

impl<T> Socket for T where
    T: futures_util::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>>
        + futures_util::Sink<Message>
        + Unpin
{
}

#[derive(Clone)]
pub enum Mode {
    Middle(Overheard),
    Forge(Arc<Mutex<Vec<AppMessage>>>),
    Late(std::time::Duration),
}

/// Starts the relay in front of `upstream`; returns its URL.
pub async fn start(upstream: String, mode: Mode) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}/ws", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (upstream, mode) = (upstream.clone(), mode.clone());
            tokio::spawn(async move {
                let Ok(app) = tokio_tungstenite::accept_async(stream).await else {
                    return;
                };
                let (server, _) = tokio_tungstenite::connect_async(upstream).await.unwrap();
                match mode {
                    Mode::Middle(overheard) => relay(app, server, overheard).await,
                    Mode::Forge(sent) => forge(app, server, sent).await,
                    Mode::Late(lag) => late::relay(app, server, lag).await,
                }
            });
        }
    });
    url
}

fn loopback() -> PeerSettings {
    PeerSettings {
        udp_addrs: vec!["127.0.0.1:0".into()],
        ..PeerSettings::default()
    }
}

/// The relay's two peers: one playing the client to the expert, one
/// playing the expert to the client.
struct Middle {
    to_expert: Arc<Peer>,
    to_client: Arc<Peer>,
}

enum Out {
    ToApp(ServerMessage),
    ToServer(AppMessage),
}

async fn relay(app: impl Socket, server: impl Socket, overheard: Overheard) {
    let (mut app_tx, mut app_rx) = app.split();
    let (mut server_tx, mut server_rx) = server.split();
    let (out_tx, mut out_rx) = mpsc::unbounded_channel::<Out>();
    let mut middle: Option<Middle> = None;
    loop {
        tokio::select! {
            from_app = app_rx.next() => {
                let Some(Ok(Message::Text(text))) = from_app else { break };
                match serde_json::from_str::<AppMessage>(&text) {
                    Ok(AppMessage::Signal { session, signal: Signal::Offer { sdp } }) => {
                        let created = intercept(&session, sdp, &out_tx, &overheard).await;
                        middle = Some(created);
                    }
                    Ok(AppMessage::Signal { signal: signal @ Signal::Ice { .. }, .. })
                        if middle.is_some() =>
                    {
                        let peer = &middle.as_ref().unwrap().to_expert;
                        let _ = peer.handle_signal(signal).await;
                    }
                    _ => {
                        let _ = server_tx.send(Message::Text(text)).await;
                    }
                }
            }
            from_server = server_rx.next() => {
                let Some(Ok(Message::Text(text))) = from_server else { break };
                match (serde_json::from_str::<ServerMessage>(&text), &middle) {
                    (
                        Ok(ServerMessage::Signal {
                            signal: signal @ (Signal::Answer { .. } | Signal::Ice { .. }),
                            ..
                        }),
                        Some(middle),
                    ) => {
                        let _ = middle.to_client.handle_signal(signal).await;
                    }
                    _ => {
                        let _ = app_tx.send(Message::Text(text)).await;
                    }
                }
            }
            Some(out) = out_rx.recv() => {
                let sent = match out {
                    Out::ToApp(message) => {
                        app_tx.send(Message::Text(serde_json::to_string(&message).unwrap().into())).await.is_ok()
                    }
                    Out::ToServer(message) => {
                        server_tx.send(Message::Text(serde_json::to_string(&message).unwrap().into())).await.is_ok()
                    }
                };
                if !sent {
                    break;
                }
            }
        }
    }
}

/// Answers the expert's offer itself and offers its own peer to the client.
async fn intercept(
    session: &SessionId,
    sdp: String,
    out: &mpsc::UnboundedSender<Out>,
    overheard: &Overheard,
) -> Middle {
    let (to_expert, expert_events) = Peer::new(PeerRole::Answerer, &loopback()).await.unwrap();
    let (to_client, client_events) = Peer::new(PeerRole::Offerer, &loopback()).await.unwrap();
    let mut towards_client = HashMap::new();
    for label in ["control", "input", "files"] {
        let channel = to_client
            .create_data_channel(label, Delivery::Reliable)
            .await
            .unwrap();
        towards_client.insert(label.to_owned(), channel);
    }
    let answer = to_expert
        .handle_signal(Signal::Offer { sdp })
        .await
        .unwrap()
        .expect("an answer");
    let _ = out.send(Out::ToApp(ServerMessage::Signal {
        session: session.clone(),
        signal: answer,
    }));
    let offer = to_client.create_offer().await.unwrap();
    let _ = out.send(Out::ToServer(AppMessage::Signal {
        session: session.clone(),
        signal: offer,
    }));
    let session = session.clone();
    {
        let (out, session) = (out.clone(), session.clone());
        tokio::spawn(pump(
            client_events,
            move |signal| {
                Out::ToServer(AppMessage::Signal {
                    session: session.clone(),
                    signal,
                })
            },
            out,
            None,
        ));
    }
    let bridge = Some((towards_client, Arc::clone(overheard)));
    tokio::spawn(pump(
        expert_events,
        move |signal| {
            Out::ToApp(ServerMessage::Signal {
                session: session.clone(),
                signal,
            })
        },
        out.clone(),
        bridge,
    ));
    Middle {
        to_expert: Arc::new(to_expert),
        to_client: Arc::new(to_client),
    }
}

/// Forwards a relay peer's candidates, and bridges the expert's channels
/// to the relay's channels towards the client.
async fn pump(
    mut events: mpsc::Receiver<PeerEvent>,
    wrap: impl Fn(Signal) -> Out + Send + 'static,
    out: mpsc::UnboundedSender<Out>,
    bridge: Option<(Channels, Overheard)>,
) {
    while let Some(event) = events.recv().await {
        match event {
            PeerEvent::LocalSignal(signal) => {
                let _ = out.send(wrap(signal));
            }
            PeerEvent::DataChannel(from_expert) => {
                let Some((channels, overheard)) = &bridge else {
                    continue;
                };
                let label = from_expert.label().await;
                if let Some(to_client) = channels.get(&label) {
                    tokio::spawn(forward(
                        from_expert.clone(),
                        to_client.clone(),
                        Arc::clone(overheard),
                    ));
                    tokio::spawn(forward(
                        to_client.clone(),
                        from_expert,
                        Arc::clone(overheard),
                    ));
                }
            }
            _ => {}
        }
    }
}

/// Copies one channel's messages to another, reading every text message.
async fn forward(from: Channel, to: Channel, overheard: Overheard) {
    for _ in 0..200 {
        if to.is_open().await {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    loop {
        match from.next().await {
            Incoming::Message { text: true, data } => {
                let text = String::from_utf8_lossy(&data).into_owned();
                overheard.lock().unwrap().push(text.clone());
                let _ = to.send_text(&text).await;
            }
            Incoming::Message { text: false, data } => {
                let _ = to.send_bytes(&data).await;
            }
            Incoming::Open => {}
            Incoming::Closed => break,
        }
    }
}

/// [`Mode::Forge`]: a session announced without consent, with every
/// permission, and an offer from a peer of the relay's own.
async fn forge(app: impl Socket, server: impl Socket, sent: Arc<Mutex<Vec<AppMessage>>>) {
    let everything: Scopes = [
        Scope::View,
        Scope::Control,
        Scope::Files,
        Scope::Clipboard,
        Scope::Reboot,
    ]
    .into_iter()
    .collect();
    let (mut app_tx, mut app_rx) = app.split();
    let (mut server_tx, mut server_rx) = server.split();
    let mut intruders = Vec::new();
    let to_app =
        |message: &ServerMessage| Message::Text(serde_json::to_string(message).unwrap().into());
    loop {
        tokio::select! {
            from_app = app_rx.next() => {
                let Some(Ok(Message::Text(text))) = from_app else { break };
                if let Ok(message) = serde_json::from_str::<AppMessage>(&text) {
                    sent.lock().unwrap().push(message);
                }
                let _ = server_tx.send(Message::Text(text)).await;
            }
            from_server = server_rx.next() => {
                let Some(Ok(Message::Text(text))) = from_server else { break };
                match serde_json::from_str::<ServerMessage>(&text) {
                    Ok(ServerMessage::ConnectRequest { session, .. }) => {
                        let _ = app_tx.send(Message::Text(text)).await;
                        let (intruder, _events) = Peer::new(PeerRole::Offerer, &loopback()).await.unwrap();
                        intruder.create_data_channel("control", Delivery::Reliable).await.unwrap();
                        let offer = intruder.create_offer().await.unwrap();
                        for forged in [
                            ServerMessage::SessionStarted { session: session.clone(), scopes: everything, ice_servers: Vec::new(), client: None, reattach: None, recorded: false },
                            ServerMessage::Signal { session, signal: offer },
                        ] {
                            let _ = app_tx.send(to_app(&forged)).await;
                        }
                        intruders.push((intruder, _events));
                    }
                    Ok(ServerMessage::SessionStarted { session, ice_servers, client, .. }) => {
                        let widened = ServerMessage::SessionStarted { session, scopes: everything, ice_servers, client, reattach: None, recorded: false };
                        let _ = app_tx.send(to_app(&widened)).await;
                    }
                    _ => {
                        let _ = app_tx.send(Message::Text(text)).await;
                    }
                }
            }
        }
    }
}
