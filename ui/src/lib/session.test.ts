import { describe, expect, it } from "vitest";
import { catalogs } from "./i18n";
import { ALL_SCOPES, describePath, formatCountdown, noticeKey, scopeKey } from "./session";

describe("noticeKey", () => {
  it("prefers the mode's own text", () => {
    expect(noticeKey("expert", "declined")).toBe("notice.expert.declined");
    expect(noticeKey("client", "declined")).toBe("notice.client.declined");
  });
  it("falls back to the desk's error text, then a general one", () => {
    expect(noticeKey("expert", "id_unknown")).toBe("error.id_unknown");
    expect(noticeKey("expert", "no_such_code")).toBe("error.generic");
  });
  it("has Techinline's exact messages", () => {
    expect(catalogs.en[noticeKey("expert", "located")]).toBe(
      "Remote client located. Waiting for client's connection approval.",
    );
    expect(catalogs.en[noticeKey("expert", "established")]).toBe(
      "Support session has been established with the client.",
    );
    expect(catalogs.en[noticeKey("expert", "declined")]).toBe("Client has declined the connection.");
  });
  it("covers every ID outcome in both languages", () => {
    for (const code of [
      "id_empty",
      "id_invalid",
      "id_unknown",
      "id_used",
      "id_superseded",
      "id_expired",
      "client_offline",
      "timeout",
    ]) {
      const key = noticeKey("expert", code);
      expect(key).not.toBe("error.generic");
      expect(catalogs.it[key]).not.toBe(catalogs.en[key]);
    }
  });
});

describe("scopes and countdowns", () => {
  it("names every scope", () => {
    for (const scope of ALL_SCOPES) expect(catalogs.en[scopeKey(scope)]).toBeTruthy();
  });
  it("counts down in minutes and seconds", () => {
    expect(formatCountdown(300_000)).toBe("5:00");
    expect(formatCountdown(65_001)).toBe("1:06");
    expect(formatCountdown(-5)).toBe("0:00");
  });
});


describe("describePath", () => {
  it("says a direct pair is over its own protocol, a relayed one over the TURN link", () => {
    expect(describePath({ local: "host", remote: "peer_reflexive", protocol: "udp", relayProtocol: null })).toEqual({
      relayed: false,
      over: "UDP",
    });
    expect(describePath({ local: "relay", remote: "host", protocol: "udp", relayProtocol: "tls" })).toEqual({
      relayed: true,
      over: "TLS",
    });
    expect(describePath({ local: "host", remote: "relay", protocol: "udp", relayProtocol: null }).relayed).toBe(true);
  });
});
