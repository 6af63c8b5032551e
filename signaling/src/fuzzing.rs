//! Entry points for `cargo fuzz` (`tests/fuzz/`) and for replaying its
//! corpus as ordinary tests. Each takes arbitrary bytes, must never panic,
//! and asserts what must hold for whatever parses.

use crate::protocol::signal::Signal;
use crate::protocol::{AppMessage, ServerMessage};

/// The signaling protocol as the server and the app parse it: any text is
/// an `AppMessage`, a `ServerMessage` or a peer's `Signal`, or an error;
/// whatever parses serialises and parses back to the same value.
pub fn protocol(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(message) = serde_json::from_str::<AppMessage>(text) {
        let again = serde_json::to_string(&message).expect("an app message serialises");
        assert_eq!(
            serde_json::from_str::<AppMessage>(&again).ok(),
            Some(message)
        );
    }
    if let Ok(message) = serde_json::from_str::<ServerMessage>(text) {
        let again = serde_json::to_string(&message).expect("a server message serialises");
        assert_eq!(
            serde_json::from_str::<ServerMessage>(&again).ok(),
            Some(message)
        );
    }
    if let Ok(signal) = Signal::from_json(text) {
        assert!(signal.check_size().is_ok());
        assert_eq!(Signal::from_json(&signal.to_json()).ok(), Some(signal));
    }
}
