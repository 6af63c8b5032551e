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
  private times = new Map<number, { captured: number | null; received: number }>();
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
    this.times.set(timestamp, { captured: frame.capturedAtMs, received: frame.receivedAtMs });
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
    this.times.clear();
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
    const times = this.times.get(picture.timestamp);
    this.times.delete(picture.timestamp);
    const width = picture.displayWidth;
    const height = picture.displayHeight;
    if (this.canvas.width !== width || this.canvas.height !== height) {
      this.canvas.width = width;
      this.canvas.height = height;
    }
    this.context.drawImage(picture, 0, 0, width, height);
    picture.close();
    const now = Date.now();
    this.stats.decoded(
      width,
      height,
      times?.captured == null ? null : now - times.captured,
      times ? now - times.received : null,
    );
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
