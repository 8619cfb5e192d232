import * as fs from "node:fs";

/**
 * Resident memory of this process and of every process it started, read from /proc (Linux only), two
 * ways. Summing RSS counts a page shared between processes once per process: the text of the Pulumi
 * CLI (~100 MiB resident at `pulumi version`) and of each provider plugin is counted again for every
 * concurrent update, so the sum overstates what the machine spends. PSS (proportional set size, from
 * `smaps_rollup`) splits each shared page among the processes that map it: its sum is what the tree
 * really holds, and what the per-run verdicts are taken on.
 */
const PAGE_BYTES = 4096;
const MIB = 1024 * 1024;

/** Processes that serve the bench rather than a run: never counted. */
const SERVICES = new Set(["redis-server", "ferretdb"]);

interface Proc {
  ppid: number;
  comm: string;
  rssBytes: number;
}

function readProcs(): Map<number, Proc> {
  const procs = new Map<number, Proc>();
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue; // it exited between the listing and the read
    }
    // "pid (comm) state ppid …": comm may hold spaces and parentheses, so split after the last ")".
    const close = stat.lastIndexOf(")");
    const comm = stat.slice(stat.indexOf("(") + 1, close);
    const fields = stat.slice(close + 2).split(" ");
    procs.set(Number(entry), { ppid: Number(fields[1]), comm, rssBytes: Number(fields[21]) * PAGE_BYTES });
  }
  return procs;
}

/** A process's PSS in bytes (0 once it has exited). */
function pssBytes(pid: number): number {
  try {
    const rollup = fs.readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
    return Number(/^Pss:\s+(\d+) kB/m.exec(rollup)?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
}

/** A process tree's memory: the sum of its RSS and of its PSS (MiB), and how many descendants. */
export interface TreeMemory {
  readonly mib: number;
  readonly pssMib: number;
  readonly descendants: number;
}

/** This process's RSS plus its descendants' (less Redis and FerretDB), in MiB, and how many descendants. */
export function treeRss(root = process.pid): TreeMemory {
  const procs = readProcs();
  const children = new Map<number, number[]>();
  for (const [pid, proc] of procs) children.set(proc.ppid, [...(children.get(proc.ppid) ?? []), pid]);
  let bytes = root === process.pid ? process.memoryUsage().rss : (procs.get(root)?.rssBytes ?? 0);
  let pss = pssBytes(root);
  let descendants = 0;
  const stack = [...(children.get(root) ?? [])];
  while (stack.length > 0) {
    const pid = stack.pop()!;
    const proc = procs.get(pid)!;
    if (SERVICES.has(proc.comm)) continue;
    bytes += proc.rssBytes;
    pss += pssBytes(pid);
    descendants++;
    stack.push(...(children.get(pid) ?? []));
  }
  return { mib: Math.round(bytes / MIB), pssMib: Math.round(pss / MIB), descendants };
}

/** This process's RSS alone, in MiB. */
export function ownRssMiB(): number {
  return Math.round(process.memoryUsage().rss / MIB);
}

/** The peaks `sampleTreeRss` saw, each on its own (they need not come from the same sample). */
export interface TreePeaks {
  readonly peakMiB: number;
  readonly peakPssMiB: number;
  readonly peakDescendants: number;
}

/** Samples `treeRss` every `intervalMs` until stopped; returns the peaks seen. */
export function sampleTreeRss(intervalMs = 1_000): () => TreePeaks {
  let peakMiB = 0;
  let peakPssMiB = 0;
  let peakDescendants = 0;
  const sample = () => {
    const now = treeRss();
    peakMiB = Math.max(peakMiB, now.mib);
    peakPssMiB = Math.max(peakPssMiB, now.pssMib);
    peakDescendants = Math.max(peakDescendants, now.descendants);
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  return () => {
    clearInterval(timer);
    sample();
    return { peakMiB, peakPssMiB, peakDescendants };
  };
}
