//! Takes a [`SystemSnapshot`] from the running system, through `sysinfo`.
//! It blocks for sysinfo's CPU interval (about 200 ms: CPU use is a
//! difference between two readings), so the engine runs it off its task.

use std::cmp::Ordering;

use sysinfo::{Disks, Networks, ProcessRefreshKind, ProcessesToUpdate, System, UpdateKind, Users};

use super::snapshot::{
    Cpu, Disk, Display, Interface, MAX_ITEMS, Memory, Process, SystemSnapshot, TOP_PROCESSES,
};
use crate::media::capture::MonitorInfo;

/// File systems that are not disks a person would look at: snap packages
/// and container layers.
const NOT_DISKS: &[&str] = &["squashfs", "overlay"];

/// The computer now. `monitors`: the displays, as screen capture lists
/// them (the same names the expert's monitor menu shows).
pub fn snapshot(monitors: &[MonitorInfo], now_ms: u64) -> SystemSnapshot {
    let mut system = System::new();
    system.refresh_cpu_usage();
    system.refresh_processes(ProcessesToUpdate::All, true);
    std::thread::sleep(sysinfo::MINIMUM_CPU_UPDATE_INTERVAL);
    system.refresh_cpu_usage();
    system.refresh_processes(ProcessesToUpdate::All, true);
    system.refresh_memory();
    SystemSnapshot {
        taken_ms: now_ms,
        os: System::long_os_version().unwrap_or_else(|| std::env::consts::OS.to_owned()),
        kernel: System::kernel_version().unwrap_or_default(),
        hostname: System::host_name().unwrap_or_default(),
        user: user(&mut system),
        uptime_secs: System::uptime(),
        cpu: Cpu {
            model: system
                .cpus()
                .first()
                .map(|c| c.brand().trim().to_owned())
                .unwrap_or_default(),
            cores: u32::try_from(system.cpus().len()).unwrap_or(u32::MAX),
            usage_percent: system.global_cpu_usage(),
        },
        memory: Memory {
            total_bytes: system.total_memory(),
            available_bytes: system.available_memory(),
            swap_total_bytes: system.total_swap(),
            swap_used_bytes: system.used_swap(),
        },
        disks: disks(),
        interfaces: interfaces(),
        displays: monitors
            .iter()
            .map(|m| Display {
                name: m.name.clone(),
                width: m.width,
                height: m.height,
                primary: m.primary,
            })
            .collect(),
        top_cpu: top(&system, |a, b| b.cpu_percent.total_cmp(&a.cpu_percent)),
        top_memory: top(&system, |a, b| b.memory_bytes.cmp(&a.memory_bytes)),
    }
    .fit()
}

/// The user this app runs as: the one logged in at the desktop. Asked of
/// the system's user database (so directory users count too), else the
/// environment's word.
fn user(system: &mut System) -> String {
    let by_process = sysinfo::get_current_pid().ok().and_then(|pid| {
        let user = ProcessRefreshKind::nothing().with_user(UpdateKind::OnlyIfNotSet);
        system.refresh_processes_specifics(ProcessesToUpdate::Some(&[pid]), false, user);
        let uid = system.process(pid)?.user_id()?.clone();
        let users = Users::new_with_refreshed_list();
        users.get_user_by_id(&uid).map(|u| u.name().to_owned())
    });
    by_process
        .or_else(|| std::env::var("USER").ok())
        .unwrap_or_default()
}

/// Mounted disks, largest first.
fn disks() -> Vec<Disk> {
    let disks = Disks::new_with_refreshed_list();
    let mut listed: Vec<Disk> = disks
        .list()
        .iter()
        .filter(|d| !NOT_DISKS.contains(&d.file_system().to_string_lossy().as_ref()))
        .map(|d| Disk {
            mount: d.mount_point().display().to_string(),
            file_system: d.file_system().to_string_lossy().into_owned(),
            total_bytes: d.total_space(),
            free_bytes: d.available_space(),
            removable: d.is_removable(),
        })
        .collect();
    listed.sort_by(|a, b| {
        b.total_bytes
            .cmp(&a.total_bytes)
            .then(a.mount.cmp(&b.mount))
    });
    listed.truncate(MAX_ITEMS);
    listed
}

/// Interfaces with an address, by name; the loopback is left out.
fn interfaces() -> Vec<Interface> {
    let networks = Networks::new_with_refreshed_list();
    let mut listed: Vec<Interface> = networks
        .list()
        .iter()
        .filter(|(name, data)| *name != "lo" && !data.ip_networks().is_empty())
        .map(|(name, data)| Interface {
            name: name.clone(),
            mac: data.mac_address().to_string(),
            addresses: data
                .ip_networks()
                .iter()
                .map(|n| format!("{}/{}", n.addr, n.prefix))
                .collect(),
        })
        .collect();
    listed.sort_by(|a, b| a.name.cmp(&b.name));
    listed
}

/// The first [`TOP_PROCESSES`] processes in `order`.
fn top(system: &System, order: impl Fn(&Process, &Process) -> Ordering) -> Vec<Process> {
    let cores = system.cpus().len().max(1) as f32;
    let mut all: Vec<Process> = system
        .processes()
        .values()
        // Threads are listed as processes too on Linux; a person wants
        // the programs.
        .filter(|p| p.thread_kind().is_none())
        .map(|p| Process {
            pid: p.pid().as_u32(),
            name: p.name().to_string_lossy().into_owned(),
            // sysinfo counts 100 per core; the panel shows the computer's.
            cpu_percent: p.cpu_usage() / cores,
            memory_bytes: p.memory(),
        })
        .collect();
    all.sort_by(|a, b| order(a, b).then(a.pid.cmp(&b.pid)));
    all.truncate(TOP_PROCESSES);
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Against what the system itself says.
    #[test]
    fn the_snapshot_is_this_computer() {
        let monitor = MonitorInfo {
            index: 0,
            name: "screen-0".into(),
            x: 0,
            y: 0,
            width: 1280,
            height: 720,
            primary: true,
        };
        let taken = snapshot(std::slice::from_ref(&monitor), 42);
        assert_eq!(taken.hostname, lifeline_e2e::host::hostname());
        assert_eq!(
            taken.memory.total_bytes,
            lifeline_e2e::host::memory_total_bytes()
        );
        assert_eq!(taken.taken_ms, 42);
        let cores = std::thread::available_parallelism().unwrap().get();
        assert!(taken.cpu.cores as usize >= cores, "{:?}", taken.cpu);
        assert!(taken.uptime_secs > 0);
        assert!(!taken.os.is_empty());
        let whoami = std::process::Command::new("id")
            .arg("-un")
            .output()
            .unwrap();
        let ours = String::from_utf8(whoami.stdout).unwrap();
        assert_eq!(taken.user, ours.trim(), "the user this test runs as");
        assert_eq!(taken.displays[0].name, "screen-0");
        let root = taken.disks.iter().any(|d| d.total_bytes > 0);
        assert!(root, "a disk with a size: {:?}", taken.disks);
        // This test's own process is among the processes.
        let ours = std::process::id();
        let listed = taken.top_memory.len() == TOP_PROCESSES
            || taken.top_memory.iter().any(|p| p.pid == ours);
        assert!(listed, "{:?}", taken.top_memory);
        let sorted = taken
            .top_memory
            .windows(2)
            .all(|w| w[0].memory_bytes >= w[1].memory_bytes);
        assert!(sorted, "{:?}", taken.top_memory);
    }
}
