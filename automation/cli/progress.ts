/**
 * Shows a run's progress on stderr while the CLI follows it: a line per state change, and the
 * engine's output either as indented lines or, on a terminal, in one status line redrawn in place.
 */
import type { RunState } from "../runs/states";
import type { FollowEvent } from "./follow-events";
import type { CliIO } from "./io";

export interface ProgressOptions {
  /** Show nothing until the run enters this state (`rm` skips the history the stream replays first). */
  readonly from?: RunState;
  readonly now?: () => number;
}

/** The progress display of one followed run. */
export class Progress {
  private readonly started: number;
  private readonly now: () => number;
  private showing: boolean;
  private status = "";
  private statusLineDrawn = false;

  constructor(
    private readonly io: CliIO,
    private readonly options: ProgressOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.started = this.now();
    this.showing = options.from === undefined;
  }

  event(event: FollowEvent): void {
    if (!this.showing) {
      if (event.kind !== "state" || event.status !== this.options.from) return;
      this.showing = true;
    }
    if (event.kind === "state") {
      this.status = event.status;
      this.line(`[${this.elapsed()}] ${event.status}${event.reason ? `: ${clean(event.reason)}` : ""}`);
    } else if (event.kind === "reconnecting") {
      this.line(
        `[${this.elapsed()}] event stream lost (${event.why}); reconnecting (attempt ${event.attempt})`,
      );
    } else if (this.io.interactive) {
      this.drawStatus(clean(event.line));
    } else {
      this.line(`         ${clean(event.line)}`);
    }
  }

  /** Prints a line of its own, below the progress. */
  line(text: string): void {
    this.clearStatus();
    this.io.stderr(`${text}\n`);
  }

  /** Removes the status line, so that what follows starts on a clean line. */
  done(): void {
    this.clearStatus();
  }

  private drawStatus(text: string): void {
    const width = Math.max(20, (this.io.columns ?? 80) - 1);
    const full = `${this.status} ${this.elapsed().trim()} │ ${text}`;
    this.io.stderr(`\r\x1b[2K${full.length > width ? `${full.slice(0, width - 1)}…` : full}`);
    this.statusLineDrawn = true;
  }

  private clearStatus(): void {
    if (!this.statusLineDrawn) return;
    this.io.stderr("\r\x1b[2K");
    this.statusLineDrawn = false;
  }

  private elapsed(): string {
    return `${Math.round((this.now() - this.started) / 1000)}s`.padStart(5);
  }
}

/**
 * Output comes from building someone else's repository: escape sequences in it could rewrite the
 * user's terminal, so colours and every other control character are dropped before printing.
 */
export function clean(text: string): string {
  /* eslint-disable no-control-regex -- matching control characters is the point here */
  return text
    .replace(/\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b./g, "")
    .replace(/[\x00-\x08\x0a-\x1f\x7f\x80-\x9f]/g, "")
    .replace(/\t/g, "  ");
  /* eslint-enable no-control-regex */
}
