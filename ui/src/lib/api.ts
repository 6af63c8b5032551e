// Typed wrappers over the Rust commands in src-tauri/src/app/commands.rs.
// Every command rejects with an `ApiError` ({code, message}); see error.rs.
import { Channel, invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import type { FsOp, LocalFolder } from "./fileBrowser";
import type { InputEvent } from "./remoteInput";
import type { Quality, Scope, SessionView } from "./session";
import type { LogItem } from "./sessionLog";
import { shownTab, type TabId, type TabList } from "./tabs";
import type { PanelTab } from "./workspace";

/** The screen's frames arrive on one of these (see `screenAttach`). */
export { Channel };

export type Mode = "client" | "expert";

export interface AppInfo {
  version: string;
  /** The desk in use, and what an empty Settings field means. */
  signalingUrl: string;
  defaultSignalingUrl: string;
  /** Where received files go now, and what an empty Settings field means. */
  downloadDir: string;
  defaultDownloadDir: string;
  /** The folder the expert's file browser may work in (a client's), and
   * what an empty Settings field means (the download folder unless the
   * installation set one). Never the home folder. */
  sharedDir: string;
  defaultSharedDir: string;
  dataDir: string;
  /** The app trusts only the desk's pinned key, over TLS. */
  deskPinned: boolean;
  /** How this run started (src-tauri/src/launch/held.rs). */
  launch: LaunchView;
}

/** The mode and desk this run is held to, and a link waiting for the user. */
export interface LaunchView {
  mode: Mode | null;
  desk: HeldDesk | null;
  link: WaitingLink | null;
  /** Why the desk file found cannot be used. */
  badDeskFile: string | null;
}

/** A desk named by a desk file, the command line or a trusted link. */
export interface HeldDesk {
  name: string | null;
  /** A `data:` URL. */
  logo: string | null;
  address: string;
  code: string | null;
  source: "file" | "command_line" | "link";
  file: string | null;
}

/** A `lifeline://get-help` link: its desk and code, or why it was refused. */
export interface WaitingLink {
  desk: string | null;
  code: string | null;
  error: ApiError | null;
}

/** What a link's desk says of itself, over TLS to the link's key. */
export interface DeskCard {
  name: string;
  logo: string | null;
}


/** The Settings screen's values as stored (src-tauri/src/settings/preferences.rs). */
export interface Preferences {
  signalingUrl: string | null;
  proxyHost: string;
  proxyPort: number | null;
  proxyUser: string;
  /** The password itself never comes back to the UI. */
  proxyPasswordSet: boolean;
  proxyDomain: string;
  downloadDir: string | null;
  sharedDir: string | null;
  defaultQuality: Quality;
}

/** What Save sends: text as typed; a null password keeps the saved one. */
export interface PreferencesUpdate {
  signalingUrl: string;
  proxyHost: string;
  proxyPort: string;
  proxyUser: string;
  proxyPassword: string | null;
  proxyDomain: string;
  downloadDir: string;
  sharedDir: string;
  defaultQuality: Quality;
}

export interface Settings {
  mode: Mode | null;
  language: string | null;
  preferences: Preferences;
}

/** The tray icon's words; `{name}` in the tooltip is the other side. */
export interface TrayLabels {
  tooltip: string;
  show: string;
  stop: string;
}

/** The link to the support desk (src-tauri/src/desk/mod.rs). */
export type DeskStatus =
  | { state: "idle" }
  | { state: "connecting" }
  | { state: "connected" }
  | {
      state: "offline";
      retryAtMs: number;
      reason: string;
      /** What went wrong, when the app has words for it (the proxy's
       * refusals: "proxy_auth_refused", ...). */
      problem?: string | null;
    };

/** A one-time client ID (src-tauri/src/desk/mod.rs). */
export interface IssuedId {
  id: string;
  expiresAtMs: number;
  /** With PIN binding on: the PIN to read out with the ID, made locally. */
  pin: string | null;
}

export interface ApiError {
  code: string;
  message: string;
}

export function isApiError(value: unknown): value is ApiError {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as ApiError).code === "string" &&
    typeof (value as ApiError).message === "string"
  );
}

/** Normalises anything a command rejected with into an ApiError. */
export function toApiError(value: unknown): ApiError {
  if (isApiError(value)) return value;
  return { code: "unexpected", message: String(value) };
}

/** One tab's view, as the "session" event and the snapshot carry it. */
export type TabView = SessionView & { tab: TabId };
/** A recording kept beside the transcripts (src-tauri/src/recording/library.rs). */
export interface RecordingEntry {
  name: string;
  bytes: number;
  modifiedMs: number;
  /** Who was on the other side, from the session's transcript. */
  peer: string | null;
}
/** One tab's shell output, as the "session-shell" event carries it. */
export type TabShell = { tab: TabId; shell: number; data: string };
/** One tab's log entry, as the "session-log" event carries it. */
export type TabLog = LogItem & { tab: TabId };
/** Every tab's view and the one shown. */
export type TabsSnapshot = TabList & { views: TabView[] };

/** The arguments of a command about the shown tab's session. */
function about<T extends object>(args?: T): T & { tab: TabId | null } {
  return { ...(args ?? ({} as T)), tab: shownTab() };
}

export const api = {
  appInfo: () => invoke<AppInfo>("app_info"),
  getSettings: () => invoke<Settings>("get_settings"),
  linkCheck: () => invoke<DeskCard>("link_check"),
  linkTrust: () => invoke<AppInfo>("link_trust"),
  linkDismiss: () => invoke<AppInfo>("link_dismiss"),
  onLaunchLink: (handler: () => void): Promise<UnlistenFn> => listen("launch-link", () => handler()),
  setMode: (mode: Mode | null) => invoke<Settings>("set_mode", { mode }),
  setLanguage: (language: string) => invoke<Settings>("set_language", { language }),
  savePreferences: (preferences: PreferencesUpdate) =>
    invoke<Settings>("save_preferences", { preferences }),
  trayLabels: (labels: TrayLabels) => invoke<void>("tray_labels", { labels }),
  deskConnect: (mode: Mode) => invoke<DeskStatus>("desk_connect", { mode }),
  deskDisconnect: () => invoke<void>("desk_disconnect"),
  deskStatus: () => invoke<DeskStatus>("desk_status"),
  clientGetId: (description: string) => invoke<IssuedId>("client_get_id", { description }),
  onDeskStatus: (handler: (status: DeskStatus) => void): Promise<UnlistenFn> =>
    listen<DeskStatus>("desk-status", (event) => handler(event.payload)),
  /** Every tab's view and the one shown; null before a desk link. */
  sessionTabs: () => invoke<TabsSnapshot | null>("session_tabs"),
  onSession: (handler: (view: TabView) => void): Promise<UnlistenFn> =>
    listen<TabView>("session", (event) => handler(event.payload)),
  onSessionTabs: (handler: (list: TabList) => void): Promise<UnlistenFn> =>
    listen<TabList>("session-tabs", (event) => handler(event.payload)),
  /** Expert: a new tab for another client, shown at once. */
  openTab: () => invoke<TabId>("session_open_tab"),
  /** Expert: closes a tab, ending its request or session. */
  closeTab: (tab: TabId) => invoke<void>("session_close_tab", { tab }),
  showTab: (tab: TabId) => invoke<void>("session_show_tab", { tab }),
  expertLogin: (user: string, password: string, code?: string) =>
    invoke<void>("expert_login", about({ user, password, code: code ?? null })),
  expertLogout: () => invoke<void>("expert_logout", about()),
  expertConnect: (id: string, notes: string, scopes: Scope[], pin: string | null = null, reason: string | null = null) =>
    invoke<void>("expert_connect", about({ id, notes, scopes, pin, reason })),
  sessionCancel: () => invoke<void>("session_cancel", about()),
  /** Client: answers the request for `session`, the one on screen. */
  clientAccept: (session: string, scopes: Scope[]) => invoke<void>("client_accept", about({ session, scopes })),
  clientDecline: (session: string) => invoke<void>("client_decline", about({ session })),
  sessionStop: () => invoke<void>("session_stop", about()),
  clipboardSend: () => invoke<void>("clipboard_send", about()),
  /** Expert: the recordings on this computer, newest first. */
  recordings: () => invoke<RecordingEntry[]>("recordings"),
  /** Expert: one recording's bytes, to play. */
  recording: (name: string) => invoke<ArrayBuffer>("recording", { name }),
  /** Expert: starts or stops recording the client's screen (a WebM file beside the transcript). */
  sessionRecord: (on: boolean) => invoke<void>("session_record", about({ on })),
  /** Expert: starts or stops showing this computer's screen to the client (reverse view). */
  sessionShowMyScreen: (on: boolean) => invoke<void>("session_show_my_screen", about({ on })),
  /** Puts text on this computer's own clipboard (the shell's copy). */
  localClipboardWrite: (text: string) => invoke<void>("local_clipboard_write", { text }),
  /** Client: opens or closes the window with the expert's screen. */
  reverseWindow: (open: boolean) => invoke<void>("reverse_window", { open }),
  /** Expert: ends the session with the client's screen locked or its user logged out. */
  sessionEndWith: (action: "lock" | "log_out") => invoke<void>("session_end_with", about({ action })),
  /** Expert: asks for a new snapshot of the client's computer; it arrives in `systemInfo`. */
  systemInfoAsk: () => invoke<void>("system_info_ask", about()),
  /** Expert: the session's notes, saved to the desk's record. */
  sessionSetNotes: (notes: string) => invoke<void>("session_set_notes", about({ notes })),
  /** Expert: the view opens. Returns the loopback socket's URL (frames and
   * the pointer come from there), or null when frames come on `frames`. */
  screenAttach: (frames: Channel<ArrayBuffer>) => invoke<string | null>("screen_attach", { frames }),
  /** The view closed; `url`: the socket it was given, which alone closes
   * (another tab's view may have opened since). */
  screenDetach: (url: string | null) => invoke<void>("screen_detach", { url }),
  /** A fresh keyframe; `catchUp`: the view just opened and takes the
   * frames the app kept since the newest keyframe first. */
  screenKeyframe: (catchUp = false) => invoke<void>("screen_keyframe", about({ catchUp })),
  /** Expert: shows a side-panel tab in a window of its own, or (null) closes that window. */
  panelWindow: (tab: PanelTab | null) => invoke<void>("panel_window", { tab }),
  /** The tab the expert's panel window shows, or null once it closed. */
  onPanelWindow: (handler: (tab: "chat" | "files" | "notes" | "log" | null) => void): Promise<UnlistenFn> =>
    listen<"chat" | "files" | "notes" | "log" | null>("panel-window", (event) => handler(event.payload)),
  /** Client: the window as a session's control bar (open: with its panel), or as it was. */
  windowLayout: (layout: "normal" | "bar" | "barOpen") => invoke<void>("window_layout", { layout }),
  /** The remote screen takes the keyboard (the desktop's shortcuts too), or
   * gives it back. */
  screenHoldKeyboard: (hold: boolean) => invoke<boolean>("screen_hold_keyboard", { hold }),
  screenSelectMonitor: (monitor: number) => invoke<void>("screen_select_monitor", about({ monitor })),
  screenSetQuality: (quality: Quality) => invoke<void>("screen_set_quality", about({ quality })),
  /** Sends a file or folder: to the peer's Downloads, or (expert) `into` a client folder. */
  filesSend: (path: string, into: string | null = null) => invoke<void>("files_send", about({ path, into })),
  /** Expert: a request to the client's shared folder; answered in `remoteFiles`. */
  filesBrowse: (op: FsOp) => invoke<void>("files_browse", about({ op })),
  /** This computer's shared folder, for the file browser's local pane. */
  filesLocal: (path: string) => invoke<LocalFolder>("files_local", { path }),
  transferCancel: (id: number) => invoke<void>("transfer_cancel", about({ id })),
  /** The running session's log so far (live entries come as "session-log"). */
  sessionLog: (tab: TabId | null = shownTab()) => invoke<LogItem[]>("session_log", { tab }),
  onSessionLog: (handler: (item: TabLog) => void): Promise<UnlistenFn> =>
    listen<TabLog>("session-log", (event) => handler(event.payload)),
  /** Expert: opens a command shell on the client; it shows in `shells`. */
  shellOpen: (cols: number, rows: number) => invoke<void>("shell_open", about({ cols, rows })),
  shellInput: (shell: number, text: string) => invoke<void>("shell_input", about({ shell, text })),
  shellResize: (shell: number, cols: number, rows: number) =>
    invoke<void>("shell_resize", about({ shell, cols, rows })),
  shellClose: (shell: number) => invoke<void>("shell_close", about({ shell })),
  /** Expert: what the client's shells print. */
  onShellOutput: (handler: (output: TabShell) => void): Promise<UnlistenFn> =>
    listen<TabShell>("session-shell", (event) => handler(event.payload)),
  sessionChat: (text: string) => invoke<void>("session_chat", about({ text })),
  /** Expert: mouse and keyboard events for the client, in order. */
  remoteInput: (events: InputEvent[]) => invoke<void>("remote_input", about({ events })),
  /** Client: what the expert may do from now on (at most what was asked). */
  sessionSetGrants: (scopes: Scope[]) => invoke<void>("session_set_grants", about({ scopes })),
  /** Sends each new clipboard copy automatically, or stops. */
  clipboardSync: (on: boolean) => invoke<void>("clipboard_sync", about({ on })),
  /** Expert: restarts the client's computer; `reconnect`: the session resumes after it. */
  rebootRequest: (reconnect: boolean) => invoke<void>("reboot_request", about({ reconnect })),
  rebootCancel: () => invoke<void>("reboot_cancel", about()),
};
