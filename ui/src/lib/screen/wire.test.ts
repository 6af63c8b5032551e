import { describe, expect, it } from "vitest";
import { HEADER_BYTES, parseFrame, WireError } from "./wire";
import { percentile, StatsMeter } from "./stats";

function wire(flags: number, captured: bigint, received: bigint, payload: number[]): ArrayBuffer {
  const buffer = new ArrayBuffer(HEADER_BYTES + payload.length);
  const view = new DataView(buffer);
  view.setUint8(0, flags);
  view.setBigUint64(1, captured);
  view.setBigUint64(9, received);
  new Uint8Array(buffer, HEADER_BYTES).set(payload);
  return buffer;
}

describe("parseFrame", () => {
  it("reads a keyframe with its capture time", () => {
    const frame = parseFrame(wire(0b11, 1_764_000_000_123n, 1_764_000_000_140n, [0x10, 0x02, 0x00]));
    expect(frame.keyframe).toBe(true);
    expect(frame.capturedAtMs).toBe(1_764_000_000_123);
    expect(frame.receivedAtMs).toBe(1_764_000_000_140);
    expect([...frame.data]).toEqual([0x10, 0x02, 0x00]);
  });

  it("reads a delta frame without a capture time", () => {
    const frame = parseFrame(wire(0, 99n, 5n, [1]));
    expect(frame.keyframe).toBe(false);
    expect(frame.capturedAtMs).toBeNull();
    expect(frame.receivedAtMs).toBe(5);
  });

  it("refuses a frame with no payload", () => {
    expect(() => parseFrame(new ArrayBuffer(HEADER_BYTES))).toThrow(WireError);
    expect(() => parseFrame(new ArrayBuffer(3))).toThrow(WireError);
  });
});

describe("StatsMeter", () => {
  it("counts frames and bits over the last two seconds", () => {
    const meter = new StatsMeter();
    meter.received(0, 1000, true);
    for (let t = 1000; t <= 3000; t += 100) meter.received(t, 500, false);
    const stats = meter.snapshot(3000);
    expect(stats.fps).toBe(10.5); // 21 frames in the window
    expect(stats.kbps).toBe(42); // 21 × 500 B × 8 / 2000 ms
    expect(stats.frames).toBe(22);
    expect(stats.keyframes).toBe(1);
  });

  it("reports latency percentiles and ignores frames without a capture time", () => {
    const meter = new StatsMeter();
    for (let ms = 1; ms <= 100; ms++) meter.decoded(1920, 1080, ms);
    meter.decoded(1920, 1080, null);
    const stats = meter.snapshot(0);
    expect(stats.latencyP50).toBe(50);
    expect(stats.latencyP95).toBe(95);
    expect([stats.width, stats.height]).toEqual([1920, 1080]);
  });

  it("has no percentile without samples", () => {
    expect(percentile([], 50)).toBeNull();
    expect(new StatsMeter().snapshot(0).latencyP50).toBeNull();
  });
});
