//! An app's sessions, one per tab, over one desk link.
//!
//! Each tab has its own [engine](crate::session::engine): its own request,
//! consent, peer, channels, log and PIN, exactly as a lone session has. The
//! tabs share the link: a router task hands each message from the desk to
//! the tab it is about ([`route`]), and the window shows one tab's screen
//! at a time ([`gate`]). A tab in the background keeps its session and its
//! transfers going.
//!
//! An expert may open up to [`MAX_TABS`] tabs. A client has exactly one,
//! which takes every message: it answers one request at a time.

pub mod gate;
pub mod route;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Instant;

use lifeline_signaling::protocol::{MAX_SESSIONS_PER_EXPERT, Role, ServerMessage};
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, watch};

use self::gate::{GatedCursor, GatedSink, Shown};
use self::route::{Route, Routes};
use crate::desk::link::{DeskClient, DeskEvents};
use crate::peer::PeerSettings;
use crate::session::engine::{self, Backends, Command, LogItem, SessionError, SessionHandle};
use crate::session::view::{Phase, SessionView};

/// The most tabs an expert may have: as many sessions as the desk lets one
/// expert hold.
pub const MAX_TABS: usize = MAX_SESSIONS_PER_EXPERT;

/// How many desk messages may wait for one tab's engine.
const TAB_QUEUE: usize = 256;

/// A tab, numbered once in the app's lifetime: a relinked desk's tabs
/// never take an old tab's number, so an old engine's last words cannot
/// land on a new tab.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct TabId(pub u32);

static NEXT_TAB: AtomicU32 = AtomicU32::new(1);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TabsError {
    #[error("there is no such session tab")]
    NoSuchTab,
    #[error("the client's app takes one session at a time")]
    OneOnly,
    #[error("at most {MAX_TABS} sessions can be open at once")]
    TooMany,
    #[error("the last tab stays open")]
    LastTab,
    #[error("another tab's request is still waiting for the desk; try again in a moment")]
    RequestInFlight,
    #[error(transparent)]
    Session(#[from] SessionError),
}

/// The tabs, in the order they opened, and the one shown.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TabList {
    pub tabs: Vec<TabId>,
    pub shown: TabId,
}

/// One tab's view, as the UI receives it.
#[derive(Debug, Clone, Serialize)]
pub struct TabView {
    pub tab: TabId,
    #[serde(flatten)]
    pub view: SessionView,
}

/// One tab's log entry, as the UI receives it.
#[derive(Debug, Clone, Serialize)]
pub struct TabLog {
    pub tab: TabId,
    #[serde(flatten)]
    pub item: LogItem,
}

/// One tab's shell output, as the UI receives it.
#[derive(Debug, Clone, Serialize)]
pub struct TabShell {
    pub tab: TabId,
    #[serde(flatten)]
    pub output: crate::session::engine::ShellOutput,
}

/// Every tab's view at once, for a window that just opened.
#[derive(Debug, Clone, Serialize)]
pub struct TabsSnapshot {
    #[serde(flatten)]
    pub list: TabList,
    pub views: Vec<TabView>,
}

/// Called for each tab as it opens (the app forwards its view and log to
/// the UI from here).
pub type OnOpen = Arc<dyn Fn(TabId, &Arc<SessionHandle>) + Send + Sync>;

/// The one owner of the tabs: their engines, the routes to them and the
/// tab shown.
pub struct Tabs {
    role: Role,
    desk: DeskClient,
    settings: PeerSettings,
    shown: Arc<Shown>,
    on_open: OnOpen,
    // A std Mutex: held to read or change the table, never across an await.
    state: Mutex<State>,
    list: watch::Sender<TabList>,
}

struct State {
    /// What every tab's engine reaches the system through; each tab's sink
    /// and pointer view are gated on it being shown.
    backends: Backends,
    tabs: BTreeMap<TabId, Tab>,
    routes: Routes,
    /// The desk's latest `signed_in`, for tabs opened after it.
    signed_in: Option<ServerMessage>,
}

struct Tab {
    handle: Arc<SessionHandle>,
    desk: mpsc::Sender<ServerMessage>,
}

impl std::fmt::Debug for Tabs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tabs")
            .field("role", &self.role)
            .field("list", &*self.list.borrow())
            .finish_non_exhaustive()
    }
}

impl Tabs {
    /// The tabs over the desk link `desk`/`events`, with one tab open.
    /// Must run inside the async runtime.
    pub fn start(
        role: Role,
        desk: DeskClient,
        events: DeskEvents,
        settings: PeerSettings,
        backends: Backends,
        on_open: OnOpen,
    ) -> Arc<Self> {
        let tabs = Arc::new(Self {
            role,
            desk,
            settings,
            shown: Arc::new(Shown::default()),
            on_open,
            state: Mutex::new(State {
                backends,
                tabs: BTreeMap::new(),
                routes: Routes::default(),
                signed_in: None,
            }),
            list: watch::channel(TabList::default()).0,
        });
        tabs.spawn_tab();
        tokio::spawn(route_events(Arc::downgrade(&tabs), events));
        tabs
    }

    /// Expert: a new tab, shown at once, ready for a request.
    pub fn open(&self) -> Result<TabId, TabsError> {
        if self.role == Role::Client {
            return Err(TabsError::OneOnly);
        }
        if self.lock().tabs.len() >= MAX_TABS {
            return Err(TabsError::TooMany);
        }
        Ok(self.spawn_tab())
    }

    /// Closes `tab`, ending its request or session; another tab is shown
    /// if it was.
    pub fn close(&self, tab: TabId) -> Result<(), TabsError> {
        let closed = {
            let mut state = self.lock();
            if !state.tabs.contains_key(&tab) {
                return Err(TabsError::NoSuchTab);
            }
            if state.tabs.len() == 1 {
                return Err(TabsError::LastTab);
            }
            state.routes.forget(tab);
            let closed = state.tabs.remove(&tab);
            if self.shown.get() == tab {
                let next = state
                    .tabs
                    .range(tab..)
                    .next()
                    .or(state.tabs.last_key_value());
                if let Some((&next, _)) = next {
                    self.shown.set(next);
                }
            }
            self.publish(&state);
            closed
        };
        // Dropped outside the lock: the engine ends its session on its own.
        drop(closed);
        Ok(())
    }

    /// Shows `tab`'s screen and tools.
    pub fn show(&self, tab: TabId) -> Result<(), TabsError> {
        let state = self.lock();
        if !state.tabs.contains_key(&tab) {
            return Err(TabsError::NoSuchTab);
        }
        self.shown.set(tab);
        self.publish(&state);
        Ok(())
    }

    /// `tab`'s engine, or (`None`) the shown tab's.
    pub fn handle(&self, tab: Option<TabId>) -> Result<Arc<SessionHandle>, TabsError> {
        let tab = tab.unwrap_or_else(|| self.shown.get());
        self.lock()
            .tabs
            .get(&tab)
            .map(|t| Arc::clone(&t.handle))
            .ok_or(TabsError::NoSuchTab)
    }

    /// Expert: `tab` asks the desk for a client; refused while another
    /// tab's request waits for the desk to say which session it became.
    pub async fn connect(&self, tab: Option<TabId>, connect: Command) -> Result<(), TabsError> {
        let tab = tab.unwrap_or_else(|| self.shown.get());
        let handle = {
            let mut state = self.lock();
            let handle = state.tabs.get(&tab).map(|t| Arc::clone(&t.handle));
            let handle = handle.ok_or(TabsError::NoSuchTab)?;
            state
                .routes
                .requesting(tab, Instant::now())
                .map_err(|_| TabsError::RequestInFlight)?;
            handle
        };
        Ok(handle.command(connect).await?)
    }

    /// New folders for received and shared files, for every tab from its
    /// next transfer session on.
    pub async fn set_folders(&self, downloads: PathBuf, shared: PathBuf) {
        let handles = {
            let mut state = self.lock();
            state.backends.downloads = downloads.clone();
            state.backends.shared = Some(shared.clone());
            state.handles()
        };
        for handle in handles {
            let _ = handle
                .command(Command::SetDownloads(downloads.clone()))
                .await;
            let _ = handle.command(Command::SetShared(shared.clone())).await;
        }
    }

    /// Whether any tab has a request or session open.
    pub fn any_open(&self) -> bool {
        self.lock()
            .handles()
            .iter()
            .any(|handle| handle.view().phase != Phase::Idle)
    }

    pub fn list(&self) -> TabList {
        self.list.borrow().clone()
    }

    pub fn subscribe(&self) -> watch::Receiver<TabList> {
        self.list.subscribe()
    }

    pub fn snapshot(&self) -> TabsSnapshot {
        let state = self.lock();
        let views = state
            .tabs
            .iter()
            .map(|(&tab, t)| TabView {
                tab,
                view: t.handle.view(),
            })
            .collect();
        TabsSnapshot {
            list: self.list(),
            views,
        }
    }

    /// Opens a tab and shows it.
    fn spawn_tab(&self) -> TabId {
        let tab = TabId(NEXT_TAB.fetch_add(1, Ordering::Relaxed));
        let handle = {
            let mut state = self.lock();
            let (desk, events) = mpsc::channel(TAB_QUEUE);
            if let Some(signed_in) = state.signed_in.clone() {
                // Room for it: the channel is new.
                let _ = desk.try_send(signed_in);
            }
            let backends = self.gated(tab, &state.backends);
            let handle = Arc::new(engine::spawn(
                self.role,
                self.desk.clone(),
                events,
                self.settings.clone(),
                backends,
            ));
            let entry = Tab {
                handle: Arc::clone(&handle),
                desk,
            };
            state.tabs.insert(tab, entry);
            self.shown.set(tab);
            self.publish(&state);
            handle
        };
        (self.on_open)(tab, &handle);
        tab
    }

    /// `tab`'s backends: the frames and the pointer reach the view only
    /// while it is shown.
    fn gated(&self, tab: TabId, backends: &Backends) -> Backends {
        let mut backends = backends.clone();
        backends.sink = Arc::new(GatedSink {
            tab,
            shown: Arc::clone(&self.shown),
            sink: backends.sink,
        });
        backends.pointer.view = backends.pointer.view.map(|view| {
            Arc::new(GatedCursor {
                tab,
                shown: Arc::clone(&self.shown),
                view,
            }) as _
        });
        backends
    }

    fn publish(&self, state: &State) {
        let list = TabList {
            tabs: state.tabs.keys().copied().collect(),
            shown: self.shown.get(),
        };
        self.list.send_if_modified(|current| {
            let changed = *current != list;
            *current = list;
            changed
        });
    }

    /// Where a message from the desk goes now.
    fn destinations(&self, message: &ServerMessage) -> Vec<mpsc::Sender<ServerMessage>> {
        let mut state = self.lock();
        match message {
            ServerMessage::SignedIn { .. } => state.signed_in = Some(message.clone()),
            ServerMessage::SignedOut { .. } => state.signed_in = None,
            _ => {}
        }
        let route = match self.role {
            Role::Client => Route::All,
            Role::Expert => state.routes.route(message, Instant::now()),
        };
        match route {
            Route::Tab(tab) => state
                .tabs
                .get(&tab)
                .map(|t| t.desk.clone())
                .into_iter()
                .collect(),
            Route::All => state.tabs.values().map(|t| t.desk.clone()).collect(),
            Route::Nobody => {
                tracing::debug!(?message, "desk message for no open tab");
                Vec::new()
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl State {
    fn handles(&self) -> Vec<Arc<SessionHandle>> {
        self.tabs.values().map(|t| Arc::clone(&t.handle)).collect()
    }
}

/// Hands each message from the desk to its tabs, until the link or the
/// tabs are gone.
async fn route_events(tabs: Weak<Tabs>, mut events: DeskEvents) {
    while let Some(message) = events.recv().await {
        let Some(destinations) = tabs.upgrade().map(|tabs| tabs.destinations(&message)) else {
            break;
        };
        for desk in destinations {
            // A tab that closed meanwhile has stopped listening.
            let _ = desk.send(message.clone()).await;
        }
    }
}
