//! A small internet in network namespaces, built by each test and torn
//! down when it ends (the tests run as root).
//!
//! The "internet" is one namespace with a bridge on 198.51.100.0/24: the
//! desk and coturn listen on its address, [`INTERNET`]. Each [`Site`] is a
//! computer in a namespace of its own, on a LAN behind a router namespace
//! whose WAN leg is on the bridge:
//! - a home router masquerades (NAT), so nobody outside reaches the
//!   computer unless it sent first: hole punching, or a relay;
//! - a home router can also drop UDP to anything but the internet's
//!   servers, so hole punching fails and only TURN is left, or drop all
//!   UDP, so only TURN over TCP is left;
//! - a corporate router forwards nothing: the only way out is the proxy
//!   the test starts on the router itself, on its LAN address.
//!
//! Engines run inside a namespace on a [`NsRuntime`]: a thread that joined
//! it, so every socket they open (and every thread they start) is there.
//! When a test fails, the network prints what it built.

use std::os::fd::AsRawFd;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::oneshot;

use super::wire::{Impairment, Wire};

/// The internet's servers: the desk and coturn.
pub const INTERNET: &str = "198.51.100.1";

static NEXT: AtomicUsize = AtomicUsize::new(0);

/// Runs `ip` with `args`, and panics with its words when it fails.
pub fn ip(args: &[&str]) {
    let output = Command::new("ip")
        .args(args)
        .output()
        .expect("ip (iproute2)");
    assert!(
        output.status.success(),
        "ip {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A network namespace, deleted on drop.
#[derive(Debug)]
pub struct Netns {
    name: String,
}

impl Netns {
    fn create(name: String) -> Self {
        ip(&["netns", "add", &name]);
        let netns = Self { name };
        netns.ip(&["link", "set", "lo", "up"]);
        netns
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// `ip` inside this namespace.
    pub fn ip(&self, args: &[&str]) {
        let mut all = vec!["-n", self.name.as_str()];
        all.extend_from_slice(args);
        ip(&all);
    }

    /// `program` to be run inside this namespace.
    pub fn command(&self, program: &str) -> Command {
        command_in(Some(&self.name), program)
    }

    /// Runs `program` inside, and panics with its words when it fails.
    pub fn run(&self, program: &str, args: &[&str], stdin: &str) {
        use std::io::Write;
        let mut child = self
            .command(program)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{program}: {e}"));
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        let output = child.wait_with_output().unwrap();
        assert!(
            output.status.success(),
            "{program} {args:?} in {}: {}",
            self.name,
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// The current thread joins this namespace.
    #[allow(unsafe_code)]
    fn enter(&self) {
        let file = std::fs::File::open(format!("/var/run/netns/{}", self.name)).unwrap();
        // SAFETY: setns on a valid namespace descriptor changes only this
        // thread's network namespace.
        let joined = unsafe { libc::setns(file.as_raw_fd(), libc::CLONE_NEWNET) };
        assert_eq!(joined, 0, "setns {}", std::io::Error::last_os_error());
    }

    /// Runs `work` on a thread inside this namespace.
    pub fn thread<R: Send + 'static>(&self, work: impl FnOnce() -> R + Send + 'static) -> R {
        let name = self.name.clone();
        std::thread::spawn(move || {
            Netns { name }.enter_and_forget();
            work()
        })
        .join()
        .unwrap()
    }

    /// Starts `work` on a thread inside this namespace.
    pub fn spawn(&self, work: impl FnOnce() + Send + 'static) -> std::thread::JoinHandle<()> {
        let name = self.name.clone();
        std::thread::spawn(move || {
            Netns { name }.enter_and_forget();
            work()
        })
    }

    fn enter_and_forget(self) {
        self.enter();
        std::mem::forget(self);
    }

    /// A TCP connection to `address` opened from inside this namespace.
    pub fn connect(&self, address: std::net::SocketAddr) -> std::io::Result<std::net::TcpStream> {
        connect_in(&self.name, address)
    }

    /// Waits until something inside takes TCP connections at `ip:port`.
    pub fn wait_listening(&self, ip: &str, port: u16, what: &str) {
        let address = format!("{ip}:{port}");
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while !self.thread({
            let address = address.clone();
            move || std::net::TcpStream::connect(address).is_ok()
        }) {
            assert!(
                std::time::Instant::now() < deadline,
                "{what} never listened on {address} in {}",
                self.name
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Its addresses, routes and firewall, for a failed test's output.
    fn describe(&self) -> String {
        let show = |program: &str, args: &[&str]| {
            self.command(program)
                .args(args)
                .output()
                .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
                .unwrap_or_default()
        };
        format!(
            "== {}\n{}{}{}",
            self.name,
            show("ip", &["-brief", "address"]),
            show("ip", &["route"]),
            show("nft", &["list", "ruleset"]),
        )
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        // Deleting the namespace deletes its veth legs, and their peers.
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .status();
    }
}

/// A Tokio runtime on a thread inside a namespace; stopped on drop.
pub struct NsRuntime {
    handle: tokio::runtime::Handle,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl NsRuntime {
    pub fn start(netns: &Netns) -> Self {
        let name = netns.name.clone();
        let (handle_tx, handle_rx) = std::sync::mpsc::channel();
        let (stop, stopped) = oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            Netns { name }.enter_and_forget();
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            handle_tx.send(runtime.handle().clone()).unwrap();
            runtime.block_on(async {
                let _ = stopped.await;
            });
        });
        Self {
            handle: handle_rx.recv().unwrap(),
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// Runs `work` on the runtime's thread, inside its namespace: what it
    /// spawns stays there.
    pub async fn run<R: Send + 'static>(&self, work: impl FnOnce() -> R + Send + 'static) -> R {
        self.handle.spawn(async move { work() }).await.unwrap()
    }

    /// Runs `future` to its end on the runtime's thread.
    pub async fn run_async<F>(&self, future: F) -> F::Output
    where
        F: std::future::Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.handle.spawn(future).await.unwrap()
    }
}

impl Drop for NsRuntime {
    fn drop(&mut self) {
        let _ = self.stop.take().map(|stop| stop.send(()));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// `program` to be run inside namespace `name` (`ip netns exec`, which
/// execs it: the child's pid is the program's), or here for `None`.
pub fn command_in(name: Option<&str>, program: impl AsRef<std::ffi::OsStr>) -> Command {
    match name {
        Some(name) => {
            let mut command = Command::new("ip");
            command.args(["netns", "exec", name]).arg(program);
            command
        }
        None => Command::new(program),
    }
}

/// A TCP connection to `address` opened from inside namespace `name`. The
/// socket stays in that namespace, whichever thread uses it.
pub fn connect_in(
    name: &str,
    address: std::net::SocketAddr,
) -> std::io::Result<std::net::TcpStream> {
    let name = name.to_owned();
    std::thread::spawn(move || {
        Netns { name }.enter_and_forget();
        std::net::TcpStream::connect_timeout(&address, Duration::from_secs(2))
    })
    .join()
    .map_err(|_| std::io::Error::other("could not enter the namespace"))?
}

/// How a site's router lets its LAN out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Router {
    /// NAT, like a home router.
    Home,
    /// NAT, and UDP only to the internet's servers: no hole punching.
    HomeWithoutPunching,
    /// NAT, and no UDP out at all: TCP only.
    NoUdp,
    /// Nothing forwarded: only the router's own proxy goes out.
    Corporate,
}

/// One computer behind its router.
#[derive(Debug)]
pub struct Site {
    /// The cable to the internet, when the network is impaired (first, so
    /// that it stops before its namespace goes).
    pub wire: Option<(Wire, Netns)>,
    /// The computer.
    pub host: Netns,
    /// Its router; a corporate site's proxy runs here.
    pub router: Netns,
    /// The router's address on the LAN (the computer's gateway).
    pub gateway: String,
    /// The router's address on the internet.
    pub wan: String,
}

impl Site {
    /// The computer's network changes under it, as when a laptop moves to
    /// another network: its address goes and another comes (same LAN, so
    /// the router needs nothing new), and the default route with it.
    pub fn renumber(&self) {
        let lan = self.gateway.strip_suffix(".1").expect("a gateway at .1");
        // Deleting the address takes the route (and any address added
        // beside it) away: the new one comes after.
        self.host
            .ip(&["address", "del", &format!("{lan}.2/24"), "dev", "eth0"]);
        self.host
            .ip(&["address", "add", &format!("{lan}.3/24"), "dev", "eth0"]);
        self.host
            .ip(&["route", "add", "default", "via", &self.gateway]);
    }

    /// Packets the router's firewall dropped so far.
    pub fn dropped(&self) -> u64 {
        let output = self
            .router
            .command("nft")
            .args(["list", "chain", "ip", "filter", "forward"])
            .output()
            .unwrap();
        let rules = String::from_utf8_lossy(&output.stdout);
        let words: Vec<&str> = rules.split_whitespace().collect();
        words
            .windows(2)
            .filter(|w| w[0] == "packets")
            .filter_map(|w| w[1].parse::<u64>().ok())
            .sum()
    }
}

/// The internet and the sites on it.
pub struct Network {
    pub internet: Netns,
    pub sites: Vec<Site>,
    tag: String,
    /// What each site's cable to the internet does to its frames.
    impairment: Option<Impairment>,
}

impl Network {
    /// The internet, and one site behind each of `routers`.
    pub fn build(routers: &[Router]) -> Self {
        Self::build_with(routers, None)
    }

    /// [`build`](Self::build), each site's router joined to the internet
    /// by a [`Wire`] that delays and loses frames as `impairment` says.
    pub fn build_impaired(routers: &[Router], impairment: Impairment) -> Self {
        Self::build_with(routers, Some(impairment))
    }

    fn build_with(routers: &[Router], impairment: Option<Impairment>) -> Self {
        let tag = format!(
            "{}{}",
            std::process::id() % 100_000,
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let internet = Netns::create(format!("ll{tag}i"));
        internet.ip(&["link", "add", "br0", "type", "bridge"]);
        internet.ip(&["address", "add", &format!("{INTERNET}/24"), "dev", "br0"]);
        internet.ip(&["link", "set", "br0", "up"]);
        // Everything not on the bridge goes nowhere, silently, as it would
        // on the real internet: coturn relaying to a private address it
        // was given as a candidate must not get "network unreachable",
        // which makes it close the allocation.
        internet.ip(&["route", "add", "default", "dev", "br0"]);
        let mut network = Self {
            internet,
            sites: Vec::new(),
            tag,
            impairment,
        };
        for (index, router) in routers.iter().enumerate() {
            let site = network.site(index + 1, *router);
            network.sites.push(site);
        }
        network
    }

    fn site(&self, number: usize, kind: Router) -> Site {
        let host = Netns::create(format!("ll{}h{number}", self.tag));
        let router = Netns::create(format!("ll{}r{number}", self.tag));
        let gateway = format!("10.0.{number}.1");
        let wan = format!("198.51.100.{}", 10 + number);
        // The LAN: the computer and the router's inside leg.
        self.link(&host, "eth0", &router, "lan0");
        host.ip(&[
            "address",
            "add",
            &format!("10.0.{number}.2/24"),
            "dev",
            "eth0",
        ]);
        router.ip(&["address", "add", &format!("{gateway}/24"), "dev", "lan0"]);
        host.ip(&["route", "add", "default", "via", &gateway]);
        // The WAN: the router's outside leg on the internet's bridge,
        // directly or through a wire.
        let wire = match self.impairment {
            None => {
                self.link(&router, "wan0", &self.internet, &format!("s{number}"));
                None
            }
            Some(impairment) => {
                let cable = Netns::create(format!("ll{}w{number}", self.tag));
                self.link(&router, "wan0", &cable, "in0");
                self.link(&cable, "out0", &self.internet, &format!("s{number}"));
                // Whole frames, as on a real cable: checksums computed and
                // segments no larger than the MTU, since the wire carries
                // each frame as it is (veth leaves both to the receiver).
                for (netns, name) in [
                    (&router, "wan0".to_owned()),
                    (&self.internet, format!("s{number}")),
                ] {
                    netns.run(
                        "ethtool",
                        &[
                            "-K", &name, "tx", "off", "tso", "off", "gso", "off", "gro", "off",
                        ],
                        "",
                    );
                }
                let wire = Wire::start(&cable, "in0", "out0", impairment);
                Some((wire, cable))
            }
        };
        self.internet
            .ip(&["link", "set", &format!("s{number}"), "master", "br0"]);
        router.ip(&["address", "add", &format!("{wan}/24"), "dev", "wan0"]);
        router.ip(&["route", "add", "default", "via", INTERNET]);
        router.run("sysctl", &["-qw", "net.ipv4.ip_forward=1"], "");
        router.run("nft", &["-f", "-"], &firewall(kind));
        Site {
            wire,
            host,
            router,
            gateway,
            wan,
        }
    }

    /// A veth pair: `a_name` in `a`, `b_name` in `b`, both up.
    fn link(&self, a: &Netns, a_name: &str, b: &Netns, b_name: &str) {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let (left, right) = (format!("ll{n}x{}", self.tag), format!("ll{n}y{}", self.tag));
        ip(&["link", "add", &left, "type", "veth", "peer", "name", &right]);
        for (end, netns, name) in [(&left, a, a_name), (&right, b, b_name)] {
            ip(&["link", "set", end, "netns", netns.name()]);
            netns.ip(&["link", "set", end, "name", name]);
            netns.ip(&["link", "set", name, "up"]);
        }
    }

    /// From now on, `percent` % of the packets between two sites'
    /// computers are lost: each of the two wires a packet crosses loses
    /// its share. Panics on a network built without wires.
    pub fn set_loss(&self, percent: f64) {
        let kept = (1.0 - percent / 100.0).sqrt();
        let ppm = ((1.0 - kept) * 1e6).round() as u32;
        for wire in self.wires() {
            wire.set_loss(ppm);
        }
    }

    /// Frames the wires lost so far.
    pub fn lost(&self) -> u64 {
        self.wires().map(Wire::lost).sum()
    }

    fn wires(&self) -> impl Iterator<Item = &Wire> {
        self.sites.iter().map(|site| {
            let (wire, _) = site.wire.as_ref().expect("an impaired network");
            wire
        })
    }

    /// Everything built, namespace by namespace.
    pub fn describe(&self) -> String {
        std::iter::once(&self.internet)
            .chain(self.sites.iter().flat_map(|s| [&s.router, &s.host]))
            .map(Netns::describe)
            .collect()
    }
}

impl Drop for Network {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("the test network:\n{}", self.describe());
        }
    }
}

/// The router's nftables rules for `kind`. Like a home router's, each
/// drops what comes in from the internet unasked: an unsolicited packet
/// accepted by the router itself would hold the NAT mapping its computer
/// is about to make, and hole punching would fail for that reason alone.
fn firewall(kind: Router) -> String {
    let common = "table ip nat {\n chain post {\n  type nat hook postrouting priority 100;\n  \
                  oifname \"wan0\" masquerade\n }\n}\n\
                  table ip guard {\n chain input {\n  type filter hook input priority 0;\n  \
                  iifname \"wan0\" ct state new drop\n }\n}\n";
    let forward = match kind {
        Router::Home => return common.to_owned(),
        Router::HomeWithoutPunching => {
            format!("  iifname \"lan0\" meta l4proto udp ip daddr != {INTERNET} counter drop\n")
        }
        Router::NoUdp => "  iifname \"lan0\" meta l4proto udp counter drop\n".to_owned(),
        Router::Corporate => "  iifname \"lan0\" counter drop\n".to_owned(),
    };
    format!(
        "{common}table ip filter {{\n chain forward {{\n  type filter hook forward priority 0;\n{forward} }}\n}}\n"
    )
}
