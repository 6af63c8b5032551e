import { describe, expect, it } from "vitest";
import { ARM_DELAY_MS, ConsentGate } from "./consentGate";

describe("consent gate", () => {
  it("keeps a newly shown request's buttons disabled for a moment", () => {
    const gate = new ConsentGate();
    expect(gate.show("s1", 10_000)).toBe(ARM_DELAY_MS);
    expect(gate.armsInMs(10_400)).toBe(600);
    expect(gate.armsInMs(10_000 + ARM_DELAY_MS)).toBe(0);
  });

  it("does not restart for updates of the same request", () => {
    const gate = new ConsentGate();
    gate.show("s1", 10_000);
    expect(gate.show("s1", 10_700)).toBe(300);
    expect(gate.show("s1", 12_000)).toBe(0);
  });

  it("starts again when another request takes its place", () => {
    const gate = new ConsentGate();
    gate.show("s1", 10_000);
    expect(gate.show("s1", 15_000)).toBe(0);
    expect(gate.show("s2", 15_000)).toBe(ARM_DELAY_MS);
  });

  it("starts again when a request is shown after the dialog closed", () => {
    const gate = new ConsentGate();
    gate.show("s1", 10_000);
    expect(gate.show(null, 15_000)).toBe(0);
    expect(gate.show("s2", 15_100)).toBe(ARM_DELAY_MS);
  });
});
