import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { kindClusterConfig } from "../components/cluster/kind";
import { DEFAULT_JAEGER_PORT, DEFAULT_PREVIEW_PORT, hostPortMappings } from "../components/cluster/ports";
import { prepareKindHere } from "../automation/local/kind-here";
import { PROJECT_DIR, useTestEnvironment } from "../test/integration/support/testenv";
import { median, timed } from "./stats";
import { verdict, verdictFields } from "./verdict";

/** What kind users report for `kind create cluster` with the default node image. */
const KIND_USERS_CREATE_SECONDS = 36;

/**
 * `npm run bench -- kind [--repetitions N]`: `kind create cluster` and `kind delete cluster` of the
 * cluster `npm start -- --cluster kind` makes (a control plane and a worker, 30080 and 30082 on
 * 127.0.0.1), as built here (`automation/local/kind-here.ts`), N times. Target: create within the
 * 36 s kind users report for a default cluster. Needs the test environment up and port 30080 free.
 */
export async function kindBench(repetitions: number): Promise<Record<string, number | boolean>> {
  const testEnv = useTestEnvironment();
  const kubeconfig = path.join(
    fs.mkdtempSync(path.join(os.tmpdir(), "reporunner-kind-bench-")),
    "kubeconfig",
  );
  const here = await prepareKindHere(PROJECT_DIR, testEnv, kubeconfig, () => undefined);
  const { PATH: toolPath, ...variables } = here.cliEnvironment;
  const env = { ...process.env, ...variables, PATH: `${toolPath}:${process.env.PATH}` };
  const name = "bench";
  const config = kindClusterConfig({
    clusterName: name,
    workers: 1,
    ports: hostPortMappings(DEFAULT_PREVIEW_PORT, DEFAULT_JAEGER_PORT, []),
  });
  const kind = (args: string[], input?: string) =>
    execFileSync("kind", args, { env, input, stdio: ["pipe", "ignore", "pipe"] });
  const creates: number[] = [];
  const deletes: number[] = [];
  for (let i = 0; i < repetitions; i++) {
    const create = await timed(async () =>
      kind(
        ["create", "cluster", "--name", name, "--image", here.nodeImage, "--config", "-", "--wait", "5m"],
        config,
      ),
    );
    const remove = await timed(async () => kind(["delete", "cluster", "--name", name]));
    creates.push(create.seconds);
    deletes.push(remove.seconds);
    console.log(`${i + 1}/${repetitions}: create ${create.seconds}s, delete ${remove.seconds}s`);
  }
  const create = median(creates);
  const verdicts = [
    verdict(
      "create",
      "kind create cluster (2 nodes, --wait 5m), median",
      `${create}s, ${(create / KIND_USERS_CREATE_SECONDS).toFixed(2)}× kind users' ${KIND_USERS_CREATE_SECONDS} s`,
      `≤ ${KIND_USERS_CREATE_SECONDS} s`,
      create <= KIND_USERS_CREATE_SECONDS,
    ),
  ];
  console.log(`  kind delete cluster, median: ${median(deletes)}s`);
  return { createSeconds: create, deleteSeconds: median(deletes), ...verdictFields(verdicts) };
}
