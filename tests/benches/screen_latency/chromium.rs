//! Chromium as the expert: the standard receiver the bench runs against the
//! same Lifeline client, to tell the client's half of the latency from the
//! expert app's half. `chromedriver` drives a Chromium, full screen on an
//! X server of its own (so the bench can read what it shows, as it does
//! for the expert app), that loads `chromium-expert.html` from the file
//! system; the page speaks the desk's
//! protocol itself (see its header). The browser is
//! [`lifeline_e2e::browser::Browser`].
//!
//! `scripts/bench-setup.sh` installs Debian's `chromium` and
//! `chromium-driver`; without them the bench prints why and goes on.

use std::time::{Duration, Instant};

use fantoccini::Client;
use lifeline_e2e::browser::Browser;
use serde_json::{Value, json};

pub struct Chromium {
    browser: Browser,
}

impl Chromium {
    /// Starts chromedriver and Chromium on the expert's page: full screen
    /// on `display` when given (so the bench can read what it shows on
    /// screen), else headless.
    pub async fn launch(display: Option<&str>) -> anyhow::Result<Self> {
        let shown: &[&str] = if display.is_some() {
            &["--kiosk", "--window-position=0,0"]
        } else {
            &["--headless=new"]
        };
        let args = [
            // The client listens on loopback only (LIFELINE_UDP_ADDRS):
            // let Chromium offer loopback candidates, by address rather
            // than as an mDNS name the client could not resolve.
            "--allow-loopback-in-peer-connection",
            "--disable-features=WebRtcHideLocalIpsWithMdns",
            "--autoplay-policy=no-user-gesture-required",
            "--disable-background-timer-throttling",
            "--disable-renderer-backgrounding",
            "--window-size=1920,1080",
        ];
        let args: Vec<String> = shown.iter().chain(&args).map(|a| (*a).to_owned()).collect();
        let browser = Browser::launch(display, &args).await?;
        let page = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("benches/screen_latency/chromium-expert.html");
        browser
            .client()
            .goto(&format!("file://{}", page.display()))
            .await?;
        Ok(Self { browser })
    }

    pub fn client(&self) -> &Client {
        self.browser.client()
    }

    /// The chromedriver process: Chromium runs below it.
    pub fn driver_pid(&self) -> u32 {
        self.browser.driver_pid()
    }

    /// Signs in on the desk at `url` and asks the client holding `id`.
    pub async fn connect(
        &self,
        url: &str,
        user: &str,
        password: &str,
        id: &str,
    ) -> anyhow::Result<()> {
        self.client()
            .execute(
                "window.startExpert(arguments[0]); return true;",
                vec![json!({ "url": url, "user": user, "password": password, "id": id })],
            )
            .await?;
        Ok(())
    }

    /// The page's progress report (`window.expert`).
    pub async fn state(&self) -> anyhow::Result<Value> {
        Ok(self
            .client()
            .execute("return window.expert;", vec![])
            .await?)
    }

    /// Waits until the page reports `field` (such as `"firstFrameAt"`),
    /// for up to `timeout`, and returns it; fails early on the page's error.
    pub async fn wait_for(&self, field: &str, timeout: Duration) -> anyhow::Result<f64> {
        let deadline = Instant::now() + timeout;
        loop {
            let state = self.state().await?;
            if let Some(at) = state[field].as_f64() {
                return Ok(at);
            }
            if let Some(error) = state["error"].as_str() {
                anyhow::bail!("Chromium's expert page: {error}");
            }
            anyhow::ensure!(
                Instant::now() < deadline,
                "Chromium never reported {field}: {state}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The receiver's inbound video counters (`RTCPeerConnection.getStats`).
    pub async fn stats(&self) -> anyhow::Result<Value> {
        Ok(self
            .client()
            .execute_async(
                "const done = arguments[arguments.length - 1];\
                 window.expertStats().then(done, () => done(null));",
                vec![],
            )
            .await?)
    }

    /// Ends the WebDriver session (Chromium quits), then the driver.
    pub async fn close(self) {
        self.browser.close().await;
    }
}
