//! The name of one connect request, and of the session it becomes if
//! accepted. The desk makes it (32 hex digits from its CSPRNG); both sides
//! only carry it. A name that is empty, over [`MAX_SESSION_ID_CHARS`] or
//! made of anything but ASCII letters, digits, `-` and `_` is refused where
//! the message is parsed, so it never reaches a map, a log line or a file
//! name.

use std::borrow::Borrow;
use std::fmt;
use std::ops::Deref;

use serde::{Deserialize, Serialize};

/// The longest session name either side accepts.
pub const MAX_SESSION_ID_CHARS: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SessionId(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a session name is 1 to {MAX_SESSION_ID_CHARS} ASCII letters, digits, '-' or '_'")]
pub struct BadSessionId;

impl SessionId {
    pub fn parse(name: impl Into<String>) -> Result<Self, BadSessionId> {
        let name = name.into();
        let valid = (1..=MAX_SESSION_ID_CHARS).contains(&name.len())
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if valid {
            Ok(Self(name))
        } else {
            Err(BadSessionId)
        }
    }

    /// A name the desk made itself (32 hex digits), valid by construction.
    #[cfg(feature = "server")]
    pub(crate) fn from_desk(hex: String) -> Self {
        debug_assert!(Self::parse(hex.as_str()).is_ok());
        Self(hex)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for SessionId {
    type Error = BadSessionId;

    fn try_from(name: String) -> Result<Self, BadSessionId> {
        Self::parse(name)
    }
}

impl From<SessionId> for String {
    fn from(id: SessionId) -> String {
        id.0
    }
}

impl Deref for SessionId {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

/// Maps keyed by session are looked up with a `&str`.
impl Borrow<str> for SessionId {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for SessionId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl PartialEq<str> for SessionId {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<String> for SessionId {
    fn eq(&self, other: &String) -> bool {
        self.0 == *other
    }
}

impl PartialEq<&str> for SessionId {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_desks_names_and_short_test_names_are_valid() {
        assert!(SessionId::parse("0123456789abcdef0123456789abcdef").is_ok());
        assert_eq!(SessionId::parse("s1").unwrap(), "s1");
    }

    #[test]
    fn anything_else_is_refused() {
        for bad in ["", "../etc", "a b", "s\n1", "é", &"a".repeat(65)] {
            assert_eq!(SessionId::parse(bad), Err(BadSessionId), "{bad:?}");
        }
        assert!(SessionId::parse("a".repeat(64)).is_ok());
    }

    #[test]
    fn it_is_a_plain_string_on_the_wire_and_checked_when_read() {
        let id = SessionId::parse("s1").unwrap();
        assert_eq!(serde_json::to_string(&id).unwrap(), r#""s1""#);
        assert_eq!(serde_json::from_str::<SessionId>(r#""s1""#).unwrap(), id);
        assert!(serde_json::from_str::<SessionId>(r#""../x""#).is_err());
    }
}
