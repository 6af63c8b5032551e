//! Debian's Chromium under `chromedriver`: the desk console's browser in
//! the tests, and the standard WebRTC receiver in the screen bench. A
//! [`Browser`] owns the driver process, the WebDriver session and a
//! throw-away profile.

use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;

use crate::process::ChildGuard;

pub struct Browser {
    client: Client,
    // Dropped after the session ends (see `close`).
    driver: ChildGuard,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Starts chromedriver and a Chromium with `args` besides its own
    /// profile (and `--no-sandbox`, which it needs as root, in a CI
    /// container). With `display`, Chromium shows on that X server.
    pub async fn launch(display: Option<&str>, args: &[String]) -> anyhow::Result<Self> {
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let mut command = Command::new("chromedriver");
        if let Some(display) = display {
            command.env("DISPLAY", display);
        }
        command
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let driver = ChildGuard::spawn("chromedriver", command)?;
        let deadline = Instant::now() + Duration::from_secs(15);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            anyhow::ensure!(Instant::now() < deadline, "chromedriver did not listen");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let profile = tempfile::Builder::new()
            .prefix("lifeline-chromium-")
            .tempdir()?;
        let args: Vec<String> = [
            "--no-sandbox".to_owned(),
            format!("--user-data-dir={}", profile.path().display()),
        ]
        .into_iter()
        .chain(args.iter().cloned())
        .collect();
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("browserName".into(), json!("chrome"));
        capabilities.insert(
            "goog:chromeOptions".into(),
            json!({ "binary": "/usr/bin/chromium", "args": args }),
        );
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .map_err(|e| anyhow::anyhow!("no Chromium session: {e}"))?;
        Ok(Self {
            client,
            driver,
            _profile: profile,
        })
    }

    /// A headless Chromium with a window of `width` × `height`.
    pub async fn headless(width: u32, height: u32) -> anyhow::Result<Self> {
        Self::launch(
            None,
            &[
                "--headless=new".to_owned(),
                "--disable-gpu".to_owned(),
                format!("--window-size={width},{height}"),
            ],
        )
        .await
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The chromedriver process: Chromium runs below it.
    pub fn driver_pid(&self) -> u32 {
        self.driver.id()
    }

    /// Ends the WebDriver session (Chromium quits), then the driver.
    pub async fn close(self) {
        let _ = tokio::time::timeout(Duration::from_secs(5), self.client.clone().close()).await;
        drop(self.driver);
    }
}
