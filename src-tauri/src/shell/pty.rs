//! One shell in a pseudo-terminal, as the user the app runs as: the user's
//! own login shell, in their home folder. What it prints and how it ends
//! are reported from its own thread; dropping it ends its whole session of
//! processes (jobs in the background included).

use std::io::{Read, Write};
use std::sync::Mutex;

use portable_pty::{ChildKiller, CommandBuilder, MasterPty, PtySize, native_pty_system};
use sysinfo::{Pid, ProcessesToUpdate, Signal, System};

use super::protocol::OUTPUT_CHUNK;

/// What the shell's thread reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PtyEvent {
    /// Bytes the shell printed.
    Output(Vec<u8>),
    /// The shell ended: its exit status, unless a signal ended it.
    Exited(Option<u32>),
}

/// Takes each event; `false` once nobody listens any more.
pub type PtyEvents = Box<dyn FnMut(PtyEvent) -> bool + Send>;

#[derive(Debug, thiserror::Error)]
#[error("the shell could not start: {0}")]
pub struct PtyError(String);

/// The terminal's ends sit behind mutexes only so that a session's
/// engine, which holds its shells, can be shared between threads.
pub struct Pty {
    master: Mutex<Box<dyn MasterPty + Send>>,
    writer: Mutex<Box<dyn Write + Send>>,
    killer: Box<dyn ChildKiller + Send + Sync>,
    pid: u32,
}

impl std::fmt::Debug for Pty {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pty")
            .field("pid", &self.pid)
            .finish_non_exhaustive()
    }
}

fn size(cols: u16, rows: u16) -> PtySize {
    PtySize {
        rows,
        cols,
        pixel_width: 0,
        pixel_height: 0,
    }
}

impl Pty {
    /// Starts the user's login shell in a `cols`×`rows` terminal.
    pub fn spawn(cols: u16, rows: u16, mut events: PtyEvents) -> Result<Self, PtyError> {
        let failed = |e: &dyn std::fmt::Display| PtyError(e.to_string());
        let pair = native_pty_system()
            .openpty(size(cols, rows))
            .map_err(|e| failed(&e))?;
        let mut command = CommandBuilder::new_default_prog();
        command.env("TERM", "xterm-256color");
        if let Some(home) = dirs::home_dir() {
            command.cwd(home);
        }
        let mut child = pair.slave.spawn_command(command).map_err(|e| failed(&e))?;
        // Only the child holds the terminal's other end now: its end
        // is the reader's end of file.
        drop(pair.slave);
        let pid = child
            .process_id()
            .ok_or_else(|| PtyError("no process id".into()))?;
        let killer = child.clone_killer();
        let mut reader = pair.master.try_clone_reader().map_err(|e| failed(&e))?;
        let writer = pair.master.take_writer().map_err(|e| failed(&e))?;
        std::thread::Builder::new()
            .name(format!("shell-{pid}"))
            .spawn(move || {
                let mut buffer = vec![0; OUTPUT_CHUNK];
                loop {
                    match reader.read(&mut buffer) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => {
                            if !events(PtyEvent::Output(buffer[..n].to_vec())) {
                                break;
                            }
                        }
                    }
                }
                let code = child
                    .wait()
                    .ok()
                    .and_then(|status| status.signal().is_none().then(|| status.exit_code()));
                events(PtyEvent::Exited(code));
            })
            .map_err(|e| failed(&e))?;
        Ok(Self {
            master: Mutex::new(pair.master),
            writer: Mutex::new(writer),
            killer,
            pid,
        })
    }

    /// The shell's process id (the leader of its session).
    pub fn pid(&self) -> u32 {
        self.pid
    }

    pub fn write(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        let writer = self.writer.get_mut().unwrap_or_else(|p| p.into_inner());
        writer.write_all(bytes)?;
        writer.flush()
    }

    pub fn resize(&self, cols: u16, rows: u16) -> Result<(), PtyError> {
        let master = self.master.lock().unwrap_or_else(|p| p.into_inner());
        master
            .resize(size(cols, rows))
            .map_err(|e| PtyError(e.to_string()))
    }
}

impl Drop for Pty {
    fn drop(&mut self) {
        kill_session(self.pid);
        let _ = self.killer.kill();
    }
}

/// Kills every process of the session `leader` leads: the shell and all
/// it started, background jobs in their own process groups included. A
/// program that left the session on purpose (a daemon) is not in it.
pub fn kill_session(leader: u32) {
    let mut system = System::new();
    system.refresh_processes(ProcessesToUpdate::All, true);
    let session = Pid::from_u32(leader);
    let mut killed = 0;
    for process in system.processes().values() {
        if process.session_id() == Some(session) && process.kill_with(Signal::Kill) == Some(true) {
            killed += 1;
        }
    }
    tracing::info!(leader, killed, "the shell's processes were ended");
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;
    use std::time::{Duration, Instant};

    use super::*;

    /// A shell whose events arrive on a channel.
    fn shell(cols: u16, rows: u16) -> (Pty, mpsc::Receiver<PtyEvent>) {
        let (tx, rx) = mpsc::channel();
        let pty = Pty::spawn(cols, rows, Box::new(move |e| tx.send(e).is_ok())).unwrap();
        (pty, rx)
    }

    /// Output until `want` shows, or fails after 10 s.
    fn read_until(events: &mpsc::Receiver<PtyEvent>, want: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut seen = Vec::new();
        while !String::from_utf8_lossy(&seen).contains(want) {
            let left = deadline.saturating_duration_since(Instant::now());
            match events.recv_timeout(left) {
                Ok(PtyEvent::Output(bytes)) => seen.extend(bytes),
                other => panic!(
                    "{other:?} before {want:?}; seen {:?}",
                    String::from_utf8_lossy(&seen)
                ),
            }
        }
        String::from_utf8_lossy(&seen).into_owned()
    }

    fn alive(pid: u32) -> bool {
        std::path::Path::new(&format!("/proc/{pid}")).exists()
    }

    #[test]
    fn a_shell_runs_commands_and_follows_its_size() {
        let (mut pty, events) = shell(80, 24);
        pty.write(b"echo lifeline-$((6*7))\r").unwrap();
        read_until(&events, "lifeline-42");
        pty.resize(100, 30).unwrap();
        pty.write(b"stty size\r").unwrap();
        read_until(&events, "30 100");
        pty.write(b"exit 3\r").unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match events.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                Ok(PtyEvent::Output(_)) => continue,
                Ok(PtyEvent::Exited(code)) => {
                    assert_eq!(code, Some(3));
                    break;
                }
                Err(error) => panic!("no exit: {error}"),
            }
        }
    }

    /// Dropping the shell ends it and its background job, which has a
    /// process group of its own.
    #[test]
    fn dropping_a_shell_ends_its_whole_session() {
        let (mut pty, events) = shell(80, 24);
        let shell_pid = pty.pid();
        pty.write(b"sleep 1000 & echo job-$!-end\r").unwrap();
        // The terminal echoes the command too; the job's number is the
        // one between digits.
        let job = (0..50)
            .find_map(|_| {
                let seen = read_until(&events, "-end");
                seen.split("job-")
                    .filter_map(|rest| rest.split("-end").next())
                    .find_map(|digits| digits.parse::<u32>().ok())
            })
            .expect("the job's process id");
        assert!(alive(job) && alive(shell_pid));
        drop(pty);
        let deadline = Instant::now() + Duration::from_secs(10);
        while alive(job) || alive(shell_pid) {
            assert!(
                Instant::now() < deadline,
                "the shell or its job outlived it"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        let ended = events.iter().any(|e| matches!(e, PtyEvent::Exited(None)));
        assert!(ended, "the shell's end was reported, killed");
    }
}
