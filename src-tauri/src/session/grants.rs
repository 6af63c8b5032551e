//! What the client allows right now, and the check every incoming message
//! passes. The client's engine owns one [`Grants`]; the expert only mirrors
//! what the client announces.
//!
//! The client may withdraw a scope and grant it again during the session,
//! but never beyond what the expert asked for at the start. `view` can come
//! back only if it was granted at Accept: the video track is negotiated
//! once, then, and a session without one has nothing to resume.

use super::control::ControlMessage;
use super::scopes::{Scope, ScopeDenied, Scopes};

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum GrantError {
    #[error("the expert did not ask for the {0} permission")]
    NotAsked(Scope),
    #[error("the screen was not shared at the start, so view cannot be granted now")]
    NoVideo,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grants {
    asked: Scopes,
    granted: Scopes,
    video: bool,
}

/// What changed when the client set new grants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Change {
    pub granted: Scopes,
    pub withdrawn: Scopes,
}

impl Grants {
    /// `granted` at Accept, limited to what was `asked`.
    pub fn new(asked: Scopes, granted: Scopes) -> Self {
        let granted = asked.intersect(granted);
        Self {
            asked,
            granted,
            video: granted.contains(Scope::View),
        }
    }

    pub fn current(&self) -> Scopes {
        self.granted
    }

    /// What the client may switch on and off from now on.
    pub fn grantable(&self) -> Scopes {
        if self.video {
            self.asked
        } else {
            self.asked.without(Scope::View)
        }
    }

    pub fn check(&self, scope: Scope) -> Result<(), ScopeDenied> {
        self.granted.requires(scope)
    }

    /// Replaces the grants with `wanted`, refusing anything not asked for.
    pub fn set(&mut self, wanted: Scopes) -> Result<Change, GrantError> {
        if let Some(extra) = wanted.iter().find(|s| !self.asked.contains(*s)) {
            return Err(GrantError::NotAsked(extra));
        }
        if wanted.contains(Scope::View) && !self.video {
            return Err(GrantError::NoVideo);
        }
        let before = self.granted;
        self.granted = wanted;
        Ok(Change {
            granted: wanted.iter().filter(|s| !before.contains(*s)).collect(),
            withdrawn: before.iter().filter(|s| !wanted.contains(*s)).collect(),
        })
    }
}

/// The scope an expert's control message needs on the client, if any.
/// Chat, hello and bye need none: talking is always allowed.
pub fn needed_for(message: &ControlMessage) -> Option<Scope> {
    match message {
        ControlMessage::SelectMonitor { .. } | ControlMessage::SetQuality { .. } => {
            Some(Scope::View)
        }
        ControlMessage::Clipboard { .. } => Some(Scope::Clipboard),
        ControlMessage::Reboot { .. } => Some(Scope::Reboot),
        ControlMessage::AskSystemInfo => Some(Scope::SystemInfo),
        ControlMessage::ReverseView { .. } => Some(Scope::ReverseView),
        ControlMessage::EndWith { .. } => Some(Scope::Control),
        ControlMessage::Hello { .. }
        | ControlMessage::Bye
        | ControlMessage::Chat { .. }
        | ControlMessage::Screen(_)
        | ControlMessage::Recording { .. }
        | ControlMessage::ReverseViewClosed
        | ControlMessage::SystemInfo(_)
        | ControlMessage::EndedWith { .. }
        | ControlMessage::Grants { .. }
        | ControlMessage::RebootScheduled { .. }
        | ControlMessage::RebootCancelled
        | ControlMessage::Refused { .. }
        | ControlMessage::ControlUnavailable { .. }
        | ControlMessage::PathEnd { .. } => None,
    }
}

/// A second scope that lets `message` through instead of [`needed_for`]'s:
/// locking the screen or logging out at the end needs `control` or
/// `reboot`, each of which already lets the expert do as much.
pub fn or_instead(message: &ControlMessage) -> Option<Scope> {
    match message {
        ControlMessage::EndWith { .. } => Some(Scope::Reboot),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::quality::Quality;

    fn scopes(list: &[Scope]) -> Scopes {
        list.iter().copied().collect()
    }

    #[test]
    fn checks_follow_withdrawal_and_regrant() {
        let asked = scopes(&[Scope::View, Scope::Control, Scope::Files]);
        let mut grants = Grants::new(asked, scopes(&[Scope::View, Scope::Control, Scope::Reboot]));
        assert_eq!(grants.current(), scopes(&[Scope::View, Scope::Control]));
        assert!(grants.check(Scope::Control).is_ok());
        assert!(grants.check(Scope::Reboot).is_err(), "never asked for");

        let change = grants.set(scopes(&[Scope::View])).unwrap();
        assert_eq!(change.withdrawn, scopes(&[Scope::Control]));
        assert!(change.granted.is_empty());
        assert_eq!(
            grants.check(Scope::Control),
            Err(ScopeDenied {
                missing: Scope::Control
            })
        );

        let change = grants
            .set(scopes(&[Scope::View, Scope::Control, Scope::Files]))
            .unwrap();
        assert_eq!(change.granted, scopes(&[Scope::Control, Scope::Files]));
        assert!(grants.check(Scope::Files).is_ok());
        assert!(grants.check(Scope::Control).is_ok());
    }

    #[test]
    fn nothing_beyond_the_request_and_no_view_without_video() {
        let asked = scopes(&[Scope::View, Scope::Control]);
        let mut grants = Grants::new(asked, scopes(&[Scope::Control]));
        assert_eq!(
            grants.set(scopes(&[Scope::Control, Scope::Reboot])),
            Err(GrantError::NotAsked(Scope::Reboot))
        );
        assert_eq!(
            grants.set(scopes(&[Scope::View, Scope::Control])),
            Err(GrantError::NoVideo)
        );
        assert_eq!(grants.current(), scopes(&[Scope::Control]), "unchanged");
        assert_eq!(grants.grantable(), scopes(&[Scope::Control]));
    }

    #[test]
    fn screen_steering_needs_view_and_chat_needs_nothing() {
        assert_eq!(
            needed_for(&ControlMessage::SetQuality {
                quality: Quality::Best
            }),
            Some(Scope::View)
        );
        assert_eq!(
            needed_for(&ControlMessage::SelectMonitor { monitor: 1 }),
            Some(Scope::View)
        );
        assert_eq!(
            needed_for(&ControlMessage::Chat {
                text: "hi".into(),
                sent_ms: 1
            }),
            None
        );
    }
}
