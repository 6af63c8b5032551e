// Expert: the client's command shells as terminals (xterm.js). A terminal
// lives as long as its tab's session, not its panel: closing the panel or
// switching shells keeps what the shell printed. Output arrives as
// "session-shell" events (base64), typing goes back as shell_input.
import { FitAddon } from "@xterm/addon-fit";
import { Terminal } from "@xterm/xterm";
import { api } from "./api";
import { decodeOutput } from "./shellOutput";
import type { TabId } from "./tabs";

export type ShellState = "opening" | "open" | "ended" | "refused";

/** One shell, as the session's view lists it (src-tauri/src/session/view.rs). */
export interface ShellView {
  id: number;
  state: ShellState;
  pid: number | null;
  code: number | null;
  reason: string | null;
}

interface Held {
  terminal: Terminal;
  fit: FitAddon;
}

/**
 * What was typed, sent in order. Each command runs as a task of its own in
 * the app, so two sent at once could overtake each other (a fast typist's
 * "stty" arriving as "styt"): one is in flight at a time, and what is typed
 * meanwhile goes together in the next.
 */
export class TypingQueue {
  private pending = "";
  private sending = false;

  constructor(private readonly send: (text: string) => Promise<unknown>) {}

  push(text: string): void {
    this.pending += text;
    if (!this.sending) void this.drain();
  }

  private async drain(): Promise<void> {
    this.sending = true;
    while (this.pending) {
      const text = this.pending;
      this.pending = "";
      await this.send(text).catch(() => {});
    }
    this.sending = false;
  }
}

/**
 * The terminal's copy keys, as in desktop terminals: Ctrl+Shift+C and
 * Ctrl+Insert copy the selection (Ctrl+C stays the shell's interrupt).
 * Pasting needs nothing here: WebKitGTK's own Ctrl+Shift+V and
 * Shift+Insert paste into the terminal.
 */
export function isCopyKey(event: KeyboardEvent): boolean {
  if (event.altKey || event.metaKey || !event.ctrlKey) return false;
  return (event.shiftKey && event.code === "KeyC") || (!event.shiftKey && event.code === "Insert");
}

/** Copies the selection to this computer's clipboard; the key goes no further. */
function copyKeys(terminal: Terminal, event: KeyboardEvent): boolean {
  if (!isCopyKey(event)) return true;
  const selected = terminal.getSelection();
  if (event.type === "keydown" && selected) api.localClipboardWrite(selected).catch(() => {});
  return false;
}

const held = new Map<string, Held>();
const key = (tab: TabId | null, shell: number) => `${tab ?? ""}/${shell}`;

/** The terminal of `shell` in `tab`'s session, made on first use. */
export function terminalFor(tab: TabId | null, shell: number): Held {
  const found = held.get(key(tab, shell));
  if (found) return found;
  const terminal = new Terminal({
    convertEol: false,
    cursorBlink: true,
    fontFamily: "monospace",
    fontSize: 13,
    scrollback: 5000,
  });
  const fit = new FitAddon();
  terminal.loadAddon(fit);
  const typing = new TypingQueue((text) => api.shellInput(shell, text));
  terminal.onData((text) => typing.push(text));
  terminal.attachCustomKeyEventHandler((event) => copyKeys(terminal, event));
  terminal.onResize(({ cols, rows }) => {
    api.shellResize(shell, cols, rows).catch(() => {});
  });
  const made = { terminal, fit };
  held.set(key(tab, shell), made);
  return made;
}

let following: Promise<unknown> | null = null;

/** Writes every shell's output into its terminal; idempotent. */
export function followShells(): void {
  following ??= api.onShellOutput(({ tab, shell, data }) => {
    terminalFor(tab, shell).terminal.write(decodeOutput(data));
  });
}

/** Forgets the terminals of tabs that are gone. */
export function dropShells(open: TabId[]): void {
  for (const [name, { terminal }] of held) {
    const tab = name.slice(0, name.lastIndexOf("/"));
    if (tab && !open.some((t) => `${t}` === tab)) {
      terminal.dispose();
      held.delete(name);
    }
  }
}
