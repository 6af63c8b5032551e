// Typed wrappers over the Rust commands in src-tauri/src/app/commands.rs.
// Every command rejects with an `ApiError` ({code, message}); see error.rs.
import { Channel, invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import type { FsOp, LocalFolder } from "./fileBrowser";
import type { Quality, Scope, SessionView } from "./session";

export type Mode = "client" | "expert";

export interface AppInfo {
  version: string;
  signalingUrl: string;
  dataDir: string;
}

export interface Settings {
  mode: Mode | null;
  language: string | null;
}

/** The link to the support desk (src-tauri/src/desk/mod.rs). */
export type DeskStatus =
  | { state: "idle" }
  | { state: "connecting" }
  | { state: "connected" }
  | { state: "offline"; retryAtMs: number; reason: string };

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

export const api = {
  appInfo: () => invoke<AppInfo>("app_info"),
  getSettings: () => invoke<Settings>("get_settings"),
  setMode: (mode: Mode | null) => invoke<Settings>("set_mode", { mode }),
  setLanguage: (language: string) => invoke<Settings>("set_language", { language }),
  deskConnect: (mode: Mode) => invoke<DeskStatus>("desk_connect", { mode }),
  deskDisconnect: () => invoke<void>("desk_disconnect"),
  deskStatus: () => invoke<DeskStatus>("desk_status"),
  clientGetId: (description: string) => invoke<IssuedId>("client_get_id", { description }),
  onDeskStatus: (handler: (status: DeskStatus) => void): Promise<UnlistenFn> =>
    listen<DeskStatus>("desk-status", (event) => handler(event.payload)),
  sessionView: () => invoke<SessionView>("session_view"),
  onSession: (handler: (view: SessionView) => void): Promise<UnlistenFn> =>
    listen<SessionView>("session", (event) => handler(event.payload)),
  expertLogin: (user: string, password: string) => invoke<void>("expert_login", { user, password }),
  expertLogout: () => invoke<void>("expert_logout"),
  expertConnect: (id: string, notes: string, scopes: Scope[], pin: string | null = null) =>
    invoke<void>("expert_connect", { id, notes, scopes, pin }),
  sessionCancel: () => invoke<void>("session_cancel"),
  clientAccept: (scopes: Scope[]) => invoke<void>("client_accept", { scopes }),
  clientDecline: () => invoke<void>("client_decline"),
  sessionStop: () => invoke<void>("session_stop"),
  /** Expert: encoded screen frames arrive on `frames` until detached. */
  screenAttach: (frames: Channel<ArrayBuffer>) => invoke<void>("screen_attach", { frames }),
  screenDetach: () => invoke<void>("screen_detach"),
  screenKeyframe: () => invoke<void>("screen_keyframe"),
  screenSelectMonitor: (monitor: number) => invoke<void>("screen_select_monitor", { monitor }),
  screenSetQuality: (quality: Quality) => invoke<void>("screen_set_quality", { quality }),
  /** Sends a file or folder: to the peer's Downloads, or (expert) `into` a client folder. */
  filesSend: (path: string, into: string | null = null) => invoke<void>("files_send", { path, into }),
  /** Expert: a request to the client's shared folder; answered in `remoteFiles`. */
  filesBrowse: (op: FsOp) => invoke<void>("files_browse", { op }),
  /** This computer's shared folder, for the file browser's local pane. */
  filesLocal: (path: string) => invoke<LocalFolder>("files_local", { path }),
};
