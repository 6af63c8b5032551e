//! CPU time of a process tree, from `/proc/<pid>/stat`: a Lifeline app
//! (the `lifeline` process and its WebKit web processes) under its
//! WebDriver, or a GStreamer pipeline. The bench takes a [`CpuSample`]
//! before and after a scenario and prints the difference as a share of
//! one core. The drivers themselves (tauri-driver, WebKitWebDriver,
//! chromedriver) are left out: they are the test rig, not the app.

use std::collections::HashMap;
use std::time::Instant;

/// Processes of the rig, never counted.
const RIG: [&str; 3] = ["tauri-driver", "WebKitWebDriv", "chromedriver"];

/// One process's line of `/proc/<pid>/stat`: its name, parent and CPU
/// ticks (user + system).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stat {
    pid: u32,
    comm: String,
    parent: u32,
    ticks: u64,
}

fn parse(line: &str) -> Option<Stat> {
    // "pid (comm) state ppid …": comm may hold spaces and parentheses, so
    // split at the last ')'.
    let open = line.find('(')?;
    let close = line.rfind(')')?;
    let pid = line[..open].trim().parse().ok()?;
    let comm = line[open + 1..close].to_owned();
    let rest: Vec<&str> = line[close + 1..].split_whitespace().collect();
    // rest[0] is field 3 (state); utime and stime are fields 14 and 15.
    let parent = rest.get(1)?.parse().ok()?;
    let utime: u64 = rest.get(11)?.parse().ok()?;
    let stime: u64 = rest.get(12)?.parse().ok()?;
    Some(Stat {
        pid,
        comm,
        parent,
        ticks: utime + stime,
    })
}

fn all_processes() -> Vec<Stat> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .bytes()
                .all(|b| b.is_ascii_digit())
        })
        .filter_map(|e| std::fs::read_to_string(e.path().join("stat")).ok())
        .filter_map(|line| parse(&line))
        .collect()
}

/// `root` and every process below it.
fn tree(root: u32, processes: &[Stat]) -> Vec<&Stat> {
    let mut children: HashMap<u32, Vec<&Stat>> = HashMap::new();
    for p in processes {
        children.entry(p.parent).or_default().push(p);
    }
    let mut found: Vec<&Stat> = processes.iter().filter(|p| p.pid == root).collect();
    let mut i = 0;
    while i < found.len() {
        if let Some(below) = children.get(&found[i].pid) {
            found.extend(below.iter().copied());
        }
        i += 1;
    }
    found
}

/// CPU ticks of a process tree at one moment, split into the main process
/// (named `main`) and the rest.
#[derive(Debug, Clone, Copy)]
pub struct CpuSample {
    at: Instant,
    main: u64,
    rest: u64,
}

impl CpuSample {
    /// Reads the tree under `root` now; `main` names the process whose
    /// share is printed on its own (such as `lifeline`).
    pub fn take(root: u32, main: &str) -> Self {
        let processes = all_processes();
        let (mut main_ticks, mut rest) = (0, 0);
        for p in tree(root, &processes) {
            if RIG.iter().any(|rig| p.comm.starts_with(rig)) {
                continue;
            }
            if p.comm == main {
                main_ticks += p.ticks;
            } else {
                rest += p.ticks;
            }
        }
        Self {
            at: Instant::now(),
            main: main_ticks,
            rest,
        }
    }

    /// Percent of one core since `earlier`: (main process, everything else).
    pub fn since(&self, earlier: &CpuSample) -> (f64, f64) {
        let seconds = self.at.duration_since(earlier.at).as_secs_f64().max(1e-3);
        let per_second = ticks_per_second() as f64;
        let share =
            |now: u64, then: u64| now.saturating_sub(then) as f64 / per_second / seconds * 100.0;
        (
            share(self.main, earlier.main),
            share(self.rest, earlier.rest),
        )
    }
}

/// The kernel's USER_HZ, the unit of `/proc/<pid>/stat`'s times.
fn ticks_per_second() -> u64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(100)
}
