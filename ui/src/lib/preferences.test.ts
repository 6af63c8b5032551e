import { describe, expect, it } from "vitest";
import { formOf } from "./preferences";

describe("the Settings form", () => {
  it("starts from what is stored, as text, without the password", () => {
    const form = formOf({
      signalingUrl: null,
      proxyHost: "proxy.corp",
      proxyPort: 8080,
      proxyUser: "anna",
      proxyPasswordSet: true,
      proxyDomain: "CORP",
      downloadDir: null,
      sharedDir: "/home/anna/Shared",
      defaultQuality: "best",
    });
    expect(form).toEqual({
      signalingUrl: "",
      proxyHost: "proxy.corp",
      proxyPort: "8080",
      proxyUser: "anna",
      proxyPassword: null,
      proxyDomain: "CORP",
      downloadDir: "",
      sharedDir: "/home/anna/Shared",
      defaultQuality: "best",
    });
  });

  it("an unset port is an empty field", () => {
    const form = formOf({
      signalingUrl: "wss://desk.example/ws",
      proxyHost: "",
      proxyPort: null,
      proxyUser: "",
      proxyPasswordSet: false,
      proxyDomain: "",
      downloadDir: "/srv/in",
      sharedDir: null,
      defaultQuality: "balanced",
    });
    expect(form.proxyPort).toBe("");
    expect(form.signalingUrl).toBe("wss://desk.example/ws");
    expect(form.downloadDir).toBe("/srv/in");
    expect(form.sharedDir).toBe("");
  });
});
