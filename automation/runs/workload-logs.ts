/**
 * The tail of a run's workload logs. The engine contract has no log call, so this reads them with
 * kubectl from the run's namespace, selecting the objects by the labels every run object carries.
 */
import { execFile } from "node:child_process";
import { MANAGED_BY, MANAGED_BY_LABEL, RUN_ID_LABEL } from "../../components/labels";

/** Where the API gets a run's workload logs from. */
export interface WorkloadLogs {
  /** The last `lines` lines of every container of the run, each prefixed with its pod and container. */
  tail(runId: string, namespace: string, lines: number): Promise<string[]>;
}

/** `kubectl logs` against the configured kubeconfig (or kubectl's default). */
export class KubectlLogs implements WorkloadLogs {
  constructor(
    private readonly kubeconfig?: string,
    private readonly kubectl = "kubectl",
  ) {}

  tail(runId: string, namespace: string, lines: number): Promise<string[]> {
    const args = [
      "logs",
      "--namespace",
      namespace,
      "--selector",
      `${MANAGED_BY_LABEL}=${MANAGED_BY},${RUN_ID_LABEL}=${runId}`,
      "--all-containers",
      "--prefix",
      "--ignore-errors",
      "--max-log-requests=20",
      `--tail=${lines}`,
    ];
    if (this.kubeconfig) args.unshift("--kubeconfig", this.kubeconfig);
    return new Promise((resolve, reject) => {
      execFile(this.kubectl, args, { timeout: 15_000, maxBuffer: 8 * 1024 * 1024 }, (err, stdout) => {
        if (err) reject(new Error(`kubectl logs failed: ${err.message.split("\n")[0]}`));
        else
          resolve(
            stdout
              .split("\n")
              .filter((l) => l.length > 0)
              .slice(-lines),
          );
      });
    });
  }
}
