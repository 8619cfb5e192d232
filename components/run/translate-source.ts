import { ComposeError, type ComposeTranslation, type TranslateOptions, translateCompose } from "./compose";
import { exposedPorts } from "./dockerfile";
import { detectSource, type SourceMode } from "./source/detect";
import { RepoFileRefusal, RepoFiles } from "./source/repo-files";

/** The service name a lone Dockerfile runs as. */
export const DOCKERFILE_SERVICE = "app";

export interface SourceTranslateOptions extends Omit<TranslateOptions, "composeFile" | "document"> {
  readonly mode: SourceMode;
  /**
   * The port a lone Dockerfile's app listens on, published as its preview beside what it EXPOSEs:
   * the way to name it when the Dockerfile EXPOSEs none. A compose file publishes its own ports.
   */
  readonly previewPort?: number;
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
  const { mode, previewPort, ...translateOptions } = options;
  const source = detectSource(sourceDir, mode);
  if (source.kind === "compose") {
    const translation = translateCompose(sourceDir, { ...translateOptions, composeFile: source.file });
    if (previewPort === undefined) return translation;
    const ignored = {
      path: "previewPort",
      message: `${previewPort} is ignored: ${source.file} publishes its own ports (ports: on a service)`,
    };
    return { ...translation, warnings: [...translation.warnings, ignored] };
  }

  const dockerfile = new RepoFiles(sourceDir).readFile(".", source.file);
  if (dockerfile instanceof RepoFileRefusal) {
    throw new ComposeError("refused", [{ path: source.file, message: dockerfile.explain(source.file) }]);
  }
  // Detection found it, so it is there; undefined only if it vanished since.
  const exposed = exposedPorts(dockerfile?.content.toString("utf8") ?? "");
  const named =
    previewPort !== undefined && !exposed.some((p) => p.port === previewPort && p.protocol === "tcp");
  const ports = named ? [{ port: previewPort, protocol: "tcp" }, ...exposed] : exposed;
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
          {
            path: source.file,
            message:
              "declares no EXPOSE port, so the run has no preview URL: name the port the app listens on (previewPort, reporunner run --port)",
          },
        ]
      : translation.warnings;
  return { ...translation, warnings };
}
