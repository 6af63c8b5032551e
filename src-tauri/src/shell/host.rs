//! The client's shells of one session. The engine hands it the expert's
//! messages once it has checked the `shell` permission; what the shells
//! print goes straight to the `shell` channel's writer, not through the
//! engine. Dropping the host (the session ended, or the permission was
//! withdrawn) ends every shell and all it started.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use tokio::sync::mpsc;

use super::protocol::{MAX_SHELLS, ShellId, ShellMessage, cells};
use super::pty::{Pty, PtyEvent};
use super::transcript::ShellTranscript;

/// Where a new shell's transcript goes (`None`: none is kept).
pub type TranscriptPath = Box<dyn Fn(ShellId) -> Option<PathBuf> + Send + Sync>;

/// What the host did, for the session's log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hosted {
    Opened {
        shell: ShellId,
        pid: u32,
        transcript: Option<String>,
    },
    Closed {
        shell: ShellId,
    },
    Refused {
        shell: ShellId,
        reason: String,
    },
    Nothing,
}

struct Shell {
    pty: Pty,
    transcript: Arc<Mutex<Option<ShellTranscript>>>,
}

pub struct ShellHost {
    shells: HashMap<ShellId, Shell>,
    /// To the channel's writer: what the shells print, and the answers.
    out: mpsc::Sender<ShellMessage>,
    transcripts: TranscriptPath,
}

impl std::fmt::Debug for ShellHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShellHost")
            .field("shells", &self.shells.len())
            .finish_non_exhaustive()
    }
}

impl ShellHost {
    pub fn new(out: mpsc::Sender<ShellMessage>, transcripts: TranscriptPath) -> Self {
        Self {
            shells: HashMap::new(),
            out,
            transcripts,
        }
    }

    /// Carries out one of the expert's messages (already allowed).
    pub fn handle(&mut self, message: ShellMessage) -> Hosted {
        match message {
            ShellMessage::Open { shell, cols, rows } => self.open(shell, cols, rows),
            ShellMessage::Input { shell, text } => {
                let Some(open) = self.shells.get_mut(&shell) else {
                    return self.refuse(shell, "no such shell");
                };
                if let Some(t) = lock(&open.transcript).as_mut() {
                    t.input(&text);
                }
                match open.pty.write(text.as_bytes()) {
                    Ok(()) => Hosted::Nothing,
                    Err(error) => self.refuse(shell, &format!("input not written: {error}")),
                }
            }
            ShellMessage::Resize { shell, cols, rows } => {
                let (cols, rows) = cells(cols, rows);
                match self.shells.get(&shell).map(|s| s.pty.resize(cols, rows)) {
                    Some(Ok(())) => Hosted::Nothing,
                    Some(Err(error)) => self.refuse(shell, &error.to_string()),
                    None => self.refuse(shell, "no such shell"),
                }
            }
            ShellMessage::Close { shell } => match self.shells.remove(&shell) {
                Some(_) => Hosted::Closed { shell },
                None => Hosted::Nothing,
            },
            other => {
                tracing::warn!(?other, "a shell message for the expert's side ignored");
                Hosted::Nothing
            }
        }
    }

    /// Ends every shell (the permission was withdrawn).
    pub fn close_all(&mut self) -> Vec<ShellId> {
        let closed: Vec<ShellId> = self.shells.keys().copied().collect();
        self.shells.clear();
        closed
    }

    fn open(&mut self, shell: ShellId, cols: u16, rows: u16) -> Hosted {
        if self.shells.contains_key(&shell) {
            return self.refuse(shell, "that shell is already open");
        }
        if self.shells.len() >= MAX_SHELLS {
            return self.refuse(shell, &format!("at most {MAX_SHELLS} shells at once"));
        }
        let transcript = Arc::new(Mutex::new(
            (self.transcripts)(shell).map(|path| ShellTranscript::create(&path)),
        ));
        let events = forward(shell, self.out.clone(), Arc::clone(&transcript));
        let (cols, rows) = cells(cols, rows);
        let pty = match Pty::spawn(cols, rows, events) {
            Ok(pty) => pty,
            Err(error) => return self.refuse(shell, &error.to_string()),
        };
        let pid = pty.pid();
        let name = lock(&transcript).as_ref().map(ShellTranscript::name);
        self.send(ShellMessage::Opened { shell, pid });
        self.shells.insert(shell, Shell { pty, transcript });
        Hosted::Opened {
            shell,
            pid,
            transcript: name,
        }
    }

    /// Answers that `shell`'s message was not carried out.
    pub fn refuse(&self, shell: ShellId, reason: &str) -> Hosted {
        self.send(ShellMessage::Refused {
            shell,
            reason: reason.to_owned(),
        });
        Hosted::Refused {
            shell,
            reason: reason.to_owned(),
        }
    }

    fn send(&self, message: ShellMessage) {
        if self.out.try_send(message).is_err() {
            tracing::warn!("the shell channel's writer is gone or behind; an answer was lost");
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The shell's events, from its own thread: into its transcript, and on
/// to the channel (waiting while the channel is behind, which holds the
/// shell back rather than buffering without end).
fn forward(
    shell: ShellId,
    out: mpsc::Sender<ShellMessage>,
    transcript: Arc<Mutex<Option<ShellTranscript>>>,
) -> super::pty::PtyEvents {
    Box::new(move |event| {
        let message = match event {
            PtyEvent::Output(bytes) => {
                if let Some(t) = lock(&transcript).as_mut() {
                    t.output(&bytes);
                }
                ShellMessage::output(shell, &bytes)
            }
            PtyEvent::Exited(code) => ShellMessage::Exited { shell, code },
        };
        out.blocking_send(message).is_ok()
    })
}
