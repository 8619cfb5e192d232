/** Where a command writes, and what it reads from its surroundings: the process in the CLI, fakes in tests. */
export interface CliIO {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** stderr is a terminal: progress may redraw one status line instead of printing every line. */
  readonly interactive?: boolean;
  /** Terminal width, for the status line (default 80). */
  readonly columns?: number;
  /** Environment the commands read (`REPORUNNER_URL`, `REPORUNNER_TOKEN`, `REPORUNNER_HOME`); default `process.env`. */
  readonly env?: NodeJS.ProcessEnv;
  /** Calls `handler` on Ctrl-C until the returned function is called; default: SIGINT of the process. */
  readonly onInterrupt?: (handler: () => void) => () => void;
}

/** The process's own streams. */
export const processIO: CliIO = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  get interactive() {
    return process.stderr.isTTY === true;
  },
  get columns() {
    return process.stderr.columns;
  },
  onInterrupt: (handler) => {
    process.on("SIGINT", handler);
    return () => process.off("SIGINT", handler);
  },
};

/** Exit codes shared by every command (listed in `reporunner --help`). */
export const EXIT = {
  ok: 0,
  /** The input was understood and refused (or is invalid), or the run failed; the message says why. */
  refused: 1,
  /** The command line itself was wrong. */
  usage: 2,
  /** The Run API cannot be reached or cannot serve (not started, no token, connection refused, 5xx). */
  unreachable: 3,
  /** The run does not exist (or belongs to another token). */
  notFound: 4,
  /** Ctrl-C while following a run: the run itself goes on. */
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
