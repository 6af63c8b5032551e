//! The clipboard's one owner for a session: a thread that keeps the backend
//! alive (on X11, text we put on the clipboard disappears with its owner,
//! and dropping an arboard `Clipboard` blocks for about 100 ms), answers
//! reads, applies what the peer sends, and in automatic mode polls for
//! local changes.
//!
//! Echo suppression: text that came from the peer is never reported back as
//! a local change, so two synced sides do not ping-pong.

use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use tokio::sync::oneshot;

use super::MAX_CLIPBOARD_BYTES;
use super::backend::{ClipboardBackend, ClipboardError, ClipboardFactory};

/// How often automatic sync looks at the clipboard.
pub const POLL_EVERY: Duration = Duration::from_millis(400);

/// Where automatic sync reports local changes.
pub type Changes = Box<dyn Fn(String) + Send>;

enum Job {
    Get(oneshot::Sender<Result<String, ClipboardError>>),
    Set(String),
    Watch(Option<Changes>),
}

/// Dropping it ends the thread (and, on X11, what it holds).
#[derive(Debug)]
pub struct ClipboardOwner {
    jobs: mpsc::Sender<Job>,
}

impl ClipboardOwner {
    pub fn start(factory: ClipboardFactory) -> Self {
        let (jobs, inbox) = mpsc::channel();
        let spawned = thread::Builder::new()
            .name("clipboard".into())
            .spawn(move || run(factory, inbox));
        if let Err(error) = spawned {
            tracing::error!(%error, "cannot start the clipboard thread");
        }
        Self { jobs }
    }

    /// The clipboard's text, checked against the size limit.
    pub async fn get(&self) -> Result<String, ClipboardError> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Job::Get(reply))
            .map_err(|_| ClipboardError::Unavailable("the clipboard thread ended".into()))?;
        answer
            .await
            .map_err(|_| ClipboardError::Unavailable("the clipboard thread ended".into()))?
    }

    /// Puts the peer's text on the clipboard.
    pub fn set(&self, text: String) {
        let _ = self.jobs.send(Job::Set(text));
    }

    /// Starts (with a reporter) or stops (with `None`) automatic sync.
    pub fn watch(&self, changes: Option<Changes>) {
        let _ = self.jobs.send(Job::Watch(changes));
    }
}

fn run(factory: ClipboardFactory, inbox: mpsc::Receiver<Job>) {
    let backend = match factory() {
        Ok(backend) => backend,
        Err(error) => {
            tracing::error!(%error, "no clipboard for this session");
            // Answer reads with the error until the session ends.
            for job in inbox.iter() {
                if let Job::Get(reply) = job {
                    let _ = reply.send(Err(error.clone()));
                }
            }
            return;
        }
    };
    let mut state = Tracker::new(backend);
    loop {
        let job = if state.watching() {
            match inbox.recv_timeout(POLL_EVERY) {
                Ok(job) => Some(job),
                Err(mpsc::RecvTimeoutError::Timeout) => None,
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
        } else {
            match inbox.recv() {
                Ok(job) => Some(job),
                Err(_) => break,
            }
        };
        match job {
            Some(Job::Get(reply)) => {
                let _ = reply.send(state.read());
            }
            Some(Job::Set(text)) => state.apply_remote(text),
            Some(Job::Watch(changes)) => state.watch(changes),
            None => state.poll(),
        }
    }
}

/// The clipboard plus what sync remembers of it.
pub(crate) struct Tracker {
    backend: Box<dyn ClipboardBackend>,
    changes: Option<Changes>,
    /// The last text seen on the clipboard, from either side.
    last_seen: Option<String>,
}

impl Tracker {
    pub(crate) fn new(backend: Box<dyn ClipboardBackend>) -> Self {
        Self {
            backend,
            changes: None,
            last_seen: None,
        }
    }

    fn watching(&self) -> bool {
        self.changes.is_some()
    }

    pub(crate) fn read(&mut self) -> Result<String, ClipboardError> {
        let text = self.backend.get_text()?;
        if text.is_empty() {
            return Err(ClipboardError::Empty);
        }
        if text.len() > MAX_CLIPBOARD_BYTES {
            return Err(ClipboardError::TooLarge(text.len()));
        }
        Ok(text)
    }

    pub(crate) fn apply_remote(&mut self, text: String) {
        match self.backend.set_text(&text) {
            Ok(()) => self.last_seen = Some(text),
            Err(error) => tracing::warn!(%error, "the peer's clipboard text was not set"),
        }
    }

    /// Starting sync takes the current text as known: only later copies go.
    pub(crate) fn watch(&mut self, changes: Option<Changes>) {
        self.last_seen = self.backend.get_text().ok();
        self.changes = changes;
    }

    /// Reports the clipboard if it changed here since it was last seen.
    pub(crate) fn poll(&mut self) {
        let Ok(text) = self.read() else { return };
        if self.last_seen.as_ref() == Some(&text) {
            return;
        }
        self.last_seen = Some(text.clone());
        if let Some(changes) = &self.changes {
            changes(text);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    /// An in-memory clipboard another "program" can write to.
    #[derive(Clone, Default)]
    struct Memory(Arc<Mutex<String>>);

    impl ClipboardBackend for Memory {
        fn get_text(&mut self) -> Result<String, ClipboardError> {
            Ok(self.0.lock().unwrap().clone())
        }
        fn set_text(&mut self, text: &str) -> Result<(), ClipboardError> {
            *self.0.lock().unwrap() = text.to_owned();
            Ok(())
        }
    }

    fn synced() -> (Tracker, Memory, Arc<Mutex<Vec<String>>>) {
        let memory = Memory::default();
        let sent = Arc::new(Mutex::new(Vec::new()));
        let mut sync = Tracker::new(Box::new(memory.clone()));
        let log = Arc::clone(&sent);
        sync.watch(Some(Box::new(move |text| log.lock().unwrap().push(text))));
        (sync, memory, sent)
    }

    #[test]
    fn local_copies_are_reported_once() {
        let (mut sync, memory, sent) = synced();
        sync.poll();
        assert!(sent.lock().unwrap().is_empty(), "nothing copied yet");
        *memory.0.lock().unwrap() = "copied here".into();
        sync.poll();
        sync.poll();
        assert_eq!(*sent.lock().unwrap(), ["copied here"]);
    }

    #[test]
    fn the_peers_text_is_not_echoed_back() {
        let (mut sync, memory, sent) = synced();
        sync.apply_remote("from the peer".into());
        assert_eq!(*memory.0.lock().unwrap(), "from the peer");
        sync.poll();
        assert!(sent.lock().unwrap().is_empty(), "no ping-pong");
        *memory.0.lock().unwrap() = "new here".into();
        sync.poll();
        assert_eq!(*sent.lock().unwrap(), ["new here"]);
    }

    #[test]
    fn oversized_and_empty_text_is_refused() {
        let (mut sync, memory, sent) = synced();
        *memory.0.lock().unwrap() = "x".repeat(MAX_CLIPBOARD_BYTES + 1);
        assert_eq!(
            sync.read(),
            Err(ClipboardError::TooLarge(MAX_CLIPBOARD_BYTES + 1))
        );
        sync.poll();
        assert!(sent.lock().unwrap().is_empty());
        memory.0.lock().unwrap().clear();
        assert_eq!(sync.read(), Err(ClipboardError::Empty));
    }
}
