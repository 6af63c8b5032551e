//! What the expert sees of the client's computer. Every list and text is
//! bounded ([`SystemSnapshot::fit`]), so that a snapshot of any computer
//! fits one control message.

use serde::{Deserialize, Serialize};

/// Processes listed in each of the two tops (by CPU, by memory).
pub const TOP_PROCESSES: usize = 10;
/// Disks, network interfaces and displays listed, at most.
pub const MAX_ITEMS: usize = 16;
/// Addresses listed per interface, at most.
pub const MAX_ADDRESSES: usize = 8;
/// The longest text kept, in characters (a process or mount name, say).
pub const MAX_TEXT: usize = 64;
/// The longest address kept: an IPv6 address with its prefix.
const MAX_ADDRESS: usize = 43;
/// The longest hardware address kept ("00:11:22:33:44:55").
const MAX_MAC: usize = 17;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SystemSnapshot {
    /// When it was taken, on the client's clock (Unix ms).
    pub taken_ms: u64,
    /// The operating system and its version ("Debian GNU/Linux 12").
    pub os: String,
    pub kernel: String,
    pub hostname: String,
    /// Who is logged in: the user the client's app runs as.
    pub user: String,
    pub uptime_secs: u64,
    pub cpu: Cpu,
    pub memory: Memory,
    pub disks: Vec<Disk>,
    pub interfaces: Vec<Interface>,
    pub displays: Vec<Display>,
    /// The busiest processes, most CPU first.
    pub top_cpu: Vec<Process>,
    /// The largest processes, most memory first.
    pub top_memory: Vec<Process>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Cpu {
    pub model: String,
    /// Logical cores.
    pub cores: u32,
    /// Over all cores, 0–100.
    pub usage_percent: f32,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Memory {
    pub total_bytes: u64,
    pub available_bytes: u64,
    pub swap_total_bytes: u64,
    pub swap_used_bytes: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Disk {
    pub mount: String,
    pub file_system: String,
    pub total_bytes: u64,
    pub free_bytes: u64,
    pub removable: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Interface {
    pub name: String,
    pub mac: String,
    /// Addresses with their prefix ("192.168.1.20/24").
    pub addresses: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Display {
    pub name: String,
    pub width: u32,
    pub height: u32,
    pub primary: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Process {
    pub pid: u32,
    pub name: String,
    pub cpu_percent: f32,
    pub memory_bytes: u64,
}

impl SystemSnapshot {
    /// Cuts every list and text to its bound. A snapshot from the wire is
    /// fitted too: the expert's view never holds more than these bounds.
    #[must_use]
    pub fn fit(mut self) -> Self {
        for text in [
            &mut self.os,
            &mut self.kernel,
            &mut self.hostname,
            &mut self.user,
            &mut self.cpu.model,
        ] {
            cut(text);
        }
        self.disks.truncate(MAX_ITEMS);
        for disk in &mut self.disks {
            cut(&mut disk.mount);
            cut(&mut disk.file_system);
        }
        self.interfaces.truncate(MAX_ITEMS);
        for interface in &mut self.interfaces {
            cut(&mut interface.name);
            cut_to(&mut interface.mac, MAX_MAC);
            interface.addresses.truncate(MAX_ADDRESSES);
            for address in &mut interface.addresses {
                cut_to(address, MAX_ADDRESS);
            }
        }
        self.displays.truncate(MAX_ITEMS);
        self.displays.iter_mut().for_each(|d| cut(&mut d.name));
        for top in [&mut self.top_cpu, &mut self.top_memory] {
            top.truncate(TOP_PROCESSES);
            top.iter_mut().for_each(|p| cut(&mut p.name));
        }
        self
    }
}

/// Keeps the first [`MAX_TEXT`] characters.
fn cut(text: &mut String) {
    cut_to(text, MAX_TEXT);
}

fn cut_to(text: &mut String, chars: usize) {
    if let Some((at, _)) = text.char_indices().nth(chars) {
        text.truncate(at);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::control::{ControlMessage, MAX_CONTROL_BYTES};

    /// The largest snapshot `fit` lets through, with every text at its
    /// longest in the widest characters.
    fn largest() -> SystemSnapshot {
        let long = "漢".repeat(MAX_TEXT * 2);
        let process = Process {
            pid: u32::MAX,
            name: long.clone(),
            cpu_percent: 100.0,
            memory_bytes: u64::MAX,
        };
        SystemSnapshot {
            taken_ms: u64::MAX,
            os: long.clone(),
            kernel: long.clone(),
            hostname: long.clone(),
            user: long.clone(),
            uptime_secs: u64::MAX,
            cpu: Cpu {
                model: long.clone(),
                cores: u32::MAX,
                usage_percent: 100.0,
            },
            memory: Memory::default(),
            disks: vec![
                Disk {
                    mount: long.clone(),
                    file_system: long.clone(),
                    total_bytes: u64::MAX,
                    free_bytes: u64::MAX,
                    removable: true,
                };
                MAX_ITEMS * 4
            ],
            interfaces: vec![
                Interface {
                    name: long.clone(),
                    mac: long.clone(),
                    addresses: vec![long.clone(); MAX_ADDRESSES * 4],
                };
                MAX_ITEMS * 4
            ],
            displays: vec![
                Display {
                    name: long.clone(),
                    width: u32::MAX,
                    height: u32::MAX,
                    primary: false,
                };
                MAX_ITEMS * 4
            ],
            top_cpu: vec![process.clone(); 500],
            top_memory: vec![process; 500],
        }
        .fit()
    }

    #[test]
    fn a_fitted_snapshot_is_bounded() {
        let fitted = largest();
        assert_eq!(fitted.hostname.chars().count(), MAX_TEXT);
        assert_eq!(fitted.disks.len(), MAX_ITEMS);
        assert_eq!(fitted.interfaces[0].addresses.len(), MAX_ADDRESSES);
        assert_eq!(fitted.top_cpu.len(), TOP_PROCESSES);
        assert_eq!(fitted.top_memory.len(), TOP_PROCESSES);
    }

    /// Even the largest snapshot goes in one control message, which the
    /// other side parses.
    #[test]
    fn the_largest_snapshot_fits_a_control_message() {
        let message = ControlMessage::SystemInfo(Box::new(largest()));
        let json = message.to_json();
        assert!(
            json.len() <= MAX_CONTROL_BYTES,
            "{} bytes is over {MAX_CONTROL_BYTES}",
            json.len()
        );
        assert_eq!(ControlMessage::parse(json.as_bytes()), Ok(message));
    }
}
