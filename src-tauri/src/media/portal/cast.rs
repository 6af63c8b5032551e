//! The desktop portal's ScreenCast session: the desktop asks its user
//! which screen to share (once, with a restore token kept for the next
//! share) and hands back PipeWire streams and the descriptor to reach them.
//!
//! Lifeline's own Accept has come before any of this: the engine starts a
//! share only within a granted `view` scope, so the desktop's dialog always
//! follows the client's consent, never replaces it.

use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::time::Duration;

use futures_util::future::Either;

use ashpd::desktop::PersistMode;
use ashpd::desktop::screencast::{
    CursorMode, Screencast, SelectSourcesOptions, SourceType, StartCastOptions,
};
use ashpd::desktop::{ResponseError, Session};

use crate::media::capture::MonitorInfo;

/// Where the portal session lives and where its restore token is kept.
#[derive(Debug, Clone, Default)]
pub struct CastOptions {
    /// The session bus's address; `None`: the user's own.
    pub bus: Option<String>,
    /// The restore token from the last share, kept so that the desktop
    /// asks its user once and not at every share.
    pub token_file: Option<PathBuf>,
}

/// One stream the desktop shares: a monitor, as the portal describes it.
#[derive(Debug, Clone)]
pub struct CastStream {
    pub node: u32,
    pub monitor: MonitorInfo,
}

/// A started cast. Closing it (on drop) ends the desktop's sharing.
pub struct Cast {
    proxy: Screencast,
    session: Session<Screencast>,
    pub streams: Vec<CastStream>,
}

impl std::fmt::Debug for Cast {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cast")
            .field("streams", &self.streams)
            .finish_non_exhaustive()
    }
}

/// How long closing the session may take. A portal whose backend died
/// under the cast answers only at D-Bus's own timeout, 25 s later.
const CLOSE_WITHIN: Duration = Duration::from_secs(1);

impl Drop for Cast {
    fn drop(&mut self) {
        // The portal keeps a session until it is closed or its D-Bus
        // client leaves; a share that ends must end the desktop's too.
        let close = std::pin::pin!(self.session.close());
        let late = async_io::Timer::after(CLOSE_WITHIN);
        match async_io::block_on(futures_util::future::select(close, late)) {
            Either::Left((Ok(()), _)) => {}
            Either::Left((Err(error), _)) => {
                tracing::debug!(%error, "closing the screen cast session");
            }
            Either::Right(_) => tracing::warn!("the portal did not close the screen cast in time"),
        }
    }
}

impl Cast {
    /// Asks the desktop to share its monitors.
    pub fn open(options: &CastOptions) -> Result<Self, String> {
        async_io::block_on(Self::start(options)).map_err(|error| describe(&error))
    }

    async fn start(options: &CastOptions) -> Result<Self, ashpd::Error> {
        let proxy = match &options.bus {
            Some(address) => {
                let connection = ashpd::zbus::connection::Builder::address(address.as_str())?
                    .build()
                    .await?;
                Screencast::with_connection(connection).await?
            }
            None => Screencast::new().await?,
        };
        let session = proxy.create_session(Default::default()).await?;
        let token = options.token_file.as_deref().and_then(read_token);
        let sources = SelectSourcesOptions::default()
            .set_sources(ashpd::enumflags2::BitFlags::from(SourceType::Monitor))
            .set_multiple(true)
            .set_cursor_mode(cursor_mode(&proxy).await)
            .set_persist_mode(PersistMode::ExplicitlyRevoked)
            .set_restore_token(token.as_deref());
        proxy.select_sources(&session, sources).await?.response()?;
        let started = proxy
            .start(&session, None, StartCastOptions::default())
            .await?
            .response()?;
        if let (Some(file), Some(token)) = (&options.token_file, started.restore_token()) {
            write_token(file, token);
        }
        let streams = started.streams().iter().enumerate().map(|(index, stream)| {
            let (width, height) = stream.size().unwrap_or_default();
            let (x, y) = stream.position().unwrap_or_default();
            CastStream {
                node: stream.pipe_wire_node_id(),
                monitor: MonitorInfo {
                    index,
                    name: stream
                        .id()
                        .map_or_else(|| format!("Screen {}", index + 1), str::to_owned),
                    x,
                    y,
                    width: u32::try_from(width).unwrap_or(0),
                    height: u32::try_from(height).unwrap_or(0),
                    primary: index == 0,
                },
            }
        });
        let streams = streams.collect();
        Ok(Self {
            proxy,
            session,
            streams,
        })
    }

    /// A connection to PipeWire that reaches this cast's streams (one per
    /// receiver: each is a PipeWire client of its own).
    pub fn remote(&self) -> Result<OwnedFd, String> {
        async_io::block_on(
            self.proxy
                .open_pipe_wire_remote(&self.session, Default::default()),
        )
        .map_err(|error| describe(&error))
    }

    /// The portal's version, for the log.
    pub fn version(&self) -> u32 {
        self.proxy.version()
    }
}

/// The pointer apart from the picture (metadata) where the desktop can
/// send it so: the pointer channel carries it, as on X11, and moving it
/// costs no frame. Else drawn into the picture, and hidden by a desktop
/// that can do neither.
async fn cursor_mode(proxy: &Screencast) -> CursorMode {
    match proxy.available_cursor_modes().await {
        Ok(modes) if modes.contains(CursorMode::Metadata) => CursorMode::Metadata,
        Ok(modes) if modes.contains(CursorMode::Embedded) => CursorMode::Embedded,
        _ => CursorMode::Hidden,
    }
}

fn read_token(file: &Path) -> Option<String> {
    let token = std::fs::read_to_string(file).ok()?;
    let token = token.trim();
    (!token.is_empty() && token.len() <= 256).then(|| token.to_owned())
}

fn write_token(file: &Path, token: &str) {
    if let Err(error) = std::fs::write(file, token) {
        tracing::warn!(%error, file = %file.display(), "the screen cast's restore token was not kept");
    }
}

/// The portal's failure in the client's words.
fn describe(error: &ashpd::Error) -> String {
    match error {
        ashpd::Error::Response(ResponseError::Cancelled) => {
            "the desktop's screen sharing was declined".to_owned()
        }
        ashpd::Error::PortalNotFound(_) => {
            "this desktop has no screen sharing portal (xdg-desktop-portal)".to_owned()
        }
        ashpd::Error::Response(ResponseError::Other) => {
            "the desktop's screen sharing portal could not start sharing".to_owned()
        }
        other => format!("the desktop's screen sharing failed: {other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kept_token_is_read_back_and_a_bad_file_is_no_token() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("screen-cast-token");
        assert_eq!(read_token(&file), None, "no file yet");
        write_token(&file, "3f0c-token");
        assert_eq!(read_token(&file).as_deref(), Some("3f0c-token"));
        std::fs::write(&file, "  \n").unwrap();
        assert_eq!(read_token(&file), None, "an empty file");
        std::fs::write(&file, "x".repeat(257)).unwrap();
        assert_eq!(read_token(&file), None, "a file too long to be a token");
        std::fs::write(&file, [0xff, 0xfe]).unwrap();
        assert_eq!(read_token(&file), None, "not text");
    }

    #[test]
    fn a_declined_dialog_reads_as_declined() {
        let declined = ashpd::Error::Response(ResponseError::Cancelled);
        assert!(describe(&declined).contains("declined"));
    }
}
