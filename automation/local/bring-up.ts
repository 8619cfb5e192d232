import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { loadConfig } from "../config";
import { start, type RunningServer } from "../server";
import { apiEnvironment, pulumiEnvironment, type PlatformOutputs } from "./api-environment";
import { chooseCluster, type ClusterChoice, type MachineProbe } from "./cluster-choice";
import {
  ensureHome,
  homeFiles,
  readInstance,
  readOrCreateSecret,
  writeInstance,
  type InstanceRecord,
} from "./home";
import { platformStack, upPlatform } from "./platform-stack";
import type { Progress } from "./progress";
import { ensureBuiltinCluster } from "./builtin-cluster";
import { platformConfig } from "./platform-config";
import { kindDataServices } from "./kind-data-services";
import { prepareKindHere } from "./kind-here";
import { platformTelemetry, telemetryEnvironment } from "./platform-telemetry";
import { buildDashboard, dashboardStale } from "../../dashboard/build";

export const PROJECT_DIR = path.resolve(__dirname, "..", "..");

export interface BringUpOptions {
  readonly cluster: ClusterChoice;
  readonly home: string;
  /** Port of the API (default 7380; 0: any free port). */
  readonly port: number;
  readonly progress: Progress;
  readonly probe?: MachineProbe;
}

/** What `up` leaves running: the API in this process, and where to find it. */
export interface BroughtUp {
  readonly server: RunningServer;
  readonly record: InstanceRecord;
  /** Closes what `up` holds open besides the server (kind: the forwards to Redis and MongoDB). */
  readonly release: () => Promise<void>;
}

/**
 * `npm start` / `reporunner up`: a cluster (kind, or the project's own), the `dev` platform stack
 * through the Automation API, then the Run API with its workers in this process. Every step prints
 * its progress; a failing step stops with its cause.
 */
export async function bringUp(options: BringUpOptions): Promise<BroughtUp> {
  const { home, progress } = options;
  const files = homeFiles(home);
  ensureHome(home);
  fs.mkdirSync(files.state, { recursive: true, mode: 0o700 });
  readOrCreateSecret(files.passphrase, () => randomBytes(32).toString("base64url"));
  const token = readOrCreateSecret(files.token, () => randomBytes(32).toString("base64url"));

  const choice = chooseCluster(options.cluster, options.probe);
  const provider = choice.provider;
  const kindHere = choice.provider === "kind" && choice.kind === "here";
  progress.step(
    provider === "builtin"
      ? "cluster: the built-in cluster (builtin-cluster/, built or reused from the cache)"
      : kindHere
        ? "cluster: kind, as built here (the test environment's Docker engine, a node image made here)"
        : "cluster: kind (created by the platform stack in the next step)",
  );
  // kind as built here runs on the test environment's Docker engine and Pulumi.
  const builtin =
    provider === "builtin" || kindHere ? await ensureBuiltinCluster(PROJECT_DIR, progress.detail) : undefined;
  const here = kindHere
    ? await prepareKindHere(PROJECT_DIR, builtin!.env, path.join(home, "kind.kubeconfig"), progress.detail)
    : undefined;
  // The tools the test environment built (pulumi, kubectl, its Docker engine) come first on PATH; with
  // kind as built here, kind and its docker wrapper before them, for every run's `kind load`.
  const tools: Record<string, string> = builtin
    ? {
        PATH: joinPath(here?.cliEnvironment.PATH ?? "", builtin.env.PATH ?? "", process.env.PATH ?? ""),
        DOCKER_HOST: builtin.env.DOCKER_HOST ?? "",
        DOCKER_BUILDKIT: builtin.env.DOCKER_BUILDKIT ?? "",
        PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
      }
    : {};
  const pulumiEnv = pulumiEnvironment(home, tools);
  // This process runs the Pulumi CLI (Automation API) and, later, the API's engine: both read it from
  // here. A passphrase inherited from the shell would win over this instance's passphrase file.
  delete process.env.PULUMI_CONFIG_PASSPHRASE;
  Object.assign(process.env, pulumiEnv);

  progress.step(`platform stack "dev" (Pulumi, state in ${files.state})`);
  const stack = await platformStack({ home, projectDir: PROJECT_DIR, pulumiEnv: withProcessEnv(pulumiEnv) });
  const outputs = (await upPlatform(
    stack,
    platformConfig(provider === "builtin" ? { provider, env: builtin!.env } : { provider, here }),
    progress.detail,
  )) as Record<string, unknown> &
    PlatformOutputs & { kubeconfig: string; context?: string; infraNamespace: string; jaegerUiUrl?: string };

  progress.step("Run API and workers");
  // A fresh clone has no built dashboard (dashboard/dist is not committed): build it here, once.
  if (dashboardStale()) {
    progress.detail("dashboard: building its assets (npm run build)");
    await buildDashboard();
  }
  let kubeconfigPath: string;
  let data: { mongodbUrl: string; redisUrl: string; release: () => Promise<void> };
  if (provider === "builtin") {
    kubeconfigPath = builtin!.env.KUBECONFIG!;
    // The test environment's own Redis and MongoDB-compatible FerretDB; database 1 and `reporunner`
    // are this instance's, and `down` empties them.
    data = {
      mongodbUrl:
        process.env.REPORUNNER_MONGODB_URL ?? `${builtin!.env.MONGODB_URL!.replace(/\/?$/, "/")}reporunner`,
      redisUrl: process.env.REPORUNNER_REDIS_URL ?? `${builtin!.env.REDIS_URL}/1`,
      release: async () => undefined,
    };
  } else {
    kubeconfigPath = path.join(home, "kubeconfig");
    fs.writeFileSync(kubeconfigPath, outputs.kubeconfig, { mode: 0o600 });
    data = await kindDataServices(kubeconfigPath, outputs);
  }
  // Runs are traced into the platform's collector and Jaeger when it has them.
  const telemetry = await platformTelemetry(kubeconfigPath, outputs);
  const port = options.port;
  const apiEnv = apiEnvironment({
    home,
    token,
    mongodbUrl: data.mongodbUrl,
    redisUrl: data.redisUrl,
    kubeconfigPath,
    kubeContext: provider === "builtin" ? builtin!.env.KUBE_CONTEXT : outputs.context,
    platform: outputs,
    pulumiEnv,
    port,
    telemetry: telemetryEnvironment(telemetry),
  });
  // The API and its engine read their configuration once, from this environment: nothing of it is
  // left in this process's own environment.
  const server = await start({ config: loadConfig({ ...process.env, ...apiEnv }) });

  // A restart finds what an earlier `up` started already running: it is still `up`'s.
  const earlier = readInstance(home)?.cluster;
  const record: InstanceRecord = {
    url: server.url,
    pid: process.pid,
    startedAt: new Date().toISOString(),
    cluster: {
      provider,
      createdByUp: provider === "kind" || (builtin?.startedByUp ?? false) || (earlier?.createdByUp ?? false),
      // kind as built here: the test environment `up` started for its Docker engine is `down`'s to stop.
      testEnvironmentStartedByUp:
        kindHere && ((builtin?.startedByUp ?? false) || (earlier?.testEnvironmentStartedByUp ?? false)),
      kubeconfig: kubeconfigPath,
      context: provider === "builtin" ? builtin!.env.KUBE_CONTEXT : outputs.context,
    },
    previewBaseUrl: outputs.previewBaseUrl,
    apiEnv,
  };
  writeInstance(home, record);
  return {
    server,
    record,
    release: async () => {
      await Promise.all([data.release(), telemetry.release()]);
    },
  };
}

/** PATH lists joined, each folder once, the first ones first. */
function joinPath(...lists: string[]): string {
  return [...new Set(lists.flatMap((list) => list.split(":")).filter(Boolean))].join(":");
}

/** The process's environment under `extra`: the CLI also needs HOME, PATH, proxies, … */
export function withProcessEnv(extra: Readonly<Record<string, string>>): Record<string, string> {
  const base = Object.fromEntries(
    Object.entries(process.env).filter(
      (entry): entry is [string, string] => entry[1] !== undefined && !entry[0].startsWith("PULUMI_"),
    ),
  );
  return { ...base, ...extra };
}
