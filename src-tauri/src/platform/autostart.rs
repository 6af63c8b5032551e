//! Starting the app at the next login, for "restart and reconnect": the
//! client's app comes back by itself after the restart its expert asked
//! for, once. Behind a trait: the XDG autostart entry here (the Linux
//! desktops' way), other platforms' registries beside it.

use std::path::PathBuf;

/// Registers the app to start at login, or stops that.
pub trait Autostart: Send + Sync {
    fn enable(&self) -> std::io::Result<()>;
    fn disable(&self) -> std::io::Result<()>;
}

/// The file name of the autostart entry.
pub const ENTRY: &str = "lifeline-reconnect.desktop";

/// An entry in the XDG autostart folder (`$XDG_CONFIG_HOME/autostart`):
/// every freedesktop session manager starts what it lists at login.
#[derive(Debug, Clone)]
pub struct XdgAutostart {
    pub folder: PathBuf,
    /// The program to start: this app.
    pub program: PathBuf,
}

impl XdgAutostart {
    /// The entry for this app in the user's autostart folder.
    pub fn for_this_app() -> Option<Self> {
        Some(Self {
            folder: dirs::config_dir()?.join("autostart"),
            program: std::env::current_exe().ok()?,
        })
    }
}

impl Autostart for XdgAutostart {
    fn enable(&self) -> std::io::Result<()> {
        std::fs::create_dir_all(&self.folder)?;
        let entry = format!(
            "[Desktop Entry]\nType=Application\nName=Lifeline\n\
             Comment=Resumes the support session after the restart\n\
             Exec={}\nNoDisplay=true\nX-GNOME-Autostart-enabled=true\n",
            exec_quoted(&self.program.to_string_lossy())
        );
        std::fs::write(self.folder.join(ENTRY), entry)
    }

    fn disable(&self) -> std::io::Result<()> {
        match std::fs::remove_file(self.folder.join(ENTRY)) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            other => other,
        }
    }
}

/// A program path as the Desktop Entry spec quotes an `Exec` argument.
fn exec_quoted(path: &str) -> String {
    let mut quoted = String::from("\"");
    for c in path.chars() {
        if matches!(c, '"' | '`' | '$' | '\\') {
            quoted.push('\\');
        }
        quoted.push(c);
    }
    quoted.push('"');
    quoted
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_entry_starts_this_program_and_goes_again() {
        let dir = tempfile::tempdir().unwrap();
        let autostart = XdgAutostart {
            folder: dir.path().join("autostart"),
            program: PathBuf::from("/opt/Life line/lifeline$1"),
        };
        autostart.enable().unwrap();
        let entry = std::fs::read_to_string(dir.path().join("autostart").join(ENTRY)).unwrap();
        assert!(
            entry.contains("Exec=\"/opt/Life line/lifeline\\$1\"\n"),
            "{entry}"
        );
        autostart.disable().unwrap();
        assert!(!dir.path().join("autostart").join(ENTRY).exists());
        autostart.disable().unwrap();
    }
}
