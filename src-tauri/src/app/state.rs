//! The state Tauri manages for the app's lifetime. Each field has one owner;
//! commands borrow it through `tauri::State`.

use std::sync::{Arc, Mutex};

use lifeline_signaling::protocol::Role;
use serde::Serialize;
use tauri::AppHandle;

use super::screen::WebviewSink;
use crate::clipboard::system::SystemClipboard;
use crate::config::AppConfig;
use crate::cursor::PointerBackends;
use crate::desk::link::{self, DeskClient, DeskLink};
use crate::desk::proxy::{Credentials, Proxy, ProxyKind, Route};
use crate::desk::tls::ServerPin;
use crate::desk::{DeskError, DeskStatus};
use crate::launch::held::{HeldDesk, LaunchView};
use crate::local_view::socket::ViewSocket;
use crate::peer::PeerSettings;
use crate::platform::autostart::XdgAutostart;
use crate::session::engine::{self, Backends, SessionHandle};
use crate::session::reconnect::ReconnectStore;
use crate::session::tabs::{OnOpen, TabId, TabLog, TabShell, TabView, Tabs, TabsSnapshot};
use crate::settings::{Preferences, PreferencesUpdate, SettingsStore, SettingsView};

/// The link to the desk in one mode, and the session tabs speaking
/// through it. Dropped together: the link's task stops, the engines end
/// their sessions, and their updates stop reaching the UI at once, so a
/// relinked desk's fresh state is never overwritten by the old one's last
/// words.
#[derive(Debug)]
struct Desk {
    role: Role,
    link: DeskLink,
    tabs: Arc<Tabs>,
    forwarders: Arc<Mutex<Vec<tauri::async_runtime::JoinHandle<()>>>>,
}

impl Drop for Desk {
    fn drop(&mut self) {
        let forwarders = self.forwarders.lock().unwrap_or_else(|p| p.into_inner());
        for forwarder in forwarders.iter() {
            forwarder.abort();
        }
    }
}

#[derive(Debug)]
pub struct AppState {
    pub config: AppConfig,
    pub settings: SettingsStore,
    /// The mode and desk this run is held to, and a link waiting.
    pub held: HeldDesk,
    // A std Mutex: held only to swap the handle, never across an await.
    desk: Mutex<Option<Desk>>,
    /// Where the expert's received screen frames go: the view's loopback
    /// socket, or (`LIFELINE_SCREEN_DELIVERY=channel`, kept to measure
    /// against) Tauri's IPC channel.
    pub screen: Arc<WebviewSink>,
    pub socket: Arc<ViewSocket>,
    pub delivery: ScreenDelivery,
    /// Client: "restart and reconnect"'s grant, kept through the restart.
    reconnect: Option<Arc<ReconnectStore>>,
}

/// How frames reach the webview; docs/screen-streaming.md has the figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScreenDelivery {
    Socket,
    Channel,
}

impl ScreenDelivery {
    fn from_env() -> Self {
        match std::env::var("LIFELINE_SCREEN_DELIVERY").as_deref() {
            Ok("channel") => Self::Channel,
            _ => Self::Socket,
        }
    }
}

/// What the UI shows about this installation.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AppInfo {
    pub version: &'static str,
    /// The desk in use: the Settings screen's, else the default.
    pub signaling_url: String,
    /// What an empty signaling URL in Settings means.
    pub default_signaling_url: String,
    /// Where received files go now, and what an empty setting means.
    pub download_dir: String,
    pub default_download_dir: String,
    /// The folder the client shares with the expert's file browser now,
    /// and what an empty setting means (the installation's, else the
    /// download folder).
    pub shared_dir: String,
    pub default_shared_dir: String,
    pub data_dir: String,
    /// The app trusts only the desk's pinned key (`LIFELINE_SERVER_PIN`)
    /// over TLS: what the desk says of itself is the desk's own word.
    pub desk_pinned: bool,
    /// How this run started: a desk it is held to, a link waiting.
    pub launch: LaunchView,
}

impl AppState {
    pub fn new(config: AppConfig) -> Self {
        let settings = SettingsStore::load(config.settings_path());
        Self {
            settings,
            held: HeldDesk::new(config.launch.clone()),
            desk: Mutex::new(None),
            screen: Arc::new(WebviewSink::default()),
            socket: Arc::new(ViewSocket::default()),
            delivery: ScreenDelivery::from_env(),
            reconnect: XdgAutostart::for_this_app().map(|autostart| {
                let path = config.data_dir().join("reconnect.json");
                Arc::new(ReconnectStore::new(path, Arc::new(autostart)))
            }),
            config,
        }
    }

    pub fn info(&self) -> AppInfo {
        AppInfo {
            version: env!("CARGO_PKG_VERSION"),
            signaling_url: self.signaling_url(),
            default_signaling_url: self.config.signaling_url.clone(),
            download_dir: self.downloads().display().to_string(),
            default_download_dir: self.config.downloads.display().to_string(),
            shared_dir: self.shared().display().to_string(),
            default_shared_dir: self
                .config
                .shared_folder(None, self.downloads())
                .display()
                .to_string(),
            data_dir: self.config.data_dir().display().to_string(),
            desk_pinned: self.server_pin().is_some() && self.signaling_url().starts_with("wss://"),
            launch: self.held.view(),
        }
    }

    /// The desk to link to: the one this run is held to, else the user's
    /// choice, else the installation's.
    fn signaling_url(&self) -> String {
        self.signaling_url_with(&self.settings.get().preferences)
    }

    fn signaling_url_with(&self, preferences: &Preferences) -> String {
        match self.held.desk() {
            Some(desk) => desk.address.websocket().to_owned(),
            None => preferences
                .signaling_url
                .clone()
                .unwrap_or_else(|| self.config.signaling_url.clone()),
        }
    }

    /// The desk's verification code: the held desk's, else the installation's.
    fn server_pin(&self) -> Option<ServerPin> {
        match self.held.desk() {
            Some(desk) => desk.pin,
            None => self.config.server_pin,
        }
    }

    /// The user trusts the waiting link's desk: this run becomes its
    /// client, on a fresh link (refused while a request or session is open).
    pub fn trust_link(&self) -> Result<AppInfo, super::AppError> {
        if self.tabs().is_ok_and(|tabs| tabs.any_open()) {
            return Err(super::AppError::Busy);
        }
        let desk = self.held.trust()?;
        tracing::info!(desk = %desk.address, "the user trusts the link's desk");
        self.disconnect_desk();
        Ok(self.info())
    }

    fn downloads(&self) -> std::path::PathBuf {
        let preferences = self.settings.get().preferences;
        preferences
            .download_dir
            .unwrap_or_else(|| self.config.downloads.clone())
    }

    /// The folder the client shares: the user's choice, else the
    /// installation's, else the download folder.
    fn shared(&self) -> std::path::PathBuf {
        let preferences = self.settings.get().preferences;
        self.config
            .shared_folder(preferences.shared_dir, self.downloads())
    }

    /// How to reach the desk: the Settings' proxy, else the system's.
    pub fn desk_route(&self) -> Route {
        proxy_route(&self.settings.get().preferences.proxy)
    }

    /// Saves the Settings screen's values. A new desk URL or proxy relinks
    /// at once (a client's ID belongs to the old link and is gone), so it
    /// is refused while a request or session is open; a new download or
    /// shared folder applies from the next transfer session.
    pub async fn save_preferences(
        &self,
        app: &AppHandle,
        update: PreferencesUpdate,
    ) -> Result<SettingsView, super::AppError> {
        let next: Preferences = self.settings.check(update)?;
        let old_url = self.signaling_url();
        let new_url = self.signaling_url_with(&next);
        let relink = new_url != old_url || proxy_route(&next.proxy) != self.desk_route();
        if relink && self.tabs().is_ok_and(|tabs| tabs.any_open()) {
            return Err(super::AppError::Busy);
        }
        let saved = self.settings.set_preferences(next)?;
        if let Ok(tabs) = self.tabs() {
            tabs.set_folders(self.downloads(), self.shared()).await;
        }
        let role = self.linked_role();
        if let (true, Some(role)) = (relink, role) {
            tracing::info!(url = %new_url, "relinking to the desk as Settings say");
            self.disconnect_desk();
            self.connect_desk(app, role);
        }
        Ok(SettingsView::from(&saved))
    }

    fn linked_role(&self) -> Option<Role> {
        let desk = self.desk.lock().unwrap_or_else(|p| p.into_inner());
        desk.as_ref().map(|d| d.role)
    }

    /// Links to the desk as `role`, keeping an existing link of that role.
    /// Must run inside the async runtime (async commands do).
    pub fn connect_desk(&self, app: &AppHandle, role: Role) -> DeskStatus {
        let mut desk = self.desk.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(current) = desk.as_ref().filter(|d| d.role == role) {
            return current.link.status();
        }
        // A client back from the restart its expert asked for says so first.
        let rejoin = match (role, &self.reconnect) {
            (Role::Client, Some(store)) => store.load(crate::clock::unix_ms()).map(|g| g.token),
            _ => None,
        };
        let (link, events) = link::spawn_with(
            self.signaling_url(),
            role,
            self.server_pin(),
            self.desk_route(),
            rejoin,
        );
        let settings = PeerSettings {
            udp_addrs: self.config.udp_addrs.clone(),
            relay_only: self.config.relay_only,
            // TURN over TCP and TLS goes the desk's way: the same proxy,
            // and the same pinned key or public CAs.
            turn_route: self.desk_route(),
            turn_tls: crate::desk::tls::client_config(self.server_pin()),
            ..PeerSettings::default()
        };
        let backends = Backends {
            capturers: {
                let cast = crate::media::portal::CastOptions {
                    bus: None,
                    token_file: Some(self.config.screen_cast_token_path()),
                };
                Arc::new(move || crate::media::system::system_capturer(&cast))
            },
            sink: match self.delivery {
                ScreenDelivery::Socket => Arc::clone(&self.socket) as _,
                ScreenDelivery::Channel => Arc::clone(&self.screen) as _,
            },
            pointer: PointerBackends {
                source: Some(Arc::new(crate::cursor::system::system_pointer)),
                view: Some(Arc::clone(&self.socket) as _),
            },
            injector: Arc::new(crate::input::system::system_injector),
            clipboard: Arc::new(SystemClipboard::boxed),
            reboot: self.config.reboot.clone(),
            end_actions: self.config.end_actions.clone(),
            reconnect: self.reconnect.clone(),
            downloads: self.downloads(),
            shared: Some(self.shared()),
            transcripts: Some(self.config.transcripts_dir()),
        };
        let forwarders = Arc::new(Mutex::new(vec![super::events::forward(
            app.clone(),
            super::events::DESK_STATUS,
            link.subscribe(),
            std::convert::identity,
        )]));
        let on_open = tab_forwarders(app, &forwarders);
        let tabs = Tabs::start(role, link.client(), events, settings, backends, on_open);
        forwarders
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(super::events::forward(
                app.clone(),
                super::events::SESSION_TABS,
                tabs.subscribe(),
                std::convert::identity,
            ));
        let status = link.status();
        // Replacing the old desk drops it, which stops its tasks.
        *desk = Some(Desk {
            role,
            link,
            tabs,
            forwarders,
        });
        status
    }

    pub fn disconnect_desk(&self) {
        self.desk.lock().unwrap_or_else(|p| p.into_inner()).take();
    }

    /// The link's request side, if linked as `role`.
    pub fn desk_client(&self, role: Role) -> Result<DeskClient, DeskError> {
        let desk = self.desk.lock().unwrap_or_else(|p| p.into_inner());
        match desk.as_ref() {
            Some(current) if current.role == role => Ok(current.link.client()),
            _ => Err(DeskError::NotLinked),
        }
    }

    /// The session tabs, if linked to the desk in any mode.
    pub fn tabs(&self) -> Result<Arc<Tabs>, DeskError> {
        let desk = self.desk.lock().unwrap_or_else(|p| p.into_inner());
        desk.as_ref()
            .map(|d| Arc::clone(&d.tabs))
            .ok_or(DeskError::NotLinked)
    }

    /// `tab`'s session engine, or (`None`) the shown tab's.
    pub fn session(&self, tab: Option<TabId>) -> Result<Arc<SessionHandle>, super::AppError> {
        Ok(self.tabs()?.handle(tab)?)
    }

    /// The remote-screen view opened: a new socket secret (see
    /// [`Self::delivery`]), or frames on `frames`.
    pub async fn attach_screen(
        &self,
        frames: tauri::ipc::Channel<tauri::ipc::InvokeResponseBody>,
    ) -> Result<Option<String>, super::AppError> {
        match self.delivery {
            ScreenDelivery::Socket => Ok(Some(self.socket.open().await?)),
            ScreenDelivery::Channel => {
                self.screen.attach(frames);
                self.session(None)?
                    .command(engine::Command::CatchUp)
                    .await?;
                Ok(None)
            }
        }
    }

    /// The view closed: its socket (the one at `url`), or the channel.
    pub fn detach_screen(&self, url: Option<&str>) {
        match url {
            Some(url) => self.socket.close_view(url),
            None => self.socket.close(),
        }
        self.screen.detach();
    }

    /// Every tab's view, and the one shown (none before a desk link).
    pub fn session_tabs(&self) -> Option<TabsSnapshot> {
        self.tabs().ok().map(|tabs| tabs.snapshot())
    }

    pub fn desk_status(&self) -> DeskStatus {
        let desk = self.desk.lock().unwrap_or_else(|p| p.into_inner());
        desk.as_ref().map_or(DeskStatus::Idle, |d| d.link.status())
    }
}

/// The Settings' proxy (an HTTP proxy; its port 8080 unless set), else the
/// system's.
fn proxy_route(proxy: &crate::settings::preferences::Proxy) -> Route {
    if proxy.host.trim().is_empty() {
        return Route::System;
    }
    let credentials = (!proxy.user.is_empty())
        .then(|| Credentials::new(&proxy.user, &proxy.password, &proxy.domain));
    Route::Through(Proxy {
        kind: ProxyKind::Http,
        host: proxy.host.trim().to_owned(),
        port: proxy.port.unwrap_or(8080),
        credentials,
    })
}

/// Forwards each tab's view and log to the UI as it opens; the first tab's
/// view drives the tray icon. The forwarders end with their engine.
fn tab_forwarders(
    app: &AppHandle,
    forwarders: &Arc<Mutex<Vec<tauri::async_runtime::JoinHandle<()>>>>,
) -> OnOpen {
    let app = app.clone();
    let forwarders = Arc::clone(forwarders);
    let first = std::sync::Once::new();
    Arc::new(move |tab, session| {
        first.call_once(|| super::tray::follow(app.clone(), session.subscribe()));
        let started = [
            super::events::forward(
                app.clone(),
                super::events::SESSION,
                session.subscribe(),
                move |view| TabView { tab, view },
            ),
            super::events::forward_each(
                app.clone(),
                super::events::SESSION_LOG,
                session.subscribe_log(),
                move |item| TabLog { tab, item },
            ),
            super::events::forward_each(
                app.clone(),
                super::events::SESSION_SHELL,
                session.subscribe_shell(),
                move |output| TabShell { tab, output },
            ),
        ];
        let mut forwarders = forwarders.lock().unwrap_or_else(|p| p.into_inner());
        forwarders.retain(|f| !f.inner().is_finished());
        forwarders.extend(started);
    })
}
