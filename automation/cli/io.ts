/** Where a command writes: the process streams in the CLI, buffers in tests. */
export interface CliIO {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

/** The process's own streams. */
export const processIO: CliIO = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

/** Exit codes shared by every command. */
export const EXIT = {
  ok: 0,
  /** The input was understood and refused (or is invalid); the message says what to change. */
  refused: 1,
  /** The command line itself was wrong. */
  usage: 2,
} as const;
