//! Two real webrtc-rs peers on loopback, exchanging their signals through a
//! plain channel (standing in for the signaling relay): they connect, a
//! reliable data channel carries a message both ways, and both sides derive
//! the same safety code. Role checks refuse signals a side must never take.

use std::time::Duration;

use bytes::BytesMut;
use lifeline_lib::peer::{
    ConnectionState, Delivery, Peer, PeerError, PeerEvent, PeerSettings, Role, Signal,
};
use tokio::sync::mpsc;
use webrtc::data_channel::{DataChannel, DataChannelEvent};

fn loopback() -> PeerSettings {
    PeerSettings {
        udp_addrs: vec!["127.0.0.1:0".into()],
        ..PeerSettings::default()
    }
}

/// Forwards one peer's local candidates to the other until connected.
async fn pump(
    from: &mut mpsc::Receiver<PeerEvent>,
    to: &Peer,
    channels: &mpsc::Sender<std::sync::Arc<dyn DataChannel>>,
) -> bool {
    while let Some(event) = from.recv().await {
        match event {
            PeerEvent::LocalSignal(signal) => {
                to.handle_signal(signal).await.expect("candidate accepted");
            }
            PeerEvent::DataChannel(channel) => {
                let _ = channels.send(channel).await;
            }
            PeerEvent::State(ConnectionState::Connected) => return true,
            PeerEvent::State(ConnectionState::Failed) => return false,
            _ => {}
        }
    }
    false
}

async fn next_text(channel: &dyn DataChannel) -> String {
    loop {
        match channel.poll().await.expect("channel stays open") {
            DataChannelEvent::OnMessage(message) => {
                return String::from_utf8(message.data.to_vec()).expect("utf-8");
            }
            _ => continue,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_peers_connect_talk_and_agree_on_the_safety_code() {
    let (expert, mut expert_events) = Peer::new(Role::Offerer, &loopback()).await.unwrap();
    let (client, mut client_events) = Peer::new(Role::Answerer, &loopback()).await.unwrap();

    let control = expert
        .create_data_channel("control", Delivery::Reliable)
        .await
        .unwrap();
    let offer = expert.create_offer().await.unwrap();
    let answer = client
        .handle_signal(offer)
        .await
        .unwrap()
        .expect("an answer");
    assert!(matches!(answer, Signal::Answer { .. }));
    expert.handle_signal(answer).await.unwrap();

    let (channel_tx, mut channel_rx) = mpsc::channel(4);
    let (expert_up, client_up) = tokio::time::timeout(Duration::from_secs(10), async {
        tokio::join!(
            pump(&mut expert_events, &client, &channel_tx),
            pump(&mut client_events, &expert, &channel_tx)
        )
    })
    .await
    .expect("connected within 10 s");
    assert!(expert_up && client_up, "both peers connect");

    // Keep forwarding late events (the client's incoming channel) meanwhile.
    let forward = {
        let channel_tx = channel_tx.clone();
        tokio::spawn(async move {
            while let Some(event) = client_events.recv().await {
                if let PeerEvent::DataChannel(channel) = event {
                    let _ = channel_tx.send(channel).await;
                }
            }
        })
    };
    let remote = tokio::time::timeout(Duration::from_secs(10), channel_rx.recv())
        .await
        .expect("the client sees the expert's channel")
        .unwrap();
    assert_eq!(remote.label().await.unwrap(), "control");

    // Wait for the expert's side to open before sending.
    loop {
        if let DataChannelEvent::OnOpen = control.poll().await.unwrap() {
            break;
        }
    }
    control
        .send(BytesMut::from(&b"hello client"[..]))
        .await
        .unwrap();
    assert_eq!(next_text(remote.as_ref()).await, "hello client");
    remote.send_text("hello expert").await.unwrap();
    assert_eq!(next_text(control.as_ref()).await, "hello expert");

    let expert_code = expert.safety_code().await.expect("expert code");
    let client_code = client.safety_code().await.expect("client code");
    assert_eq!(expert_code, client_code);

    expert.close().await;
    client.close().await;
    forward.abort();
}

#[tokio::test]
async fn roles_refuse_signals_they_must_never_take() {
    let (client, _events) = Peer::new(Role::Answerer, &loopback()).await.unwrap();
    let answer = Signal::Answer { sdp: "v=0".into() };
    assert!(matches!(
        client.handle_signal(answer).await,
        Err(PeerError::UnexpectedSignal {
            role: Role::Answerer,
            kind: "answer"
        })
    ));
    assert!(
        client.create_offer().await.is_err(),
        "a client never offers"
    );

    let (expert, _events) = Peer::new(Role::Offerer, &loopback()).await.unwrap();
    let offer = Signal::Offer { sdp: "v=0".into() };
    assert!(matches!(
        expert.handle_signal(offer).await,
        Err(PeerError::UnexpectedSignal {
            role: Role::Offerer,
            kind: "offer"
        })
    ));
    client.close().await;
    expert.close().await;
}
