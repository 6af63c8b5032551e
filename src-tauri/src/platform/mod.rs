//! Facts about this computer that differ by platform, and [`no_follow`]
//! for opening files without following links. `cfg` lives here and
//! in the backend files only.

pub mod autostart;
pub mod no_follow;

#[cfg(target_os = "linux")]
mod linux;
#[cfg(target_os = "linux")]
use linux as backend;

#[cfg(not(target_os = "linux"))]
mod generic;
#[cfg(not(target_os = "linux"))]
use generic as backend;

/// The client's computer, as the expert and the desk's records see it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Computer {
    pub name: String,
    pub os: String,
    pub user: String,
}

pub fn computer() -> Computer {
    Computer {
        name: backend::host_name().unwrap_or_default(),
        os: backend::os_name(),
        user: std::env::var("USER")
            .or_else(|_| std::env::var("USERNAME"))
            .unwrap_or_default(),
    }
}

/// The installation's desk file (`launch::desk_file`), if this platform has
/// a place for one.
pub fn system_desk_file() -> Option<std::path::PathBuf> {
    backend::system_desk_file()
}
