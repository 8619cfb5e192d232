import { ComposeError, type ComposeTranslation, type TranslateOptions, translateCompose } from "./compose";
import { exposedPorts } from "./dockerfile";
import { detectSource, type SourceMode } from "./source/detect";
import { RepoFileRefusal, RepoFiles } from "./source/repo-files";

/** The service name a lone Dockerfile runs as. */
export const DOCKERFILE_SERVICE = "app";

export interface SourceTranslateOptions extends Omit<TranslateOptions, "composeFile" | "document"> {
  readonly mode: SourceMode;
}

/**
 * Turns what the repository holds into manifests. A compose file is translated as it is; a lone
 * Dockerfile is run as a one-service compose project (`app`, built from the root, publishing every
 * port the Dockerfile EXPOSEs), so both paths share one translation and one set of safety rules.
 */
export function translateSource(sourceDir: string, options: SourceTranslateOptions): ComposeTranslation {
  try {
    return translateFound(sourceDir, options);
  } catch (error) {
    // A run's failure reason is this message: it carries the warnings of the same pass too, so the
    // user fixes both in one round, as with `translate`.
    if (error instanceof ComposeError) error.message = error.report;
    throw error;
  }
}

function translateFound(sourceDir: string, options: SourceTranslateOptions): ComposeTranslation {
  const { mode, ...translateOptions } = options;
  const source = detectSource(sourceDir, mode);
  if (source.kind === "compose")
    return translateCompose(sourceDir, { ...translateOptions, composeFile: source.file });

  const dockerfile = new RepoFiles(sourceDir).readFile(".", source.file);
  if (dockerfile instanceof RepoFileRefusal) {
    throw new ComposeError("refused", [{ path: source.file, message: dockerfile.explain(source.file) }]);
  }
  // Detection found it, so it is there; undefined only if it vanished since.
  const ports = exposedPorts(dockerfile?.content.toString("utf8") ?? "");
  const translation = translateCompose(sourceDir, {
    ...translateOptions,
    composeFile: source.file,
    document: {
      services: {
        [DOCKERFILE_SERVICE]: {
          build: { context: ".", dockerfile: source.file },
          ports: ports.map((p) => `${p.port}:${p.port}/${p.protocol}`),
        },
      },
    },
  });
  const warnings =
    ports.length === 0
      ? [
          ...translation.warnings,
          { path: source.file, message: "declares no EXPOSE port, so the run has no preview URL" },
        ]
      : translation.warnings;
  return { ...translation, warnings };
}
