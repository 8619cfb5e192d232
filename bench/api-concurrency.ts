import * as fs from "node:fs";
import * as os from "node:os";
import { type BenchApi, enteredAt, waitFor } from "./api-harness";
import { sampleTreeRss, treeRss } from "./process-rss";
import { median } from "./stats";
import { type Verdict, verdict } from "./verdict";

/**
 * The concurrency part of `npm run bench -- api`: `runs` runs of one commit at once on an API with
 * `loops` worker loops and the real engine on the test cluster, all to READY.
 *   warm-up   one run alone (the first of this commit: builds its image), then `loops` runs at once,
 *             so that every program host (one per loop) has loaded the program, as on an API that has
 *             served a while; neither is counted
 *   alone     three runs one after another; their median is "one run alone" (one run's time swings by
 *             ±0.5 s on a shared machine, and the ratio below divides by it)
 *   at once   the wall time from the first POST to the last READY ÷ (runs × one run alone): the ratio
 *             (target ≤ 0.5). The machine's CPU time during it (/proc/stat) ÷ runs is the CPU one run
 *             costs; with all cores busy the ratio can be no lower than that ÷ cores ÷ one run alone.
 *   memory    this process (the API) and its descendants (pulumi CLIs, program hosts, providers, git;
 *             Redis and FerretDB left out) every second: peak less before, ÷ the runs in flight at
 *             once (at most `loops`). Taken on the PSS sum (see process-rss.ts), the RSS sum printed
 *             beside it. Image builds happen in dockerd, which is not counted.
 */
export async function concurrency(api: BenchApi, repoUrl: string, runs: number, loops: number) {
  const ids: string[] = [];
  const deploy = async () => {
    const created = await api.call("POST", "/runs", { repoUrl, ref: "main" });
    if (created.status !== 202) throw new Error(`POST /runs answered ${created.status}`);
    ids.push(created.body.id);
    const run = await waitFor(api, created.body.id, "READY", 900_000);
    return { run, ms: enteredAt(run, "READY") - Date.parse(run.createdAt) };
  };
  const atOnce = (count: number) => Promise.all(Array.from({ length: count }, deploy));
  try {
    const warm = await deploy();
    console.log(`warm-up run (the first of this commit: builds its image): READY in ${seconds(warm.ms)} s`);
    await atOnce(loops);
    const alone: number[] = [];
    for (let i = 0; i < 3; i++) alone.push((await deploy()).ms);
    const single = median(alone);
    console.log(
      `one run alone (image cached, program hosts warm): ${alone.map(seconds).join(", ")} s → median ${seconds(single)} s`,
    );

    const before = treeRss();
    const cpuBefore = machineCpuSeconds();
    const stopSampling = sampleTreeRss();
    const batch = await atOnce(runs);
    const peak = stopSampling();
    const cpuSeconds = machineCpuSeconds() - cpuBefore;
    const first = Math.min(...batch.map((b) => Date.parse(b.run.createdAt)));
    const last = Math.max(...batch.map((b) => enteredAt(b.run, "READY")));
    const totalMs = last - first;
    const ratio = round(totalMs / (runs * single));
    const cpuPerRun = round(cpuSeconds / runs);
    const cores = os.cpus().length;
    const ratioFloor = round((cpuPerRun / cores) * (1000 / single));
    console.log(
      `${runs} runs at once on ${loops} worker loops: all READY in ${seconds(totalMs)} s; slowest ${seconds(Math.max(...batch.map((b) => b.ms)))} s`,
    );
    console.log(
      `CPU during them: ${round(cpuSeconds)} s of ${round((cores * totalMs) / 1000)} s on ${cores} cores (${Math.round((100 * cpuSeconds * 1000) / (cores * totalMs))}% busy) → ${cpuPerRun} s per run; the ratio's floor with every core busy: ${ratioFloor}`,
    );
    const inFlight = Math.min(runs, loops);
    const perRunPss = Math.round((peak.peakPssMiB - before.pssMib) / inFlight);
    const perRunRss = Math.round((peak.peakMiB - before.mib) / inFlight);
    console.log(
      `memory: PSS ${before.pssMib} MiB before, peak ${peak.peakPssMiB} MiB; RSS sum ${before.mib} MiB before, peak ${peak.peakMiB} MiB; ${peak.peakDescendants} child processes at most; ${inFlight} runs in flight`,
    );
    const verdicts: Verdict[] = [
      verdict(
        "concurrency",
        `${runs} runs at once ÷ (${runs} × one run alone)`,
        `${seconds(totalMs)} s ÷ (${runs} × ${seconds(single)} s) = ${ratio}`,
        "≤ 0.5",
        ratio <= 0.5,
      ),
      verdict(
        "rssPerRun",
        "memory per run in flight (PSS)",
        `${perRunPss} MiB (RSS sum: ${perRunRss} MiB)`,
        "≤ 250 MiB",
        perRunPss <= 250,
      ),
    ];
    return {
      figures: {
        workers: loops,
        warmUpRunSeconds: seconds(warm.ms),
        singleRunSeconds: seconds(single),
        singleRunsSeconds: alone.map(seconds),
        concurrentTotalSeconds: seconds(totalMs),
        concurrencyRatio: ratio,
        cpuSecondsPerRun: cpuPerRun,
        concurrencyRatioFloor: ratioFloor,
        pssBeforeRunsMiB: before.pssMib,
        pssPeakInFlightMiB: peak.peakPssMiB,
        pssPerRunInFlightMiB: perRunPss,
        rssBeforeRunsMiB: before.mib,
        rssPeakInFlightMiB: peak.peakMiB,
        rssPerRunInFlightMiB: perRunRss,
        peakChildProcesses: peak.peakDescendants,
      },
      verdicts,
    };
  } finally {
    // Whatever happened, leave nothing in the shared cluster.
    const destroy = Date.now();
    await Promise.all(ids.map((id) => api.call("DELETE", `/runs/${id}`)));
    const results = await Promise.allSettled(ids.map((id) => waitFor(api, id, "DESTROYED", 900_000)));
    const failed = results.filter((r) => r.status === "rejected");
    console.log(
      `DELETE ${ids.length} runs: ${ids.length - failed.length} DESTROYED in ${seconds(Date.now() - destroy)} s`,
    );
    for (const f of failed) console.log(`  ${(f as PromiseRejectedResult).reason}`);
  }
}

const round = (n: number) => Math.round(n * 100) / 100;
const seconds = (ms: number) => Math.round(ms) / 1000;

/** CPU time the whole machine has spent busy since boot (every core, every process), in seconds. */
function machineCpuSeconds(): number {
  const cpu = fs.readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal: busy is all but idle and iowait.
  const busy = cpu.slice(0, 8).reduce((sum, v, i) => (i === 3 || i === 4 ? sum : sum + v), 0);
  return busy / CLOCK_TICKS;
}

/** USER_HZ: /proc/stat counts in it; 100 on every Linux build Node runs on. */
const CLOCK_TICKS = 100;
