/**
 * What `up` and `down` print while they work: a numbered line per step, and the output of the tools
 * they run (Pulumi, the test environment's scripts) indented below it, so a long step never looks stuck.
 */
export interface Progress {
  /** Starts step `n` of the total. */
  step(title: string): void;
  /** One line of a tool's output, under the current step. */
  detail(line: string): void;
  /** A line that stands on its own (the summary). */
  say(line: string): void;
}

export function createProgress(total: number, write: (text: string) => void): Progress {
  let current = 0;
  let started = Date.now();
  const elapsed = () => `${((Date.now() - started) / 1000).toFixed(0)}s`;
  return {
    step(title) {
      if (current > 0) write(`      done in ${elapsed()}\n`);
      current += 1;
      started = Date.now();
      write(`[${current}/${total}] ${title}\n`);
    },
    detail(line) {
      // Pulumi's non-interactive heartbeat lines ("." and "@ updating....") say nothing new.
      if (line.trim() && !/^\s*(\.+|@ \w+\.*)\s*$/.test(line)) write(`      ${line.trimEnd()}\n`);
    },
    say(line) {
      write(`${line}\n`);
    },
  };
}

/** Splits chunks of output into lines for `detail`, keeping a partial last line until it completes. */
export function lineSplitter(onLine: (line: string) => void): { push(chunk: string): void; end(): void } {
  let rest = "";
  return {
    push(chunk) {
      const lines = (rest + chunk).split(/\r?\n/);
      rest = lines.pop() ?? "";
      for (const line of lines) onLine(line);
    },
    end() {
      if (rest) onLine(rest);
      rest = "";
    },
  };
}
