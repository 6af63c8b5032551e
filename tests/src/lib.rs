//! The end-to-end harness: real processes, real X servers, the real webview.
//!
//! Every test runs inside [`e2e`], which hands it a [`Harness`]. Through it a
//! test starts a real `lifeline-signaling` on port 0 ([`Harness::signaling`])
//! and any number of real Lifeline apps ([`Harness::launch_app`]), each on
//! its own `Xvfb -noreset` display, driven through its own `tauri-driver` +
//! `WebKitWebDriver` pair.
//!
//! # Layout
//! - [`process`]: a child process in its own process group, killed with its
//!   descendants when dropped, even on panic.
//! - [`xvfb`]: one X server per app instance, numbered by `-displayfd`.
//! - [`window`]: the app's window as X and a real window manager see it.
//! - [`keys`]: an X client that records the keys another window receives.
//! - [`screen`], [`scene`]: the client's screen contents for the screen
//!   tests and the benches.
//! - [`signaling`]: the real signaling server on a free loopback port.
//! - [`app`]: one app instance: X server, WebDriver pair, data dirs, client.
//! - [`flows`]: steps tests share, such as establishing a session.
//! - [`artifacts`]: screenshots and logs under `target/e2e-artifacts/`.
//! - [`net`]: a small internet in network namespaces, coturn and proxies.
//! - [`paths`]: where the built binaries and the workspace live.
//! - [`images`]: real PNG files for the clipboard tests.
//! - [`wayland`]: a headless Wayland desktop (sway, PipeWire, the portal).
//!
//! # Failure artifacts
//! When a test body returns an error or panics, [`e2e`] saves a WebDriver
//! screenshot, an X screenshot and the logs of every app the test launched
//! under `target/e2e-artifacts/<test>/`, then fails the test. The signaling
//! server always logs to `signaling.log` there.

pub mod app;
pub mod artifacts;
pub mod browser;
pub mod files;
pub mod flows;
pub mod host;
pub mod images;
pub mod keys;
pub mod net;
pub mod paths;
pub mod ports;
pub mod process;
pub mod proxy;
pub mod redis;
pub mod scene;
pub mod screen;
pub mod signaling;
pub mod tls_front;
pub mod totp;
pub mod wayland;
pub mod webm;
pub mod window;
pub mod xvfb;

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex};

use futures_util::FutureExt;

pub use app::{AppInstance, AppOptions};
pub use fantoccini::Locator;
pub use signaling::SignalingServer;

/// What a test body gets: a way to start the real parts, and bookkeeping so
/// that failures leave artifacts and nothing outlives the test.
#[derive(Clone)]
pub struct Harness {
    inner: Arc<Inner>,
}

struct Inner {
    test_name: String,
    // A std Mutex: it guards a plain list, is never held across an await,
    // and must be usable from the synchronous failure path.
    apps: Mutex<Vec<Arc<AppInstance>>>,
    /// The signaling logs handed out, so a second server gets its own.
    logs: Mutex<Vec<std::path::PathBuf>>,
}

impl Harness {
    fn new(test_name: &str) -> Self {
        Self {
            inner: Arc::new(Inner {
                test_name: test_name.to_owned(),
                apps: Mutex::new(Vec::new()),
                logs: Mutex::new(Vec::new()),
            }),
        }
    }

    pub fn test_name(&self) -> &str {
        &self.inner.test_name
    }

    /// Starts a fresh signaling server with its own database. Its log is
    /// kept as `signaling.log` among the test's artifacts.
    pub async fn signaling(&self) -> anyhow::Result<SignalingServer> {
        self.signaling_with(&[]).await
    }

    /// [`signaling`](Self::signaling) with extra server flags, such as
    /// `["--consent-timeout-secs", "3"]`. A second server in one test logs
    /// to `signaling-2.log`, and so on.
    pub async fn signaling_with(&self, args: &[&str]) -> anyhow::Result<SignalingServer> {
        let log = self.signaling_log()?;
        SignalingServer::start_with(log, args.iter().map(|a| a.to_string()).collect()).await
    }

    /// [`signaling_with`](Self::signaling_with), inside namespace `netns`
    /// on its address `ip`, such as the test network's internet.
    pub async fn signaling_in(
        &self,
        netns: &str,
        ip: &str,
        args: &[&str],
    ) -> anyhow::Result<SignalingServer> {
        let log = self.signaling_log()?;
        let args = args.iter().map(|a| a.to_string()).collect();
        SignalingServer::start_in(log, args, netns, ip).await
    }

    /// A desk of `nodes` signaling servers sharing one database and the
    /// returned Redis, each on its own port.
    pub async fn signaling_nodes(
        &self,
        nodes: usize,
    ) -> anyhow::Result<(redis::RedisServer, Vec<SignalingServer>)> {
        let redis = redis::RedisServer::start()?;
        let node = |n: usize| {
            let name = format!("node-{}", char::from(b'a' + n as u8));
            vec![
                "--redis-url".to_owned(),
                redis.url(),
                "--node-name".to_owned(),
                name,
            ]
        };
        let first = SignalingServer::start_with(self.signaling_log()?, node(0)).await?;
        let mut all = vec![first];
        for n in 1..nodes {
            let next = all[0].another_node(self.signaling_log()?, node(n)).await?;
            all.push(next);
        }
        Ok((redis, all))
    }

    /// A fresh log file for the next signaling server among the artifacts.
    fn signaling_log(&self) -> anyhow::Result<std::path::PathBuf> {
        let dir = artifacts::dir_for(self.test_name())?;
        let mut log = dir.join("signaling.log");
        let mut n = 1;
        while self
            .inner
            .logs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .contains(&log)
        {
            n += 1;
            log = dir.join(format!("signaling-{n}.log"));
        }
        self.inner
            .logs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(log.clone());
        // A fresh log per run of the test.
        let _ = std::fs::remove_file(&log);
        Ok(log)
    }

    /// Launches an app instance named `name` on its own X display, pointed at
    /// `server`, and waits until its UI has loaded.
    pub async fn launch_app(
        &self,
        name: &str,
        server: &SignalingServer,
    ) -> anyhow::Result<Arc<AppInstance>> {
        self.launch_app_with(name, server, AppOptions::default())
            .await
    }

    pub async fn launch_app_with(
        &self,
        name: &str,
        server: &SignalingServer,
        options: AppOptions,
    ) -> anyhow::Result<Arc<AppInstance>> {
        let app = Arc::new(AppInstance::launch(name, server, options).await?);
        self.apps().push(app.clone());
        Ok(app)
    }

    /// Saves a named screenshot of `app` as a test artifact and returns its path.
    pub async fn screenshot(
        &self,
        app: &AppInstance,
        label: &str,
    ) -> anyhow::Result<std::path::PathBuf> {
        let dir = artifacts::dir_for(self.test_name())?;
        app.save_screenshot(&dir.join(format!("{}-{label}.png", app.name())))
            .await
    }

    fn apps(&self) -> std::sync::MutexGuard<'_, Vec<Arc<AppInstance>>> {
        // The list stays consistent even if a holder panicked.
        self.inner.apps.lock().unwrap_or_else(|p| p.into_inner())
    }

    async fn save_failure_artifacts(&self) {
        let apps: Vec<_> = self.apps().clone();
        let dir = match artifacts::dir_for(self.test_name()) {
            Ok(dir) => dir,
            Err(error) => {
                eprintln!("e2e: cannot create the artifacts dir: {error:#}");
                return;
            }
        };
        for app in apps {
            app.save_failure_artifacts(&dir).await;
        }
        eprintln!("e2e: failure artifacts saved in {}", dir.display());
    }

    async fn shutdown(&self) {
        let apps: Vec<_> = std::mem::take(&mut *self.apps());
        for app in apps {
            app.close().await;
        }
    }
}

/// Runs one end-to-end test body. On an error or a panic it saves failure
/// artifacts before failing; in every case it closes the apps it launched.
pub async fn e2e<F, Fut>(test_name: &str, body: F)
where
    F: FnOnce(Harness) -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    let harness = Harness::new(test_name);
    let outcome = AssertUnwindSafe(body(harness.clone())).catch_unwind().await;
    let failed = !matches!(outcome, Ok(Ok(())));
    if failed {
        harness.save_failure_artifacts().await;
    }
    harness.shutdown().await;
    match outcome {
        Ok(Ok(())) => {}
        Ok(Err(error)) => panic!("{test_name} failed: {error:#}"),
        Err(panic) => std::panic::resume_unwind(panic),
    }
}
