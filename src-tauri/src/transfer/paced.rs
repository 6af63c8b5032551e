//! The `files` channel as the sending transfers use it: a file's chunks go
//! out only while the channel holds less than the [`Pace`] allows, so a
//! chat line, a key press or a click sent beside a file does not wait
//! seconds behind it on a slow path.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::pace::Pace;
use crate::peer::{Channel, ChannelError, DATA_CHANNEL_BUFFER, RoundTrip};

/// How often a sender over its allowance looks again.
const TICK: Duration = Duration::from_millis(5);
/// How often the round trip is read again.
const ROUND_TRIP_EVERY: Duration = Duration::from_secs(1);

/// The channel with its pace; clones share both.
#[derive(Debug, Clone)]
pub(crate) struct Paced {
    channel: Channel,
    round_trip: RoundTrip,
    state: Arc<Mutex<State>>,
}

#[derive(Debug)]
struct State {
    pace: Pace,
    /// When the round trip was last read.
    read_at: Option<Instant>,
}

impl Paced {
    pub(crate) fn new(channel: Channel, round_trip: RoundTrip) -> Self {
        let state = State {
            pace: Pace::new(DATA_CHANNEL_BUFFER),
            read_at: None,
        };
        Self {
            channel,
            round_trip,
            state: Arc::new(Mutex::new(state)),
        }
    }

    /// A message of the transfer's own (offer, end, reply): not held back.
    pub(crate) async fn send_text(&self, text: &str) -> Result<(), ChannelError> {
        self.channel.send_text(text).await?;
        self.state().pace.sent(text.len());
        Ok(())
    }

    /// A chunk of a file: waits while the channel holds its allowance.
    pub(crate) async fn send_chunk(&self, frame: &[u8]) -> Result<(), ChannelError> {
        loop {
            self.read_round_trip().await;
            let outstanding = self.channel.outstanding().await;
            let room = {
                let mut state = self.state();
                state.pace.observe(Instant::now(), outstanding);
                // At the whole buffer, the channel's own back-pressure
                // waits.
                outstanding < state.pace.limit() || state.pace.unbounded()
            };
            if room {
                break;
            }
            tokio::time::sleep(TICK).await;
        }
        self.channel.send_bytes(frame).await?;
        self.state().pace.sent(frame.len());
        Ok(())
    }

    async fn read_round_trip(&self) {
        let due = self
            .state()
            .read_at
            .is_none_or(|at| at.elapsed() >= ROUND_TRIP_EVERY);
        if !due {
            return;
        }
        let round_trip = self.round_trip.read().await;
        let mut state = self.state();
        state.read_at = Some(Instant::now());
        state.pace.set_round_trip(round_trip);
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // Nothing panics while holding it; a poisoned lock is still sound.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}
