//! mutter's own virtual pointer, for the GNOME tests: its remote-desktop
//! D-Bus interface (`org.gnome.Mutter.RemoteDesktop`), which asks nothing,
//! on a connection that keeps the session alive. It moves the pointer as a
//! person would, and answers the portal's dialogs by clicking them.
#![allow(dead_code)]

use lifeline_e2e::wayland::GnomeDesktop;

/// A virtual pointer of mutter's own (its remote-desktop interface, which
/// asks nothing), on a connection that keeps the session alive.
pub struct MutterPointer {
    connection: ashpd::zbus::Connection,
    session: ashpd::zbus::zvariant::OwnedObjectPath,
}

const MUTTER: &str = "org.gnome.Mutter.RemoteDesktop";

impl MutterPointer {
    pub fn start(desktop: &GnomeDesktop) -> anyhow::Result<Self> {
        async_io::block_on(async {
            let connection =
                ashpd::zbus::connection::Builder::address(desktop.var("DBUS_SESSION_BUS_ADDRESS"))?
                    .build()
                    .await?;
            let reply = connection
                .call_method(
                    Some(MUTTER),
                    "/org/gnome/Mutter/RemoteDesktop",
                    Some(MUTTER),
                    "CreateSession",
                    &(),
                )
                .await?;
            let session: ashpd::zbus::zvariant::OwnedObjectPath = reply.body().deserialize()?;
            let pointer = Self {
                connection,
                session,
            };
            pointer.call("Start", &()).await?;
            Ok(pointer)
        })
    }

    async fn call<B>(&self, method: &str, body: &B) -> anyhow::Result<()>
    where
        B: serde::Serialize + ashpd::zbus::zvariant::DynamicType,
    {
        self.connection
            .call_method(
                Some(MUTTER),
                &self.session,
                Some("org.gnome.Mutter.RemoteDesktop.Session"),
                method,
                body,
            )
            .await?;
        Ok(())
    }

    pub fn move_by(&self, dx: f64, dy: f64) -> anyhow::Result<()> {
        async_io::block_on(self.call("NotifyPointerMotionRelative", &(dx, dy)))
    }
}

impl MutterPointer {
    /// Moves the pointer to (`x`, `y`) on the monitor: into the top left
    /// corner first, then there.
    pub fn move_to(&self, x: f64, y: f64) -> anyhow::Result<()> {
        self.move_by(-100_000.0, -100_000.0)?;
        self.move_by(x, y)
    }

    /// Clicks the left button where the pointer is.
    pub fn click(&self) -> anyhow::Result<()> {
        const BTN_LEFT: i32 = 0x110;
        async_io::block_on(async {
            self.call("NotifyPointerButton", &(BTN_LEFT, true)).await?;
            self.call("NotifyPointerButton", &(BTN_LEFT, false)).await
        })
    }
}
