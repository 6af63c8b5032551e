//! One Lifeline app instance under test: its own X server, its own
//! `tauri-driver` (and through it `WebKitWebDriver` and the app), its own
//! data and config dirs, and a WebDriver client connected to it.

use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;

use crate::net::forward::Forward;
use crate::process::ChildGuard;
use crate::signaling::SignalingServer;
use crate::xvfb::Xvfb;

/// How much of an app's log a failed test prints.
const LOG_TAIL_LINES: usize = 30;

/// How long to wait for the UI to appear after launch.
const UI_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, Default, Clone)]
pub struct AppOptions {
    /// Extra environment variables for the app.
    pub env: Vec<(String, String)>,
    /// The X screen's size; [`crate::xvfb::SCREEN`] when `None`.
    pub screen: Option<(u32, u32)>,
    /// The user's folders (`XDG_*`) in this directory, which the test
    /// keeps: an app started again there finds what the last one left (a
    /// restart). A fresh directory of the instance's own when `None`.
    pub home: Option<PathBuf>,
    /// The network namespace the app (with its WebDriver pair) runs in,
    /// such as a site of [`crate::net::netns::Network`]; the test's own
    /// when `None`.
    pub netns: Option<String>,
    /// The app's executable: the test build's when `None`, or a copy
    /// elsewhere (with a desk file beside it, say).
    pub binary: Option<PathBuf>,
    /// Its arguments, as the desktop passes a link.
    pub args: Vec<String>,
}

/// Where an instance's `XDG_*` folders live.
enum Home {
    Own(tempfile::TempDir),
    Given(PathBuf),
}

impl Home {
    fn path(&self) -> &Path {
        match self {
            Home::Own(dir) => dir.path(),
            Home::Given(path) => path,
        }
    }
}

pub struct AppInstance {
    name: String,
    client: Client,
    home: Home,
    driver_log: PathBuf,
    // Dropped in field order: the driver (and the app) before the X server.
    driver: Mutex<Option<ChildGuard>>,
    _forward: Option<Forward>,
    xvfb: Xvfb,
}

impl AppInstance {
    pub(crate) async fn launch(
        name: &str,
        server: &SignalingServer,
        options: AppOptions,
    ) -> anyhow::Result<Self> {
        let app_binary = match &options.binary {
            Some(path) => path.clone(),
            None => crate::paths::binary("lifeline")?,
        };
        let xvfb = Xvfb::start_sized(options.screen.unwrap_or(crate::xvfb::SCREEN))?;
        let home = match &options.home {
            Some(path) => Home::Given(path.clone()),
            None => Home::Own(
                tempfile::Builder::new()
                    .prefix(&format!("lifeline-{name}-"))
                    .tempdir()?,
            ),
        };
        let driver_log = home.path().join(format!("tauri-driver-{name}.log"));

        let [port, native_port] = crate::ports::free()?;
        let mut command = crate::net::netns::command_in(options.netns.as_deref(), "tauri-driver");
        command
            .args([
                "--port",
                &port.to_string(),
                "--native-port",
                &native_port.to_string(),
            ])
            .env("DISPLAY", xvfb.display())
            .env("XDG_DATA_HOME", home.path().join("data"))
            .env("XDG_CONFIG_HOME", home.path().join("config"))
            .env("XDG_CACHE_HOME", home.path().join("cache"))
            .env("XDG_RUNTIME_DIR", home.path().join("runtime"))
            .env("LIFELINE_SIGNALING_URL", server.ws_url())
            .env(
                "RUST_LOG",
                std::env::var("RUST_LOG").unwrap_or_else(|_| "info".into()),
            )
            // No accessibility bus or GPU in a test X server.
            .env("NO_AT_BRIDGE", "1")
            .env("LIBGL_ALWAYS_SOFTWARE", "1")
            .env_remove("WAYLAND_DISPLAY")
            .stdin(Stdio::null())
            .stdout(Stdio::from(std::fs::File::create(&driver_log)?))
            .stderr(Stdio::from(
                std::fs::File::options().append(true).open(&driver_log)?,
            ));
        for (key, value) in &options.env {
            command.env(key, value);
        }
        std::fs::create_dir_all(home.path().join("runtime"))?;
        let driver = ChildGuard::spawn("tauri-driver", command)?;
        // tauri-driver listens at once but forwards to WebKitWebDriver, which
        // it starts beside itself; a request before that one listens is
        // dropped without an answer. Wait for both.
        let netns = options.netns.as_deref();
        wait_for_port(netns, port, Duration::from_secs(15)).await?;
        wait_for_port(netns, native_port, Duration::from_secs(15)).await?;
        // From a namespace, WebDriver is reached through a forward.
        let forward = match netns {
            Some(netns) => Some(Forward::start(netns, local(port))?),
            None => None,
        };
        let webdriver_port = forward.as_ref().map_or(port, Forward::port);

        let mut capabilities = serde_json::Map::new();
        capabilities.insert("browserName".into(), json!("wry"));
        capabilities.insert(
            "tauri:options".into(),
            json!({ "application": app_binary, "args": options.args }),
        );
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{webdriver_port}"))
            .await
            .map_err(|e| {
                // CI keeps only the output: what the drivers (and the app
                // they started) printed goes with the error.
                let app_logs = logs_in(&home.path().join("data/lifeline/logs"));
                anyhow::anyhow!(
                    "WebDriver session for {name} failed: {e} ({e:?})\n{}{}",
                    tail_of(&driver_log, "tauri-driver"),
                    tail(&app_logs, name)
                )
            })?;

        let instance = Self {
            name: name.to_owned(),
            client,
            home,
            driver_log,
            driver: Mutex::new(Some(driver)),
            _forward: forward,
            xvfb,
        };
        // The app has loaded once its shell (the header) is in the DOM.
        instance.wait_for(".brand").await?;
        Ok(instance)
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The WebDriver client, for anything the helpers below do not cover.
    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn xvfb(&self) -> &Xvfb {
        &self.xvfb
    }

    /// The process id of this instance's `tauri-driver`: the app and its
    /// web processes run below it (`make bench` reads their CPU time).
    pub fn driver_pid(&self) -> Option<u32> {
        self.driver
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .map(ChildGuard::id)
    }

    /// This instance's `$XDG_DATA_HOME/lifeline`.
    pub fn data_dir(&self) -> PathBuf {
        self.home.path().join("data").join("lifeline")
    }

    /// Everything this instance has logged so far (its daily log files).
    pub fn log_text(&self) -> String {
        logs_in(&self.data_dir().join("logs"))
    }

    /// This instance's `$XDG_CONFIG_HOME/lifeline`.
    pub fn config_dir(&self) -> PathBuf {
        self.home.path().join("config").join("lifeline")
    }

    /// Waits for an element matching a CSS selector.
    pub async fn wait_for(&self, css: &str) -> anyhow::Result<fantoccini::elements::Element> {
        self.wait_for_within(css, UI_TIMEOUT).await
    }

    /// [`Self::wait_for`], for up to `timeout`. WebKitWebDriver can fail a
    /// lookup outright while the page replaces the part it searches ("Could
    /// not parse element info"); that is "not yet", like a missing element.
    pub async fn wait_for_within(
        &self,
        css: &str,
        timeout: Duration,
    ) -> anyhow::Result<fantoccini::elements::Element> {
        let deadline = Instant::now() + timeout;
        loop {
            let error = match self.client.find(Locator::Css(css)).await {
                Ok(element) => return Ok(element),
                Err(error) => error,
            };
            if Instant::now() > deadline {
                anyhow::bail!("{}: {css} did not appear: {error}", self.name);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits for an element and scrolls it to the middle of the window, as
    /// a person would look at it: WebDriver's own scrolling may leave it
    /// under the sticky session banner, where it cannot be clicked or typed
    /// into.
    async fn in_view(&self, css: &str) -> anyhow::Result<fantoccini::elements::Element> {
        let element = self.wait_for(css).await?;
        let arg = serde_json::to_value(&element)?;
        self.client
            .execute("arguments[0].scrollIntoView({block: 'center'});", vec![arg])
            .await
            .map_err(|e| anyhow::anyhow!("{}: scrolling to {css} failed: {e}", self.name))?;
        Ok(element)
    }

    /// Clicks an element. A page still settling (the remote screen's first
    /// picture pushes what is below it down) can move it between the
    /// scroll and the click, so a refused click is tried again, a few times.
    /// A disabled button (the consent dialog's, for its first second) is
    /// waited for: WebDriver clicks one without error, and the click would
    /// be lost.
    pub async fn click(&self, css: &str) -> anyhow::Result<()> {
        self.wait_enabled(css).await?;
        self.interact(
            css,
            "clicking",
            |element| async move { element.click().await },
        )
        .await
    }

    /// Waits (up to 15 s) for a window of this app's besides `main`, and
    /// returns it; `what` names it in the failure.
    pub async fn another_window(
        &self,
        main: &fantoccini::wd::WindowHandle,
        what: &str,
    ) -> anyhow::Result<fantoccini::wd::WindowHandle> {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let windows = self.client().windows().await?;
            if let Some(other) = windows.into_iter().find(|w| w != main) {
                return Ok(other);
            }
            anyhow::ensure!(
                Instant::now() < deadline,
                "{}: {what} window never opened",
                self.name
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Clicks a control that closes the window it sits in (a pop-out's
    /// Dock button). WebKitWebDriver may answer the click with "no such
    /// window" when the window is gone before its reply; that is the click's
    /// effect, not a failure, and trying again could only fail. The caller
    /// checks the effect in the window it switches to.
    pub async fn click_closing_window(&self, css: &str) -> anyhow::Result<()> {
        let element = self.in_view(css).await?;
        match element.click().await {
            Ok(()) => Ok(()),
            Err(fantoccini::error::CmdError::Standard(e))
                if e.error == fantoccini::error::ErrorStatus::NoSuchWindow =>
            {
                Ok(())
            }
            Err(error) => anyhow::bail!("{}: clicking {css} failed: {error:?}", self.name),
        }
    }

    /// Opens the toolbar menu `<details id="{id}">` by clicking its summary,
    /// as a person would, unless it is open already (a second click would
    /// close it).
    pub async fn open_menu(&self, id: &str) -> anyhow::Result<()> {
        let css = format!("#{id}");
        self.wait_for(&css).await?;
        let open = self
            .client
            .execute(
                "return document.getElementById(arguments[0]).open;",
                vec![serde_json::json!(id)],
            )
            .await?;
        if open != serde_json::Value::Bool(true) {
            self.click(&format!("{css} > summary")).await?;
        }
        Ok(())
    }

    /// Client, during a session: opens the control bar's `panel` ("chat" or
    /// "permissions") by clicking its button, as a person would, unless it
    /// is open already (a second click would close it).
    pub async fn open_bar_panel(&self, panel: &str) -> anyhow::Result<()> {
        let shown = format!("#client-bar[data-panel='{panel}']");
        self.wait_for("#client-bar").await?;
        if self.client.find(Locator::Css(&shown)).await.is_err() {
            self.click(&format!("#bar-{panel}")).await?;
        }
        self.wait_for(&shown).await?;
        Ok(())
    }

    /// Waits until the element matching `css` is enabled (anything but a
    /// disabled form control is).
    async fn wait_enabled(&self, css: &str) -> anyhow::Result<()> {
        let deadline = Instant::now() + UI_TIMEOUT;
        loop {
            let element = self.wait_for(css).await?;
            // A stale element (the page re-rendered) is looked up again.
            if element.is_enabled().await.unwrap_or(false) {
                return Ok(());
            }
            if Instant::now() > deadline {
                anyhow::bail!("{}: {css} stayed disabled", self.name);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Replaces the contents of an input with `text`, typed key by key.
    /// Emptying goes through the keyboard too (Ctrl+A, Backspace): WebDriver's
    /// clear fires no `input` event, so the page would not notice.
    pub async fn type_into(&self, css: &str, text: &str) -> anyhow::Result<()> {
        let text = text.to_owned();
        self.interact(css, "typing into", move |field| {
            let text = text.clone();
            async move {
                if text.is_empty() {
                    field.send_keys("\u{E009}a\u{E000}\u{E003}").await
                } else {
                    field.clear().await?;
                    field.send_keys(&text).await
                }
            }
        })
        .await
    }

    async fn interact<F, Fut>(&self, css: &str, what: &str, act: F) -> anyhow::Result<()>
    where
        F: Fn(fantoccini::elements::Element) -> Fut,
        Fut: std::future::Future<Output = Result<(), fantoccini::error::CmdError>>,
    {
        let mut attempt = 1;
        loop {
            let element = self.in_view(css).await?;
            match act(element).await {
                Ok(()) => return Ok(()),
                Err(error) if attempt < 5 => {
                    eprintln!("e2e: {}: {what} {css} failed ({error:?}); again", self.name);
                    attempt += 1;
                    tokio::time::sleep(Duration::from_millis(300)).await;
                }
                Err(error) => {
                    anyhow::bail!("{}: {what} {css} failed: {error:?}", self.name)
                }
            }
        }
    }

    pub async fn text(&self, css: &str) -> anyhow::Result<String> {
        self.read(css, |element| async move { element.text().await })
            .await
    }

    /// The whole text of the element matching `css`, also where the page
    /// cuts it short with an ellipsis (WebDriver's text is empty for a
    /// line clipped that way).
    pub async fn full_text(&self, css: &str) -> anyhow::Result<String> {
        self.read(css, |element| async move {
            Ok(element.prop("innerText").await?.unwrap_or_default())
        })
        .await
    }

    /// Reads the element matching `css`. The page may render it anew
    /// between finding it and reading it (a session's state changing under
    /// the test): a stale element is looked up again, a few times.
    async fn read<F, Fut>(&self, css: &str, read: F) -> anyhow::Result<String>
    where
        F: Fn(fantoccini::elements::Element) -> Fut,
        Fut: std::future::Future<Output = Result<String, fantoccini::error::CmdError>>,
    {
        let mut attempt = 1;
        loop {
            let element = self.wait_for(css).await?;
            match read(element).await {
                Ok(text) => return Ok(text),
                Err(error) if attempt < 5 => {
                    eprintln!(
                        "e2e: {}: reading {css} failed ({error:?}); again",
                        self.name
                    );
                    attempt += 1;
                }
                Err(error) => anyhow::bail!("{}: reading {css} failed: {error:?}", self.name),
            }
        }
    }

    /// Sends keys to whatever has the keyboard focus, as a keyboard user
    /// would (`"\u{E004}"` is Tab, `"\u{E007}"` Enter). The focused element
    /// can be replaced between asking for it and typing (a screen changing
    /// after Enter); then the keys go to the new one.
    pub async fn press(&self, keys: &str) -> anyhow::Result<()> {
        let mut attempt = 1;
        loop {
            let sent = match self.client.active_element().await {
                Ok(focused) => focused.send_keys(keys).await,
                Err(error) => Err(error),
            };
            match sent {
                Ok(()) => return Ok(()),
                Err(error) if attempt < 5 => {
                    eprintln!(
                        "e2e: {}: pressing {keys:?} failed ({error:?}); again",
                        self.name
                    );
                    attempt += 1;
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Err(error) => {
                    anyhow::bail!("{}: pressing {keys:?} failed: {error:?}", self.name)
                }
            }
        }
    }

    /// The `id` of the element with the keyboard focus ("" if it has none).
    pub async fn focused_id(&self) -> anyhow::Result<String> {
        // One script: asking for the element, then its id, could meet a
        // replaced element in between.
        let id = self
            .client
            .execute("return document.activeElement?.id || '';", vec![])
            .await?;
        Ok(id.as_str().unwrap_or_default().to_owned())
    }

    /// The visible form controls and buttons that a screen reader could
    /// not name: no label, `aria-label`, `aria-labelledby`, text or title.
    /// Each is described by its id or the start of its HTML.
    pub async fn unlabelled(&self) -> anyhow::Result<Vec<String>> {
        let found = self
            .client
            .execute(
                r#"
                const text = (s) => (s || "").trim();
                // Roles whose name comes from their text (WAI-ARIA "name
                // from content").
                const fromContent = (el) => el.tagName === "BUTTON" || el.tagName === "A"
                  || ["button", "link", "option", "menuitem", "tab", "radio", "checkbox", "treeitem"]
                    .includes(el.getAttribute("role"));
                const byIds = (ids) => text(ids).split(/\s+/)
                  .map((id) => document.getElementById(id)?.textContent || "").join("");
                return [...document.querySelectorAll(
                    "input:not([type=hidden]), select, textarea, button, [tabindex]:not([tabindex='-1'])")]
                  .filter((el) => el.getClientRects().length > 0)
                  .filter((el) => !(text(el.getAttribute("aria-label"))
                    || text(byIds(el.getAttribute("aria-labelledby")))
                    || text([...(el.labels || [])].map((l) => l.textContent).join(""))
                    || (fromContent(el) && text(el.textContent))
                    || text(el.getAttribute("title"))))
                  .map((el) => el.id || el.outerHTML.slice(0, 80));
                "#,
                vec![],
            )
            .await?;
        Ok(serde_json::from_value(found)?)
    }

    /// Reloads the app's page, as a restart of the UI would.
    pub async fn reload(&self) -> anyhow::Result<()> {
        self.client.refresh().await?;
        self.wait_for(".brand").await?;
        Ok(())
    }

    /// Saves a PNG of the webview, as WebDriver sees it, and checks that it
    /// is a real image of the window's size.
    pub async fn save_screenshot(&self, path: &Path) -> anyhow::Result<PathBuf> {
        // WebKitWebDriver snapshots the last painted frame, which can lag
        // the DOM; wait until two more frames have been painted.
        self.client
            .execute_async(
                "const done = arguments[arguments.length - 1];\
                 requestAnimationFrame(() => requestAnimationFrame(() => done()));",
                vec![],
            )
            .await?;
        let png = self.client.screenshot().await?;
        let decoder = png::Decoder::new(std::io::Cursor::new(&png));
        let info = decoder.read_info()?.info().clone();
        anyhow::ensure!(
            // The client's session bar is 60 pixels high.
            info.width > 100 && info.height > 40,
            "screenshot is only {}x{}",
            info.width,
            info.height
        );
        std::fs::write(path, &png)?;
        Ok(path.to_path_buf())
    }

    /// Best effort: a WebDriver screenshot, the whole X screen, the driver's
    /// output and the app's own log files.
    pub(crate) async fn save_failure_artifacts(&self, dir: &Path) {
        let prefix = dir.join(&self.name);
        let webview = prefix.with_extension("failure.png");
        if let Err(error) =
            tokio::time::timeout(Duration::from_secs(10), self.save_screenshot(&webview)).await
        {
            eprintln!("e2e: {}: no WebDriver screenshot: {error}", self.name);
        }
        let screen = dir.join(format!("{}.screen.png", self.name));
        if let Err(error) = self.xvfb.run(
            "import",
            &["-window", "root", &screen.display().to_string()],
        ) {
            eprintln!("e2e: {}: no X screenshot: {error:#}", self.name);
        }
        let _ = std::fs::copy(
            &self.driver_log,
            dir.join(format!("{}.driver.log", self.name)),
        );
        let logs = dir.join(format!("{}.logs", self.name));
        let _ = std::fs::create_dir_all(&logs);
        crate::artifacts::copy_tree(&self.data_dir().join("logs"), &logs);
        // CI keeps only the test's output, so the log's end goes there too.
        eprintln!("e2e: {}: the log's last lines:", self.name);
        eprint!("{}", tail(&self.log_text(), &self.name));
    }

    /// Kills the app and its drivers at once, as a crash or a pulled plug
    /// would: no goodbye to the desk or the peer.
    pub fn kill(&self) {
        let driver = self.driver.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(mut driver) = driver {
            driver.stop(Duration::ZERO);
        }
    }

    /// Ends the WebDriver session (which quits the app), then the driver.
    pub(crate) async fn close(&self) {
        let _ = tokio::time::timeout(Duration::from_secs(5), self.client.clone().close()).await;
        let driver = self.driver.lock().unwrap_or_else(|p| p.into_inner()).take();
        drop(driver);
    }
}

impl Drop for AppInstance {
    fn drop(&mut self) {
        // If close() never ran (a panic elsewhere), the guard still ends the
        // driver's whole process group here.
        let driver = self
            .driver
            .get_mut()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        drop(driver);
    }
}

/// The last [`LOG_TAIL_LINES`] lines of `text`, each marked with `who`.
fn tail(text: &str, who: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(LOG_TAIL_LINES)..]
        .iter()
        .map(|line| format!("e2e: {who}| {line}\n"))
        .collect()
}

/// The daily log files in `dir`, one after the other.
fn logs_in(dir: &Path) -> String {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return String::new();
    };
    entries
        .flatten()
        .filter_map(|entry| std::fs::read_to_string(entry.path()).ok())
        .collect()
}

/// [`tail`] of the file at `path`.
fn tail_of(path: &Path, who: &str) -> String {
    match std::fs::read_to_string(path) {
        Ok(text) => tail(&text, who),
        Err(error) => format!("e2e: {who}: no log at {} ({error})\n", path.display()),
    }
}

fn local(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

/// Waits until something takes connections on `port` of the loopback of
/// `netns` (the test's own when `None`).
async fn wait_for_port(netns: Option<&str>, port: u16, timeout: Duration) -> anyhow::Result<()> {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        let connected = match netns {
            Some(netns) => crate::net::netns::connect_in(netns, local(port)).is_ok(),
            None => TcpStream::connect_timeout(&local(port), Duration::from_millis(200)).is_ok(),
        };
        if connected {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    anyhow::bail!("nothing listened on port {port} within {timeout:?}")
}
