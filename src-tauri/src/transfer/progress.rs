//! A transfer as the UI sees it: direction, counts, bytes, speed, ETA and
//! how it ended. The runner is the only writer; the pumps report to it.

use std::time::Instant;

use serde::Serialize;

use super::error::TransferError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Outgoing,
    Incoming,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Running,
    Done,
    Failed,
    Cancelled,
}

/// A transfer as the UI shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TransferView {
    pub id: u32,
    pub direction: Direction,
    pub name: String,
    pub files: u32,
    pub files_done: u32,
    pub bytes: u64,
    pub bytes_done: u64,
    /// Bytes per second over the transfer so far.
    pub speed: f64,
    /// Seconds left at that speed, while running.
    pub eta_secs: Option<f64>,
    pub state: State,
    /// Why it failed, as `{code, message}`.
    pub error: Option<TransferError>,
    /// Incoming: the folder it was saved under.
    pub saved_to: Option<String>,
    #[serde(skip)]
    started: Option<Instant>,
}

impl TransferView {
    pub(crate) fn new(id: u32, direction: Direction, name: String, files: u32, bytes: u64) -> Self {
        Self {
            id,
            direction,
            name,
            files,
            files_done: 0,
            bytes,
            bytes_done: 0,
            speed: 0.0,
            eta_secs: None,
            state: State::Running,
            error: None,
            saved_to: None,
            started: Some(Instant::now()),
        }
    }

    pub(crate) fn end(&mut self, state: State, error: Option<TransferError>) {
        if self.state == State::Running {
            self.state = state;
            self.error = error;
            self.eta_secs = None;
        }
    }

    pub(crate) fn refresh_rate(&mut self) {
        let Some(started) = self.started else { return };
        let secs = started.elapsed().as_secs_f64();
        if secs > 0.0 {
            self.speed = self.bytes_done as f64 / secs;
        }
        self.eta_secs = (self.state == State::Running && self.speed > 0.0)
            .then(|| self.bytes.saturating_sub(self.bytes_done) as f64 / self.speed);
    }
}
