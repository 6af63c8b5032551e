//! Every control message with the JSON it has on the wire (docs/peer-protocol.md).
//! A new kind of message does not compile in `kind` until it is added here
//! with its golden JSON.

use super::control::ControlMessage;
use super::end_action::EndAction;
use super::scopes::{Scope, Scopes};
use super::view::ScreenInfo;
use crate::media::capture::MonitorInfo;
use crate::media::quality::Quality;
use crate::peer::path::Reach;

const KINDS: usize = 21;

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
        ControlMessage::EndWith { .. } => "end_with",
        ControlMessage::EndedWith { .. } => "ended_with",
        ControlMessage::Refused { .. } => "refused",
        ControlMessage::ControlUnavailable { .. } => "control_unavailable",
        ControlMessage::Screen(_) => "screen",
        ControlMessage::Recording { .. } => "recording",
        ControlMessage::ReverseView { .. } => "reverse_view",
        ControlMessage::ReverseViewClosed => "reverse_view_closed",
        ControlMessage::AskSystemInfo => "ask_system_info",
        ControlMessage::SystemInfo(_) => "system_info",
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
            ControlMessage::ReverseView { on: true },
            r#"{"type":"reverse_view","on":true}"#,
        ),
        (
            ControlMessage::ReverseViewClosed,
            r#"{"type":"reverse_view_closed"}"#,
        ),
        (
            ControlMessage::Refused {
                scope: Scope::Control,
                what: "input".into(),
            },
            r#"{"type":"refused","scope":"control","what":"input"}"#,
        ),
        (
            ControlMessage::Recording { on: true },
            r#"{"type":"recording","on":true}"#,
        ),
        (
            ControlMessage::AskSystemInfo,
            r#"{"type":"ask_system_info"}"#,
        ),
    ];
    golden.extend(screen_golden());
    golden.extend(session_end_golden());
    golden.push(system_info_golden());
    golden
}

/// Ending with an action, and control the desktop would not take.
fn session_end_golden() -> Vec<(ControlMessage, &'static str)> {
    vec![
        (
            ControlMessage::ControlUnavailable {
                reason: "declined".into(),
            },
            r#"{"type":"control_unavailable","reason":"declined"}"#,
        ),
        (
            ControlMessage::EndWith {
                action: EndAction::Lock,
            },
            r#"{"type":"end_with","action":"lock"}"#,
        ),
        (
            ControlMessage::EndedWith {
                action: EndAction::LogOut,
                error: None,
            },
            r#"{"type":"ended_with","action":"log_out"}"#,
        ),
        (
            ControlMessage::EndedWith {
                action: EndAction::Lock,
                error: Some("loginctl failed".into()),
            },
            r#"{"type":"ended_with","action":"lock","error":"loginctl failed"}"#,
        ),
    ]
}

/// A snapshot of the client's computer, one of each part.
fn system_info_golden() -> (ControlMessage, &'static str) {
    use crate::system_info::snapshot::{
        Cpu, Disk, Display, Interface, Memory, Process, SystemSnapshot,
    };
    let process = Process {
        pid: 812,
        name: "firefox".into(),
        cpu_percent: 12.5,
        memory_bytes: 734003200,
    };
    let snapshot = SystemSnapshot {
        taken_ms: 1700000000000,
        os: "Linux 12 Debian GNU/Linux 12".into(),
        kernel: "6.1.0-27-amd64".into(),
        hostname: "reception-pc".into(),
        user: "anna".into(),
        uptime_secs: 3600,
        cpu: Cpu {
            model: "Intel(R) Core(TM) i5-8250U".into(),
            cores: 8,
            usage_percent: 7.5,
        },
        memory: Memory {
            total_bytes: 8589934592,
            available_bytes: 4294967296,
            swap_total_bytes: 0,
            swap_used_bytes: 0,
        },
        disks: vec![Disk {
            mount: "/".into(),
            file_system: "ext4".into(),
            total_bytes: 256000000000,
            free_bytes: 128000000000,
            removable: false,
        }],
        interfaces: vec![Interface {
            name: "wlan0".into(),
            mac: "00:11:22:33:44:55".into(),
            addresses: vec!["192.168.1.20/24".into()],
        }],
        displays: vec![Display {
            name: "HDMI-1".into(),
            width: 1920,
            height: 1080,
            primary: true,
        }],
        top_cpu: vec![process.clone()],
        top_memory: vec![process],
    };
    (
        ControlMessage::SystemInfo(Box::new(snapshot)),
        concat!(
            r#"{"type":"system_info","takenMs":1700000000000,"os":"Linux 12 Debian GNU/Linux 12","#,
            r#""kernel":"6.1.0-27-amd64","hostname":"reception-pc","user":"anna","uptimeSecs":3600,"#,
            r#""cpu":{"model":"Intel(R) Core(TM) i5-8250U","cores":8,"usagePercent":7.5},"#,
            r#""memory":{"totalBytes":8589934592,"availableBytes":4294967296,"swapTotalBytes":0,"swapUsedBytes":0},"#,
            r#""disks":[{"mount":"/","fileSystem":"ext4","totalBytes":256000000000,"freeBytes":128000000000,"removable":false}],"#,
            r#""interfaces":[{"name":"wlan0","mac":"00:11:22:33:44:55","addresses":["192.168.1.20/24"]}],"#,
            r#""displays":[{"name":"HDMI-1","width":1920,"height":1080,"primary":true}],"#,
            r#""topCpu":[{"pid":812,"name":"firefox","cpuPercent":12.5,"memoryBytes":734003200}],"#,
            r#""topMemory":[{"pid":812,"name":"firefox","cpuPercent":12.5,"memoryBytes":734003200}]}"#
        ),
    )
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
