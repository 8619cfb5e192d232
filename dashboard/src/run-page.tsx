/**
 * One run: its state timeline with each phase's duration, its live output from the event stream,
 * the translator's warnings, the failure cause, its previews, and Stop, Redeploy and Extend.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { api, ApiFailure, FINAL, type Run, SETTLED } from "./api";
import { followRun } from "./events";
import { ExtendTtl } from "./extend-ttl";
import { PreviewLinks } from "./preview-links";
import { shortRepo } from "./runs-page";
import { StateBadge } from "./state-badge";
import { duration, until, useNow } from "./time";

const MAX_LINES = 2000;

export function RunPage({ id }: { id: string }) {
  const [run, setRun] = useState<Run | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [lines, setLines] = useState<string[]>([]);
  const [stream, setStream] = useState<"live" | "reconnecting" | "closed">("closed");
  const [busy, setBusy] = useState<string | undefined>();
  const [generation, setGeneration] = useState(0);
  const seen = useRef<{ id?: string }>({});
  const now = useNow(1000);

  const reload = () =>
    api<Run>("GET", `/runs/${id}`).then(
      (r) => {
        setRun(r);
        setError(undefined);
        return r;
      },
      (e: ApiFailure) => {
        setError(e.status === 404 ? "No such run (it does not exist or is not yours)." : e.error.message);
        return undefined;
      },
    );

  // Reset when another run is shown.
  useEffect(() => {
    seen.current = {};
    setLines([]);
    setRun(undefined);
    void reload();
  }, [id]);

  // Follow the event stream; opened again (generation) after an action restarts a settled run.
  useEffect(() => {
    const follower = followRun(
      id,
      {
        state: () => void reload(),
        output: (line) => setLines((ls) => (ls.length >= MAX_LINES ? [...ls.slice(1), line] : [...ls, line])),
        connection: setStream,
      },
      seen.current,
    );
    return () => follower.close();
  }, [id, generation]);

  const act = async (label: string, method: string, path: string) => {
    setBusy(label);
    try {
      await api(method, path);
      await reload();
      setGeneration((g) => g + 1);
      setError(undefined);
    } catch (e) {
      setError((e as ApiFailure).error?.message ?? String(e));
    } finally {
      setBusy(undefined);
    }
  };

  if (!run) {
    return (
      <section class="card">
        <p>
          <a href="#/">← Runs</a>
        </p>
        {error ? (
          <p class="alert" role="alert">
            {error}
          </p>
        ) : (
          <p>Loading…</p>
        )}
      </section>
    );
  }

  const final = FINAL.includes(run.status);
  const canRedeploy = ["READY", "FAILED", "CANCELLED"].includes(run.status);
  // The API's EXTENDABLE states are the same: a run that is neither gone nor on its way out.
  const canStop = !final && run.status !== "DESTROYING";
  return (
    <>
      <section class="card" aria-labelledby="run-title">
        <p>
          <a href="#/">← Runs</a>
        </p>
        <h1 id="run-title" class="run-title">
          <StateBadge status={run.status} /> <span>{shortRepo(run.repoUrl)}</span>
        </h1>
        <p class="status-line" aria-live="polite" data-testid="run-status">
          Run <span class="mono">{run.id}</span> is <strong>{run.status}</strong>
        </p>
        <dl class="facts">
          <dt>Ref</dt>
          <dd>{run.ref ?? "default branch"}</dd>
          <dt>Commit</dt>
          <dd class="mono">{run.commitSha?.slice(0, 12) ?? "—"}</dd>
          <dt>Mode</dt>
          <dd>{run.mode}</dd>
          <dt>Env</dt>
          <dd>{run.envKeys.length ? run.envKeys.join(", ") : "—"}</dd>
          <dt>Expires</dt>
          <dd data-testid="run-expires">
            {final ? "—" : `${until(run.expiresAt, now)} (${new Date(run.expiresAt).toLocaleString()})`}
          </dd>
          {run.traceId && (
            <>
              <dt>Trace</dt>
              <dd class="mono" data-testid="run-trace">
                {run.traceUrl ? (
                  <a href={run.traceUrl} target="_blank" rel="noopener noreferrer">
                    {run.traceId}
                  </a>
                ) : (
                  run.traceId
                )}
              </dd>
            </>
          )}
        </dl>
        {error && (
          <p class="alert" role="alert">
            {error}
          </p>
        )}
        {run.status === "FAILED" && (
          <div class="alert failure" role="alert">
            <strong>Why it failed:</strong> {run.reason ?? "no reason was recorded"}
          </div>
        )}
        {run.status === "CANCELLED" && run.reason && <p class="muted">{run.reason}</p>}
        {run.status === "READY" && <PreviewLinks run={run} />}
        <div class="actions">
          <button
            type="button"
            class="danger"
            disabled={!canStop || busy !== undefined}
            onClick={() => act("stop", "DELETE", `/runs/${id}`)}
          >
            {busy === "stop" ? "Stopping…" : "Stop"}
          </button>
          <button
            type="button"
            class="secondary"
            disabled={!canRedeploy || busy !== undefined}
            onClick={() => act("redeploy", "POST", `/runs/${id}/redeploy`)}
          >
            {busy === "redeploy" ? "Redeploying…" : "Redeploy"}
          </button>
        </div>
        {canStop && <ExtendTtl run={run} disabled={busy !== undefined} onExtended={setRun} />}
      </section>

      {run.warnings.length > 0 && (
        <section class="card" aria-labelledby="warnings-title">
          <h2 id="warnings-title">Warnings</h2>
          <ul class="warnings">
            {run.warnings.map((w, i) => (
              <li key={i}>{w}</li>
            ))}
          </ul>
        </section>
      )}

      <section class="card" aria-labelledby="timeline-title">
        <h2 id="timeline-title">Timeline</h2>
        <Timeline run={run} now={now} />
      </section>

      <section class="card" aria-labelledby="logs-title">
        <h2 id="logs-title">
          Output <span class={`stream stream-${stream}`}>{streamLabel[stream]}</span>
        </h2>
        <pre class="logs" tabIndex={0} aria-label="Run output" data-testid="run-logs">
          {lines.length ? lines.join("\n") : "No output yet."}
        </pre>
        {run.status === "READY" && <WorkloadLogs id={id} />}
      </section>
    </>
  );
}

const streamLabel = { live: "live", reconnecting: "reconnecting…", closed: "stream closed" };

/** Each state the run entered, when, and how long it stayed (the current one: so far). */
function Timeline({ run, now }: { run: Run; now: number }) {
  const entries = run.history;
  return (
    <ol class="timeline">
      {entries.map((h, i) => {
        const next = entries[i + 1];
        const end = next ? Date.parse(next.at) : SETTLED.includes(h.to) ? undefined : now;
        return (
          <li key={i} data-state={h.to}>
            <span class="badge-slot">{h.to}</span>
            <time dateTime={h.at}>{new Date(h.at).toLocaleTimeString()}</time>
            <span class="muted">
              {end !== undefined ? duration(end - Date.parse(h.at)) : ""}
              {!next && end !== undefined ? " so far" : ""}
            </span>
            {h.reason && <span class="reason">{h.reason}</span>}
          </li>
        );
      })}
    </ol>
  );
}

/** The workloads' own logs (`GET /runs/:id/logs`), read on request. */
function WorkloadLogs({ id }: { id: string }) {
  const [text, setText] = useState<string | undefined>();
  const load = () =>
    api<{ lines: string[] }>("GET", `/runs/${id}/logs?tail=200`).then(
      (r) => setText(r.lines.join("\n") || "No lines yet."),
      (e: ApiFailure) => setText(e.error.message),
    );
  return (
    <div class="workload-logs">
      <button type="button" class="secondary" onClick={load}>
        {text === undefined ? "Show workload logs" : "Refresh workload logs"}
      </button>
      {text !== undefined && (
        <pre class="logs" tabIndex={0} aria-label="Workload logs">
          {text}
        </pre>
      )}
    </div>
  );
}
