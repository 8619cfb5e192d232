import type { RepoFiles } from "../source/repo-files";
import type { VariableLookup } from "./interpolate";
import type { Findings } from "./issues";

/** What reading one compose project needs: where the files are, the variables, and the findings. */
export interface ModelContext {
  /** The repository, read only through this: nothing outside it, nothing but regular files. */
  readonly files: RepoFiles;
  /** The compose file's directory, relative to the repository root; compose paths are relative to it. */
  readonly projectDir: string;
  /** Variables for `${VAR}` and for `environment` entries without a value. */
  readonly lookup: VariableLookup;
  readonly findings: Findings;
}
