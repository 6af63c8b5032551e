//! The change the bench measures, painted on the client's X server: an X
//! client of its own (one xcb connection) that shows a patch of a known
//! colour at a known place and says when each change was drawn.
//!
//! Two kinds of change:
//! - [`Change::Typing`]: a 24×24 patch changes colour, about the size of a
//!   typed character;
//! - [`Change::Motion`]: the whole screen changes, a mosaic of 32×32 cells
//!   in new colours every time, with a 64×64 patch of the known colour in
//!   its middle.
//!
//! The patch lives in an override-redirect window, so it is on top of
//! everything (there is no window manager) and nothing moves it. A change
//! counts as drawn once the X server has answered a request sent after it:
//! Xvfb draws into its framebuffer before it reads the next request.
//!
//! The painter owns its connection and windows; the bench holds it.

use std::time::{SystemTime, UNIX_EPOCH};

use xcb::x;

/// The colours a patch cycles through: far apart, so that a lossy encoder's
/// version of one is still nearest to itself.
pub const PALETTE: [[u8; 3]; 6] = [
    [255, 0, 0],
    [0, 255, 0],
    [0, 0, 255],
    [255, 255, 0],
    [0, 255, 255],
    [255, 0, 255],
];

/// What changes on the client's screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// A character-sized patch (typing).
    Typing,
    /// The whole screen (scrolling, a moved window).
    Motion,
}

impl Change {
    pub fn name(self) -> &'static str {
        match self {
            Change::Typing => "typing",
            Change::Motion => "motion",
        }
    }
}

/// Where to look for the patch, in the client's screen pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spot {
    pub x: u32,
    pub y: u32,
}

const TYPING_SIZE: u16 = 24;
const MOTION_PATCH: u16 = 64;
const MOSAIC_CELL: u16 = 32;

/// Milliseconds since the Unix epoch, with the fraction: the clock every
/// process on this machine shares (the pages read it as
/// `performance.timeOrigin + performance.now()`).
pub fn unix_ms() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64() * 1000.0)
        .unwrap_or_default()
}

fn pixel([r, g, b]: [u8; 3]) -> u32 {
    (u32::from(r) << 16) | (u32::from(g) << 8) | u32::from(b)
}

pub struct Painter {
    conn: xcb::Connection,
    root: x::Window,
    depth: u8,
    visual: x::Visualid,
    width: u16,
    height: u16,
    gc: Option<x::Gcontext>,
    shown: Option<(Change, x::Window)>,
}

impl Painter {
    /// Connects to the X server at `display` (such as `:12`).
    pub fn connect(display: &str) -> anyhow::Result<Self> {
        let (conn, screen) = xcb::Connection::connect(Some(display))?;
        let setup = conn.get_setup();
        let screen = setup
            .roots()
            .nth(usize::try_from(screen).unwrap_or(0))
            .ok_or_else(|| anyhow::anyhow!("{display} has no such screen"))?;
        let (root, depth, visual) = (screen.root(), screen.root_depth(), screen.root_visual());
        let (width, height) = (screen.width_in_pixels(), screen.height_in_pixels());
        Ok(Self {
            conn,
            root,
            depth,
            visual,
            width,
            height,
            gc: None,
            shown: None,
        })
    }

    /// Where a change of this kind puts its patch.
    pub fn spot(&self, change: Change) -> Spot {
        match change {
            // Right of the middle, clear of the app's own widgets and of
            // where the pointer is parked (the top-left corner).
            Change::Typing => Spot {
                x: u32::from(self.width) * 3 / 4 + u32::from(TYPING_SIZE / 2),
                y: u32::from(self.height) / 3 + u32::from(TYPING_SIZE / 2),
            },
            Change::Motion => Spot {
                x: u32::from(self.width / 2),
                y: u32::from(self.height / 2),
            },
        }
    }

    /// Paints change number `step` of kind `change` with `colour` at its
    /// spot, and returns the time it was drawn (after the server's answer).
    pub fn paint(&mut self, change: Change, step: u32, colour: [u8; 3]) -> anyhow::Result<f64> {
        let window = self.window_for(change)?;
        let gc = self.gc(window)?;
        let drawable = x::Drawable::Window(window);
        match change {
            Change::Typing => {
                self.fill(
                    gc,
                    drawable,
                    pixel(colour),
                    &[rect(0, 0, TYPING_SIZE, TYPING_SIZE)],
                );
            }
            Change::Motion => {
                for (shade, cells) in mosaic(self.width, self.height, step) {
                    for chunk in cells.chunks(4096) {
                        self.fill(gc, drawable, shade, chunk);
                    }
                }
                let spot = self.spot(change);
                let half = MOTION_PATCH / 2;
                let patch = rect(
                    spot.x as i32 - i32::from(half),
                    spot.y as i32 - i32::from(half),
                    MOTION_PATCH,
                    MOTION_PATCH,
                );
                self.fill(gc, drawable, pixel(colour), &[patch]);
            }
        }
        self.sync()?;
        Ok(unix_ms())
    }

    /// Takes the patch off the screen.
    pub fn hide(&mut self) -> anyhow::Result<()> {
        if let Some((_, window)) = self.shown.take() {
            self.conn.send_request(&x::DestroyWindow { window });
            self.gc = None;
            self.sync()?;
        }
        Ok(())
    }

    fn fill(
        &self,
        gc: x::Gcontext,
        drawable: x::Drawable,
        colour: u32,
        rectangles: &[x::Rectangle],
    ) {
        self.conn.send_request(&x::ChangeGc {
            gc,
            value_list: &[x::Gc::Foreground(colour)],
        });
        self.conn.send_request(&x::PolyFillRectangle {
            drawable,
            gc,
            rectangles,
        });
    }

    /// A round trip: every request before it has been carried out.
    fn sync(&self) -> anyhow::Result<()> {
        let cookie = self.conn.send_request(&x::GetInputFocus {});
        self.conn.wait_for_reply(cookie)?;
        Ok(())
    }

    fn gc(&mut self, window: x::Window) -> anyhow::Result<x::Gcontext> {
        if let Some(gc) = self.gc {
            return Ok(gc);
        }
        let gc = self.conn.generate_id();
        self.conn.send_and_check_request(&x::CreateGc {
            cid: gc,
            drawable: x::Drawable::Window(window),
            value_list: &[x::Gc::GraphicsExposures(false)],
        })?;
        self.gc = Some(gc);
        Ok(gc)
    }

    /// The window for `change`, made and mapped on first use (replacing
    /// one of the other kind).
    fn window_for(&mut self, change: Change) -> anyhow::Result<x::Window> {
        if let Some((kind, window)) = self.shown
            && kind == change
        {
            return Ok(window);
        }
        self.hide()?;
        let (x, y, width, height) = match change {
            Change::Typing => {
                let spot = self.spot(change);
                let half = i32::from(TYPING_SIZE / 2);
                (
                    spot.x as i32 - half,
                    spot.y as i32 - half,
                    TYPING_SIZE,
                    TYPING_SIZE,
                )
            }
            Change::Motion => (0, 0, self.width, self.height),
        };
        let window: x::Window = self.conn.generate_id();
        self.conn.send_and_check_request(&x::CreateWindow {
            depth: self.depth,
            wid: window,
            parent: self.root,
            x: i16::try_from(x)?,
            y: i16::try_from(y)?,
            width,
            height,
            border_width: 0,
            class: x::WindowClass::InputOutput,
            visual: self.visual,
            value_list: &[x::Cw::BackPixel(0x80_80_80), x::Cw::OverrideRedirect(true)],
        })?;
        self.conn.send_and_check_request(&x::MapWindow { window })?;
        self.shown = Some((change, window));
        Ok(window)
    }
}

fn rect(x: i32, y: i32, width: u16, height: u16) -> x::Rectangle {
    x::Rectangle {
        x: i16::try_from(x).unwrap_or(0),
        y: i16::try_from(y).unwrap_or(0),
        width,
        height,
    }
}

/// The full-screen mosaic of change `step`: cells grouped by their colour,
/// one of 16 shades, different cells changing colour from step to step.
fn mosaic(width: u16, height: u16, step: u32) -> Vec<(u32, Vec<x::Rectangle>)> {
    let mut groups: Vec<(u32, Vec<x::Rectangle>)> = (0..16u32)
        .map(|i| {
            let v = (i * 17) as u8;
            (pixel([v, 255 - v, (i * 53 % 256) as u8]), Vec::new())
        })
        .collect();
    let mut seed = step.wrapping_mul(2_654_435_761).wrapping_add(1);
    for y in (0..height).step_by(usize::from(MOSAIC_CELL)) {
        for x in (0..width).step_by(usize::from(MOSAIC_CELL)) {
            // xorshift32: cheap, and different for every step.
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            groups[(seed % 16) as usize].1.push(rect(
                i32::from(x),
                i32::from(y),
                MOSAIC_CELL,
                MOSAIC_CELL,
            ));
        }
    }
    groups
}
