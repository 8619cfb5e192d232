import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { EngineListener, RunEngine } from "../automation/engine/run-engine";
import { inSpan, RUN_ID_ATTRIBUTE, traceIdOf, traceparentOf } from "../automation/tracing/spans";
import { startTracing } from "../automation/tracing/tracing";
import { type JaegerInstance, startJaeger } from "../test/support/jaeger";
import {
  bodyOf,
  eventually,
  FIXTURES,
  gitRepositoryFrom,
  kubectl,
  useTestEnvironment,
  testEnvironmentEngine,
} from "../test/integration/support/testenv";
import { countPulumiCli } from "./cli-counter";
import { median, timed } from "./stats";
import { verdict, verdictFields } from "./verdict";

/**
 * `npm run bench -- run`: what RepoRunner adds on top of doing a run by hand, on one fixture.
 * Each repetition changes the fixture's content, so both sides really build.
 *   overhead   = RepoRun deploy → READY ÷ the raw floor (docker build + containerd import + kubectl apply
 *                + rollout wait + the preview answering)
 *   cache hit  = a new run of a commit whose image exists; also with a language host per update
 *                (REPORUNNER_PROGRAM_HOSTS=0) instead of a warm program host, and the Pulumi CLI
 *                processes one run and one destroy start
 *   destroy    = RepoRun destroy ÷ `kubectl delete namespace --wait`
 *   tracing    = run → READY with tracing on (the SDK registered, every span exported over OTLP/HTTP
 *                to a local Jaeger v2) ÷ with tracing off: a pair of runs per repetition, back to back
 *                in alternating order, each on its own new content; and the CPU time this process
 *                spent on each (the SDK's own work: spans, export), which the shared machine's noise
 *                does not blur as it blurs wall time
 */
const quiet: EngineListener = { phase: () => undefined, output: () => undefined };

function fixtureRepo(repetition: number) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "reporunner-bench-"));
  fs.cpSync(path.join(FIXTURES, "repos", "hello-dockerfile"), dir, { recursive: true });
  // A new layer for every repetition (before the Dockerfile's USER): no build can come from the cache.
  const dockerfile = path.join(dir, "Dockerfile");
  const marker = `RUN echo bench-${process.pid}-${repetition}-${Date.now()} > /bench-repetition.txt`;
  fs.writeFileSync(dockerfile, fs.readFileSync(dockerfile, "utf8").replace(/^(FROM .*)$/m, `$1\n${marker}`));
  return { dir, repo: gitRepositoryFrom(dir) };
}

async function rawFloor(dir: string, tag: string, env: Record<string, string>) {
  const namespace = `bench-raw-${tag}`;
  const image = `reporunner-bench/raw:${tag}`;
  const manifest = JSON.stringify({
    apiVersion: "v1",
    kind: "List",
    items: [
      {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: "app", namespace },
        spec: {
          selector: { matchLabels: { app: "raw" } },
          template: {
            metadata: { labels: { app: "raw" } },
            spec: {
              containers: [
                { name: "app", image, imagePullPolicy: "Never", ports: [{ containerPort: 8080 }] },
              ],
            },
          },
        },
      },
      {
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: "app", namespace },
        spec: { type: "NodePort", selector: { app: "raw" }, ports: [{ port: 8080 }] },
      },
    ],
  });
  const up = await timed(async () => {
    execFileSync("docker", ["build", "-q", "-t", image, dir], { stdio: "pipe" });
    execFileSync(env.LOAD_IMAGE, [image], { stdio: "pipe" });
    kubectl(["create", "namespace", namespace]);
    kubectl(["apply", "-f", "-"], manifest);
    kubectl(["rollout", "status", "-n", namespace, "deployment/app", "--timeout=300s"]);
    const nodePort = kubectl([
      "get",
      "service",
      "-n",
      namespace,
      "app",
      "-o",
      "jsonpath={.spec.ports[0].nodePort}",
    ]);
    await eventually("the raw app to answer", () => bodyOf(`http://127.0.0.1:${nodePort}/`));
  });
  const down = await timed(async () => kubectl(["delete", "namespace", namespace, "--wait=true"]));
  execFileSync("docker", ["rmi", "-f", image], { stdio: "pipe" });
  return { up: up.seconds, down: down.seconds };
}

/**
 * One run → READY, with tracing on (the SDK registered for this run only, so the bench's other runs
 * are untraced) or off; the deploy in the run's trace as a worker runs it. The READY time does not
 * wait for the export (it goes out in the background, as in the service); the CPU time includes it
 * (measured after a flush), and the spans Jaeger has are counted.
 */
async function deployTraced(
  engine: RunEngine,
  jaeger: JaegerInstance,
  on: boolean,
  runId: string,
  repoUrl: string,
) {
  const tracing = await startTracing({
    endpoint: on ? jaeger.otlpHttpUrl : undefined,
    serviceName: "reporunner-bench",
  });
  try {
    let traceparent: string | undefined;
    const cpu = process.cpuUsage();
    const run = await timed(() =>
      inSpan(
        "run",
        { [RUN_ID_ATTRIBUTE]: runId },
        (span) => {
          traceparent = traceparentOf(span);
          return inSpan("deploy", {}, () => engine.deploy({ runId, repoUrl, mode: "auto", env: {} }, quiet));
        },
        { parent: "root" },
      ),
    );
    await tracing.flush();
    const used = process.cpuUsage(cpu);
    const cpuMs = Math.round((used.user + used.system) / 1000);
    if (!on) return { ...run, cpuMs, spans: 0 };
    const response = await fetch(`${jaeger.queryUrl}/api/traces/${traceIdOf(traceparent)}`);
    const spans = response.ok
      ? ((await response.json()) as { data: { spans: unknown[] }[] }).data[0]?.spans.length
      : 0;
    // A traced run whose spans did not reach Jaeger measured nothing: fail the bench.
    if (!spans || spans < 5) throw new Error(`the traced run left ${spans ?? 0} spans in Jaeger`);
    return { ...run, cpuMs, spans };
  } finally {
    await tracing.shutdown();
  }
}

/** The tracing pair of one repetition: off and on back to back, the order alternating. */
async function tracingPair(
  engine: RunEngine,
  jaeger: JaegerInstance,
  repetitions: number,
  i: number,
  tag: string,
) {
  const result: Record<"on" | "off", Awaited<ReturnType<typeof deployTraced>>> = {} as never;
  for (const on of i % 2 ? [true, false] : [false, true]) {
    const { repo } = fixtureRepo(repetitions * (on ? 2 : 3) + i);
    const runId = `${on ? "tron" : "troff"}${tag}`.slice(0, 12);
    const run = await deployTraced(engine, jaeger, on, runId, repo.url);
    await engine.destroy(runId, quiet);
    execFileSync("docker", ["rmi", "-f", run.value.images.app], { stdio: "pipe" });
    result[on ? "on" : "off"] = run;
  }
  return result;
}

export async function runBench(repetitions: number): Promise<Record<string, number | boolean>> {
  const env = useTestEnvironment();
  const cli = countPulumiCli();
  const engine = testEnvironmentEngine(env, { pulumiEnv: { PATH: cli.path } });
  const languageHostEngine = testEnvironmentEngine(env, { programHosts: 0 });
  const jaeger = await startJaeger();
  // As the API starts its engine: the first run finds a warm program host.
  await engine.warmUp();
  try {
    const figures = await benchRuns(repetitions, env, engine, languageHostEngine, jaeger, cli);
    const verdicts = [
      verdict(
        "overhead",
        "run → READY ÷ raw floor",
        `${figures.runSecondsMedian} s ÷ ${figures.rawFloorSecondsMedian} s = ${figures.overheadRatio}`,
        "≤ 1.30",
        figures.overheadRatio <= 1.3,
      ),
      verdict(
        "cacheHit",
        "cache-hit re-run → READY",
        `${figures.cacheHitRunSecondsMedian} s (a language host per update: ${figures.cacheHitLanguageHostSecondsMedian} s)`,
        "≤ 3.5 s",
        figures.cacheHitRunSecondsMedian <= 3.5,
      ),
      verdict(
        "destroy",
        "destroy ÷ kubectl delete namespace --wait",
        `${figures.destroySecondsMedian} s ÷ ${figures.rawDestroySecondsMedian} s = ${figures.destroyRatio}`,
        "≤ 1.10",
        figures.destroyRatio <= 1.1,
      ),
    ];
    return { ...figures, ...verdictFields(verdicts) };
  } finally {
    await jaeger.stop();
  }
}

async function benchRuns(
  repetitions: number,
  env: Record<string, string>,
  engine: ReturnType<typeof testEnvironmentEngine>,
  languageHostEngine: RunEngine,
  jaeger: JaegerInstance,
  cli: ReturnType<typeof countPulumiCli>,
) {
  let cliPerRun: string[] = [];
  let cliPerDestroy: string[] = [];
  const samples = {
    tracingOn: [] as number[],
    tracingOff: [] as number[],
    pairRatio: [] as number[],
    cpuOn: [] as number[],
    cpuOff: [] as number[],
    run: [] as number[],
    raw: [] as number[],
    cacheHit: [] as number[],
    destroy: [] as number[],
    rawDestroy: [] as number[],
    cacheHitLanguageHost: [] as number[],
  };
  for (let i = 0; i < repetitions; i++) {
    const tag = `${Date.now().toString(36)}${i}`;
    const { dir, repo } = fixtureRepo(i);
    const raw = await rawFloor(dir, tag, env);
    const runId = `bench${tag}`.slice(0, 12);
    const run = await timed(() => engine.deploy({ runId, repoUrl: repo.url, mode: "auto", env: {} }, quiet));
    const hitId = `hit${tag}`.slice(0, 12);
    cli.take();
    const hit = await timed(() =>
      engine.deploy({ runId: hitId, repoUrl: repo.url, mode: "auto", env: {} }, quiet),
    );
    cliPerRun = cli.take();
    const destroy = await timed(() => engine.destroy(runId, quiet));
    cliPerDestroy = cli.take();
    await engine.destroy(hitId, quiet);
    const slowId = `lh${tag}`.slice(0, 12);
    const slowHit = await timed(() =>
      languageHostEngine.deploy({ runId: slowId, repoUrl: repo.url, mode: "auto", env: {} }, quiet),
    );
    await languageHostEngine.destroy(slowId, quiet);
    execFileSync("docker", ["rmi", "-f", run.value.images.app], { stdio: "pipe" });
    const pair = await tracingPair(engine, jaeger, repetitions, i, tag);
    samples.tracingOn.push(pair.on.seconds);
    samples.tracingOff.push(pair.off.seconds);
    samples.pairRatio.push(pair.on.seconds / pair.off.seconds);
    samples.cpuOn.push(pair.on.cpuMs);
    samples.cpuOff.push(pair.off.cpuMs);
    samples.run.push(run.seconds);
    samples.raw.push(raw.up);
    samples.cacheHit.push(hit.seconds);
    samples.destroy.push(destroy.seconds);
    samples.rawDestroy.push(raw.down);
    samples.cacheHitLanguageHost.push(slowHit.seconds);
    console.log(
      `repetition ${i + 1}/${repetitions}: run ${run.seconds}s, tracing on ${pair.on.seconds}s (${pair.on.spans} spans, ${pair.on.cpuMs} ms CPU) / off ${pair.off.seconds}s (${pair.off.cpuMs} ms CPU), raw ${raw.up}s, cache hit ${hit.seconds}s (language host: ${slowHit.seconds}s), destroy ${destroy.seconds}s, raw destroy ${raw.down}s`,
    );
  }
  const figures = {
    repetitions,
    runSecondsMedian: median(samples.run),
    rawFloorSecondsMedian: median(samples.raw),
    overheadRatio: round(median(samples.run) / median(samples.raw)),
    cacheHitRunSecondsMedian: median(samples.cacheHit),
    destroySecondsMedian: median(samples.destroy),
    rawDestroySecondsMedian: median(samples.rawDestroy),
    destroyRatio: round(median(samples.destroy) / median(samples.rawDestroy)),
    tracingOnRunSecondsMedian: median(samples.tracingOn),
    tracingOffRunSecondsMedian: median(samples.tracingOff),
    tracingRatio: round(median(samples.tracingOn) / median(samples.tracingOff)),
    tracingPairRatioMedian: round(median(samples.pairRatio)),
    tracingOnCpuMsMedian: median(samples.cpuOn),
    tracingOffCpuMsMedian: median(samples.cpuOff),
    cacheHitLanguageHostSecondsMedian: median(samples.cacheHitLanguageHost),
    pulumiProcessesPerRun: cliPerRun.length,
    pulumiProcessesPerDestroy: cliPerDestroy.length,
  };
  console.log(
    `Pulumi CLIs one run starts: ${cliPerRun.join(", ")}; one destroy: ${cliPerDestroy.join(", ")}`,
  );
  console.log(
    `tracing on ÷ off ${figures.tracingRatio} (run → READY ${figures.tracingOnRunSecondsMedian}s ÷ ${figures.tracingOffRunSecondsMedian}s; pairs' median ${figures.tracingPairRatioMedian}; this process's CPU ${figures.tracingOnCpuMsMedian} ÷ ${figures.tracingOffCpuMsMedian} ms)`,
  );
  return figures;
}

const round = (n: number) => Math.round(n * 100) / 100;
