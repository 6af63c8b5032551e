//! [`super::Mode::Late`]: an honest relay that turns slow at the first PIN
//! proof it passes to the app. From then on everything the server says
//! reaches the app `lag` later, still in order, while the app's direct
//! path to its peer stays fast: the other side's close outruns its proof.

use std::collections::VecDeque;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use lifeline_signaling::protocol::ServerMessage;
use lifeline_signaling::protocol::signal::Signal;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;

use super::Socket;

pub(super) async fn relay(app: impl Socket, server: impl Socket, lag: Duration) {
    let (mut app_tx, mut app_rx) = app.split();
    let (mut server_tx, mut server_rx) = server.split();
    let mut queue: VecDeque<(Instant, Message)> = VecDeque::new();
    let mut late = false;
    loop {
        let next = queue.front().map(|(due, _)| *due);
        let wait = tokio::time::sleep_until(next.unwrap_or_else(Instant::now));
        tokio::select! {
            from_app = app_rx.next() => {
                let Some(Ok(message)) = from_app else { break };
                if server_tx.send(message).await.is_err() {
                    break;
                }
            }
            from_server = server_rx.next() => {
                let Some(Ok(message)) = from_server else { break };
                late |= is_proof(&message);
                let delay = if late { lag } else { Duration::ZERO };
                queue.push_back((Instant::now() + delay, message));
            }
            () = wait, if next.is_some() => {
                let Some((_, message)) = queue.pop_front() else { continue };
                if app_tx.send(message).await.is_err() {
                    break;
                }
            }
        }
    }
}

fn is_proof(message: &Message) -> bool {
    let Message::Text(text) = message else {
        return false;
    };
    matches!(
        serde_json::from_str(text),
        Ok(ServerMessage::Signal {
            signal: Signal::PinProof { .. },
            ..
        })
    )
}
