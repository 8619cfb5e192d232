import { execFileSync, spawnSync } from "node:child_process";
import * as path from "node:path";
import { FIXTURES, PROJECT_DIR } from "../test/integration/support/testenv";
import { median } from "./stats";

/**
 * The command line's start-up, against plain node in the same run (the machine is shared, so only
 * ratios to a floor taken alongside mean anything):
 *   node       `node -e 0`
 *   help       `node bin/reporunner.js --help` (target ≤ 8 × node + 200 ms)
 *   translate  `node bin/reporunner.js translate <a corpus project>` (target ≤ 1 s)
 * Each is the median of `repetitions` runs, interleaved; the compiled CLI is built first, so no
 * repetition pays for the build.
 */
const TRANSLATE_PROJECT = path.join(FIXTURES, "corpus", "awesome-compose", "nextcloud-redis-mariadb");

function wallMs(args: string[]): number {
  const start = performance.now();
  const result = spawnSync(process.execPath, args, { cwd: PROJECT_DIR, stdio: "ignore" });
  const ms = performance.now() - start;
  if (result.status !== 0) throw new Error(`node ${args.join(" ")} exited ${result.status}`);
  return ms;
}

export interface CliFigures {
  readonly nodeMs: number;
  readonly helpMs: number;
  readonly translateMs: number;
}

export function cliBench(repetitions = 7): CliFigures {
  execFileSync(process.execPath, [path.join(PROJECT_DIR, "bin", "cli-build.js")], { stdio: "ignore" });
  const node: number[] = [];
  const help: number[] = [];
  const translate: number[] = [];
  for (let i = 0; i < repetitions; i++) {
    node.push(wallMs(["-e", "0"]));
    help.push(wallMs(["bin/reporunner.js", "--help"]));
    translate.push(wallMs(["bin/reporunner.js", "translate", TRANSLATE_PROJECT]));
  }
  const round = (ms: number) => Math.round(ms);
  return { nodeMs: round(median(node)), helpMs: round(median(help)), translateMs: round(median(translate)) };
}
