import { describe, expect, it } from "vitest";
import { HEADER_BYTES, parseFrame, WireError } from "./wire";
import { percentile, StatsMeter } from "./stats";

/** A frame as media/sink.rs writes it; `null` times are NaN on the wire. */
function wire(
  keyframe: boolean,
  times: (number | null)[],
  payload: number[],
  { number = null, replayed = false }: { number?: number | null; replayed?: boolean } = {},
): ArrayBuffer {
  const buffer = new ArrayBuffer(HEADER_BYTES + payload.length);
  const view = new DataView(buffer);
  const flags =
    (keyframe ? 1 : 0) | (times[0] === null ? 0 : 2) | (replayed ? 4 : 0) | (number === null ? 0 : 8);
  view.setUint8(0, flags);
  times.forEach((t, i) => view.setFloat64(1 + 8 * i, t ?? Number.NaN));
  view.setUint32(49, number ?? 0);
  new Uint8Array(buffer, HEADER_BYTES).set(payload);
  return buffer;
}

describe("parseFrame", () => {
  it("reads a keyframe with every stage time", () => {
    const times = [
      1_764_000_000_123.25, 1_764_000_000_130.5, 1_764_000_000_131, 1_764_000_000_132.75,
      1_764_000_000_139, 1_764_000_000_140.125,
    ];
    const frame = parseFrame(wire(true, times, [0x10, 0x02, 0x00], { number: 0xfffffffe }));
    expect(HEADER_BYTES).toBe(53);
    expect(frame.keyframe).toBe(true);
    expect(frame.replayed).toBe(false);
    expect(frame.number).toBe(0xfffffffe);
    expect(frame.capturedAtMs).toBe(1_764_000_000_123.25);
    expect(frame.encodedAtMs).toBe(1_764_000_000_130.5);
    expect(frame.sentAtMs).toBe(1_764_000_000_131);
    expect(frame.firstPacketAtMs).toBe(1_764_000_000_132.75);
    expect(frame.lastPacketAtMs).toBe(1_764_000_000_139);
    expect(frame.receivedAtMs).toBe(1_764_000_000_140.125);
    expect([...frame.data]).toEqual([0x10, 0x02, 0x00]);
  });

  it("reads unknown times as null", () => {
    const frame = parseFrame(wire(false, [null, null, null, 4, 5, 6], [1], { replayed: true }));
    expect(frame.keyframe).toBe(false);
    expect(frame.replayed).toBe(true);
    expect(frame.number).toBeNull();
    expect(frame.capturedAtMs).toBeNull();
    expect(frame.encodedAtMs).toBeNull();
    expect(frame.sentAtMs).toBeNull();
    expect(frame.firstPacketAtMs).toBe(4);
    expect(frame.receivedAtMs).toBe(6);
  });

  it("refuses a frame with no payload or no hand-off time", () => {
    expect(() => parseFrame(new ArrayBuffer(HEADER_BYTES))).toThrow(WireError);
    expect(() => parseFrame(new ArrayBuffer(3))).toThrow(WireError);
    expect(() => parseFrame(wire(true, [1, 2, 3, 4, 5, null], [1]))).toThrow(WireError);
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
