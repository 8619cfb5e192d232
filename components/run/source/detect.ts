import { RepoFileRefusal, RepoFiles } from "./repo-files";

/** How to run a repository: from one Dockerfile, or from a compose file. */
export type SourceMode = "auto" | "dockerfile" | "compose";

/** What was found at the repository root. */
export interface DetectedSource {
  readonly kind: "dockerfile" | "compose";
  /** The file, relative to the repository root. */
  readonly file: string;
  /** Other candidate files that were present but not used (e.g. a second compose file). */
  readonly ignored: readonly string[];
}

/**
 * Compose file names in the compose specification's order of precedence (as `docker compose`
 * looks them up).
 */
export const COMPOSE_FILE_NAMES = [
  "compose.yaml",
  "compose.yml",
  "docker-compose.yml",
  "docker-compose.yaml",
] as const;

/** `Dockerfile` as Docker looks it up by default; BuildKit also accepts the lower-case name. */
export const DOCKERFILE_NAMES = ["Dockerfile", "dockerfile"] as const;

/** No runnable source was found, or not the one asked for. */
export class SourceNotFoundError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SourceNotFoundError";
  }
}

/**
 * Finds what to run at the root of a checked-out repository. `auto` prefers a compose file, which
 * describes the whole application (its databases and other services), over a lone Dockerfile.
 * Nothing is read here; a candidate that cannot be read (a symlink out of the repository, a FIFO)
 * still counts as present, so reading it is refused with its name instead of passed over in silence.
 */
export function detectSource(repoDir: string, mode: SourceMode = "auto"): DetectedSource {
  const files = new RepoFiles(repoDir);
  const present = (names: readonly string[]) =>
    names.filter((name) => {
      const found = files.resolve(".", name);
      return found instanceof RepoFileRefusal || found.kind === "file";
    });
  const composeFiles = present(COMPOSE_FILE_NAMES);
  // On a case-insensitive file system both Dockerfile names match the same file.
  const dockerfiles = present(DOCKERFILE_NAMES).slice(0, 1);
  if (mode !== "dockerfile" && composeFiles.length > 0) {
    return { kind: "compose", file: composeFiles[0]!, ignored: [...composeFiles.slice(1), ...dockerfiles] };
  }
  if (mode !== "compose" && dockerfiles.length > 0) {
    return { kind: "dockerfile", file: dockerfiles[0]!, ignored: composeFiles };
  }
  const lookedFor =
    mode === "compose"
      ? COMPOSE_FILE_NAMES
      : mode === "dockerfile"
        ? ["Dockerfile"]
        : ["Dockerfile", ...COMPOSE_FILE_NAMES];
  const what =
    mode === "compose" ? "compose file" : mode === "dockerfile" ? "Dockerfile" : "Dockerfile or compose file";
  const add =
    mode === "compose"
      ? "a compose.yaml"
      : mode === "dockerfile"
        ? "a Dockerfile"
        : "a Dockerfile or a compose.yaml";
  throw new SourceNotFoundError(
    `no ${what} at the repository root (looked for ${lookedFor.join(", ")}): add ${add} at the root`,
  );
}
