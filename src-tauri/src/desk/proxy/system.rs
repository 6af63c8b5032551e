//! The system's proxy, for a route without one of its own (Settings name
//! none):
//! 1. the environment's, when it names one: `https_proxy` for a `wss://`
//!    desk (or TURN over TLS), `http_proxy` otherwise, then `all_proxy`,
//!    in lower or upper case, except for the hosts `no_proxy` names;
//! 2. else the desktop's (GNOME's settings, where present).
//!
//! Loopback never goes through a proxy.

use super::{Proxy, ProxyError, gnome};

/// The system's proxy for `host` (`secure`: TLS inside the tunnel).
pub(super) async fn proxy_for(host: &str, secure: bool) -> Option<Result<Proxy, ProxyError>> {
    if is_loopback(host) {
        return None;
    }
    let env = |name: &str| std::env::var(name).ok();
    match from_vars(secure, env) {
        Some(proxy) => {
            let no_proxy = var(env, "no_proxy").unwrap_or_default();
            (!excluded(host, no_proxy.split(','))).then(|| Proxy::parse(proxy.trim()))
        }
        None => gnome::read().await?.proxy_for(host, secure).map(Ok),
    }
}

/// The proxy URL the variables name for this scheme, if any.
fn from_vars(secure: bool, var_of: impl Fn(&str) -> Option<String> + Copy) -> Option<String> {
    let scheme = if secure { "https_proxy" } else { "http_proxy" };
    var(var_of, scheme).or_else(|| var(var_of, "all_proxy"))
}

/// A variable in lower case, else upper case; blank is unset.
fn var(var_of: impl Fn(&str) -> Option<String>, name: &str) -> Option<String> {
    var_of(name)
        .or_else(|| var_of(&name.to_uppercase()))
        .filter(|v| !v.trim().is_empty())
}

fn is_loopback(host: &str) -> bool {
    let host = host.trim_matches(['[', ']']);
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Whether an exception list (`no_proxy`'s, or GNOME's ignored hosts)
/// names `host`. An entry is `*`, a host (`desk.example`, with or without
/// a port), a domain (`.corp` or `*.corp`, the domain itself included), an
/// address, or a network (`10.0.0.0/8`, `fd00::/8`).
pub(super) fn excluded<'a>(host: &str, entries: impl IntoIterator<Item = &'a str>) -> bool {
    let host = host.trim_matches(['[', ']']).to_ascii_lowercase();
    let address = host.parse::<std::net::IpAddr>().ok();
    entries
        .into_iter()
        .map(|e| e.trim().to_ascii_lowercase())
        .filter(|e| !e.is_empty())
        .any(|entry| match (network(&entry), address) {
            (Some((net, bits)), Some(address)) => contains(net, bits, address),
            (Some(_), None) => false,
            (None, _) => names(&host, &entry),
        })
}

/// Whether a host entry (`*`, `desk.example:443`, `.corp`, `*.corp`)
/// names `host`.
fn names(host: &str, entry: &str) -> bool {
    let entry = entry.trim_matches(['[', ']']);
    let entry = match entry.rsplit_once(':') {
        Some((name, port)) if !name.contains(':') && port.parse::<u16>().is_ok() => name,
        _ => entry,
    };
    let domain = entry.trim_start_matches('*').trim_start_matches('.');
    entry == "*" || host == domain || host.ends_with(&format!(".{domain}"))
}

/// An address or a network in CIDR notation.
fn network(entry: &str) -> Option<(std::net::IpAddr, u8)> {
    let (net, bits) = match entry.split_once('/') {
        Some((net, bits)) => (net, bits.parse().ok()?),
        None => (entry, 128),
    };
    let net: std::net::IpAddr = net.trim_matches(['[', ']']).parse().ok()?;
    let most = if net.is_ipv4() { 32 } else { 128 };
    Some((net, bits.min(most)))
}

fn contains(net: std::net::IpAddr, bits: u8, address: std::net::IpAddr) -> bool {
    use std::net::IpAddr::{V4, V6};
    let (net, address, width) = match (net, address) {
        (V4(n), V4(a)) => (u128::from(n.to_bits()), u128::from(a.to_bits()), 32),
        (V6(n), V6(a)) => (n.to_bits(), a.to_bits(), 128),
        _ => return false,
    };
    let shift = width - u32::from(bits);
    shift >= width || (net >> shift) == (address >> shift)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::desk::proxy::ProxyKind;

    fn vars(
        pairs: &'static [(&'static str, &'static str)],
    ) -> impl Fn(&str) -> Option<String> + Copy {
        move |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn the_variables_follow_the_scheme() {
        let env = vars(&[
            ("HTTPS_PROXY", "http://secure:3128"),
            ("http_proxy", "http://plain:3128"),
        ]);
        assert_eq!(from_vars(true, env).as_deref(), Some("http://secure:3128"));
        assert_eq!(from_vars(false, env).as_deref(), Some("http://plain:3128"));
        let all = vars(&[("ALL_PROXY", "socks5://s:1080")]);
        let p = Proxy::parse(&from_vars(true, all).unwrap()).unwrap();
        assert_eq!(p.kind, ProxyKind::Socks5);
        assert_eq!(from_vars(true, vars(&[("https_proxy", "  ")])), None);
    }

    #[test]
    fn exceptions_name_hosts_domains_and_networks() {
        let no_proxy =
            "localhost, .internal, desk.example:443, *.lan, 10.0.0.0/8, fd00::/8, 192.0.2.7";
        let skip = |host: &str| excluded(host, no_proxy.split(','));
        for host in [
            "desk.example",
            "a.b.internal",
            "internal",
            "pc.lan",
            "10.1.2.3",
            "[fd00::1]",
            "192.0.2.7",
        ] {
            assert!(skip(host), "{host}");
        }
        for host in [
            "desk.corp",
            "example",
            "11.0.0.1",
            "fe80::1",
            "192.0.2.8",
            "notinternal",
        ] {
            assert!(!skip(host), "{host}");
        }
        assert!(excluded("anything", ["*"]));
        assert!(is_loopback("127.0.0.1") && is_loopback("[::1]") && is_loopback("LOCALHOST"));
    }
}
