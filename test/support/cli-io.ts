/**
 * Runs the `reporunner` command line in-process with its output captured: what a user would see on
 * stdout and stderr, and the exit code.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../../automation/cli/main";
import type { CliIO } from "../../automation/cli/io";

/** One finished command. */
export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** stderr split into lines, without the empty last one. */
  readonly errLines: string[];
}

export interface CliOptions {
  /**
   * The environment the CLI reads (REPORUNNER_URL, REPORUNNER_TOKEN, REPORUNNER_HOME, ...); without
   * REPORUNNER_HOME, a new empty home, so no test reads the user's own ~/.reporunner.
   */
  readonly env?: NodeJS.ProcessEnv;
  readonly interactive?: boolean;
  /** Called with each stderr write; `interrupt()` acts as Ctrl-C. */
  readonly onStderr?: (text: string, interrupt: () => void) => void;
}

/** `reporunner <args...>`. */
export async function reporunner(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  let stdout = "";
  let stderr = "";
  const handlers = new Set<() => void>();
  const interrupt = () => {
    for (const handler of [...handlers]) handler();
  };
  const io: CliIO = {
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
      options.onStderr?.(text, interrupt);
    },
    interactive: options.interactive ?? false,
    columns: 80,
    env: { REPORUNNER_HOME: mkdtempSync(join(tmpdir(), "reporunner-home-")), ...options.env },
    onInterrupt: (handler) => {
      handlers.add(handler);
      return () => handlers.delete(handler);
    },
  };
  const code = await main(["node", "reporunner", ...args], io);
  return {
    code,
    stdout,
    stderr,
    errLines: stderr.split("\n").filter((line, i, all) => i < all.length - 1 || line),
  };
}
