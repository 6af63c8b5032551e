// The remote-screen view's line to its own app: a WebSocket on 127.0.0.1
// whose URL (with a fresh secret in its path) the app hands over when the
// view attaches (src-tauri/src/local_view/socket.rs). Binary messages are
// encoded frames (wire.ts); text messages are the client's pointer
// (cursor.ts) and gap markers (the app dropped frames: wait for a
// keyframe). The view owns one connection at a time.
import { parseCursor, type CursorMessage } from "./cursor";
import { nowMs } from "./stats";

export interface ScreenSocketHandlers {
  /** The socket is open: a good moment to ask for a keyframe. */
  open(): void;
  /** One frame's bytes and when they reached JavaScript. */
  frame(buffer: ArrayBuffer, at: number): void;
  cursor(message: CursorMessage): void;
  gap(): void;
  /** Text that was neither (counted, never fatal). */
  malformed(): void;
  /** The app ended the connection (a newer view, or the app closing). */
  closed(): void;
}

export function connectScreen(url: string, handlers: ScreenSocketHandlers): { close(): void } {
  const socket = new WebSocket(url);
  socket.binaryType = "arraybuffer";
  let closing = false;
  socket.onopen = () => handlers.open();
  socket.onmessage = (event: MessageEvent) => {
    const at = nowMs();
    if (event.data instanceof ArrayBuffer) {
      handlers.frame(event.data, at);
      return;
    }
    const text = typeof event.data === "string" ? event.data : "";
    if (text === '{"type":"gap"}') {
      handlers.gap();
      return;
    }
    const cursor = parseCursor(text);
    if (cursor) handlers.cursor(cursor);
    else handlers.malformed();
  };
  socket.onclose = () => {
    if (!closing) handlers.closed();
  };
  return {
    close() {
      closing = true;
      socket.close();
    },
  };
}
