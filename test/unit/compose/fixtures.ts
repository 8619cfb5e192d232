import * as path from "node:path";
import { expect } from "vitest";
import {
  ComposeError,
  type KubeObject,
  type TranslateOptions,
  translateCompose,
} from "../../../components/run/compose";

/** The directory of a compose fixture under test/fixtures/compose. */
export function fixture(name: string): string {
  return path.join(__dirname, "../../fixtures/compose", name);
}

/** Translates a fixture with run id `abc12345` unless told otherwise. */
export function translateFixture(name: string, options: Partial<TranslateOptions> = {}) {
  return translateCompose(fixture(name), { runId: "abc12345", ...options });
}

/** The one manifest of `kind` named `name`; fails the test when there is not exactly one. */
export function manifest<T = any>(manifests: readonly KubeObject[], kind: string, name: string): T {
  const matches = manifests.filter((item) => item.kind === kind && item.metadata.name === name);
  expect(
    matches,
    `${kind}/${name} among ${manifests.map((m) => `${m.kind}/${m.metadata.name}`).join(", ")}`,
  ).toHaveLength(1);
  return matches[0] as T;
}

/** The first container of a Deployment's or Job's pod template. */
export function container(manifests: readonly KubeObject[], kind: "Deployment" | "Job", name: string): any {
  return manifest(manifests, kind, name).spec.template.spec.containers[0];
}

/** Runs `translate` and returns the ComposeError it throws; fails when it does not throw one. */
export function composeError(translate: () => unknown): ComposeError {
  try {
    translate();
  } catch (error) {
    if (error instanceof ComposeError) return error;
    throw error;
  }
  throw new Error("expected a ComposeError");
}

/** The message of the problem at `path`; fails when no problem names that path. */
export function problemAt(error: ComposeError, path: string): string {
  const problem = error.problems.find((candidate) => candidate.path === path);
  expect(problem, `a problem at ${path} among ${error.problems.map((p) => p.path).join(", ")}`).toBeDefined();
  return problem!.message;
}

/** The message of the warning at `path`; fails when no warning names that path. */
export function warningAt(warnings: readonly { path: string; message: string }[], path: string): string {
  const warning = warnings.find((candidate) => candidate.path === path);
  expect(warning, `a warning at ${path} among ${warnings.map((w) => w.path).join(", ")}`).toBeDefined();
  return warning!.message;
}
