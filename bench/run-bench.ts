import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { EngineListener } from "../automation/engine/run-engine";
import {
  bodyOf,
  eventually,
  FIXTURES,
  gitRepositoryFrom,
  kubectl,
  useTestEnvironment,
  testEnvironmentEngine,
} from "../test/integration/support/testenv";
import { median, timed } from "./stats";

/**
 * `npm run bench -- run`: what RepoRunner adds on top of doing a run by hand, on one fixture.
 * Each repetition changes the fixture's content, so both sides really build.
 *   overhead   = RepoRun deploy → READY ÷ the raw floor (docker build + containerd import + kubectl apply
 *                + rollout wait + the preview answering)
 *   cache hit  = a new run of a commit whose image exists
 *   destroy    = RepoRun destroy ÷ `kubectl delete namespace --wait`
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

export async function runBench(repetitions: number): Promise<Record<string, number>> {
  const env = useTestEnvironment();
  const engine = testEnvironmentEngine(env);
  const samples = {
    run: [] as number[],
    raw: [] as number[],
    cacheHit: [] as number[],
    destroy: [] as number[],
    rawDestroy: [] as number[],
  };
  for (let i = 0; i < repetitions; i++) {
    const tag = `${Date.now().toString(36)}${i}`;
    const { dir, repo } = fixtureRepo(i);
    const raw = await rawFloor(dir, tag, env);
    const runId = `bench${tag}`.slice(0, 12);
    const run = await timed(() => engine.deploy({ runId, repoUrl: repo.url, mode: "auto", env: {} }, quiet));
    const hitId = `hit${tag}`.slice(0, 12);
    const hit = await timed(() =>
      engine.deploy({ runId: hitId, repoUrl: repo.url, mode: "auto", env: {} }, quiet),
    );
    const destroy = await timed(() => engine.destroy(runId, quiet));
    await engine.destroy(hitId, quiet);
    execFileSync("docker", ["rmi", "-f", run.value.images.app], { stdio: "pipe" });
    samples.run.push(run.seconds);
    samples.raw.push(raw.up);
    samples.cacheHit.push(hit.seconds);
    samples.destroy.push(destroy.seconds);
    samples.rawDestroy.push(raw.down);
    console.log(
      `repetition ${i + 1}/${repetitions}: run ${run.seconds}s, raw ${raw.up}s, cache hit ${hit.seconds}s, destroy ${destroy.seconds}s, raw destroy ${raw.down}s`,
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
  };
  console.log(
    `overhead ${figures.overheadRatio} (target ≤ 1.15), cache-hit run ${figures.cacheHitRunSecondsMedian}s (target ≤ 5 s), destroy ratio ${figures.destroyRatio}`,
  );
  return figures;
}

const round = (n: number) => Math.round(n * 100) / 100;
