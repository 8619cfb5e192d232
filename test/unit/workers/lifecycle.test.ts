/**
 * The lifecycle's table, stated move by move: a change to the table must change this list, and
 * every move it does not list is refused with an error naming the state and the event.
 */
import { describe, expect, it } from "vitest";
import {
  IllegalTransition,
  LIFECYCLE,
  nextState,
  RUN_EVENTS,
  sourcesOf,
  type RunEvent,
} from "../../../automation/runs/lifecycle";
import { canTransition, RUN_STATES, type RunState } from "../../../automation/runs/states";

/** Every legal move, as `FROM event TO`. */
const MOVES = `
  READY redeploy QUEUED
  FAILED redeploy QUEUED
  CANCELLED redeploy QUEUED
  QUEUED owner-cancelled CANCELLED
  QUEUED owner-deleted DESTROYING
  READY owner-deleted DESTROYING
  FAILED owner-deleted DESTROYING
  CANCELLED owner-deleted DESTROYING
  QUEUED ttl-elapsed DESTROYING
  READY ttl-elapsed DESTROYING
  FAILED ttl-elapsed DESTROYING
  CANCELLED ttl-elapsed DESTROYING
  QUEUED taken CLONING
  CLONING resumed CLONING
  BUILDING resumed CLONING
  DEPLOYING resumed CLONING
  DESTROYING resumed DESTROYING
  CLONING given-up FAILED
  BUILDING given-up FAILED
  DEPLOYING given-up FAILED
  DESTROYING given-up FAILED
  CLONING building BUILDING
  CLONING deploying DEPLOYING
  BUILDING deploying DEPLOYING
  DEPLOYING deploy-succeeded READY
  CLONING deploy-failed FAILED
  BUILDING deploy-failed FAILED
  DEPLOYING deploy-failed FAILED
  CLONING deploy-cancelled CANCELLED
  BUILDING deploy-cancelled CANCELLED
  DEPLOYING deploy-cancelled CANCELLED
  CLONING deploy-deleted DESTROYING
  BUILDING deploy-deleted DESTROYING
  DEPLOYING deploy-deleted DESTROYING
  READY deploy-deleted DESTROYING
  DESTROYING destroy-succeeded DESTROYED
  DESTROYING destroy-expired EXPIRED
  DESTROYING destroy-failed FAILED
`
  .trim()
  .split("\n")
  .map((line) => line.trim().split(" ") as [RunState, RunEvent, RunState]);

const legal = new Map(MOVES.map(([from, event, to]) => [`${from} ${event}`, to]));

/** Applies events in turn from `from`. */
const walk = (from: RunState, events: RunEvent[]) => events.reduce(nextState, from);

describe("the run lifecycle", () => {
  it("has exactly the listed moves", () => {
    for (const event of RUN_EVENTS)
      for (const from of RUN_STATES) {
        const to = legal.get(`${from} ${event}`);
        if (to) expect(nextState(from, event), `${from} ${event}`).toBe(to);
        else expect(() => nextState(from, event), `${from} ${event}`).toThrow(IllegalTransition);
      }
  });

  it("walks a run to READY, to FAILED, and destroyed from either", () => {
    expect(walk("QUEUED", ["taken", "building", "deploying", "deploy-succeeded"])).toBe("READY");
    expect(walk("READY", ["owner-deleted", "destroy-succeeded"])).toBe("DESTROYED");
    expect(walk("QUEUED", ["taken", "deploy-failed", "owner-deleted", "destroy-succeeded"])).toBe(
      "DESTROYED",
    );
    expect(walk("READY", ["ttl-elapsed", "destroy-expired"])).toBe("EXPIRED");
    expect(walk("QUEUED", ["taken", "building", "deploy-cancelled", "redeploy"])).toBe("QUEUED");
  });

  it("refuses an illegal move with a message naming the state, the event and where it may happen", () => {
    expect(() => nextState("QUEUED", "deploy-succeeded")).toThrow(
      'a run in state QUEUED cannot take the event "deploy-succeeded" (only from DEPLOYING)',
    );
    expect(() => nextState("READY", "building")).toThrow(/READY.*"building".*only from CLONING/);
  });

  it("lets nothing happen to a DESTROYED or EXPIRED run", () => {
    for (const event of RUN_EVENTS) {
      expect(() => nextState("DESTROYED", event)).toThrow(IllegalTransition);
      expect(() => nextState("EXPIRED", event)).toThrow(IllegalTransition);
    }
  });

  it("is the store's guard: a status change is legal exactly when an event makes it", () => {
    for (const from of RUN_STATES)
      for (const to of RUN_STATES)
        expect(canTransition(from, to), `${from} -> ${to}`).toBe(
          MOVES.some(([f, , t]) => f === from && t === to),
        );
  });

  it("says from which states an event leads to a state", () => {
    expect(sourcesOf("resumed", "CLONING")).toEqual(["CLONING", "BUILDING", "DEPLOYING"]);
    expect(sourcesOf("resumed", "DESTROYING")).toEqual(["DESTROYING"]);
    expect(sourcesOf("deploy-deleted", "DESTROYING")).toEqual(["CLONING", "BUILDING", "DEPLOYING", "READY"]);
  });

  it("releases the run on every event that settles it, and clears previews once the stack is gone", () => {
    for (const event of ["deploy-succeeded", "deploy-failed", "deploy-cancelled", "destroy-failed"] as const)
      expect(LIFECYCLE[event].stores).toMatchObject({ holder: null, heartbeatAt: null });
    for (const event of ["destroy-succeeded", "destroy-expired"] as const)
      expect(LIFECYCLE[event].stores).toMatchObject({ holder: null, previewUrls: {}, localUrls: {} });
    expect(LIFECYCLE["destroy-expired"]).toMatchObject({
      reason: "ttl elapsed",
      stores: { reason: "ttl elapsed" },
    });
  });
});
