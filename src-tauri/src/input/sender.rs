//! The expert's end of remote control: sends input events on the `input`
//! channel in order. While the channel is busy, queued pointer moves are
//! coalesced (only the newest of a run is sent); buttons, keys and text are
//! never dropped or reordered.

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::event::InputEvent;
use crate::peer::Channel;

/// How many events may wait for the channel before new ones are refused.
const QUEUE: usize = 512;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    #[error("the remote control queue is full")]
    Busy,
    #[error("remote control has ended")]
    Closed,
}

/// Dropping it stops the sending task.
#[derive(Debug)]
pub struct InputSender {
    queue: mpsc::Sender<InputEvent>,
    task: JoinHandle<()>,
}

impl InputSender {
    pub fn start(channel: Channel) -> Self {
        let (queue, inbox) = mpsc::channel(QUEUE);
        let task = tokio::spawn(run(channel, inbox));
        Self { queue, task }
    }

    pub fn send(&self, event: InputEvent) -> Result<(), SendError> {
        self.queue.try_send(event).map_err(|error| match error {
            mpsc::error::TrySendError::Full(_) => SendError::Busy,
            mpsc::error::TrySendError::Closed(_) => SendError::Closed,
        })
    }
}

impl Drop for InputSender {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn run(channel: Channel, mut inbox: mpsc::Receiver<InputEvent>) {
    // Events queue (and moves coalesce) until the channel opens. Nobody
    // else reads this channel's events on the expert's side.
    if !channel.opened().await {
        return;
    }
    let mut batch = Vec::with_capacity(64);
    while inbox.recv_many(&mut batch, 64).await > 0 {
        for event in coalesce(std::mem::take(&mut batch)) {
            if let Err(error) = channel.send_text(&event.to_json()).await {
                tracing::debug!(%error, "input channel closed");
                return;
            }
        }
    }
}

/// Drops every pointer move that is directly followed by another move.
pub fn coalesce(events: Vec<InputEvent>) -> Vec<InputEvent> {
    let mut out: Vec<InputEvent> = Vec::with_capacity(events.len());
    for event in events {
        if event.is_move() && out.last().is_some_and(InputEvent::is_move) {
            out.pop();
        }
        out.push(event);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::event::MouseButton;

    #[test]
    fn only_runs_of_moves_collapse() {
        let mv = |x: f32| InputEvent::Move { x, y: 0.0 };
        let click = |down| InputEvent::Button {
            button: MouseButton::Left,
            down,
        };
        let events = vec![
            mv(0.1),
            mv(0.2),
            mv(0.3),
            click(true),
            mv(0.4),
            mv(0.5),
            click(false),
            mv(0.6),
        ];
        assert_eq!(
            coalesce(events),
            vec![mv(0.3), click(true), mv(0.5), click(false), mv(0.6)]
        );
    }
}
