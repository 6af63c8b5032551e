//! Command shells in the engine. The expert numbers its shells and sends
//! what is typed on the `shell` channel; the client, within `shell`
//! (checked for every message), runs them in pseudo-terminals whose output
//! goes back on the channel without passing through here. Both sides keep
//! a transcript of each shell beside the session's, and log when one
//! starts and ends. Withdrawing the permission or ending the session ends
//! every shell and all it started.

use serde::Serialize;
use tokio::sync::mpsc;

use super::channels;
use super::{Command, Engine, Live};
use crate::session::log::EventCode;
use crate::session::scopes::Scope;
use crate::session::view::{ShellState, ShellView};
use crate::shell::ShellMessage;
use crate::shell::host::{Hosted, ShellHost};
use crate::shell::protocol::{ShellId, decode_output};
use crate::shell::transcript::ShellTranscript;
use lifeline_signaling::protocol::{Role, SessionId};

/// Expert: what a shell printed, for its terminal (base64, as sent).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ShellOutput {
    pub shell: ShellId,
    pub data: String,
}

/// Shell messages the writer may hold before the shells wait for it.
const SHELL_QUEUE: usize = 64;

impl Engine {
    /// Client: the expert's shell channel arrived. Its reader reports each
    /// message; its writer carries the shells' output.
    pub(super) fn host_shells(&mut self, session: SessionId, channel: crate::peer::Channel) {
        let Some(live) = &mut self.live else { return };
        let (out, outbox) = mpsc::channel(SHELL_QUEUE);
        let reports = self.channel_tx.clone();
        channels::write_shell(reports.clone(), session.clone(), channel.clone(), outbox);
        channels::watch_shell(reports, session, channel.clone());
        let prefix = live.log.beside("shell");
        let transcripts = Box::new(move |shell: ShellId| {
            prefix
                .as_ref()
                .map(|p| p.with_extension(format!("shell-{shell}.jsonl")))
        });
        live.shell = Some(channel);
        if let Some(client) = live.client_mut() {
            client.shells = Some(ShellHost::new(out, transcripts));
        }
    }

    pub(super) async fn on_shell(&mut self, message: ShellMessage) {
        match self.role {
            Role::Client => self.host_shell(message).await,
            Role::Expert => self.show_shell(message),
        }
    }

    /// Client: one of the expert's messages, carried out within `shell`.
    async fn host_shell(&mut self, message: ShellMessage) {
        let Some(live) = &mut self.live else { return };
        let allowed = live.grants.check(Scope::Shell).is_ok();
        let Some(host) = live.client_mut().and_then(|c| c.shells.as_mut()) else {
            return;
        };
        if !allowed {
            // The terminal says why; the expert's log hears it once.
            host.refuse(
                message.shell(),
                "the client has not allowed the command shell",
            );
            self.refuse(Scope::Shell, "a command shell").await;
            return;
        }
        match host.handle(message) {
            Hosted::Opened {
                shell,
                pid,
                transcript,
            } => {
                let kept = transcript.map_or(String::new(), |t| format!(", transcript {t}"));
                self.log_event(
                    EventCode::ShellOpened,
                    format!("shell {shell}, process {pid}{kept}"),
                );
            }
            Hosted::Refused { shell, reason } => {
                tracing::info!(shell, %reason, "a shell request was not carried out");
            }
            Hosted::Closed { .. } | Hosted::Nothing => {}
        }
    }

    /// Client: a shell ended (the expert closed it, it exited, or it was
    /// killed with the permission).
    pub(super) fn shell_ended(&mut self, shell: ShellId, code: Option<u32>) {
        self.log_event(EventCode::ShellClosed, ended(shell, code));
    }

    /// Client: `shell` was withdrawn; every shell ends.
    pub(super) fn close_shells(&mut self) {
        let host = self.live.as_mut().and_then(Live::client_mut);
        if let Some(host) = host.and_then(|c| c.shells.as_mut()) {
            let closed = host.close_all();
            tracing::info!(?closed, "the shell permission was withdrawn");
        }
    }

    /// Expert: what the client says of a shell.
    fn show_shell(&mut self, message: ShellMessage) {
        let shell = message.shell();
        match message {
            ShellMessage::Opened { pid, .. } => {
                let kept = self.expert_transcript(shell);
                let kept = kept.map_or(String::new(), |t| format!(", transcript {t}"));
                self.log_event(
                    EventCode::ShellOpened,
                    format!("shell {shell}, process {pid}{kept}"),
                );
                self.update_shell(shell, |view| {
                    view.state = ShellState::Open;
                    view.pid = Some(pid);
                });
            }
            ShellMessage::Output { data, .. } => {
                match decode_output(&data) {
                    Ok(bytes) => self.with_transcript(shell, |t| t.output(&bytes)),
                    Err(error) => tracing::warn!(%error, "shell output dropped"),
                }
                let _ = self.shell.send(ShellOutput { shell, data });
            }
            ShellMessage::Exited { code, .. } => {
                self.log_event(EventCode::ShellClosed, ended(shell, code));
                self.update_shell(shell, |view| {
                    view.state = ShellState::Ended;
                    view.code = code;
                });
            }
            ShellMessage::Refused { reason, .. } => {
                self.update_shell(shell, |view| {
                    if view.state == ShellState::Opening {
                        view.state = ShellState::Refused;
                    }
                    view.reason = Some(reason);
                });
            }
            other => tracing::warn!(?other, "a shell message for the client's side ignored"),
        }
    }

    /// Expert: carries out the UI's shell command.
    pub(super) async fn shell_command(&mut self, command: Command) {
        let message = match command {
            Command::ShellOpen { cols, rows } => {
                let Some(expert) = self.live.as_mut().and_then(Live::expert_mut) else {
                    return;
                };
                expert.last_shell += 1;
                let shell = expert.last_shell;
                expert.shells.insert(shell, None);
                self.view.send_modify(|view| {
                    view.shells.push(ShellView {
                        id: shell,
                        state: ShellState::Opening,
                        pid: None,
                        code: None,
                        reason: None,
                    })
                });
                ShellMessage::Open { shell, cols, rows }
            }
            Command::ShellInput { shell, text } => {
                self.with_transcript(shell, |t| t.input(&text));
                ShellMessage::Input { shell, text }
            }
            Command::ShellResize { shell, cols, rows } => {
                ShellMessage::Resize { shell, cols, rows }
            }
            Command::ShellClose { shell } => ShellMessage::Close { shell },
            _ => return,
        };
        let Some(expert) = self.live.as_mut().and_then(Live::expert_mut) else {
            return;
        };
        if !expert.shell_ready {
            if expert.shell_outbox.len() < SHELL_QUEUE {
                expert.shell_outbox.push(message);
            }
            return;
        }
        self.send_shell(message).await;
    }

    /// Expert: the shell channel is open; what waited goes.
    pub(super) async fn shell_ready(&mut self) {
        let Some(expert) = self.live.as_mut().and_then(Live::expert_mut) else {
            return;
        };
        expert.shell_ready = true;
        for message in std::mem::take(&mut expert.shell_outbox) {
            self.send_shell(message).await;
        }
    }

    async fn send_shell(&self, message: ShellMessage) {
        let Some(channel) = self.live.as_ref().and_then(|l| l.shell.as_ref()) else {
            tracing::warn!("no shell channel: the shell was not asked for");
            return;
        };
        if let Err(error) = channel.send_text(&message.to_json()).await {
            tracing::debug!(%error, "shell message not sent");
        }
    }

    /// Expert: starts `shell`'s transcript; its file's name.
    fn expert_transcript(&mut self, shell: ShellId) -> Option<String> {
        let live = self.live.as_mut()?;
        let path = live
            .log
            .beside("shell")?
            .with_extension(format!("shell-{shell}.jsonl"));
        let transcript = ShellTranscript::create(&path);
        let name = transcript.name();
        live.expert_mut()?.shells.insert(shell, Some(transcript));
        Some(name)
    }

    fn with_transcript(&mut self, shell: ShellId, write: impl FnOnce(&mut ShellTranscript)) {
        let expert = self.live.as_mut().and_then(Live::expert_mut);
        if let Some(Some(transcript)) = expert.and_then(|e| e.shells.get_mut(&shell)) {
            write(transcript);
        }
    }

    fn update_shell(&self, shell: ShellId, change: impl FnOnce(&mut ShellView)) {
        self.view.send_modify(|view| {
            if let Some(found) = view.shells.iter_mut().find(|s| s.id == shell) {
                change(found);
            }
        });
    }
}

/// How a shell ended, for the log.
fn ended(shell: ShellId, code: Option<u32>) -> String {
    match code {
        Some(code) => format!("shell {shell} exited with status {code}"),
        None => format!("shell {shell} was ended"),
    }
}
