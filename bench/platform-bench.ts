import { randomBytes } from "node:crypto";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { pulumiEnvironment } from "../automation/local/api-environment";
import { homeFiles, readOrCreateSecret } from "../automation/local/home";
import { destroyPlatform, platformStack, upPlatform } from "../automation/local/platform-stack";
import {
  PROJECT_DIR,
  redisOnlyPlatformConfig,
  useTestEnvironment,
} from "../test/integration/support/testenv";
import { median, timed } from "./stats";
import { verdict, verdictFields } from "./verdict";

/**
 * `npm run bench -- platform [--repetitions N]`: `pulumi up` of a platform stack with nothing to
 * change, through the code `npm start` runs (automation/local/platform-stack.ts), on the built-in
 * cluster: the stand-in Redis in a namespace and a home folder of its own, created first (its time is
 * printed too) and destroyed after. Target: the no-change up ≤ 2.5 s (median of N). The ups run in
 * one process, as the program runs inline: the first of a fresh `npm start` also loads its modules.
 */
export async function platformBench(repetitions: number): Promise<Record<string, number | boolean>> {
  const env = useTestEnvironment();
  execFileSync("bash", [path.join(PROJECT_DIR, "testenv", "images", "build-standins.sh")], { stdio: "pipe" });
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "reporunner-bench-home-"));
  fs.mkdirSync(homeFiles(home).state, { recursive: true });
  readOrCreateSecret(homeFiles(home).passphrase, () => randomBytes(32).toString("base64url"));
  const pulumiEnv = pulumiEnvironment(home, {
    PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
  });
  const config = redisOnlyPlatformConfig(env, `bench-platform-${Date.now().toString(36)}`);
  const t0 = performance.now();
  const quiet = process.env.BENCH_VERBOSE
    ? (line: string) => line.trim() && console.log(((performance.now() - t0) / 1000).toFixed(2), line)
    : () => undefined;
  const stack = await platformStack({ home, projectDir: PROJECT_DIR, pulumiEnv });
  try {
    const first = await timed(() => upPlatform(stack, config, quiet));
    console.log(`platform created in ${first.seconds}s`);
    const again: number[] = [];
    for (let i = 0; i < repetitions; i++) {
      const up = await timed(() => upPlatform(stack, config, quiet));
      again.push(up.seconds);
      console.log(`no-change up ${i + 1}/${repetitions}: ${up.seconds}s`);
    }
    const noChange = median(again);
    const verdicts = [
      verdict(
        "noChangeUp",
        "no-change pulumi up of the platform stack",
        `${noChange} s`,
        "≤ 2.5 s",
        noChange <= 2.5,
      ),
    ];
    return {
      repetitions,
      createSeconds: first.seconds,
      noChangeUpSecondsMedian: noChange,
      ...verdictFields(verdicts),
    };
  } finally {
    await destroyPlatform(stack, quiet);
    fs.rmSync(home, { recursive: true, force: true });
  }
}
