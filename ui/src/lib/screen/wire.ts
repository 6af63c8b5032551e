// One encoded screen frame as the app sends it over the IPC channel
// (src-tauri/src/media/sink.rs, `ScreenFrame::to_wire`):
//   byte 0      flags: bit 0 keyframe, bit 1 capture time present
//   bytes 1..9  capture time, ms since the Unix epoch, big-endian
//   bytes 9..17 arrival time at the expert's app, same clock
//   bytes 17..  the VP8 frame
export const HEADER_BYTES = 17;

export interface WireFrame {
  keyframe: boolean;
  /** When the client captured it (its clock), if the sender said. */
  capturedAtMs: number | null;
  /** When the expert's app received its last packet. */
  receivedAtMs: number;
  data: Uint8Array;
}

export class WireError extends Error {}

export function parseFrame(buffer: ArrayBuffer): WireFrame {
  if (buffer.byteLength <= HEADER_BYTES) {
    throw new WireError(`a screen frame of ${buffer.byteLength} bytes is too short`);
  }
  const view = new DataView(buffer);
  const flags = view.getUint8(0);
  return {
    keyframe: (flags & 1) !== 0,
    capturedAtMs: flags & 2 ? Number(view.getBigUint64(1)) : null,
    receivedAtMs: Number(view.getBigUint64(9)),
    data: new Uint8Array(buffer, HEADER_BYTES),
  };
}
