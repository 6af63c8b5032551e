//! Permission scopes: what the client allowed the expert to do. The client's
//! engine checks every incoming message against the granted set; the UI's
//! checkboxes only choose what to grant.

use std::fmt;

use serde::{Deserialize, Serialize};

/// One permission the expert may request and the client may grant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// See the screen.
    View,
    /// Move the mouse and type.
    Control,
    /// Browse, send, receive, move and delete files.
    Files,
    /// Read and write the clipboard.
    Clipboard,
    /// Restart the computer.
    Reboot,
    /// See the computer's system information (OS, hardware, disks,
    /// network, processes).
    SystemInfo,
    /// Run commands in a terminal on the computer, as its user.
    Shell,
    /// Show the client the expert's own screen, in a window the client can
    /// close (Techinline's reverse view): view only, never control.
    ReverseView,
}

impl Scope {
    pub const ALL: [Scope; 8] = [
        Scope::View,
        Scope::Control,
        Scope::Files,
        Scope::Clipboard,
        Scope::Reboot,
        Scope::SystemInfo,
        Scope::Shell,
        Scope::ReverseView,
    ];

    const fn bit(self) -> u8 {
        1 << self as u8
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Scope::View => "view",
            Scope::Control => "control",
            Scope::Files => "files",
            Scope::Clipboard => "clipboard",
            Scope::Reboot => "reboot",
            Scope::SystemInfo => "system_info",
            Scope::Shell => "shell",
            Scope::ReverseView => "reverse_view",
        })
    }
}

/// A set of scopes. Serialises as a sorted list: `["view","control"]`.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Scopes(u8);

impl Scopes {
    pub const NONE: Scopes = Scopes(0);

    pub fn contains(self, scope: Scope) -> bool {
        self.0 & scope.bit() != 0
    }

    #[must_use]
    pub fn with(self, scope: Scope) -> Scopes {
        Scopes(self.0 | scope.bit())
    }

    #[must_use]
    pub fn without(self, scope: Scope) -> Scopes {
        Scopes(self.0 & !scope.bit())
    }

    /// The scopes in both sets: a client can grant only what was requested.
    #[must_use]
    pub fn intersect(self, other: Scopes) -> Scopes {
        Scopes(self.0 & other.0)
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn iter(self) -> impl Iterator<Item = Scope> {
        Scope::ALL.into_iter().filter(move |s| self.contains(*s))
    }

    /// Control without view would be blind clicking; granting control
    /// implies nothing else, but the check is the caller's to make.
    pub fn requires(self, scope: Scope) -> Result<(), ScopeDenied> {
        if self.contains(scope) {
            Ok(())
        } else {
            Err(ScopeDenied { missing: scope })
        }
    }
}

impl FromIterator<Scope> for Scopes {
    fn from_iter<I: IntoIterator<Item = Scope>>(iter: I) -> Self {
        iter.into_iter().fold(Scopes::NONE, Scopes::with)
    }
}

impl fmt::Debug for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

impl Serialize for Scopes {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for Scopes {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Vec::<Scope>::deserialize(deserializer)?
            .into_iter()
            .collect())
    }
}

/// A message needed a scope the client has not granted (or withdrew).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the client has not granted the {missing} permission")]
pub struct ScopeDenied {
    pub missing: Scope,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grants_are_limited_to_what_was_requested() {
        let requested: Scopes = [Scope::View, Scope::Control].into_iter().collect();
        let ticked: Scopes = [Scope::View, Scope::Files, Scope::Reboot]
            .into_iter()
            .collect();
        let granted = requested.intersect(ticked);
        assert_eq!(granted.iter().collect::<Vec<_>>(), [Scope::View]);
    }

    #[test]
    fn withdrawing_and_regranting() {
        let granted: Scopes = Scope::ALL.into_iter().collect();
        let withdrawn = granted.without(Scope::Control);
        assert_eq!(
            withdrawn.requires(Scope::Control),
            Err(ScopeDenied {
                missing: Scope::Control
            })
        );
        assert!(withdrawn.requires(Scope::View).is_ok());
        assert!(
            withdrawn
                .with(Scope::Control)
                .requires(Scope::Control)
                .is_ok()
        );
    }

    #[test]
    fn serialises_as_a_sorted_list_and_ignores_duplicates() {
        let scopes: Scopes = [Scope::Reboot, Scope::View, Scope::View]
            .into_iter()
            .collect();
        assert_eq!(
            serde_json::to_string(&scopes).unwrap(),
            r#"["view","reboot"]"#
        );
        let parsed: Scopes = serde_json::from_str(r#"["files","files","clipboard"]"#).unwrap();
        assert_eq!(
            parsed.iter().collect::<Vec<_>>(),
            [Scope::Files, Scope::Clipboard]
        );
        assert!(serde_json::from_str::<Scopes>(r#"["root"]"#).is_err());
    }

    #[test]
    fn empty_denies_everything() {
        for scope in Scope::ALL {
            assert!(Scopes::NONE.requires(scope).is_err());
        }
        assert_eq!(
            ScopeDenied {
                missing: Scope::Files
            }
            .to_string(),
            "the client has not granted the files permission"
        );
    }
}
