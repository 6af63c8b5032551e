//! The desk link takes its running sessions back on every new connection:
//! a desk stand-in (a real WebSocket server) starts two sessions for an
//! expert and hangs up; the link's next connection says `reattach` for
//! each, with its own secret. A session that ended (the other side's
//! goodbye, or this side's) is not taken back. A probe the desk leaves
//! unanswered makes the link again at once, not after its back-off.

use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use lifeline_lib::desk::link;
use lifeline_signaling::protocol::{
    AppMessage, LeaveReason, Role, Scopes, ServerMessage, SessionId,
};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

/// One connection the stand-in accepted: what the app said on it after
/// hello, and a way to speak on it (`None` hangs up).
struct Conn {
    heard: mpsc::UnboundedReceiver<AppMessage>,
    say: mpsc::UnboundedSender<Option<ServerMessage>>,
}

impl Conn {
    fn say(&self, message: ServerMessage) {
        self.say.send(Some(message)).unwrap();
    }

    fn hang_up(&self) {
        self.say.send(None).unwrap();
    }

    async fn next(&mut self) -> AppMessage {
        tokio::time::timeout(Duration::from_secs(10), self.heard.recv())
            .await
            .expect("the app says something")
            .expect("the connection is open")
    }
}

/// A desk that welcomes every hello, answers nothing else, and hands
/// each connection to the test.
async fn stand_in() -> (String, mpsc::UnboundedReceiver<Conn>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}/ws", listener.local_addr().unwrap());
    let (conns, accepted) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let mut ws = tokio_tungstenite::accept_async(stream).await.unwrap();
            let _hello = ws.next().await;
            let welcome = serde_json::to_string(&ServerMessage::Welcome { version: 1 }).unwrap();
            ws.send(Message::text(welcome)).await.unwrap();
            let (heard_tx, heard) = mpsc::unbounded_channel();
            let (say, mut said) = mpsc::unbounded_channel::<Option<ServerMessage>>();
            let _ = conns.send(Conn { heard, say });
            tokio::spawn(async move {
                loop {
                    tokio::select! {
                        frame = ws.next() => match frame {
                            Some(Ok(Message::Text(text))) => {
                                let _ = heard_tx.send(serde_json::from_str(&text).unwrap());
                            }
                            Some(Ok(_)) => {}
                            _ => return,
                        },
                        message = said.recv() => match message.flatten() {
                            Some(message) => {
                                let text = serde_json::to_string(&message).unwrap();
                                ws.send(Message::text(text)).await.unwrap();
                            }
                            None => return,
                        },
                    }
                }
            });
        }
    });
    (url, accepted)
}

async fn next_conn(accepted: &mut mpsc::UnboundedReceiver<Conn>) -> Conn {
    tokio::time::timeout(Duration::from_secs(10), accepted.recv())
        .await
        .expect("the link connects")
        .unwrap()
}

fn session(name: &str) -> SessionId {
    SessionId::parse(name).unwrap()
}

fn started(name: &str, secret: &str) -> ServerMessage {
    ServerMessage::SessionStarted {
        session: session(name),
        scopes: Scopes::NONE,
        ice_servers: Vec::new(),
        client: None,
        reattach: Some(secret.into()),
        recorded: false,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_link_takes_the_running_sessions_back_and_only_those() {
    let (url, mut accepted) = stand_in().await;
    let (link, mut events) = link::spawn(url, Role::Expert);
    let first = next_conn(&mut accepted).await;
    for message in [started("s1", "k1"), started("s2", "k2")] {
        first.say(message);
        events.recv().await.unwrap();
    }
    first.hang_up();

    let mut second = next_conn(&mut accepted).await;
    let mut back = Vec::new();
    for _ in 0..2 {
        match second.next().await {
            AppMessage::Reattach { session, secret } => back.push((session, secret)),
            other => panic!("{other:?} before the reattaches"),
        }
    }
    back.sort_by(|a, b| a.0.as_str().cmp(b.0.as_str()));
    assert_eq!(
        back,
        [
            (session("s1"), "k1".to_owned()),
            (session("s2"), "k2".to_owned())
        ]
    );

    // s1 ends by the other side's goodbye, s2 by this side's.
    second.say(ServerMessage::PeerLeft {
        session: session("s1"),
        reason: LeaveReason::Bye,
    });
    events.recv().await.unwrap();
    let client = link.client();
    client
        .send(AppMessage::Bye {
            session: session("s2"),
        })
        .await
        .unwrap();
    assert!(matches!(second.next().await, AppMessage::Bye { .. }));

    // The desk leaves a probe unanswered: the link is made again at once.
    let probed = Instant::now();
    client.probe();
    assert_eq!(second.next().await, AppMessage::Ping);
    let mut third = next_conn(&mut accepted).await;
    let relinked = probed.elapsed();
    // The probe's 2 s, not the back-off's 2 s more after a short-lived
    // connection.
    assert!(relinked < Duration::from_millis(3500), "{relinked:?}");
    // Nothing to take back: the first thing said is the next probe's ping.
    client.probe();
    assert_eq!(third.next().await, AppMessage::Ping);
}
