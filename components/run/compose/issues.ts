/**
 * What translation tells the user besides the manifests: warnings (translated with a difference,
 * or ignored) and refusals (cannot run safely or faithfully; the message says what to change).
 * Both name the compose path they are about, e.g. `services.web.ports[0]`.
 */

/** A compose key that was translated with a difference in behaviour, or ignored, and why. */
export interface TranslationWarning {
  /** The compose path the warning is about, e.g. `services.web.logging`. */
  readonly path: string;
  /** What happens instead and why, in one sentence. */
  readonly message: string;
}

/** One reason a compose project cannot be translated, with what to change. */
export interface ComposeProblem {
  /** The compose file `path` is a key of; absent when `path` is itself a file or a file position. */
  readonly file?: string;
  /** The compose path at fault, e.g. `services.web.privileged`, or the file name for parse errors. */
  readonly path: string;
  /** What is wrong and what to change. */
  readonly message: string;
}

/** Why translation stopped: the file is missing, is not YAML, breaks the schema, or asks for too much. */
export type ComposeErrorKind = "not-found" | "yaml" | "schema" | "refused";

/**
 * Translation stopped. Carries every problem found, not only the first, so one round of edits can
 * fix them all.
 */
export class ComposeError extends Error {
  /**
   * @param warnings What the same pass found to warn about: a refusal must not hide them, since the
   *   user fixes both in one round.
   */
  constructor(
    readonly kind: ComposeErrorKind,
    readonly problems: readonly ComposeProblem[],
    headline?: string,
    readonly warnings: readonly TranslationWarning[] = [],
  ) {
    super(
      [
        headline ?? HEADLINES[kind],
        ...problems.map(
          (problem) => `  - ${problem.file ? `${problem.file}: ` : ""}${problem.path}: ${problem.message}`,
        ),
      ].join("\n"),
    );
    this.name = "ComposeError";
  }

  /**
   * The message with the warnings of the same pass after it, as `translate` shows them beside a
   * refusal: what a run's failure reason says.
   */
  get report(): string {
    if (this.warnings.length === 0) return this.message;
    return [
      this.message,
      "warnings found in the same pass:",
      ...this.warnings.map((warning) => `  - ${warning.path}: ${warning.message}`),
    ].join("\n");
  }
}

const HEADLINES: Record<ComposeErrorKind, string> = {
  "not-found": "nothing to run was found",
  yaml: "the compose file is not valid YAML",
  schema: "the compose file does not match the compose specification",
  refused: "the compose file asks for something a run cannot allow",
};

/**
 * Collects warnings and refusals while a project is translated, so every problem is reported
 * together instead of stopping at the first.
 */
export class Findings {
  /**
   * @param file The compose file whose keys the refusals name, so a message reads
   *   `compose.yaml: services.web.command: …`.
   */
  constructor(
    readonly file?: string,
    readonly warnings: TranslationWarning[] = [],
    readonly refusals: ComposeProblem[] = [],
  ) {}

  /** The same findings, for the keys of another compose file (the base file of an `extends`). */
  inFile(file: string): Findings {
    return new Findings(file, this.warnings, this.refusals);
  }

  warn(path: string, message: string): void {
    this.warnings.push({ path, message });
  }

  refuse(path: string, message: string): void {
    this.refusals.push(this.file ? { file: this.file, path, message } : { path, message });
  }

  /** Throws a `refused` ComposeError when anything was refused. */
  throwIfRefused(): void {
    if (this.refusals.length > 0) throw new ComposeError("refused", this.refusals, undefined, this.warnings);
  }
}
