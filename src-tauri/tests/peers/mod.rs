//! Two real webrtc-rs peers on loopback, their signals exchanged through a
//! plain channel (standing in for the signaling relay), with one reliable
//! data channel made by the expert and received by the client.
// Shared by several test crates; not each uses every field.
#![allow(dead_code)]

use std::time::Duration;

use lifeline_lib::peer::{Channel, ConnectionState, Delivery, Peer, PeerEvent, PeerSettings, Role};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

pub fn loopback() -> PeerSettings {
    PeerSettings {
        udp_addrs: vec!["127.0.0.1:0".into()],
        ..PeerSettings::default()
    }
}

pub struct Connected {
    pub expert: Peer,
    pub client: Peer,
    /// The expert's end of the channel, already open.
    pub local: Channel,
    /// The client's end.
    pub remote: Channel,
    /// Channels the expert opens later, as the client receives them.
    pub incoming: mpsc::Receiver<Channel>,
    forward: JoinHandle<()>,
}

impl Drop for Connected {
    fn drop(&mut self) {
        self.forward.abort();
    }
}

/// Forwards one peer's local candidates to the other until connected.
async fn pump(
    from: &mut mpsc::Receiver<PeerEvent>,
    to: &Peer,
    channels: &mpsc::Sender<Channel>,
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

/// Connects an expert and a client over a channel labelled `label`.
pub async fn connected(label: &str) -> Connected {
    let (expert, mut expert_events) = Peer::new(Role::Offerer, &loopback()).await.unwrap();
    let (client, mut client_events) = Peer::new(Role::Answerer, &loopback()).await.unwrap();
    let local = expert
        .create_data_channel(label, Delivery::Reliable)
        .await
        .unwrap();
    let offer = expert.create_offer().await.unwrap();
    let answer = client
        .handle_signal(offer)
        .await
        .unwrap()
        .expect("an answer");
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

    // Keep forwarding late events (the client's incoming channel).
    let forward = tokio::spawn(async move {
        while let Some(event) = client_events.recv().await {
            if let PeerEvent::DataChannel(channel) = event {
                let _ = channel_tx.send(channel).await;
            }
        }
    });
    let remote = tokio::time::timeout(Duration::from_secs(10), channel_rx.recv())
        .await
        .expect("the client sees the expert's channel")
        .unwrap();
    assert_eq!(remote.label().await, label);
    assert!(local.opened().await, "the expert's channel opens");
    Connected {
        expert,
        client,
        local,
        remote,
        incoming: channel_rx,
        forward,
    }
}
