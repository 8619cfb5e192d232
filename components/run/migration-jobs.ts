import * as path from "node:path";
import { shellQuote } from "../cluster/shell";
import type { BuildSpec, KubeObject } from "./compose";
import type { DetectedMigration } from "./source/migrations";

type PodTemplate = {
  metadata?: { labels?: Record<string, string> };
  spec: { containers: Container[]; initContainers?: unknown[] };
};
type Container = Record<string, unknown> & { command?: string[]; args?: string[] };

/**
 * For every detected migration, a Job that runs its command in the image of the service built from
 * the directory that holds it, with that service's environment, before the service rolls out (the
 * run applies Jobs first and waits for them). The command runs from the image's working directory,
 * or from the migration's folder below the build context. Returns the manifests with the Jobs
 * added, and a line per migration for the run's warnings.
 */
export function addMigrationJobs(
  manifests: readonly KubeObject[],
  migrations: readonly DetectedMigration[],
  builds: readonly BuildSpec[],
): { manifests: KubeObject[]; notes: string[] } {
  const result = manifests.map((o) => structuredClone(o));
  const notes: string[] = [];
  for (const migration of migrations) {
    const build = owningBuild(migration.directory, builds);
    const deployment =
      build && result.find((o) => o.kind === "Deployment" && o.metadata.name === build.service);
    if (!build || !deployment) {
      notes.push(
        `${migration.tool} migrations in ${migration.directory} not applied: no service is built from that folder`,
      );
      continue;
    }
    const template = structuredClone((deployment.spec as { template: PodTemplate }).template);
    const [app] = template.spec.containers;
    const subdir = path.posix.relative(build.context, migration.directory);
    const command = migration.command.map(shellQuote).join(" ");
    const job: Container = {
      ...app,
      name: "migrate",
      command: ["sh", "-c", subdir ? `cd ${shellQuote(subdir)} && exec ${command}` : `exec ${command}`],
      args: [],
    };
    for (const key of ["ports", "readinessProbe", "livenessProbe", "startupProbe", "lifecycle"])
      delete job[key];
    const name = `${build.service}-migrate-${migration.tool}`;
    result.push({
      apiVersion: "batch/v1",
      kind: "Job",
      metadata: { ...deployment.metadata, name },
      spec: {
        backoffLimit: 0,
        template: {
          metadata: template.metadata,
          spec: { ...template.spec, containers: [job], restartPolicy: "Never" },
        },
      },
    });
    notes.push(
      `${migration.tool} migrations found (${migration.evidence.join(", ")}): Job ${name} runs \`${migration.command.join(" ")}\` before ${build.service} starts${migration.note ? `; ${migration.note}` : ""}`,
    );
  }
  return { manifests: result, notes };
}

/** The build whose context holds `directory`, the deepest one when contexts nest. */
function owningBuild(directory: string, builds: readonly BuildSpec[]): BuildSpec | undefined {
  const inside = (context: string) =>
    context === "." || directory === context || directory.startsWith(`${context.replace(/\/$/, "")}/`);
  return builds.filter((b) => inside(b.context)).sort((a, b) => b.context.length - a.context.length)[0];
}
