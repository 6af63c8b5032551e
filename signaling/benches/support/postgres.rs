//! A throw-away PostgreSQL cluster for the benches, on a Unix socket in a
//! temporary folder, stopped when dropped.

use std::process::{Command, Stdio};

/// A throw-away PostgreSQL cluster on a Unix socket in a temporary folder.
pub struct Postgres {
    dir: std::path::PathBuf,
    bin: std::path::PathBuf,
    root: bool,
    pub url: String,
}

impl Postgres {
    pub fn start(parent: &std::path::Path) -> Result<Self, String> {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .map_err(|_| "PostgreSQL is not installed (scripts/bench-setup.sh adds it)".to_owned())?
            .filter_map(Result::ok)
            .map(|e| e.path().join("bin"))
            .find(|p| p.join("initdb").exists())
            .ok_or("no initdb found")?;
        let dir = parent.join("pg");
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        // initdb refuses to run as root: then the cluster is postgres's.
        let root = Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|out| out.stdout.starts_with(b"0\n"));
        if root {
            let _ = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(parent)
                .status();
        }
        let run = |program: &str, args: &[&str]| -> Result<(), String> {
            let mut command = if root {
                let mut c = Command::new("runuser");
                c.args(["-u", "postgres", "--"]).arg(bin.join(program));
                c
            } else {
                Command::new(bin.join(program))
            };
            let status = command
                .args(args)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .map_err(|e| format!("{program}: {e}"))?;
            status
                .success()
                .then_some(())
                .ok_or(format!("{program} failed"))
        };
        let data = dir.join("data");
        let data = data.to_str().ok_or("a non-UTF-8 path")?;
        let socket = dir.to_str().ok_or("a non-UTF-8 path")?;
        run(
            "initdb",
            &["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8"],
        )?;
        let options = format!("-k {socket} -c listen_addresses='' -p 55432 -c fsync=off");
        run("pg_ctl", &["-D", data, "-o", &options, "-w", "start"])?;
        Ok(Self {
            url: format!("postgres://postgres@localhost/postgres?host={socket}&port=55432"),
            dir,
            bin,
            root,
        })
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let data = self.dir.join("data");
        let pg_ctl = self.bin.join("pg_ctl");
        let mut command = if self.root {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(pg_ctl);
            c
        } else {
            Command::new(pg_ctl)
        };
        command
            .arg("-D")
            .arg(&data)
            .args(["-m", "immediate", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let _ = command.status();
    }
}
