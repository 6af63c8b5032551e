//! The clipboard's one owner for a session: a thread that keeps the backend
//! alive (on X11, text we put on the clipboard disappears with its owner,
//! and dropping an arboard `Clipboard` blocks for about 100 ms), answers
//! reads, applies what the peer sends, and in automatic mode polls for
//! local changes.
//!
//! Echo suppression: content that came from the peer is never reported back
//! as a local change, so two synced sides do not ping-pong.

use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use tokio::sync::oneshot;

use super::backend::{ClipboardBackend, ClipboardError, ClipboardFactory};
use super::content::{ClipContent, MAX_CLIP_BYTES};

/// How often automatic sync looks at the clipboard.
pub const POLL_EVERY: Duration = Duration::from_millis(400);

/// Where automatic sync reports local changes.
pub type Changes = Box<dyn Fn(ClipContent) + Send>;

enum Job {
    Get(oneshot::Sender<Result<ClipContent, ClipboardError>>),
    Set(ClipContent),
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

    /// The clipboard's content, checked against the size limit.
    pub async fn get(&self) -> Result<ClipContent, ClipboardError> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Job::Get(reply))
            .map_err(|_| ClipboardError::Unavailable("the clipboard thread ended".into()))?;
        answer
            .await
            .map_err(|_| ClipboardError::Unavailable("the clipboard thread ended".into()))?
    }

    /// Puts the peer's content on the clipboard.
    pub fn set(&self, content: ClipContent) {
        let _ = self.jobs.send(Job::Set(content));
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
            Some(Job::Set(content)) => state.apply_remote(content),
            Some(Job::Watch(changes)) => state.watch(changes),
            None => state.poll(),
        }
    }
}

/// The clipboard plus what sync remembers of it.
pub(crate) struct Tracker {
    backend: Box<dyn ClipboardBackend>,
    changes: Option<Changes>,
    /// The last content seen on the clipboard, from either side.
    last_seen: Option<ClipContent>,
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

    pub(crate) fn read(&mut self) -> Result<ClipContent, ClipboardError> {
        let content = self.backend.get()?;
        if content.is_empty() {
            return Err(ClipboardError::Empty);
        }
        if content.len() > MAX_CLIP_BYTES {
            return Err(ClipboardError::TooLarge(content.len()));
        }
        Ok(content)
    }

    pub(crate) fn apply_remote(&mut self, content: ClipContent) {
        match self.backend.set(&content) {
            Ok(()) => self.last_seen = Some(content),
            Err(error) => tracing::warn!(%error, "the peer's clipboard content was not set"),
        }
    }

    /// Starting sync takes the current content as known: only later copies
    /// go.
    pub(crate) fn watch(&mut self, changes: Option<Changes>) {
        self.last_seen = self.backend.get().ok();
        self.changes = changes;
    }

    /// Reports the clipboard if it changed here since it was last seen.
    pub(crate) fn poll(&mut self) {
        let Ok(content) = self.read() else { return };
        if self.last_seen.as_ref() == Some(&content) {
            return;
        }
        self.last_seen = Some(content.clone());
        if let Some(changes) = &self.changes {
            changes(content);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    /// An in-memory clipboard another "program" can write to.
    #[derive(Clone)]
    struct Memory(Arc<Mutex<ClipContent>>);

    impl Memory {
        fn copy(&self, content: ClipContent) {
            *self.0.lock().unwrap() = content;
        }
        fn holds(&self) -> ClipContent {
            self.0.lock().unwrap().clone()
        }
    }

    impl ClipboardBackend for Memory {
        fn get(&mut self) -> Result<ClipContent, ClipboardError> {
            Ok(self.holds())
        }
        fn set(&mut self, content: &ClipContent) -> Result<(), ClipboardError> {
            self.copy(content.clone());
            Ok(())
        }
    }

    fn text(text: &str) -> ClipContent {
        ClipContent::Text(text.into())
    }

    fn synced() -> (Tracker, Memory, Arc<Mutex<Vec<ClipContent>>>) {
        let memory = Memory(Arc::new(Mutex::new(text(""))));
        let sent = Arc::new(Mutex::new(Vec::new()));
        let mut sync = Tracker::new(Box::new(memory.clone()));
        let log = Arc::clone(&sent);
        sync.watch(Some(Box::new(move |content| {
            log.lock().unwrap().push(content)
        })));
        (sync, memory, sent)
    }

    #[test]
    fn local_copies_are_reported_once() {
        let (mut sync, memory, sent) = synced();
        sync.poll();
        assert!(sent.lock().unwrap().is_empty(), "nothing copied yet");
        memory.copy(text("copied here"));
        sync.poll();
        sync.poll();
        let image = ClipContent::Png(b"\x89PNG\r\n\x1a\nimage".to_vec());
        memory.copy(image.clone());
        sync.poll();
        assert_eq!(*sent.lock().unwrap(), [text("copied here"), image]);
    }

    #[test]
    fn the_peers_content_is_not_echoed_back() {
        let (mut sync, memory, sent) = synced();
        sync.apply_remote(text("from the peer"));
        assert_eq!(memory.holds(), text("from the peer"));
        sync.poll();
        assert!(sent.lock().unwrap().is_empty(), "no ping-pong");
        memory.copy(text("new here"));
        sync.poll();
        assert_eq!(*sent.lock().unwrap(), [text("new here")]);
    }

    #[test]
    fn oversized_and_empty_content_is_refused() {
        let (mut sync, memory, sent) = synced();
        memory.copy(ClipContent::Png(vec![0; MAX_CLIP_BYTES + 1]));
        assert_eq!(
            sync.read(),
            Err(ClipboardError::TooLarge(MAX_CLIP_BYTES + 1))
        );
        sync.poll();
        assert!(sent.lock().unwrap().is_empty());
        memory.copy(text(""));
        assert_eq!(sync.read(), Err(ClipboardError::Empty));
    }
}
