import { describe, expect, it } from "vitest";
import {
  localUrlWrites,
  planListeners,
  wantedPreviews,
  type WantedPreview,
} from "../../../automation/previews/preview-plan";
import type { ReadyPreviewRun } from "../../../automation/runs/store";

const run = (id: string, targets: ReadyPreviewRun["previewTargets"], extra: Partial<ReadyPreviewRun> = {}) =>
  ({
    _id: id,
    namespace: `run-${id}`,
    previewTargets: targets,
    localUrls: {},
    createdAt: new Date(0),
    version: 3,
    ...extra,
  }) as ReadyPreviewRun;

const older = run("aaaaaaaa", {
  web: { service: "web", port: 3000 },
  "web:8443": { service: "web", port: 8443 },
});
const newer = run("bbbbbbbb", { app: { service: "app", port: 3000 } });

const openOf = (previews: readonly WantedPreview[]) => new Map(previews.map((p) => [p.key, p]));

describe("wantedPreviews", () => {
  it("lists every target of every run, in the runs' order, with the namespace of the run", () => {
    expect(wantedPreviews([older, newer])).toEqual([
      {
        key: "aaaaaaaa/web",
        runId: "aaaaaaaa",
        name: "web",
        namespace: "run-aaaaaaaa",
        service: "web",
        port: 3000,
        localPort: 3000,
      },
      {
        key: "aaaaaaaa/web:8443",
        runId: "aaaaaaaa",
        name: "web:8443",
        namespace: "run-aaaaaaaa",
        service: "web",
        port: 8443,
        localPort: 8443,
      },
      {
        key: "bbbbbbbb/app",
        runId: "bbbbbbbb",
        name: "app",
        namespace: "run-bbbbbbbb",
        service: "app",
        port: 3000,
        localPort: 3000,
      },
    ]);
  });

  it("asks for the port compose publishes on localhost, and forwards to the Service's own", () => {
    const published = run("cccccccc", { web: { service: "web-preview", port: 80, localPort: 8088 } });
    expect(wantedPreviews([published])).toMatchObject([
      { service: "web-preview", port: 80, localPort: 8088 },
    ]);
  });

  it("wants nothing of a run without targets (a record from an engine that did not report them)", () => {
    expect(wantedPreviews([run("cccccccc", undefined), run("dddddddd", {})])).toEqual([]);
  });
});

describe("planListeners", () => {
  const all = wantedPreviews([older, newer]);

  it("opens every preview when nothing is open, in order (the older run first)", () => {
    expect(planListeners(all, new Map())).toEqual({ close: [], open: all });
  });

  it("keeps what is open and wanted, opens only what is new", () => {
    const plan = planListeners(all, openOf(all.slice(0, 2)));
    expect(plan).toEqual({ close: [], open: [all[2]] });
  });

  it("closes the listeners of a run that is no longer READY", () => {
    const plan = planListeners(wantedPreviews([newer]), openOf(all));
    expect(plan).toEqual({ close: ["aaaaaaaa/web", "aaaaaaaa/web:8443"], open: [] });
  });

  it("reopens a preview whose Service or port changed with a redeploy", () => {
    const redeployed = wantedPreviews([run("bbbbbbbb", { app: { service: "app", port: 4000 } })]);
    expect(planListeners(redeployed, openOf(all.slice(2)))).toEqual({
      close: ["bbbbbbbb/app"],
      open: redeployed,
    });
  });

  it("reopens a preview whose published port changed with a redeploy, on the new one", () => {
    const republished = wantedPreviews([
      run("bbbbbbbb", { app: { service: "app", port: 3000, localPort: 8088 } }),
    ]);
    expect(planListeners(republished, openOf(all.slice(2)))).toEqual({
      close: ["bbbbbbbb/app"],
      open: republished,
    });
  });
});

describe("localUrlWrites", () => {
  it("gives a TCP preview (a database, a broker) a tcp:// URL", () => {
    const db = run("cccccccc", {
      db: { service: "db-preview", port: 5432, protocol: "tcp" },
      web: { service: "web-preview", port: 3000, protocol: "http" },
    });
    const at = new Map([
      ["cccccccc/db", 5432],
      ["cccccccc/web", 3001],
    ]);
    expect(localUrlWrites([db], at)[0]!.localUrls).toEqual({
      db: "tcp://localhost:5432",
      web: "http://localhost:3001",
    });
  });

  const ports = new Map([
    ["aaaaaaaa/web", 3000],
    ["aaaaaaaa/web:8443", 8443],
    ["bbbbbbbb/app", 41234],
  ]);

  it("writes each run's URLs, keyed like its previews, with the version it read", () => {
    expect(localUrlWrites([older, newer], ports)).toEqual([
      {
        runId: "aaaaaaaa",
        version: 3,
        localUrls: { web: "http://localhost:3000", "web:8443": "http://localhost:8443" },
      },
      { runId: "bbbbbbbb", version: 3, localUrls: { app: "http://localhost:41234" } },
    ]);
  });

  it("writes nothing for a run whose stored URLs are already right", () => {
    const current = run("bbbbbbbb", newer.previewTargets, { localUrls: { app: "http://localhost:41234" } });
    expect(localUrlWrites([current], ports)).toEqual([]);
  });

  it("leaves out a preview that is not listening (its port could not be opened)", () => {
    expect(localUrlWrites([older], new Map([["aaaaaaaa/web", 3000]]))).toEqual([
      { runId: "aaaaaaaa", version: 3, localUrls: { web: "http://localhost:3000" } },
    ]);
  });

  it("empties stored URLs that no longer listen", () => {
    const stale = run("bbbbbbbb", newer.previewTargets, { localUrls: { app: "http://localhost:3000" } });
    expect(localUrlWrites([stale], new Map())).toEqual([{ runId: "bbbbbbbb", version: 3, localUrls: {} }]);
  });
});
