import type { DefinitionsHealthcheck } from "compose-spec-ts";
import type { Findings } from "./issues";
import type { ExecProbe } from "./kube-types";
import type { HealthcheckModel } from "./model";
import { asBoolean, asInteger, parseDurationSeconds, wholeSeconds } from "./units";

/** Docker's defaults for a healthcheck that leaves a field out. */
const DEFAULTS = { interval: 30, timeout: 30, retries: 3, startPeriod: 0, startInterval: 5 };

/**
 * Reads a compose `healthcheck`. `CMD` runs the command as given, `CMD-SHELL` (and a plain string)
 * through `/bin/sh -c`; `NONE` and `disable: true` turn the image's check off, which for Kubernetes
 * means no probe. A healthcheck that only tunes timings (no `test`) refers to the image's
 * HEALTHCHECK, which Kubernetes does not read: it is warned about and dropped.
 */
export function readHealthcheck(
  healthcheck: DefinitionsHealthcheck | undefined,
  path: string,
  findings: Findings,
): HealthcheckModel | undefined {
  if (!healthcheck || asBoolean(healthcheck.disable)) return undefined;
  const test = healthcheck.test;
  if (test === undefined) {
    findings.warn(
      path,
      "has no test: the image's own HEALTHCHECK is not visible to Kubernetes, so no probe is set",
    );
    return undefined;
  }
  const command = testCommand(test);
  if (!command) {
    if (!(Array.isArray(test) && test[0] === "NONE")) {
      findings.refuse(
        `${path}.test`,
        'must start with "CMD", "CMD-SHELL" or "NONE", or be a shell command string',
      );
    }
    return undefined;
  }
  const seconds = (field: keyof DefinitionsHealthcheck, fallback: number): number => {
    const value = healthcheck[field];
    if (value === undefined) return fallback;
    const parsed = parseDurationSeconds(value as string);
    if (parsed === undefined) {
      findings.warn(
        `${path}.${field}`,
        `"${value}" is not a duration like 10s or 1m30s; ${fallback}s is used`,
      );
      return fallback;
    }
    return parsed;
  };
  return {
    command,
    intervalSeconds: seconds("interval", DEFAULTS.interval),
    timeoutSeconds: seconds("timeout", DEFAULTS.timeout),
    retries: asInteger(healthcheck.retries) ?? DEFAULTS.retries,
    startPeriodSeconds: seconds("start_period", DEFAULTS.startPeriod),
    startIntervalSeconds: seconds("start_interval", DEFAULTS.startInterval),
  };
}

function testCommand(test: string | string[]): string[] | undefined {
  if (typeof test === "string") return ["/bin/sh", "-c", test];
  const [kind, ...rest] = test;
  if (kind === "CMD" && rest.length > 0) return rest;
  if (kind === "CMD-SHELL" && rest.length > 0) return ["/bin/sh", "-c", rest.join(" ")];
  return undefined;
}

/** The probes a healthcheck becomes. */
export interface Probes {
  readinessProbe: ExecProbe;
  livenessProbe: ExecProbe;
  startupProbe?: ExecProbe;
}

/**
 * The healthcheck as probes. Readiness gates the Service's endpoints, which is what
 * `depends_on: service_healthy` waits on; liveness restarts a container that stays unhealthy.
 * `start_period` becomes a startup probe, Kubernetes' exact counterpart: it checks every
 * `start_interval`, failures during the period do not count, and the first success hands over to
 * the other probes.
 */
export function probesFor(healthcheck: HealthcheckModel): Probes {
  const probe: ExecProbe = {
    exec: { command: healthcheck.command },
    periodSeconds: wholeSeconds(healthcheck.intervalSeconds),
    timeoutSeconds: wholeSeconds(healthcheck.timeoutSeconds),
    failureThreshold: Math.max(1, healthcheck.retries),
  };
  if (healthcheck.startPeriodSeconds <= 0) return { readinessProbe: probe, livenessProbe: { ...probe } };
  const startInterval = wholeSeconds(healthcheck.startIntervalSeconds);
  return {
    readinessProbe: probe,
    livenessProbe: { ...probe },
    startupProbe: {
      ...probe,
      periodSeconds: startInterval,
      failureThreshold:
        Math.ceil(healthcheck.startPeriodSeconds / startInterval) + Math.max(1, healthcheck.retries),
    },
  };
}
