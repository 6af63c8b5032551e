//! Two real webrtc-rs peers on loopback, exchanging their signals through a
//! plain channel (standing in for the signaling relay): they connect, a
//! reliable data channel carries a message both ways, and both sides derive
//! the same safety code. Role checks refuse signals a side must never take.

mod peers;

use std::time::Duration;

use lifeline_lib::peer::{Channel, Delivery, Incoming, Peer, PeerError, Role, Signal};
use peers::loopback;

async fn next_text(channel: &Channel) -> String {
    loop {
        match channel.next().await {
            Incoming::Message { data, .. } => {
                return String::from_utf8(data.to_vec()).expect("utf-8");
            }
            Incoming::Closed => panic!("the channel closed"),
            Incoming::Open => continue,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_peers_connect_talk_and_agree_on_the_safety_code() {
    let pair = peers::connected("control").await;
    let (expert, client) = (&pair.expert, &pair.client);
    let (control, remote) = (&pair.local, &pair.remote);
    control.send_bytes(b"hello client").await.unwrap();
    assert_eq!(next_text(remote).await, "hello client");
    remote.send_text("hello expert").await.unwrap();
    assert_eq!(next_text(control).await, "hello expert");

    let expert_code = expert.safety_code().await.expect("expert code");
    let client_code = client.safety_code().await.expect("client code");
    assert_eq!(expert_code, client_code);

    // On one machine the chosen path is direct, over UDP, on both sides.
    for peer in [expert, client] {
        let path = peer.path().await.expect("a chosen path");
        assert!(!path.relayed(), "{path}");
        assert_eq!(path.protocol, "udp");
    }

    expert.close().await;
    client.close().await;
}

/// A peer that opens data channels without end gets sixteen in all; the
/// rest are closed at once rather than handed to the session.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_opening_too_many_channels_has_the_rest_closed() {
    let mut pair = peers::connected("control").await;
    let mut extra = Vec::new();
    for n in 0..19 {
        let label = format!("extra-{n}");
        extra.push(
            pair.expert
                .create_data_channel(&label, Delivery::Reliable)
                .await
                .unwrap(),
        );
    }
    // Fifteen more reach the client, sixteen with the first…
    for n in 0..15 {
        tokio::time::timeout(Duration::from_secs(10), pair.incoming.recv())
            .await
            .unwrap_or_else(|_| panic!("channel {n} never arrived"))
            .expect("the forwarder runs");
    }
    // …and four are closed: the expert's ends of exactly four see it.
    let (closed_tx, mut closed_rx) = tokio::sync::mpsc::channel(19);
    for channel in extra {
        let closed_tx = closed_tx.clone();
        tokio::spawn(async move {
            while channel.next().await != Incoming::Closed {}
            let _ = closed_tx.send(channel.label().await).await;
        });
    }
    for n in 0..4 {
        tokio::time::timeout(Duration::from_secs(10), closed_rx.recv())
            .await
            .unwrap_or_else(|_| panic!("only {n} of the channels past 16 were closed"));
    }
    assert!(
        pair.incoming.try_recv().is_err(),
        "a channel past 16 reached the session"
    );
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
