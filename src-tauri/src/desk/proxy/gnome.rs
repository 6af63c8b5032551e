//! GNOME's proxy settings (`org.gnome.system.proxy`, which its Settings
//! panel writes and Cinnamon, Budgie and Unity share), read with
//! `gsettings`. Followed the way Chromium follows them:
//! - only the manual mode; an automatic configuration (a PAC script)
//!   would need a JavaScript engine, so it is logged and the desk is
//!   reached directly;
//! - with "use the same proxy" (the default), the HTTP proxy, with its
//!   user and password, serves everything; otherwise `https` serves TLS
//!   and `http` the rest;
//! - SOCKS when no HTTP proxy applies;
//! - the ignored hosts are exceptions, like `no_proxy`'s.

use super::system::excluded;
use super::{Credentials, Proxy, ProxyKind};

const SCHEMA: &str = "org.gnome.system.proxy";

/// The settings as `gsettings` printed them.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Settings {
    mode: String,
    same_for_all: bool,
    ignored: Vec<String>,
    http: Option<Server>,
    credentials: Option<Credentials>,
    https: Option<Server>,
    socks: Option<Server>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Server {
    host: String,
    port: u16,
}

/// GNOME's settings, or `None` where `gsettings` or the schema is missing.
pub(super) async fn read() -> Option<Settings> {
    let output = tokio::process::Command::new("gsettings")
        .args(["list-recursively", SCHEMA])
        .stderr(std::process::Stdio::null())
        .output()
        .await
        .ok()?;
    output
        .status
        .success()
        .then(|| Settings::parse(&String::from_utf8_lossy(&output.stdout)))
}

impl Settings {
    /// Reads `gsettings list-recursively` output: `schema key value` lines.
    fn parse(text: &str) -> Self {
        let mut settings = Settings::default();
        let (mut hosts, mut ports) = (Vec::new(), Vec::new());
        let (mut auth, mut user, mut password) = (false, String::new(), String::new());
        for line in text.lines() {
            let mut parts = line.splitn(3, ' ');
            let (Some(schema), Some(key), Some(value)) = (parts.next(), parts.next(), parts.next())
            else {
                continue;
            };
            let part = schema.strip_prefix(SCHEMA).unwrap_or("-");
            match (part.trim_start_matches('.'), key) {
                ("", "mode") => settings.mode = string(value),
                ("", "use-same-proxy") => settings.same_for_all = value == "true",
                ("", "ignore-hosts") => settings.ignored = strings(value),
                ("http", "use-authentication") => auth = value == "true",
                ("http", "authentication-user") => user = string(value),
                ("http", "authentication-password") => password = string(value),
                (scheme, "host") => hosts.push((scheme.to_owned(), string(value))),
                (scheme, "port") => ports.push((scheme.to_owned(), value.parse().unwrap_or(0))),
                _ => {}
            }
        }
        let server = |scheme: &str| {
            let host = hosts.iter().find(|(s, _)| s == scheme)?.1.clone();
            let port = ports.iter().find(|(s, _)| s == scheme)?.1;
            (!host.is_empty() && port != 0).then_some(Server { host, port })
        };
        settings.http = server("http");
        settings.https = server("https");
        settings.socks = server("socks");
        settings.credentials =
            (auth && !user.is_empty()).then(|| Credentials::new(&user, &password, ""));
        settings
    }

    /// The proxy for `host` (`secure`: TLS inside the tunnel), if any.
    pub(super) fn proxy_for(&self, host: &str, secure: bool) -> Option<Proxy> {
        match self.mode.as_str() {
            "manual" => {}
            "auto" => {
                tracing::warn!("the system's automatic proxy configuration (PAC) is not followed");
                return None;
            }
            _ => return None,
        }
        if excluded(host, self.ignored.iter().map(String::as_str)) {
            return None;
        }
        let http = |server: &Server, credentials| Proxy {
            kind: ProxyKind::Http,
            host: server.host.clone(),
            port: server.port,
            credentials,
        };
        let with_login = self
            .http
            .as_ref()
            .map(|s| http(s, self.credentials.clone()));
        let by_scheme = match (self.same_for_all, secure) {
            (true, _) | (false, false) => with_login,
            (false, true) => self.https.as_ref().map(|s| http(s, None)),
        };
        by_scheme.or_else(|| {
            self.socks.as_ref().map(|s| Proxy {
                kind: ProxyKind::Socks5,
                host: s.host.clone(),
                port: s.port,
                credentials: None,
            })
        })
    }
}

/// A GVariant string as printed: `'text'` (with `\'` and `\\`), or
/// `"text"` when it holds a single quote.
fn string(value: &str) -> String {
    strings(value).into_iter().next().unwrap_or_default()
}

/// Every quoted string in `value` (an array prints as `['a', 'b']`, an
/// empty one as `@as []`).
fn strings(value: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if c != '\'' && c != '"' {
            continue;
        }
        let mut text = String::new();
        while let Some(next) = chars.next() {
            match next {
                '\\' => text.extend(chars.next()),
                end if end == c => break,
                other => text.push(other),
            }
        }
        found.push(text);
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    const MANUAL: &str = "\
org.gnome.system.proxy autoconfig-url ''
org.gnome.system.proxy ignore-hosts ['localhost', '*.internal', '10.0.0.0/8']
org.gnome.system.proxy mode 'manual'
org.gnome.system.proxy use-same-proxy false
org.gnome.system.proxy.ftp host ''
org.gnome.system.proxy.ftp port 0
org.gnome.system.proxy.http authentication-password 'it\\'s'
org.gnome.system.proxy.http authentication-user 'ann'
org.gnome.system.proxy.http enabled false
org.gnome.system.proxy.http host 'proxy.corp'
org.gnome.system.proxy.http port 3128
org.gnome.system.proxy.http use-authentication true
org.gnome.system.proxy.https host 'secure.corp'
org.gnome.system.proxy.https port 3129
org.gnome.system.proxy.socks host 'socks.corp'
org.gnome.system.proxy.socks port 1080
";

    #[test]
    fn manual_settings_pick_the_proxy_by_scheme() {
        let settings = Settings::parse(MANUAL);
        let plain = settings.proxy_for("desk.example", false).unwrap();
        assert_eq!((plain.host.as_str(), plain.port), ("proxy.corp", 3128));
        let login = plain.credentials.unwrap();
        assert_eq!(
            (login.user.as_str(), login.password.as_str()),
            ("ann", "it's")
        );
        let secure = settings.proxy_for("desk.example", true).unwrap();
        assert_eq!((secure.host.as_str(), secure.port), ("secure.corp", 3129));
        assert_eq!(secure.credentials, None);
        for ignored in ["desk.internal", "localhost", "10.9.8.7"] {
            assert_eq!(settings.proxy_for(ignored, true), None, "{ignored}");
        }
    }

    #[test]
    fn the_same_proxy_serves_everything_and_socks_comes_last() {
        let same = MANUAL.replace("use-same-proxy false", "use-same-proxy true");
        let secure = Settings::parse(&same)
            .proxy_for("desk.example", true)
            .unwrap();
        assert_eq!(secure.host, "proxy.corp");
        assert!(secure.credentials.is_some());
        let socks_only = MANUAL
            .replace("host 'proxy.corp'", "host ''")
            .replace("host 'secure.corp'", "host ''");
        let p = Settings::parse(&socks_only)
            .proxy_for("desk.example", true)
            .unwrap();
        assert_eq!((p.kind, p.host.as_str()), (ProxyKind::Socks5, "socks.corp"));
    }

    #[test]
    fn other_modes_go_directly() {
        for mode in ["'none'", "'auto'"] {
            let text = MANUAL.replace("'manual'", mode);
            assert_eq!(Settings::parse(&text).proxy_for("desk.example", true), None);
        }
        assert_eq!(Settings::parse("").proxy_for("desk.example", true), None);
    }

    #[test]
    fn quoted_values_keep_their_quotes_and_escapes() {
        assert_eq!(strings("@as []"), Vec::<String>::new());
        assert_eq!(strings(r#"['a\\b', "it's"]"#), ["a\\b", "it's"]);
        assert_eq!(string("''"), "");
    }

    /// Real `gsettings` (GLib's keyfile backend in a scratch folder):
    /// what GNOME's Settings panel would write is what is read.
    #[tokio::test]
    async fn what_gsettings_holds_is_read() {
        let home = tempfile::tempdir().unwrap();
        let gsettings = |args: &[&str]| {
            let status = std::process::Command::new("gsettings")
                .args(args)
                .env("XDG_CONFIG_HOME", home.path())
                .env("GSETTINGS_BACKEND", "keyfile")
                .output()
                .expect("gsettings (scripts/setup.sh installs libglib2.0-bin)");
            assert!(status.status.success(), "gsettings {args:?}");
            String::from_utf8(status.stdout).unwrap()
        };
        gsettings(&["set", SCHEMA, "mode", "manual"]);
        gsettings(&["set", &format!("{SCHEMA}.http"), "host", "proxy.corp"]);
        gsettings(&["set", &format!("{SCHEMA}.http"), "port", "3128"]);
        gsettings(&["set", SCHEMA, "ignore-hosts", "['.internal']"]);
        let settings = Settings::parse(&gsettings(&["list-recursively", SCHEMA]));
        let proxy = settings.proxy_for("desk.example", true).unwrap();
        assert_eq!((proxy.host.as_str(), proxy.port), ("proxy.corp", 3128));
        assert_eq!(settings.proxy_for("desk.internal", true), None);
    }
}
