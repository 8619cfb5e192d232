import { apiBench } from "./api-bench";
import { kindBench } from "./kind-bench";
import { platformBench } from "./platform-bench";
import { runBench } from "./run-bench";

/**
 * `npm run bench -- <name> [--repetitions N] [--runs N] [--workers N]`: prints a line per step, then the figures;
 * the last line is one JSON object of them, for scripts.
 */
interface BenchArgs {
  /** Repetitions of the `run` bench. */
  readonly repetitions: number;
  /** Runs in flight at once in the `api` bench (0: none). */
  readonly runs: number;
  /** Worker loops of the `api` bench's concurrency part (0: the API's default). */
  readonly workers: number;
}

const BENCHES: Record<string, (args: BenchArgs) => Promise<Record<string, number | boolean | number[]>>> = {
  run: ({ repetitions }) => runBench(repetitions),
  api: apiBench,
  platform: ({ repetitions }) => platformBench(repetitions),
  kind: ({ repetitions }) => kindBench(repetitions),
};

/**
 * 3 for `run`: each of its repetitions takes ~90 s (six runs, two of them destroyed against a namespace
 * deletion that takes 10 s), and `run` and `api` together stay under 10 minutes (5 took 443 s + 303 s).
 */
const DEFAULT_REPETITIONS: Record<string, number> = { run: 3 };

function integerFlag(rest: string[], flag: string, fallback: number, min = 1): number {
  const at = rest.indexOf(flag);
  const value = at >= 0 ? Number(rest[at + 1]) : fallback;
  if (!Number.isInteger(value) || value < min) throw new Error(`${flag} must be an integer ≥ ${min}`);
  return value;
}

async function main() {
  const [name = "run", ...rest] = process.argv.slice(2);
  const bench = BENCHES[name];
  if (!bench)
    throw new Error(`unknown benchmark "${name}"; choose one of: ${Object.keys(BENCHES).join(", ")}`);
  const figures = await bench({
    repetitions: integerFlag(rest, "--repetitions", DEFAULT_REPETITIONS[name] ?? 5),
    // 0: the api bench leaves out its concurrent runs.
    runs: integerFlag(rest, "--runs", 16, 0),
    workers: integerFlag(rest, "--workers", 0, 0),
  });
  console.log(JSON.stringify({ bench: name, ...figures }));
}

main().catch((error) => {
  console.error(`bench failed: ${error instanceof Error ? error.message : error}`);
  process.exit(1);
});
