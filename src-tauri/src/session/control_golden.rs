//! Every control message with the JSON it has on the wire (docs/peer-protocol.md).
//! A new kind of message does not compile in `kind` until it is added here
//! with its golden JSON.

use super::control::ControlMessage;
use super::scopes::{Scope, Scopes};
use super::view::ScreenInfo;
use crate::media::capture::MonitorInfo;
use crate::media::quality::Quality;
use crate::peer::path::Reach;

const KINDS: usize = 14;

fn kind(message: &ControlMessage) -> &'static str {
    match message {
        ControlMessage::Hello { .. } => "hello",
        ControlMessage::Bye => "bye",
        ControlMessage::Chat { .. } => "chat",
        ControlMessage::Grants { .. } => "grants",
        ControlMessage::Clipboard { .. } => "clipboard",
        ControlMessage::Reboot { .. } => "reboot",
        ControlMessage::RebootScheduled { .. } => "reboot_scheduled",
        ControlMessage::RebootCancelled => "reboot_cancelled",
        ControlMessage::Refused { .. } => "refused",
        ControlMessage::ControlUnavailable { .. } => "control_unavailable",
        ControlMessage::Screen(_) => "screen",
        ControlMessage::SelectMonitor { .. } => "select_monitor",
        ControlMessage::SetQuality { .. } => "set_quality",
        ControlMessage::PathEnd { .. } => "path_end",
    }
}

fn golden() -> Vec<(ControlMessage, &'static str)> {
    let scopes: Scopes = [Scope::View, Scope::Control].into_iter().collect();
    let mut golden = vec![
        (
            ControlMessage::Hello { version: 1 },
            r#"{"type":"hello","version":1}"#,
        ),
        (ControlMessage::Bye, r#"{"type":"bye"}"#),
        (
            ControlMessage::Chat {
                text: "Hello".into(),
                sent_ms: 1700000000000,
            },
            r#"{"type":"chat","text":"Hello","sent_ms":1700000000000}"#,
        ),
        (
            ControlMessage::Grants { scopes },
            r#"{"type":"grants","scopes":["view","control"]}"#,
        ),
        (
            ControlMessage::Clipboard {
                text: "ssh support@10.0.0.7".into(),
            },
            r#"{"type":"clipboard","text":"ssh support@10.0.0.7"}"#,
        ),
        (
            ControlMessage::Reboot { reconnect: false },
            r#"{"type":"reboot"}"#,
        ),
        (
            ControlMessage::Reboot { reconnect: true },
            r#"{"type":"reboot","reconnect":true}"#,
        ),
        (
            ControlMessage::RebootScheduled { in_secs: 15 },
            r#"{"type":"reboot_scheduled","in_secs":15}"#,
        ),
        (
            ControlMessage::RebootCancelled,
            r#"{"type":"reboot_cancelled"}"#,
        ),
        (
            ControlMessage::Refused {
                scope: Scope::Control,
                what: "input".into(),
            },
            r#"{"type":"refused","scope":"control","what":"input"}"#,
        ),
        (
            ControlMessage::ControlUnavailable {
                reason: "declined".into(),
            },
            r#"{"type":"control_unavailable","reason":"declined"}"#,
        ),
    ];
    golden.extend(screen_golden());
    golden
}

/// The screen's messages, and the path's.
fn screen_golden() -> Vec<(ControlMessage, &'static str)> {
    let screen = ScreenInfo {
        monitors: vec![MonitorInfo {
            index: 0,
            name: "HDMI-1".into(),
            x: 0,
            y: 0,
            width: 1920,
            height: 1080,
            primary: true,
        }],
        monitor: 0,
        quality: Quality::Balanced,
        backend: Some("wayland".into()),
        problem: None,
    };
    vec![
        (
            ControlMessage::Screen(screen),
            r#"{"type":"screen","monitors":[{"index":0,"name":"HDMI-1","x":0,"y":0,"width":1920,"height":1080,"primary":true}],"monitor":0,"quality":"balanced","backend":"wayland"}"#,
        ),
        (
            ControlMessage::SelectMonitor { monitor: 1 },
            r#"{"type":"select_monitor","monitor":1}"#,
        ),
        (
            ControlMessage::SetQuality {
                quality: Quality::Speed,
            },
            r#"{"type":"set_quality","quality":"speed"}"#,
        ),
        (
            ControlMessage::PathEnd {
                local: Reach::Relay,
            },
            r#"{"type":"path_end","local":"relay"}"#,
        ),
    ]
}

#[test]
fn every_control_message_has_its_golden_json() {
    let golden = golden();
    let kinds: std::collections::HashSet<_> = golden.iter().map(|(m, _)| kind(m)).collect();
    assert_eq!(kinds.len(), KINDS, "every kind has a golden line");
    for (message, json) in golden {
        assert_eq!(message.to_json(), json, "{}", kind(&message));
        assert_eq!(ControlMessage::parse(json.as_bytes()), Ok(message));
    }
}
