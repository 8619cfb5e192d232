import type { Request } from "express";
import { describe, expect, it } from "vitest";
import { fromOwnOrigin } from "../../../automation/api/auth";
import { signInUrl } from "../../../automation/api/routes-session";
import { sessionIdFrom } from "../../../automation/api/sessions";

const request = (headers: Record<string, string>) =>
  ({ protocol: "http", headers: { host: "127.0.0.1:8080", ...headers } }) as unknown as Request;

describe("the session cookie's origin check", () => {
  it("accepts a write whose Origin is the API's own and whose fetch metadata says same-origin", () => {
    expect(fromOwnOrigin(request({ origin: "http://127.0.0.1:8080", "sec-fetch-site": "same-origin" }))).toBe(
      true,
    );
  });

  it("refuses a page on another port of the same host (a run's preview is the same site)", () => {
    expect(fromOwnOrigin(request({ origin: "http://127.0.0.1:31212", "sec-fetch-site": "same-site" }))).toBe(
      false,
    );
    expect(fromOwnOrigin(request({ origin: "http://127.0.0.1:31212" }))).toBe(false);
  });

  it("refuses a write without an Origin, or with fetch metadata from elsewhere", () => {
    expect(fromOwnOrigin(request({}))).toBe(false);
    expect(fromOwnOrigin(request({ origin: "http://127.0.0.1:8080", "sec-fetch-site": "cross-site" }))).toBe(
      false,
    );
    expect(fromOwnOrigin(request({ origin: "null" }))).toBe(false);
  });
});

describe("the session cookie", () => {
  const id = "a".repeat(43);

  it("is read from a Cookie header among others", () => {
    expect(sessionIdFrom(`theme=dark; reporunner_session=${id}; x=1`)).toBe(id);
  });

  it("is ignored when it is not one the API could have set", () => {
    expect(sessionIdFrom("reporunner_session=short")).toBeUndefined();
    expect(sessionIdFrom(`reporunner_session_other=${id}`)).toBeUndefined();
    expect(sessionIdFrom(undefined)).toBeUndefined();
  });
});

describe("the sign-in link", () => {
  it("carries the code in the fragment, which no server log or Referer sees", () => {
    const url = new URL(signInUrl("http://127.0.0.1:8080/", "c".repeat(43)));
    expect(url.pathname).toBe("/");
    expect(url.search).toBe("");
    expect(url.hash).toBe(`#/sign-in/${"c".repeat(43)}`);
  });
});
