//! The expert's mouse and keyboard on a Wayland desktop without the wlroots
//! virtual pointer (GNOME, KDE), through the desktop portal's RemoteDesktop
//! interface. Opening it asks the desktop's own question, "allow remote
//! interaction?", in a dialog; Lifeline opens it only once the person has
//! granted Control in Lifeline, so the desktop's dialog follows Lifeline's
//! consent and never replaces it. The session shares a monitor too: the
//! portal aims absolute moves at a stream. It lives on the control thread,
//! which may wait for the dialog as long as the person takes.

use ashpd::desktop::Session;
use ashpd::desktop::remote_desktop::{
    Axis, DeviceType, KeyState, RemoteDesktop, SelectDevicesOptions, StartOptions,
};
use ashpd::desktop::screencast::{Screencast, SelectSourcesOptions, SourceType};
use ashpd::enumflags2::BitFlags;
use xkbcommon::xkb;

use super::event::MouseButton;
use super::injector::{InjectError, Injector};

/// Linux's button codes (`input-event-codes.h`).
const BTN_LEFT: i32 = 0x110;
const BTN_RIGHT: i32 = 0x111;
const BTN_MIDDLE: i32 = 0x112;
const KEY_LEFTSHIFT: i32 = 42;

/// One monitor of the session, where its stream's pictures start.
#[derive(Debug, Clone, Copy)]
struct Target {
    node: u32,
    x: i32,
    y: i32,
    width: i32,
    height: i32,
}

pub struct PortalInjector {
    proxy: RemoteDesktop,
    session: Session<RemoteDesktop>,
    targets: Vec<Target>,
}

impl std::fmt::Debug for PortalInjector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PortalInjector")
            .field("targets", &self.targets)
            .finish_non_exhaustive()
    }
}

fn unavailable(error: impl std::fmt::Display) -> InjectError {
    InjectError::Unavailable(error.to_string())
}

fn failed(error: impl std::fmt::Display) -> InjectError {
    InjectError::Failed(error.to_string())
}

/// The portal's failure in the client's words.
fn describe(error: ashpd::Error) -> InjectError {
    match error {
        ashpd::Error::Response(ashpd::desktop::ResponseError::Cancelled) => {
            unavailable("the desktop's remote control was declined")
        }
        ashpd::Error::PortalNotFound(_) => {
            unavailable("this desktop offers no remote control (no virtual pointer, no portal)")
        }
        other => unavailable(format!("the desktop's remote control failed: {other}")),
    }
}

impl PortalInjector {
    /// On the session bus at `bus` (`None`: the user's own). Blocks until
    /// the desktop's dialog is answered.
    pub fn open(bus: Option<&str>) -> Result<Self, InjectError> {
        async_io::block_on(Self::start(bus))
    }

    pub fn boxed() -> Result<Box<dyn Injector>, InjectError> {
        Ok(Box::new(Self::open(None)?))
    }

    async fn start(bus: Option<&str>) -> Result<Self, InjectError> {
        let (proxy, connection) = Self::proxy(bus).await.map_err(describe)?;
        let devices = DeviceType::Keyboard | DeviceType::Pointer;
        let offered = proxy.available_device_types().await.map_err(describe)?;
        if !offered.contains(devices) {
            return Err(InjectError::Unavailable(
                "this desktop offers no remote keyboard and pointer".into(),
            ));
        }
        Self::ask(proxy, connection, devices)
            .await
            .map_err(describe)
    }

    async fn proxy(
        bus: Option<&str>,
    ) -> Result<(RemoteDesktop, ashpd::zbus::Connection), ashpd::Error> {
        let connection = match bus {
            Some(address) => {
                ashpd::zbus::connection::Builder::address(address)?
                    .build()
                    .await?
            }
            None => ashpd::zbus::Connection::session().await?,
        };
        let proxy = RemoteDesktop::with_connection(connection.clone()).await?;
        Ok((proxy, connection))
    }

    /// The desktop's dialog: the keyboard and pointer, and the monitors
    /// the pointer is aimed at.
    async fn ask(
        proxy: RemoteDesktop,
        connection: ashpd::zbus::Connection,
        devices: BitFlags<DeviceType>,
    ) -> Result<Self, ashpd::Error> {
        let session = proxy.create_session(Default::default()).await?;
        proxy
            .select_devices(
                &session,
                SelectDevicesOptions::default().set_devices(devices),
            )
            .await?
            .response()?;
        let screencast = Screencast::with_connection(connection).await?;
        screencast
            .select_sources(
                &session,
                SelectSourcesOptions::default()
                    .set_sources(BitFlags::from(SourceType::Monitor))
                    .set_multiple(true),
            )
            .await?
            .response()?;
        let started = proxy
            .start(&session, None, StartOptions::default())
            .await?
            .response()?;
        let targets = started
            .streams()
            .iter()
            .map(|stream| {
                let (x, y) = stream.position().unwrap_or_default();
                let (width, height) = stream.size().unwrap_or_default();
                Target {
                    node: stream.pipe_wire_node_id(),
                    x,
                    y,
                    width,
                    height,
                }
            })
            .collect();
        if !started.devices().contains(devices) {
            // The person shared the screen but left "allow remote
            // interaction" off.
            return Err(ashpd::Error::Response(
                ashpd::desktop::ResponseError::Cancelled,
            ));
        }
        tracing::info!(devices = ?started.devices(), "the desktop allowed remote control");
        // mutter makes its virtual keyboard and pointer at the session's
        // first key and first move, which no window has bound a keyboard
        // or pointer for yet: those are lost. A Shift press and release and
        // a move by nothing spend them, so the expert's first ones arrive.
        for state in [KeyState::Pressed, KeyState::Released] {
            proxy
                .notify_keyboard_keycode(&session, KEY_LEFTSHIFT, state, Default::default())
                .await?;
        }
        proxy
            .notify_pointer_motion(&session, 0.0, 0.0, Default::default())
            .await?;
        Ok(Self {
            proxy,
            session,
            targets,
        })
    }

    /// The stream whose monitor holds (`x`, `y`), else the first.
    fn target_at(&self, x: i32, y: i32) -> Option<Target> {
        let inside =
            |t: &&Target| (t.x..t.x + t.width).contains(&x) && (t.y..t.y + t.height).contains(&y);
        self.targets
            .iter()
            .find(inside)
            .or_else(|| self.targets.first())
            .copied()
    }

    fn keysym(&self, keysym: u32, down: bool) -> Result<(), InjectError> {
        let state = if down {
            KeyState::Pressed
        } else {
            KeyState::Released
        };
        let keysym = i32::try_from(keysym).map_err(failed)?;
        async_io::block_on(self.proxy.notify_keyboard_keysym(
            &self.session,
            keysym,
            state,
            Default::default(),
        ))
        .map_err(failed)
    }
}

impl Injector for PortalInjector {
    fn pointer_to(&mut self, x: i32, y: i32) -> Result<(), InjectError> {
        let target = self
            .target_at(x, y)
            .ok_or_else(|| failed("the desktop shares no monitor to aim at"))?;
        async_io::block_on(self.proxy.notify_pointer_motion_absolute(
            &self.session,
            target.node,
            f64::from(x - target.x),
            f64::from(y - target.y),
            Default::default(),
        ))
        .map_err(failed)
    }

    fn button(&mut self, button: MouseButton, down: bool) -> Result<(), InjectError> {
        let code = match button {
            MouseButton::Left => BTN_LEFT,
            MouseButton::Middle => BTN_MIDDLE,
            MouseButton::Right => BTN_RIGHT,
        };
        let state = if down {
            KeyState::Pressed
        } else {
            KeyState::Released
        };
        async_io::block_on(self.proxy.notify_pointer_button(
            &self.session,
            code,
            state,
            Default::default(),
        ))
        .map_err(failed)
    }

    fn wheel(&mut self, dx: i32, dy: i32) -> Result<(), InjectError> {
        for (axis, steps) in [(Axis::Vertical, dy), (Axis::Horizontal, dx)] {
            if steps != 0 {
                async_io::block_on(self.proxy.notify_pointer_axis_discrete(
                    &self.session,
                    axis,
                    steps,
                    Default::default(),
                ))
                .map_err(failed)?;
            }
        }
        Ok(())
    }

    fn key(&mut self, evdev: u16, down: bool) -> Result<(), InjectError> {
        let state = if down {
            KeyState::Pressed
        } else {
            KeyState::Released
        };
        async_io::block_on(self.proxy.notify_keyboard_keycode(
            &self.session,
            i32::from(evdev),
            state,
            Default::default(),
        ))
        .map_err(failed)
    }

    /// Each character by its keysym: the desktop finds the keys for it on
    /// its own layout.
    fn text(&mut self, text: &str) -> Result<(), InjectError> {
        for c in text.chars() {
            let keysym = xkb::utf32_to_keysym(u32::from(c));
            if keysym.raw() == 0 {
                return Err(failed(format!("no key types {c:?}")));
            }
            self.keysym(keysym.raw(), true)?;
            self.keysym(keysym.raw(), false)?;
        }
        Ok(())
    }
}
