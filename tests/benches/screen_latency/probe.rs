//! Where the bench looks for the patch the painter drew, and when it first
//! saw it there. Two kinds of eye, one per kind of receiver:
//! - [`PageEye`]: a page showing the remote screen (the Lifeline expert
//!   app's canvas, Chromium's video element), read by `probe.js` once per
//!   animation frame, as the person at the screen would see it;
//! - [`ScreenEye`]: an X server that a receiver draws on (GStreamer's
//!   `ximagesink`), read with `GetImage` of one pixel every millisecond.
//!
//! All times are Unix ms on this machine's one clock, so the painter's
//! times and the eyes' compare directly. Each eye owns its WebDriver
//! client or X connection; the bench holds the eyes.

use std::sync::Arc;
use std::time::{Duration, Instant};

use fantoccini::Client;
use serde_json::json;
use xcb::x;

use crate::painter::{PALETTE, Spot, unix_ms};

const PROBE_JS: &str = include_str!("probe.js");

/// Whether a decoded pixel shows `target`: its nearest palette colour is
/// the target, and no channel is far off (a half-decoded picture is not).
pub fn shows(rgb: [u8; 3], target: [u8; 3]) -> bool {
    let distance = |c: &[u8; 3]| -> u32 { (0..3).map(|k| u32::from(c[k].abs_diff(rgb[k]))).sum() };
    let nearest = PALETTE.iter().min_by_key(|c| distance(c));
    nearest == Some(&target) && (0..3).all(|k| target[k].abs_diff(rgb[k]) < 100)
}

/// What a page eye noted when it saw a change: how long since its
/// previous look, and the Lifeline view's newest painted frame.
#[derive(Debug, Clone)]
pub struct Sighting {
    pub seen_at: f64,
    pub gap: Option<f64>,
    /// The view's frame: when it was captured and drawn (ms, machine
    /// clock), where the page is a Lifeline view.
    pub captured: Option<f64>,
    pub drawn: Option<f64>,
}

impl Sighting {
    fn of(value: &serde_json::Value) -> Option<Self> {
        Some(Self {
            seen_at: value["seenAt"].as_f64()?,
            gap: value["gap"].as_f64(),
            captured: value["frame"]["captured"].as_f64(),
            drawn: value["frame"]["drawn"].as_f64(),
        })
    }
}

/// A receiver that shows the screen in a web page.
pub struct PageEye {
    client: Client,
}

impl PageEye {
    /// Installs the probe in `client`'s page, reading the element at
    /// `selector`, which shows a screen of `screen` pixels.
    pub async fn install(
        client: &Client,
        selector: &str,
        screen: (u32, u32),
    ) -> anyhow::Result<Self> {
        client
            .execute(
                PROBE_JS,
                vec![json!(selector), json!([screen.0, screen.1]), json!(PALETTE)],
            )
            .await?;
        Ok(Self {
            client: client.clone(),
        })
    }

    async fn expect(&self, spot: Spot, colour: [u8; 3]) -> anyhow::Result<()> {
        self.client
            .execute(
                "window.benchProbe.expect(arguments[0], arguments[1]); return true;",
                vec![json!([spot.x, spot.y]), json!(colour)],
            )
            .await?;
        Ok(())
    }

    /// What the page noted at each sighting since [`Eye::forget`].
    pub async fn sightings(&self) -> anyhow::Result<Vec<Sighting>> {
        let details = self
            .client
            .execute("return window.benchProbe.details;", vec![])
            .await?;
        Ok(details
            .as_array()
            .map(|all| all.iter().filter_map(Sighting::of).collect())
            .unwrap_or_default())
    }

    async fn forget(&self) -> anyhow::Result<()> {
        self.client
            .execute("window.benchProbe.details = []; return true;", vec![])
            .await?;
        Ok(())
    }

    async fn seen(&self, timeout: Duration) -> anyhow::Result<Option<f64>> {
        let at = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];\
                 window.benchProbe.wait(arguments[0], done);",
                vec![json!(timeout.as_millis() as u64)],
            )
            .await?;
        Ok(at.as_f64())
    }
}

/// A receiver that draws on an X server of its own.
pub struct ScreenEye {
    conn: Arc<xcb::Connection>,
    root: x::Window,
    expected: Option<(Spot, [u8; 3])>,
    placement: Placement,
}

/// Where the client's screen shows on the eye's X screen: its top-left
/// corner and its scale (1:1 for GStreamer's window, scaled to fit in the
/// expert app's view).
#[derive(Debug, Clone, Copy)]
pub struct Placement {
    pub left: f64,
    pub top: f64,
    pub scale: f64,
}

impl Placement {
    const IDENTITY: Self = Self {
        left: 0.0,
        top: 0.0,
        scale: 1.0,
    };

    fn place(&self, spot: Spot) -> Spot {
        Spot {
            x: (self.left + f64::from(spot.x) * self.scale) as u32,
            y: (self.top + f64::from(spot.y) * self.scale) as u32,
        }
    }
}

impl ScreenEye {
    pub fn connect(display: &str) -> anyhow::Result<Self> {
        let (conn, screen) = xcb::Connection::connect(Some(display))?;
        let root = conn
            .get_setup()
            .roots()
            .nth(usize::try_from(screen).unwrap_or(0))
            .ok_or_else(|| anyhow::anyhow!("{display} has no such screen"))?
            .root();
        Ok(Self {
            conn: Arc::new(conn),
            root,
            expected: None,
            placement: Placement::IDENTITY,
        })
    }

    /// An eye on `display` where the client's screen shows at `placement`.
    pub fn placed(display: &str, placement: Placement) -> anyhow::Result<Self> {
        Ok(Self {
            placement,
            ..Self::connect(display)?
        })
    }

    /// The colour at `spot` now.
    fn pixel(conn: &xcb::Connection, root: x::Window, spot: Spot) -> anyhow::Result<[u8; 3]> {
        let cookie = conn.send_request(&x::GetImage {
            format: x::ImageFormat::ZPixmap,
            drawable: x::Drawable::Window(root),
            x: i16::try_from(spot.x)?,
            y: i16::try_from(spot.y)?,
            width: 1,
            height: 1,
            plane_mask: u32::MAX,
        });
        let reply = conn.wait_for_reply(cookie)?;
        // ZPixmap at depth 24 on a little-endian server: B, G, R, X.
        match reply.data() {
            [b, g, r, ..] => Ok([*r, *g, *b]),
            _ => anyhow::bail!("GetImage returned no pixel"),
        }
    }

    async fn seen(&self, timeout: Duration) -> anyhow::Result<Option<f64>> {
        let Some((spot, colour)) = self.expected else {
            anyhow::bail!("nothing expected");
        };
        let (conn, root) = (Arc::clone(&self.conn), self.root);
        tokio::task::spawn_blocking(move || {
            let deadline = Instant::now() + timeout;
            while Instant::now() < deadline {
                let now = unix_ms();
                if shows(Self::pixel(&conn, root, spot)?, colour) {
                    return Ok(Some(now));
                }
                std::thread::sleep(Duration::from_millis(1));
            }
            Ok(None)
        })
        .await?
    }
}

/// Either kind of eye.
pub enum Eye {
    Page(PageEye),
    Screen(ScreenEye),
}

impl Eye {
    /// Tells the eye what the next change will show, before it is drawn.
    pub async fn expect(&mut self, spot: Spot, colour: [u8; 3]) -> anyhow::Result<()> {
        match self {
            Eye::Page(eye) => eye.expect(spot, colour).await,
            Eye::Screen(eye) => {
                eye.expected = Some((eye.placement.place(spot), colour));
                Ok(())
            }
        }
    }

    /// Starts a new list of sightings (page eyes keep one).
    pub async fn forget(&mut self) -> anyhow::Result<()> {
        match self {
            Eye::Page(eye) => eye.forget().await,
            Eye::Screen(_) => Ok(()),
        }
    }

    /// A page eye's sightings since [`Eye::forget`]; none for a screen eye.
    pub async fn sightings(&self) -> anyhow::Result<Vec<Sighting>> {
        match self {
            Eye::Page(eye) => eye.sightings().await,
            Eye::Screen(_) => Ok(Vec::new()),
        }
    }

    /// When the expected colour first showed, or `None` within `timeout`.
    pub async fn seen(&self, timeout: Duration) -> anyhow::Result<Option<f64>> {
        match self {
            Eye::Page(eye) => eye.seen(timeout).await,
            Eye::Screen(eye) => eye.seen(timeout).await,
        }
    }
}
