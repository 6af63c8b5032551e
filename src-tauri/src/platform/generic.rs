//! Other platforms, until they get backends of their own.

pub fn host_name() -> Option<String> {
    std::env::var("COMPUTERNAME")
        .or_else(|_| std::env::var("HOSTNAME"))
        .ok()
}

pub fn os_name() -> String {
    std::env::consts::OS.to_owned()
}

/// Where an administrator puts the desk file for every user of this
/// computer: `%ProgramData%\Lifeline\desk.toml` on Windows,
/// `/Library/Application Support/Lifeline/desk.toml` on macOS.
pub fn system_desk_file() -> Option<std::path::PathBuf> {
    if cfg!(windows) {
        let data = std::env::var_os("ProgramData")?;
        Some(
            std::path::PathBuf::from(data)
                .join("Lifeline")
                .join("desk.toml"),
        )
    } else if cfg!(target_os = "macos") {
        Some("/Library/Application Support/Lifeline/desk.toml".into())
    } else {
        None
    }
}
