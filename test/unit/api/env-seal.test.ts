import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import pino from "pino";
import type { Db } from "mongodb";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../../automation/config";
import { EnvSealError, EnvSealer, loadEnvKey } from "../../../automation/runs/env-seal";
import { RunStore } from "../../../automation/runs/store";

/** Run environment values as MongoDB keeps them: names in clear, values sealed with the instance key. */
const ENV = { API_KEY: "planted-api-key-7f3a", EMPTY: "", UNICODE: "pässwörd ✓" };
const sealer = new EnvSealer(randomBytes(32));

describe("EnvSealer", () => {
  it("keeps the names and seals every value, which opens again with the same key", () => {
    const sealed = sealer.seal("abc12345", ENV);
    expect(Object.keys(sealed)).toEqual(Object.keys(ENV));
    for (const value of Object.values(sealed)) expect(value).toMatch(/^v1:[A-Za-z0-9_-]+$/);
    expect(JSON.stringify(sealed)).not.toContain("planted");
    expect(sealer.open("abc12345", sealed)).toEqual(ENV);
  });

  it("seals the same value differently each time, and pads it so its length does not show", () => {
    const a = sealer.seal("abc12345", { K: "x" }).K;
    const b = sealer.seal("abc12345", { K: "x" }).K;
    const long = sealer.seal("abc12345", { K: "x".repeat(20) }).K;
    expect(a).not.toBe(b);
    expect(long.length).toBe(a.length);
  });

  it("refuses a value moved to another run or another name, and another instance's key", () => {
    const sealed = sealer.seal("abc12345", { API_KEY: "v4lue" });
    expect(() => sealer.open("other1234", sealed)).toThrow(EnvSealError);
    expect(() => sealer.open("abc12345", { OTHER: sealed.API_KEY })).toThrow(/OTHER cannot be read/);
    expect(() => new EnvSealer(randomBytes(32)).open("abc12345", sealed)).toThrow(/REPORUNNER_ENV_KEY/);
  });

  it("reads a value stored in plain text before values were sealed, so older runs still redeploy", () => {
    expect(sealer.open("abc12345", { OLD: "plain" })).toEqual({ OLD: "plain" });
  });

  it("digests requests with the key, so a digest cannot be checked against guesses without it", () => {
    expect(sealer.digest("x")).toBe(sealer.digest("x"));
    expect(new EnvSealer(randomBytes(32)).digest("x")).not.toBe(sealer.digest("x"));
  });
});

describe("the instance key", () => {
  it("is created on first use in a file only its user can read, and the same afterwards", () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "reporunner-key-")), "home", "env-key");
    const first = loadEnvKey({ file });
    expect(first).toHaveLength(32);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(loadEnvKey({ file }).equals(first)).toBe(true);
  });

  it("comes from REPORUNNER_ENV_KEY when set, which must be 32 bytes in base64", () => {
    const key = randomBytes(32).toString("base64");
    const config = loadConfig({ REPORUNNER_ENV_KEY: key, REPORUNNER_HOME: "/nonexistent" });
    expect(loadEnvKey(config.envKey).toString("base64")).toBe(key);
    expect(() => loadConfig({ REPORUNNER_ENV_KEY: "short" })).toThrow(ConfigError);
    expect(() => loadConfig({ REPORUNNER_ENV_KEY: "short" })).toThrow(/REPORUNNER_ENV_KEY/);
  });

  it("defaults to env-key in the RepoRunner home, or REPORUNNER_ENV_KEY_FILE", () => {
    expect(loadConfig({ REPORUNNER_HOME: "/srv/rr" }).envKey).toEqual({ file: "/srv/rr/env-key" });
    expect(loadConfig({ REPORUNNER_ENV_KEY_FILE: "/etc/rr/key" }).envKey.file).toBe("/etc/rr/key");
  });
});

describe("the run store", () => {
  const db = { collection: () => ({}) } as unknown as Db;
  const logger = pino({ level: "silent" });

  it("seals a run's environment before it is written, and opens it for the deploy", () => {
    const store = new RunStore(db, logger, undefined, undefined, sealer);
    const env = store.sealEnv("abc12345", ENV);
    expect(JSON.stringify(env)).not.toContain("planted");
    expect(store.openEnv({ _id: "abc12345", env })).toEqual(ENV);
  });

  it("refuses values without an instance key rather than storing them readable", () => {
    const store = new RunStore(db, logger);
    expect(store.sealEnv("abc12345", {})).toEqual({});
    expect(() => store.sealEnv("abc12345", ENV)).toThrow(/no env key/);
  });
});
