import * as fs from "node:fs";
import * as path from "node:path";
import type { ComposeSpecification } from "compose-spec-ts";
import { detectSource, SourceNotFoundError } from "../source/detect";
import { RepoFileRefusal, RepoFiles } from "../source/repo-files";
import { ComposeError, Findings, type TranslationWarning } from "./issues";
import type { KubeObject } from "./kube-types";
import type { BuildSpec } from "./model";
import { loadComposeFile, variableLookup } from "./parse";
import { readProject } from "./project-model";
import { validateComposeDocument } from "./validate";
import { assessPodSecurity, type PodSecurityAssessment } from "./security";
import { type PublishedPort, toManifests } from "./to-manifests";

/** Options for {@link translateCompose}. */
export interface TranslateOptions {
  /** The run id: objects go into namespace `run-<id>` and carry `reporunner.dev/run-id: <id>`. */
  readonly runId: string;
  /** The compose file relative to the repository root; default: the first of compose.yaml, compose.yml, docker-compose.yml, docker-compose.yaml. */
  readonly composeFile?: string;
  /**
   * A compose document to translate instead of reading `composeFile`, e.g. one made up for a lone
   * Dockerfile. It is validated like a file but not interpolated; `composeFile` then only names it
   * in messages and sets the directory that relative paths start from.
   */
  readonly document?: ComposeSpecification;
  /** Compose profiles to enable (`--profile`); default none. */
  readonly profiles?: readonly string[];
  /**
   * Variables for `${VAR}` interpolation and valueless `environment` entries; they take precedence
   * over the `.env` file next to the compose file. Default: none (the process environment is never read).
   */
  readonly environment?: Readonly<Record<string, string>>;
  /**
   * The image a service with `build:` runs. The caller builds the image under this name (it is also
   * returned in `images[].imageName`). Default: the placeholder `reporunner.local/<runId>/<service>:latest`.
   */
  readonly imageFor?: (service: string) => string;
  /** Image with `sh`, `nc` and `nslookup` for the containers that wait on dependencies. Default `busybox:latest`. */
  readonly waitImage?: string;
  /** Storage requested by each named volume's claim. Default `1Gi`. */
  readonly volumeSize?: string;
  /** The cluster's DNS domain. Default `cluster.local`. */
  readonly clusterDomain?: string;
}

/** The result of translating a compose project. */
export interface ComposeTranslation {
  /** The compose file that was translated, relative to the repository root. */
  readonly composeFile: string;
  readonly manifests: KubeObject[];
  readonly warnings: TranslationWarning[];
  /** Images to build before the manifests are applied, one per service with `build:`. */
  readonly images: BuildSpec[];
  /** Whether the namespace can enforce Pod Security `restricted`, or needs `baseline` and why. */
  readonly podSecurity: PodSecurityAssessment;
  /** Ports compose would publish on the host: candidates for the run's preview URL. */
  readonly published: PublishedPort[];
}

/** Override files compose merges automatically; a run translates the main file only. */
const OVERRIDE_FILES = [
  "compose.override.yaml",
  "compose.override.yml",
  "docker-compose.override.yml",
  "docker-compose.override.yaml",
];

/**
 * Translates the compose project in `repoDir` into Kubernetes manifests. Pure apart from reading
 * the compose file and the files it refers to inside the repository.
 *
 * @throws ComposeError when there is no compose file, it is not YAML, it breaks the compose
 *   specification, or it asks for something a run cannot allow; the error lists every problem.
 */
export function translateCompose(repoDir: string, options: TranslateOptions): ComposeTranslation {
  checkRepositoryDir(repoDir);
  const files = new RepoFiles(repoDir);
  const { file: composeFile, passedOver } = options.composeFile
    ? { file: options.composeFile, passedOver: [] }
    : findComposeFile(files);
  // A made-up document has no file whose keys a refusal could point at.
  const findings = new Findings(options.document ? undefined : composeFile);
  for (const other of passedOver) findings.warn(other, `not used: ${composeFile} takes precedence`);
  const projectDir = path.posix.dirname(composeFile);
  for (const override of OVERRIDE_FILES) {
    const found = files.resolve(projectDir, override);
    if (found instanceof RepoFileRefusal || found.kind !== "missing") {
      findings.warn(override, `not merged: a run uses ${composeFile} alone; move what the run needs into it`);
    }
  }
  const lookup = variableLookup(files, projectDir, options.environment ?? {});
  const context = { files, projectDir, lookup, findings };
  const loaded = new Map<string, ComposeSpecification>();
  const load = (file: string): ComposeSpecification => {
    if (!loaded.has(file)) loaded.set(file, loadComposeFile(files, file, lookup, findings));
    return loaded.get(file)!;
  };
  const imageFor =
    options.imageFor ?? ((service: string) => `reporunner.local/${options.runId}/${service}:latest`);
  if (options.document) {
    validateComposeDocument(options.document, composeFile);
    loaded.set(composeFile, options.document);
  }
  const model = readProject(
    load(composeFile),
    composeFile,
    load,
    { profiles: options.profiles ?? [], imageFor },
    context,
  );
  findings.throwIfRefused();
  const { manifests, published } = toManifests(
    model,
    {
      runId: options.runId,
      waitImage: options.waitImage ?? "busybox:latest",
      volumeSize: options.volumeSize ?? "1Gi",
      clusterDomain: options.clusterDomain ?? "cluster.local",
    },
    findings,
  );
  return {
    composeFile,
    manifests,
    warnings: findings.warnings,
    images: model.services.flatMap((service) =>
      service.image.kind === "build" ? [service.image.build] : [],
    ),
    podSecurity: assessPodSecurity(model.services),
    published,
  };
}

/** A missing folder or a file is the caller's slip: say so in words, not with the file system's error. */
function checkRepositoryDir(repoDir: string): void {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(repoDir);
  } catch {
    throw new ComposeError("not-found", [
      { path: repoDir, message: "does not exist: give the repository's directory" },
    ]);
  }
  if (!stat.isDirectory()) {
    throw new ComposeError("not-found", [
      { path: repoDir, message: "is not a directory: give the repository's directory" },
    ]);
  }
}

/** The compose file detection picks, and the other compose files it passed over. */
function findComposeFile(files: RepoFiles): { file: string; passedOver: string[] } {
  try {
    const source = detectSource(files.root, "compose");
    return { file: source.file, passedOver: source.ignored.filter((file) => !/^dockerfile$/i.test(file)) };
  } catch (error) {
    if (error instanceof SourceNotFoundError) {
      throw new ComposeError("not-found", [{ path: ".", message: error.message }]);
    }
    throw error;
  }
}
