//! The server's settings: built in code by tests and embedders, or read
//! from a TOML file by the binary, with flags and environment on top.

use std::net::SocketAddr;
use std::time::Duration;

use serde::Deserialize;

use crate::backoff::BackoffPolicy;
use crate::ice::IceConfig;
use crate::limits::LimitsConfig;

#[derive(Debug, Clone)]
pub struct Config {
    /// sqlx URL: `sqlite://path?mode=rwc` or `postgres://user:pass@host/db`.
    pub database_url: String,
    /// The largest WebSocket message accepted, in bytes.
    pub max_message_bytes: usize,
    /// How long a disconnected client keeps its ID.
    pub reconnect_grace: Duration,
    /// How long a client ID stays valid: one hour, the seeds' rule. Not in
    /// the file format; tests shorten it.
    pub id_lifetime: Duration,
    /// How long a client has to answer a connect request (5 minutes).
    pub consent_timeout: Duration,
    /// An expert's sign-in ends after this long without activity (8 hours).
    pub token_idle: Duration,
    /// A connection that sends nothing for this long is closed.
    pub idle_timeout: Duration,
    /// An HTTP request's headers must arrive within this long of the
    /// connection opening (or of the previous response), or it is closed:
    /// half-sent requests cannot hold sockets (10 s).
    pub header_read_timeout: Duration,
    /// A WebSocket must say a valid `hello` within this long of the upgrade,
    /// or it is closed (10 s).
    pub hello_timeout: Duration,
    /// Most open TCP connections in all, counted at accept, WebSockets
    /// included; one more is closed at once. `None`: the process's limit on
    /// open files less [`FD_RESERVE`], so the listener never runs out of
    /// descriptors while the database still has some.
    pub max_connections: Option<usize>,
    /// With this set, `/metrics` is served to anyone who sends
    /// `Authorization: Bearer <token>`, not only to loopback peers.
    pub metrics_token: Option<String>,
    pub limits: LimitsConfig,
    pub ice: IceConfig,
    /// Every accepted session is recorded by its expert's app, and the
    /// client is told so before it answers (desk policy; off by default).
    pub record_sessions: bool,
    /// With this set, the node is one of several sharing IDs, requests and
    /// limits through Redis (`docs/deploy-signaling.md`, *Several nodes*).
    pub cluster: Option<ClusterConfig>,
    /// What the desk tells its clients of itself (`/client-config`,
    /// `/get-help`, `/downloads/…`).
    pub client: ClientSettings,
}

/// The `[client]` section: how clients reach this desk, the key they pin,
/// the logo they show and the installers the desk offers. The desk's name
/// is its policy's (the console's Policy page).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClientSettings {
    /// The desk's public web address (`https://help.example.com`); the
    /// request's host when not set.
    pub url: Option<String>,
    /// The verification code of the TLS key in front of the desk.
    pub pin: Option<String>,
    /// A PNG, JPEG or SVG file of at most 256 KiB.
    pub logo: Option<std::path::PathBuf>,
    /// The folder of installers `/get-help` offers.
    pub downloads: Option<std::path::PathBuf>,
}

/// How a node joins the others of its desk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterConfig {
    /// `redis://host:port/db`, `rediss://…` for TLS, or
    /// `redis+unix:///path/to/redis.sock`.
    pub redis_url: String,
    /// This node's name in logs and metrics. Each start adds a random
    /// suffix: a restarted node is a new node, and nothing of its
    /// predecessor's is mistaken for its own.
    pub node_name: String,
    /// Every key and channel of this desk starts with it, so several desks
    /// (or test runs) can share one Redis.
    pub key_prefix: String,
}

impl ClusterConfig {
    pub fn new(redis_url: impl Into<String>) -> Self {
        Self {
            redis_url: redis_url.into(),
            node_name: "node".into(),
            key_prefix: "lifeline".into(),
        }
    }
}

/// File descriptors kept back from connections when `max_connections` is
/// not set: the database, logs and the odd file.
pub const FD_RESERVE: usize = 64;

impl Config {
    /// The global connection cap: `max_connections`, or the open-file
    /// limit less [`FD_RESERVE`].
    pub fn connection_cap(&self) -> usize {
        self.max_connections
            .unwrap_or_else(|| open_file_limit().saturating_sub(FD_RESERVE).max(16))
    }
}

/// The soft limit on open files (Linux: from `/proc/self/limits`); 1024,
/// the usual default, where it cannot be read.
fn open_file_limit() -> usize {
    std::fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|limits| {
            limits
                .lines()
                .find(|line| line.starts_with("Max open files"))
                .and_then(|line| line.split_whitespace().nth(3))
                .and_then(|soft| soft.parse().ok())
        })
        .unwrap_or(1024)
}

impl Default for Config {
    fn default() -> Self {
        Self {
            database_url: "sqlite://lifeline-signaling.db?mode=rwc".into(),
            max_message_bytes: 64 * 1024,
            reconnect_grace: Duration::from_secs(30),
            id_lifetime: crate::ids::ID_LIFETIME,
            consent_timeout: Duration::from_secs(5 * 60),
            token_idle: Duration::from_secs(8 * 3600),
            idle_timeout: Duration::from_secs(60),
            header_read_timeout: Duration::from_secs(10),
            hello_timeout: Duration::from_secs(10),
            max_connections: None,
            metrics_token: None,
            limits: LimitsConfig::default(),
            ice: IceConfig {
                turn_ttl: Duration::from_secs(12 * 3600),
                ..IceConfig::default()
            },
            record_sessions: false,
            cluster: None,
            client: ClientSettings::default(),
        }
    }
}

/// The TOML file: every key optional; unknown keys are an error, so a typo
/// does not silently fall back to a default. See `docs/deploy-signaling.md`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FileConfig {
    pub listen: Option<SocketAddr>,
    pub database_url: Option<String>,
    /// With this, the node shares its desk's state through Redis.
    pub redis_url: Option<String>,
    pub node_name: Option<String>,
    pub redis_key_prefix: Option<String>,
    pub max_message_bytes: Option<usize>,
    pub reconnect_grace_secs: Option<u64>,
    pub consent_timeout_secs: Option<u64>,
    pub token_idle_secs: Option<u64>,
    pub idle_timeout_secs: Option<u64>,
    pub header_read_timeout_secs: Option<u64>,
    pub hello_timeout_secs: Option<u64>,
    pub metrics_token: Option<String>,
    pub record_sessions: Option<bool>,
    pub limits: FileLimits,
    pub ice: FileIce,
    pub client: ClientSettings,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FileLimits {
    pub logins_per_minute: Option<u32>,
    pub connects_per_minute: Option<u32>,
    pub max_connections_per_ip: Option<u32>,
    pub max_connections: Option<usize>,
    pub id_requests_per_minute: Option<u32>,
    pub desk_misses_per_hour: Option<u32>,
    pub requests_per_id: Option<u32>,
    pub request_refill_secs: Option<u64>,
    pub max_ids: Option<usize>,
    pub free_failures: Option<u32>,
    pub first_backoff_secs: Option<u64>,
    pub max_backoff_secs: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FileIce {
    pub stun_urls: Vec<String>,
    pub turn_urls: Vec<String>,
    pub turn_secret: Option<String>,
    pub turn_ttl_secs: Option<u64>,
}

impl FileConfig {
    pub fn parse(text: &str) -> Result<Self, toml::de::Error> {
        toml::from_str(text)
    }

    /// Applies the file's settings over `config`.
    pub fn apply(self, config: &mut Config) {
        let secs = Duration::from_secs;
        if let Some(url) = self.database_url {
            config.database_url = url;
        }
        if let Some(url) = self.redis_url.filter(|u| !u.is_empty()) {
            let mut cluster = ClusterConfig::new(url);
            if let Some(name) = self.node_name {
                cluster.node_name = name;
            }
            if let Some(prefix) = self.redis_key_prefix {
                cluster.key_prefix = prefix;
            }
            config.cluster = Some(cluster);
        }
        if let Some(bytes) = self.max_message_bytes {
            config.max_message_bytes = bytes;
        }
        if let Some(s) = self.reconnect_grace_secs {
            config.reconnect_grace = secs(s);
        }
        if let Some(s) = self.consent_timeout_secs {
            config.consent_timeout = secs(s);
        }
        if let Some(on) = self.record_sessions {
            config.record_sessions = on;
        }
        if let Some(s) = self.token_idle_secs {
            config.token_idle = secs(s);
        }
        if let Some(s) = self.idle_timeout_secs {
            config.idle_timeout = secs(s);
        }
        if let Some(s) = self.header_read_timeout_secs {
            config.header_read_timeout = secs(s.max(1));
        }
        if let Some(s) = self.hello_timeout_secs {
            config.hello_timeout = secs(s.max(1));
        }
        if let Some(token) = self.metrics_token.filter(|t| !t.is_empty()) {
            config.metrics_token = Some(token);
        }
        if let Some(max) = self.limits.max_connections {
            config.max_connections = Some(max);
        }
        let limits = &mut config.limits;
        let file = self.limits;
        limits.logins_per_minute = file.logins_per_minute.unwrap_or(limits.logins_per_minute);
        limits.connects_per_minute = file
            .connects_per_minute
            .unwrap_or(limits.connects_per_minute);
        limits.max_connections_per_ip = file
            .max_connections_per_ip
            .unwrap_or(limits.max_connections_per_ip);
        limits.id_requests_per_minute = file
            .id_requests_per_minute
            .unwrap_or(limits.id_requests_per_minute);
        limits.desk_misses_per_hour = file
            .desk_misses_per_hour
            .unwrap_or(limits.desk_misses_per_hour);
        limits.requests_per_id = file.requests_per_id.unwrap_or(limits.requests_per_id);
        limits.request_refill = file.request_refill_secs.map_or(limits.request_refill, secs);
        limits.max_ids = file.max_ids.unwrap_or(limits.max_ids);
        let BackoffPolicy {
            free_failures,
            first_wait,
            max_wait,
            ..
        } = &mut limits.failures;
        *free_failures = file.free_failures.unwrap_or(*free_failures);
        *first_wait = file.first_backoff_secs.map_or(*first_wait, secs);
        *max_wait = file.max_backoff_secs.map_or(*max_wait, secs);
        config.client = self.client;
        let ice = &mut config.ice;
        ice.stun_urls = self.ice.stun_urls;
        ice.turn_urls = self.ice.turn_urls;
        ice.turn_secret = self.ice.turn_secret;
        ice.turn_ttl = self.ice.turn_ttl_secs.map_or(ice.turn_ttl, secs);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_overrides_defaults() {
        let file = FileConfig::parse(
            r#"
            listen = "0.0.0.0:443"
            database_url = "postgres://desk@db/lifeline"
            consent_timeout_secs = 120
            record_sessions = true
            header_read_timeout_secs = 4
            hello_timeout_secs = 5
            metrics_token = "prometheus-secret"
            [limits]
            max_connections_per_ip = 8
            max_connections = 5000
            first_backoff_secs = 2
            [ice]
            stun_urls = ["stun:stun.example.org:3478"]
            turn_urls = ["turn:turn.example.org:3478?transport=udp"]
            turn_secret = "north"
            [client]
            url = "https://help.example.org"
            downloads = "/var/lib/lifeline-signaling/downloads"
            "#,
        )
        .unwrap();
        assert_eq!(file.listen, Some("0.0.0.0:443".parse().unwrap()));
        let mut config = Config::default();
        file.apply(&mut config);
        assert_eq!(config.consent_timeout, Duration::from_secs(120));
        assert!(config.record_sessions);
        assert_eq!(config.database_url, "postgres://desk@db/lifeline");
        assert_eq!(config.limits.max_connections_per_ip, 8);
        assert_eq!(config.header_read_timeout, Duration::from_secs(4));
        assert_eq!(config.hello_timeout, Duration::from_secs(5));
        assert_eq!(config.metrics_token.as_deref(), Some("prometheus-secret"));
        assert_eq!(config.connection_cap(), 5000);
        assert_eq!(config.limits.failures.first_wait, Duration::from_secs(2));
        assert_eq!(config.limits.logins_per_minute, 10, "untouched default");
        assert_eq!(config.ice.turn_secret.as_deref(), Some("north"));
        assert_eq!(
            config.client.url.as_deref(),
            Some("https://help.example.org")
        );
        assert_eq!(config.client.pin, None);
    }

    #[test]
    fn the_default_cap_leaves_descriptors_over() {
        let cap = Config::default().connection_cap();
        assert!(cap >= 16 && cap < open_file_limit(), "{cap}");
    }

    #[test]
    fn typos_are_errors() {
        assert!(FileConfig::parse("consent_timeout = 5").is_err());
    }
}
