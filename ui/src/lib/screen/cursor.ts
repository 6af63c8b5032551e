// The client's pointer, drawn by the expert's view over the picture (the
// client sends it apart from the video: see docs/peer-protocol.md, the
// `cursor` channel). Messages arrive already checked by the app; this
// checks them again, since a bad one must never break the view.
const MAX_SIDE = 128;

export type CursorMessage =
  | { type: "position"; x: number; y: number; visible: boolean }
  | {
      type: "shape";
      id: number;
      width: number;
      height: number;
      hot_x: number;
      hot_y: number;
      /** Straight-alpha RGBA, base64. */
      rgba: string;
    };

function int(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value);
}

export function parseCursor(text: string): CursorMessage | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== "object" || value === null) return null;
  const m = value as Record<string, unknown>;
  if (m.type === "position" && int(m.x) && int(m.y) && typeof m.visible === "boolean") {
    return { type: "position", x: m.x, y: m.y, visible: m.visible };
  }
  if (
    m.type === "shape" &&
    int(m.id) &&
    int(m.width) &&
    int(m.height) &&
    int(m.hot_x) &&
    int(m.hot_y) &&
    typeof m.rgba === "string" &&
    m.width > 0 &&
    m.height > 0 &&
    m.width <= MAX_SIDE &&
    m.height <= MAX_SIDE &&
    m.hot_x < m.width &&
    m.hot_y < m.height
  ) {
    return {
      type: "shape",
      id: m.id,
      width: m.width,
      height: m.height,
      hot_x: m.hot_x,
      hot_y: m.hot_y,
      rgba: m.rgba,
    };
  }
  return null;
}

/** The shape's pixels, or null when they do not fill its size. */
export function shapePixels(
  shape: Extract<CursorMessage, { type: "shape" }>,
): Uint8ClampedArray<ArrayBuffer> | null {
  let binary: string;
  try {
    binary = atob(shape.rgba);
  } catch {
    return null;
  }
  if (binary.length !== shape.width * shape.height * 4) return null;
  const pixels = new Uint8ClampedArray(new ArrayBuffer(binary.length));
  for (let i = 0; i < binary.length; i++) pixels[i] = binary.charCodeAt(i);
  return pixels;
}

/** Where the cursor image's top-left corner goes, in CSS pixels from the
 * picture's top-left corner, and how much it is scaled: the picture is
 * `shownWidth` CSS pixels wide for `pictureWidth` screen pixels. */
export function placement(
  x: number,
  y: number,
  hotX: number,
  hotY: number,
  pictureWidth: number,
  shownWidth: number,
): { left: number; top: number; scale: number } {
  const scale = pictureWidth > 0 ? shownWidth / pictureWidth : 1;
  return { left: (x - hotX) * scale, top: (y - hotY) * scale, scale };
}
