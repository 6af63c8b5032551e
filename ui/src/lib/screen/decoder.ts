// Decodes the client's VP8 frames with WebCodecs and paints each onto a
// canvas. Decoding never happens in Rust (see docs/architecture.md): the
// app hands over the encoded bytes and the webview's decoder does the rest.
import type { StatsMeter } from "./stats";
import type { WireFrame } from "./wire";

/** More frames queued than this means the decoder is behind: start over
 * from the next keyframe rather than show an ever older picture. */
const MAX_QUEUE = 4;

export function webCodecsAvailable(): boolean {
  return typeof globalThis.VideoDecoder === "function";
}

export class ScreenDecoder {
  private decoder: VideoDecoder | null = null;
  private waitingForKeyframe = true;
  private sequence = 0;
  private capturedAt = new Map<number, number | null>();
  private readonly context: CanvasRenderingContext2D;

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly stats: StatsMeter,
    /** Asks the client for a keyframe; the caller rate-limits it. */
    private readonly needKeyframe: () => void,
  ) {
    const context = canvas.getContext("2d", { alpha: false });
    if (!context) throw new Error("this webview cannot draw on a canvas");
    this.context = context;
  }

  push(frame: WireFrame): void {
    this.stats.received(Date.now(), frame.data.byteLength, frame.keyframe);
    if (this.waitingForKeyframe && !frame.keyframe) {
      this.needKeyframe();
      return;
    }
    const decoder = this.ensureDecoder();
    if (!frame.keyframe && decoder.decodeQueueSize > MAX_QUEUE) {
      this.restart();
      return;
    }
    this.waitingForKeyframe = false;
    const timestamp = this.sequence++;
    this.capturedAt.set(timestamp, frame.capturedAtMs);
    try {
      decoder.decode(
        new EncodedVideoChunk({
          type: frame.keyframe ? "key" : "delta",
          timestamp,
          data: frame.data,
        }),
      );
    } catch {
      this.fail();
    }
  }

  close(): void {
    if (this.decoder && this.decoder.state !== "closed") this.decoder.close();
    this.decoder = null;
    this.capturedAt.clear();
  }

  private ensureDecoder(): VideoDecoder {
    if (this.decoder && this.decoder.state !== "closed") return this.decoder;
    const decoder = new VideoDecoder({
      output: (picture) => this.paint(picture),
      error: () => this.fail(),
    });
    decoder.configure({ codec: "vp8", optimizeForLatency: true });
    this.decoder = decoder;
    return decoder;
  }

  private paint(picture: VideoFrame): void {
    const captured = this.capturedAt.get(picture.timestamp) ?? null;
    this.capturedAt.delete(picture.timestamp);
    const width = picture.displayWidth;
    const height = picture.displayHeight;
    if (this.canvas.width !== width || this.canvas.height !== height) {
      this.canvas.width = width;
      this.canvas.height = height;
    }
    this.context.drawImage(picture, 0, 0, width, height);
    picture.close();
    this.stats.decoded(width, height, captured === null ? null : Date.now() - captured);
    this.canvas.dispatchEvent(new CustomEvent("painted"));
  }

  private fail(): void {
    this.stats.decodeError();
    this.restart();
  }

  /** Drops the decoder and everything queued, and waits for a keyframe. */
  private restart(): void {
    this.close();
    this.waitingForKeyframe = true;
    this.needKeyframe();
  }
}
