/**
 * The RepoRun type token, alone in a module so the engine can recognise a run's own errors by their
 * URN without loading the component. Part of every run's URNs: never rename it without an `aliases`
 * entry.
 */
export const REPO_RUN_TYPE = "reporunner:run:RepoRun";
