// One encoded screen frame as the app sends it to the webview
// (src-tauri/src/media/sink.rs, `ScreenFrame::to_wire`):
//   byte 0       flags: bit 0 keyframe, bit 1 capture time present,
//                bit 2 replayed (old, sent again for a view that opened),
//                bit 3 number present
//   bytes 1..49  six times, each a big-endian f64 of Unix ms, NaN when
//                unknown: captured, encoded, sent (the client's clock),
//                first packet, last packet, sink (the expert's)
//   bytes 49..53 the frame's number among those the client sent (u32)
//   bytes 53..   the VP8 frame
// docs/screen-streaming.md ("The IPC frame format") says what each means.
export const HEADER_BYTES = 1 + 6 * 8 + 4;

export interface WireFrame {
  keyframe: boolean;
  /** Sent again from the app's copy for a view that just opened. */
  replayed: boolean;
  /** Its number among the frames the client sent (wrapping u32). */
  number: number | null;
  /** When the client started capturing it (its clock), if the sender said. */
  capturedAtMs: number | null;
  /** When the client's encoder put it out. */
  encodedAtMs: number | null;
  /** When its first packet left the client. */
  sentAtMs: number | null;
  /** When its first packet reached the expert's app. */
  firstPacketAtMs: number | null;
  /** When its last packet reached the expert's app (the frame was whole). */
  lastPacketAtMs: number | null;
  /** When the expert's app handed it to the view (the frame sink). */
  receivedAtMs: number;
  data: Uint8Array;
}

export class WireError extends Error {}

function time(view: DataView, index: number): number | null {
  const value = view.getFloat64(1 + 8 * index);
  return Number.isFinite(value) ? value : null;
}

export function parseFrame(buffer: ArrayBuffer): WireFrame {
  if (buffer.byteLength <= HEADER_BYTES) {
    throw new WireError(`a screen frame of ${buffer.byteLength} bytes is too short`);
  }
  const view = new DataView(buffer);
  const flags = view.getUint8(0);
  const sink = time(view, 5);
  if (sink === null) {
    throw new WireError("a screen frame without its hand-off time");
  }
  return {
    keyframe: (flags & 1) !== 0,
    replayed: (flags & 4) !== 0,
    number: (flags & 8) !== 0 ? view.getUint32(49) : null,
    capturedAtMs: time(view, 0),
    encodedAtMs: time(view, 1),
    sentAtMs: time(view, 2),
    firstPacketAtMs: time(view, 3),
    lastPacketAtMs: time(view, 4),
    receivedAtMs: sink,
    data: new Uint8Array(buffer, HEADER_BYTES),
  };
}
