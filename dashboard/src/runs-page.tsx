/**
 * The owner's runs, kept live: the list is read again every few seconds, and each run still in flight
 * is followed on its event stream (a few at a time: a browser opens only six connections to a host).
 */
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { api, type Run, SETTLED } from "./api";
import { followRun } from "./events";
import { NewRunForm } from "./new-run-form";
import { PreviewLinks } from "./preview-links";
import { StateBadge } from "./state-badge";
import { ago, until, useNow } from "./time";

const FOLLOWED_AT_ONCE = 4;
const LIST_EVERY_MS = 5000;

export function RunsPage() {
  const [runs, setRuns] = useState<Run[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  const now = useNow();

  const load = useCallback(async () => {
    try {
      const page = await api<{ items: Run[] }>("GET", "/runs?limit=50");
      setRuns(page.items);
      setError(undefined);
    } catch (e) {
      setError((e as Error).message);
    }
  }, []);

  useEffect(() => {
    void load();
    const t = setInterval(load, LIST_EVERY_MS);
    return () => clearInterval(t);
  }, [load]);

  // Follow the newest runs in flight; a state event reads that run again.
  const active = (runs ?? [])
    .filter((r) => !SETTLED.includes(r.status))
    .slice(0, FOLLOWED_AT_ONCE)
    .map((r) => r.id);
  const key = active.join(",");
  const streams = useRef(new Map<string, { close(): void }>());
  useEffect(() => {
    const wanted = new Set(active);
    for (const [id, stream] of streams.current) {
      if (!wanted.has(id)) {
        stream.close();
        streams.current.delete(id);
      }
    }
    for (const id of wanted) {
      if (streams.current.has(id)) continue;
      streams.current.set(
        id,
        followRun(id, {
          state: () => {
            api<Run>("GET", `/runs/${id}`).then(
              (run) => setRuns((list) => list?.map((r) => (r.id === id ? run : r))),
              () => undefined,
            );
          },
        }),
      );
    }
  }, [key]);
  useEffect(() => () => streams.current.forEach((s) => s.close()), []);

  return (
    <>
      <NewRunForm
        onCreated={(run) => {
          setRuns((list) => [run, ...(list ?? []).filter((r) => r.id !== run.id)]);
        }}
      />
      <section aria-labelledby="runs-title" class="card">
        <h2 id="runs-title">Runs</h2>
        {error && (
          <p class="alert" role="alert">
            {error}
          </p>
        )}
        {runs === undefined && !error && <p>Loading…</p>}
        {runs?.length === 0 && <p class="muted">No runs yet: start one above.</p>}
        {runs && runs.length > 0 && (
          <ul class="runs" aria-live="polite">
            {runs.map((run) => (
              <li key={run.id} class="run-row" data-run-id={run.id}>
                <div class="run-main">
                  <StateBadge status={run.status} />
                  <a href={`#/runs/${run.id}`} class="run-link">
                    {shortRepo(run.repoUrl)}
                  </a>
                  <span class="muted">{run.ref ?? "default branch"}</span>
                </div>
                <div class="run-meta muted">
                  <span>started {ago(run.createdAt, now)}</span>
                  {!["DESTROYED", "EXPIRED"].includes(run.status) && (
                    <span>expires {until(run.expiresAt, now)}</span>
                  )}
                  <span class="mono">{run.id}</span>
                </div>
                {run.status === "READY" && <PreviewLinks run={run} />}
              </li>
            ))}
          </ul>
        )}
      </section>
    </>
  );
}

/** `https://github.com/org/repo.git` → `github.com/org/repo`; a local path stays as it is. */
export function shortRepo(url: string): string {
  return url.replace(/^https?:\/\//, "").replace(/\.git$/, "");
}
