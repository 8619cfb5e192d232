import type { VariableLookup } from "./interpolate";
import type { Findings } from "./issues";

/** What reading one compose project needs: where the files are, the variables, and the findings. */
export interface ModelContext {
  /** Absolute path of the repository root: nothing outside it may be read. */
  readonly repoRoot: string;
  /** The compose file's directory, relative to the repository root; compose paths are relative to it. */
  readonly projectDir: string;
  /** Variables for `${VAR}` and for `environment` entries without a value. */
  readonly lookup: VariableLookup;
  readonly findings: Findings;
}
