//! Other platforms, until they get backends of their own.

pub fn host_name() -> Option<String> {
    std::env::var("COMPUTERNAME")
        .or_else(|_| std::env::var("HOSTNAME"))
        .ok()
}

pub fn os_name() -> String {
    std::env::consts::OS.to_owned()
}
