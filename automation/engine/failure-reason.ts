import { REPO_RUN_TYPE } from "../../components/run/repo-run-type";
import type { EngineFailure } from "./run-engine";

type FailureKind = EngineFailure["kind"];

/** How many lines of a build's output a failure keeps: enough to see the error, never the whole log. */
const BUILD_TAIL_LINES = 12;

/** Errors the Kubernetes provider reports while it waits, in the words a user acts on. */
const KUBERNETES_CAUSES: [RegExp, FailureKind, (match: RegExpMatchArray) => string][] = [
  [
    /exceeded quota: ([\w-]+)[^\n]*?(requested: [^\n,]+(?:, used: [^\n,]+)?(?:, limited: [^\n]+)?)/i,
    "quota",
    (m) => `the run asks for more than its quota (${m[2]})`,
  ],
  [
    /forbidden: [^\n]*?(maximum [^\n]+ per Container is [^\n.]+)/i,
    "quota",
    (m) => `a container asks for more than a run allows: ${m[1]}`,
  ],
  [/CrashLoopBackOff[^\n]*/i, "deploy", (m) => `a container keeps crashing (${m[0].trim()})`],
  [
    /(ErrImageNeverPull|ImagePullBackOff|ErrImagePull)[^\n]*/i,
    "deploy",
    (m) => `an image was not found (${m[0].trim()})`,
  ],
  [/violates PodSecurity[^\n]*/i, "deploy", (m) => `Pod Security refused a pod: ${m[0].trim()}`],
];

/**
 * Turns what the engine reported (its error diagnostics, in order) into one reason in plain words,
 * and the kind of failure. A failed image build keeps the build's last lines; nothing else of the
 * engine's raw output is passed on.
 */
export function failureReason(diagnostics: readonly string[]): { reason: string; kind: FailureKind } {
  const text = diagnostics.join("\n");
  const build =
    /image-([a-z0-9-]+)[^\n]*\n?([\s\S]*?(?:docker build|Step \d+\/\d+|returned a non-zero code|failed to solve)[\s\S]*)/i.exec(
      text,
    );
  if (build) {
    const tail = build[2]
      .split("\n")
      .map((line) => line.trimEnd())
      .filter((line) => line.trim() && !/^\s*(error: )?running "/i.test(line))
      .slice(-BUILD_TAIL_LINES)
      .join("\n");
    return { kind: "build", reason: `the image of service "${build[1]}" did not build:\n${tail}` };
  }
  for (const [pattern, kind, describe] of KUBERNETES_CAUSES) {
    const match = text.match(pattern);
    if (match) return { kind, reason: describe(match) };
  }
  const first = diagnostics.map((d) => d.trim()).find(Boolean);
  const command = first && commandFailure(first);
  if (command) return { kind: "deploy", reason: command };
  return {
    kind: "deploy",
    reason: first ? `the deployment failed: ${firstLine(first)}` : "the deployment failed",
  };
}

/**
 * A Command's failure, as the command provider words it: `exit status N: running "<script>":` and
 * then what the command printed. The script is the run's own plumbing; what it printed (a Docker
 * daemon's refusal, a tool's error) is the cause a user can act on. Undefined for anything else, or
 * when the command printed nothing.
 */
function commandFailure(diagnostic: string): string | undefined {
  const [head = "", ...rest] = diagnostic.split("\n");
  const status = /^(?:error: )?(exit status \d+): running "/.exec(head.trim());
  if (!status) return undefined;
  const printed = rest
    .map((line) => line.trimEnd())
    .filter((line) => line.trim() && !/^\s*(error: )?running "/i.test(line))
    .slice(-BUILD_TAIL_LINES);
  if (printed.length === 0) return undefined;
  return `a command of the run failed (${status[1]}):\n${printed.join("\n")}`;
}

function firstLine(text: string): string {
  // "ResourceError: …" is the engine's class name, not part of the cause.
  const line = (text.split("\n").find((l) => l.trim()) ?? text).replace(/^\s*(\w*Error: )+/, "");
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}

/** Lines of a repository's refusal kept in a reason: every problem of a long list is not needed. */
const REFUSAL_LINES = 30;

/**
 * The reason a run's own component gave when it would not deploy the repository (a refused or
 * invalid compose file, nothing to run), from an error diagnostic about that component; undefined
 * for any other diagnostic. The whole message is kept, since its lines name each refused key with
 * what to change, or the line and column of a YAML error; class names and stack frames, which an
 * older program or an unexpected error may add, are not.
 */
export function repositoryReason(diagnostic: {
  readonly message: string;
  readonly urn?: string;
}): string | undefined {
  if (!diagnostic.urn?.includes(`::${REPO_RUN_TYPE}::`)) return undefined;
  const lines = diagnostic.message
    .replace(/^\s*(\w*Error: )+/, "")
    .split("\n")
    .map((line) => line.trimEnd())
    .filter((line) => line.trim() && !/^\s+at .+/.test(line));
  const kept = lines.slice(0, REFUSAL_LINES);
  if (lines.length > kept.length) kept.push(`  … and ${lines.length - kept.length} more lines`);
  return kept.join("\n") || undefined;
}
