import * as fs from "node:fs";

/**
 * Resident memory of this process and of every process it started, read from /proc (Linux only).
 * Summing RSS counts pages shared between processes (the node binary of several language hosts)
 * once per process, so a sum overstates what the machine really spends.
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

/** This process's RSS plus its descendants' (less Redis and FerretDB), in MiB, and how many descendants. */
export function treeRss(root = process.pid): { mib: number; descendants: number } {
  const procs = readProcs();
  const children = new Map<number, number[]>();
  for (const [pid, proc] of procs) children.set(proc.ppid, [...(children.get(proc.ppid) ?? []), pid]);
  let bytes = root === process.pid ? process.memoryUsage().rss : (procs.get(root)?.rssBytes ?? 0);
  let descendants = 0;
  const stack = [...(children.get(root) ?? [])];
  while (stack.length > 0) {
    const pid = stack.pop()!;
    const proc = procs.get(pid)!;
    if (SERVICES.has(proc.comm)) continue;
    bytes += proc.rssBytes;
    descendants++;
    stack.push(...(children.get(pid) ?? []));
  }
  return { mib: Math.round(bytes / MIB), descendants };
}

/** This process's RSS alone, in MiB. */
export function ownRssMiB(): number {
  return Math.round(process.memoryUsage().rss / MIB);
}

/** Samples `treeRss` every `intervalMs` until stopped; returns the peak seen. */
export function sampleTreeRss(intervalMs = 1_000): () => { peakMiB: number; peakDescendants: number } {
  let peakMiB = 0;
  let peakDescendants = 0;
  const sample = () => {
    const now = treeRss();
    peakMiB = Math.max(peakMiB, now.mib);
    peakDescendants = Math.max(peakDescendants, now.descendants);
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  return () => {
    clearInterval(timer);
    sample();
    return { peakMiB, peakDescendants };
  };
}
