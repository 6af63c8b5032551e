// The session as the engine publishes it (src-tauri/src/session/view.rs),
// and how its notices and scopes turn into words.
import type { NoticeCode, Severity } from "./generated/codes";
import type { Mode } from "./api";
import { catalogs, type MessageKey } from "./i18n";
import type { RemoteFolder } from "./fileBrowser";
import type { ShellView } from "./shells";
import type { SystemInfoView } from "./systemInfo";
import type { TransferView } from "./transfers";

export type Scope = "view" | "control" | "files" | "clipboard" | "reboot" | "system_info" | "shell" | "reverse_view";
export const ALL_SCOPES: Scope[] = [
  "view",
  "control",
  "files",
  "clipboard",
  "reboot",
  "system_info",
  "shell",
  "reverse_view",
];

export type Phase =
  | { phase: "idle" }
  | {
      phase: "waiting";
      session: string;
      expiresAtMs: number;
    }
  | {
      phase: "asked";
      session: string;
      expert: string;
      notes: string;
      scopes: Scope[];
      expiresAtMs: number;
      /** The desk records every session (its policy). */
      recorded: boolean;
      /** The reason or ticket number the expert gave. */
      reason: string | null;
      /** The desk's name as its admin set it. */
      desk: string | null;
    }
  | { phase: "connecting"; session: string; peer: string; scopes: Scope[] }
  | {
      phase: "active";
      session: string;
      peer: string;
      scopes: Scope[];
      safetyCode: string;
      sinceMs: number;
    };

/** What the app says happened (src-tauri/src/session/notice.rs): the
 * code picks the words; a problem is shown as an error, with its code. */
export interface Notice {
  code: NoticeCode;
  message: string;
  severity: Severity;
}

export type Quality = "speed" | "balanced" | "best";
export const QUALITIES: Quality[] = ["speed", "balanced", "best"];

export interface MonitorInfo {
  index: number;
  name: string;
  width: number;
  height: number;
  primary: boolean;
}

/** What the client shares (src-tauri/src/session/view.rs, ScreenInfo). */
export interface ScreenInfo {
  monitors: MonitorInfo[];
  monitor: number;
  quality: Quality;
  /** What captures the client's screen: "x11", or "wayland" (the portal). */
  backend?: string;
  /** Why the client's screen cannot be shown now, in the client's words. */
  problem?: string;
}

export interface SessionView {
  signedInAs: string | null;
  phase: Phase;
  notice: Notice | null;
  screen: ScreenInfo | null;
  /** Client, in a session: the permissions it may switch on and off. */
  grantable: Scope[];
  /** Whether clipboard changes here are sent automatically. */
  clipboardSync: boolean;
  /** A restart is counting down, due at this time. */
  rebootAtMs: number | null;
  /** Client: the session resumes after that restart. */
  rebootReconnect: boolean;
  /** This session's file transfers, both ways. */
  transfers: TransferView[];
  /** Expert: the client's folder the file browser shows, once asked. */
  remoteFiles: RemoteFolder | null;
  /** Expert: the notes of the current request or session. */
  notes: SessionNotes;
  /** Expert, in a session with view: for the Accept → first picture time. */
  firstFrame: FirstFrame | null;
  /** In a connected session: the way its packets go. */
  path: NetworkPath | null;
  /** The path went quiet and is being found again (after a network change). */
  reconnecting: boolean;
  /** Expert: the client's system information, once asked for. */
  systemInfo: SystemInfoView | null;
  /** Expert: the command shells opened in this session. */
  shells: ShellView[];
  /** The expert records the screen now (both sides see it). */
  recording: boolean;
  /** Expert: the desk records every session; the recording cannot be stopped. */
  recordingRequired: boolean;
  /** The expert shows its own screen to the client now (reverse view). */
  reverseView: boolean;
  /** The desk's policy, as it last said it. */
  deskPolicy: DeskPolicy | null;
}

/** The desk's policy (signaling/src/protocol: DeskPolicyInfo). */
export interface DeskPolicy {
  desk_name: string;
  consent_timeout_secs: number;
  require_pin: boolean;
  record_sessions: boolean;
  require_reason: boolean;
  allowed_scopes: Scope[];
}

/** How one end of the chosen ICE pair was found (src-tauri/src/peer/path.rs). */
export type Reach = "host" | "server_reflexive" | "peer_reflexive" | "relay";

export interface NetworkPath {
  local: Reach;
  remote: Reach;
  /** "udp" or "tcp", to the first hop. */
  protocol: string;
  /** Relayed: how this side reaches the TURN server ("udp", "tcp", "tls"). */
  relayProtocol: string | null;
}

/** The path in words' parts: relayed or direct, and over what. */
export function describePath(path: NetworkPath): { relayed: boolean; over: string } {
  const relayed = path.local === "relay" || path.remote === "relay";
  return { relayed, over: (path.relayProtocol ?? path.protocol).toUpperCase() };
}

/**
 * When the session started (the desk's report of the client's Accept) and
 * when the screen's first frame was handed to the view, both Unix ms on the
 * expert's clock (src-tauri/src/session/view.rs, FirstFrame).
 */
export interface FirstFrame {
  sessionStartedMs: number;
  arrivedMs: number | null;
}

export interface SessionNotes {
  text: string;
  /** When the desk confirmed the last change. */
  savedAtMs: number | null;
}

/** The other side's name, once a session starts ("" before). */
export function peerOf(phase: Phase): string {
  return phase.phase === "active" || phase.phase === "connecting" ? phase.peer : "";
}

export const IDLE_VIEW: SessionView = {
  signedInAs: null,
  phase: { phase: "idle" },
  notice: null,
  screen: null,
  grantable: [],
  clipboardSync: false,
  rebootAtMs: null,
  rebootReconnect: false,
  transfers: [],
  remoteFiles: null,
  notes: { text: "", savedAtMs: null },
  firstFrame: null,
  path: null,
  reconnecting: false,
  systemInfo: null,
  shells: [],
  recording: false,
  recordingRequired: false,
  reverseView: false,
  deskPolicy: null,
};

function known(key: string): key is MessageKey {
  return key in catalogs.en;
}

/**
 * The catalog key for a notice: a mode-specific text first (the expert and
 * the client see a decline differently), then a shared one, then the
 * desk's error text, then a general message.
 */
export function noticeKey(mode: Mode, code: string): MessageKey {
  for (const key of [`notice.${mode}.${code}`, `notice.${code}`, `error.${code}`]) {
    if (known(key)) return key;
  }
  return "error.generic";
}

export function scopeKey(scope: Scope): MessageKey {
  return `scope.${scope}` as MessageKey;
}

export function qualityKey(quality: Quality): MessageKey {
  return `quality.${quality}` as MessageKey;
}

/** Minutes and seconds left, as `4:05`. */
export function formatCountdown(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const minutes = Math.floor(total / 60);
  const seconds = total % 60;
  return `${minutes}:${String(seconds).padStart(2, "0")}`;
}
