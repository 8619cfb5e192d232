import { runBench } from "./run-bench";

/**
 * `npm run bench -- <name> [--repetitions N]`: prints a line per repetition, then the figures; the
 * last line is one JSON object of them, for scripts.
 */
const BENCHES: Record<string, (repetitions: number) => Promise<Record<string, number>>> = { run: runBench };

async function main() {
  const [name = "run", ...rest] = process.argv.slice(2);
  const bench = BENCHES[name];
  if (!bench)
    throw new Error(`unknown benchmark "${name}"; choose one of: ${Object.keys(BENCHES).join(", ")}`);
  const flag = rest.indexOf("--repetitions");
  const repetitions = flag >= 0 ? Number(rest[flag + 1]) : 5;
  if (!Number.isInteger(repetitions) || repetitions < 1)
    throw new Error("--repetitions must be a positive integer");
  const figures = await bench(repetitions);
  console.log(JSON.stringify({ bench: name, ...figures }));
}

main().catch((error) => {
  console.error(`bench failed: ${error instanceof Error ? error.message : error}`);
  process.exit(1);
});
