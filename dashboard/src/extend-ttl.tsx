/**
 * Extending a run's TTL (`POST /runs/:id/extend`): a new TTL in seconds, counted from now, as the
 * new-run form's TTL is; the presets are suggestions, any value the API accepts will do. The API is
 * the one judge of the bounds (its maximum is the server's setting), and its field error is shown
 * beside the input.
 */
import { useState } from "preact/hooks";
import { api, ApiFailure, type Run } from "./api";

const PRESETS = [
  { seconds: 3600, label: "1 hour" },
  { seconds: 4 * 3600, label: "4 hours" },
  { seconds: 24 * 3600, label: "24 hours" },
];

/** The control; `onExtended` receives the run as the API returns it, with its new expiry. */
export function ExtendTtl({
  run,
  disabled,
  onExtended,
}: {
  run: Run;
  disabled: boolean;
  onExtended: (run: Run) => void;
}) {
  const [ttl, setTtl] = useState(String(PRESETS[0]!.seconds));
  const [error, setError] = useState<string | undefined>();
  const [done, setDone] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setDone(undefined);
    try {
      // Sent as typed: "" or "1h" is the API's to refuse, with the message shown below.
      const value = ttl.trim() === "" ? undefined : Number(ttl);
      const extended = await api<Run>("POST", `/runs/${run.id}/extend`, { ttl: value });
      setError(undefined);
      setDone(`Expires ${new Date(extended.expiresAt).toLocaleString()}`);
      onExtended(extended);
    } catch (err) {
      const failure = err as ApiFailure;
      setError(failure.error?.message ?? String(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="extend" onSubmit={submit} noValidate aria-label="Extend the TTL">
      <div class="field">
        <label for="extend-ttl">New TTL from now (seconds)</label>
        <div class="inline">
          <input
            id="extend-ttl"
            name="ttl"
            type="number"
            inputMode="numeric"
            list="extend-presets"
            value={ttl}
            onInput={(e) => setTtl(e.currentTarget.value)}
            aria-invalid={error ? "true" : undefined}
            aria-describedby={error ? "extend-ttl-error" : undefined}
          />
          <datalist id="extend-presets">
            {PRESETS.map((p) => (
              <option key={p.seconds} value={p.seconds} label={p.label} />
            ))}
          </datalist>
          <button type="submit" class="secondary" disabled={disabled || busy}>
            {busy ? "Extending…" : "Extend"}
          </button>
        </div>
        {error && (
          <p id="extend-ttl-error" class="field-error">
            {error}
          </p>
        )}
        {done && !error && (
          <p class="muted" role="status" data-testid="extend-done">
            {done}
          </p>
        )}
      </div>
    </form>
  );
}
