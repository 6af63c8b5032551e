//! Start-up configuration: which signaling server to use and where the app
//! keeps its files. Resolved once in [`AppConfig::from_env`] and then read-only.

use std::path::{Path, PathBuf};

use crate::desk::tls::ServerPin;
use crate::launch::Launch;
use crate::session::end_action::EndActions;
use crate::session::reboot::RebootPlan;

/// The signaling server `make run` starts next to the app.
pub const DEFAULT_SIGNALING_URL: &str = "ws://127.0.0.1:7890/ws";

/// Directory name under the platform's data and config dirs.
const APP_DIR: &str = "lifeline";

#[derive(Debug, Clone)]
pub struct AppConfig {
    /// WebSocket URL of the support desk's signaling server.
    pub signaling_url: String,
    /// Logs, transcripts and other files the app writes.
    pub data_dir: PathBuf,
    /// The user's settings file lives here.
    pub config_dir: PathBuf,
    /// Local UDP addresses for WebRTC (`LIFELINE_UDP_ADDRS`, comma
    /// separated); every interface on an ephemeral port by default.
    pub udp_addrs: Vec<String>,
    /// How the client restarts when the expert asks and the client agrees.
    pub reboot: RebootPlan,
    /// How the client locks its screen or logs out at a session's end.
    pub end_actions: EndActions,
    /// Where received files are saved: `LIFELINE_DOWNLOAD_DIR`, else the
    /// user's Downloads folder.
    pub downloads: PathBuf,
    /// The installation's default for the folder the expert's file browser
    /// may work in (`LIFELINE_SHARED_DIR`); `None` means the download
    /// folder. The Settings screen's choice wins over both
    /// ([`Self::shared_folder`]). Never the home folder: the transfer
    /// runner refuses that, `/` and anything above home.
    pub shared: Option<PathBuf>,
    /// Client: show a PIN with every ID and accept only an expert who
    /// proves it (`LIFELINE_REQUIRE_PIN=1`).
    pub require_pin: bool,
    /// The desk's verification code, the SHA-256 of its TLS public key
    /// (`LIFELINE_SERVER_PIN`): the app then talks to that key only.
    pub server_pin: Option<ServerPin>,
    /// Connect through the desk's TURN relay only, never directly
    /// (`LIFELINE_ICE_RELAY_ONLY=1`): the other side never learns this
    /// computer's addresses.
    pub relay_only: bool,
    /// What the command line and the desk files decided for this run.
    pub launch: Launch,
}

impl AppConfig {
    /// Reads `LIFELINE_SIGNALING_URL`, then falls back to the local default.
    /// The data and config dirs follow the platform's conventions
    /// (`$XDG_DATA_HOME` and `$XDG_CONFIG_HOME` on Linux).
    pub fn from_env() -> Self {
        Self::resolve(
            std::env::var("LIFELINE_SIGNALING_URL").ok(),
            dirs::data_dir(),
            dirs::config_dir(),
        )
        .with_udp_addrs(std::env::var("LIFELINE_UDP_ADDRS").ok())
        .with_reboot(RebootPlan::from_env())
        .with_end_actions(EndActions::from_env())
        .with_downloads(
            std::env::var_os("LIFELINE_DOWNLOAD_DIR").map(PathBuf::from),
            dirs::download_dir(),
        )
        .with_shared(std::env::var_os("LIFELINE_SHARED_DIR").map(PathBuf::from))
        .with_require_pin(std::env::var("LIFELINE_REQUIRE_PIN").ok())
        .with_server_pin(std::env::var("LIFELINE_SERVER_PIN").ok())
        .with_relay_only(std::env::var("LIFELINE_ICE_RELAY_ONLY").ok())
    }

    pub fn with_launch(mut self, launch: Launch) -> Self {
        self.launch = launch;
        self
    }

    fn with_relay_only(mut self, value: Option<String>) -> Self {
        self.relay_only = is_on(value);
        self
    }

    /// A malformed code fails closed: it matches no key, so no desk is
    /// reached, and the log says why.
    fn with_server_pin(mut self, code: Option<String>) -> Self {
        self.server_pin = code.filter(|c| !c.trim().is_empty()).map(|code| {
            code.parse().unwrap_or_else(|error| {
                eprintln!("LIFELINE_SERVER_PIN is malformed ({error}); no desk will be trusted");
                ServerPin::of_public_key(b"no key has this hash")
            })
        });
        self
    }

    fn with_require_pin(mut self, value: Option<String>) -> Self {
        self.require_pin = is_on(value);
        self
    }

    fn with_shared(mut self, configured: Option<PathBuf>) -> Self {
        self.shared = configured.filter(|dir| !dir.as_os_str().is_empty());
        self
    }

    /// The folder the client shares: the user's choice in Settings, else
    /// the installation's, else the download folder in use.
    pub fn shared_folder(&self, chosen: Option<PathBuf>, downloads: PathBuf) -> PathBuf {
        chosen.or_else(|| self.shared.clone()).unwrap_or(downloads)
    }

    fn with_downloads(mut self, configured: Option<PathBuf>, system: Option<PathBuf>) -> Self {
        self.downloads = configured
            .filter(|dir| !dir.as_os_str().is_empty())
            .or(system)
            .or_else(|| dirs::home_dir().map(|home| home.join("Downloads")))
            .unwrap_or_else(|| self.data_dir.join("downloads"));
        self
    }

    fn with_reboot(mut self, reboot: RebootPlan) -> Self {
        self.reboot = reboot;
        self
    }

    fn with_end_actions(mut self, end_actions: EndActions) -> Self {
        self.end_actions = end_actions;
        self
    }

    fn resolve(
        signaling_url: Option<String>,
        data_base: Option<PathBuf>,
        config_base: Option<PathBuf>,
    ) -> Self {
        let signaling_url = signaling_url
            .map(|url| url.trim().to_owned())
            .filter(|url| !url.is_empty())
            .unwrap_or_else(|| DEFAULT_SIGNALING_URL.to_owned());
        // With no home directory at all, fall back to the working directory
        // rather than refusing to start.
        let data_dir = data_base
            .unwrap_or_else(|| PathBuf::from("."))
            .join(APP_DIR);
        let config_dir = config_base
            .unwrap_or_else(|| PathBuf::from("."))
            .join(APP_DIR);
        Self {
            signaling_url,
            data_dir,
            config_dir,
            udp_addrs: vec!["0.0.0.0:0".into()],
            reboot: RebootPlan::default(),
            end_actions: EndActions::default(),
            downloads: PathBuf::from("Downloads"),
            shared: None,
            require_pin: false,
            server_pin: None,
            relay_only: false,
            launch: Launch::default(),
        }
    }

    fn with_udp_addrs(mut self, addrs: Option<String>) -> Self {
        let addrs: Vec<String> = addrs
            .unwrap_or_default()
            .split(',')
            .map(|a| a.trim().to_owned())
            .filter(|a| !a.is_empty())
            .collect();
        if !addrs.is_empty() {
            self.udp_addrs = addrs;
        }
        self
    }

    pub fn log_dir(&self) -> PathBuf {
        self.data_dir.join("logs")
    }

    /// Where session transcripts (chat and events) are kept.
    pub fn transcripts_dir(&self) -> PathBuf {
        self.data_dir.join("transcripts")
    }

    /// The desktop portal's restore token for sharing the screen on
    /// Wayland, so the desktop asks its user once.
    pub fn screen_cast_token_path(&self) -> PathBuf {
        self.config_dir.join("screen-cast-token")
    }

    pub fn settings_path(&self) -> PathBuf {
        self.config_dir.join("settings.json")
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }
}

/// A switch variable: `1`, `true` or `yes` is on.
fn is_on(value: Option<String>) -> bool {
    matches!(value.as_deref().map(str::trim), Some("1" | "true" | "yes"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_to_the_local_signaling_server() {
        let config = AppConfig::resolve(None, Some("/d".into()), Some("/c".into()));
        assert_eq!(config.signaling_url, DEFAULT_SIGNALING_URL);
        assert_eq!(config.data_dir, PathBuf::from("/d/lifeline"));
        assert_eq!(
            config.settings_path(),
            PathBuf::from("/c/lifeline/settings.json")
        );
        assert_eq!(config.log_dir(), PathBuf::from("/d/lifeline/logs"));
    }

    #[test]
    fn the_shared_folder_defaults_to_the_download_folder_not_home() {
        let config = AppConfig::resolve(None, None, None).with_shared(None);
        assert_eq!(config.shared, None);
        let downloads = PathBuf::from("/home/anna/Downloads");
        assert_eq!(config.shared_folder(None, downloads.clone()), downloads);
        let installed = config.with_shared(Some("/srv/exchange".into()));
        assert_eq!(
            installed.shared_folder(None, downloads.clone()),
            PathBuf::from("/srv/exchange")
        );
        assert_eq!(
            installed.shared_folder(Some("/home/anna/Shared".into()), downloads),
            PathBuf::from("/home/anna/Shared")
        );
        let blank = AppConfig::resolve(None, None, None).with_shared(Some("".into()));
        assert_eq!(blank.shared, None);
    }

    #[test]
    fn an_explicit_url_wins_and_blank_is_ignored() {
        let config = AppConfig::resolve(Some(" ws://desk:1/ws ".into()), None, None);
        assert_eq!(config.signaling_url, "ws://desk:1/ws");
        let config = AppConfig::resolve(Some("  ".into()), None, None);
        assert_eq!(config.signaling_url, DEFAULT_SIGNALING_URL);
        assert_eq!(config.data_dir, PathBuf::from("./lifeline"));
    }
}
