//! Two real webrtc-rs peers on loopback, exchanging their signals through a
//! plain channel (standing in for the signaling relay): they connect, a
//! reliable data channel carries a message both ways, and both sides derive
//! the same safety code. Role checks refuse signals a side must never take.

mod peers;

use lifeline_lib::peer::{Channel, Incoming, Peer, PeerError, Role, Signal};
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

    expert.close().await;
    client.close().await;
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
