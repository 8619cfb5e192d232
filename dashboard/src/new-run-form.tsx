/**
 * The new-run form. The API validates (it is the one judge of what it accepts); its error names the
 * field at fault (`repoUrl`, `ref`, `ttl`, `env.NAME`, …) and the message is shown beside that field.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { api, ApiFailure, type Mode, type NewRun, type Run } from "./api";
import { go } from "./route";

type Field = "repoUrl" | "ref" | "mode" | "ttl" | "previewPort" | "env";

/** The form field an API error names (`env.FOO` → `env`), or undefined for the form as a whole. */
export function fieldOf(apiField: string | undefined): Field | undefined {
  const head = apiField?.split(".")[0];
  return head && ["repoUrl", "ref", "mode", "ttl", "previewPort", "env"].includes(head)
    ? (head as Field)
    : undefined;
}

export function NewRunForm({ onCreated }: { onCreated(run: Run): void }) {
  const [repoUrl, setRepoUrl] = useState("");
  const [ref, setRef] = useState("");
  const [mode, setMode] = useState<Mode>("auto");
  const [ttl, setTtl] = useState("");
  const [previewPort, setPreviewPort] = useState("");
  const [env, setEnv] = useState<{ name: string; value: string }[]>([]);
  const [errors, setErrors] = useState<Partial<Record<Field | "form", string>>>({});
  const [busy, setBusy] = useState(false);
  const form = useRef<HTMLFormElement>(null);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setErrors({});
    const body: NewRun = {
      repoUrl: repoUrl.trim(),
      mode,
      env: Object.fromEntries(env.filter((p) => p.name !== "").map((p) => [p.name, p.value])),
    };
    if (ref.trim()) body.ref = ref.trim();
    if (ttl.trim()) body.ttl = Number(ttl);
    if (previewPort.trim()) body.previewPort = Number(previewPort);
    try {
      const accepted = await api<{ id: string }>("POST", "/runs", body);
      const run = await api<Run>("GET", `/runs/${accepted.id}`);
      onCreated(run);
      go(`#/runs/${run.id}`);
    } catch (err) {
      const failure = err as ApiFailure;
      const field = fieldOf(failure.error?.field);
      setErrors({ [field ?? "form"]: failure.error?.message ?? String(err) });
    } finally {
      setBusy(false);
    }
  };

  // Take the keyboard to the field at fault (once the button is enabled again and the error shown).
  useEffect(() => {
    const first = Object.keys(errors)[0];
    if (busy || !first) return;
    form.current
      ?.querySelector<HTMLElement>(first === "form" ? ".form-error" : `[data-field="${first}"]`)
      ?.focus();
  }, [errors, busy]);

  const describe = (f: Field, hint?: string) => ({
    "data-field": f,
    "aria-invalid": errors[f] ? ("true" as const) : undefined,
    "aria-describedby": [errors[f] ? `${f}-error` : "", hint ?? ""].filter(Boolean).join(" ") || undefined,
  });
  const errorOf = (f: Field) =>
    errors[f] && (
      <p id={`${f}-error`} class="field-error">
        {errors[f]}
      </p>
    );

  return (
    <section class="card" aria-labelledby="new-run-title">
      <h2 id="new-run-title">New run</h2>
      <form ref={form} onSubmit={submit} noValidate>
        {errors.form && (
          <p class="alert form-error" role="alert" tabIndex={-1}>
            {errors.form}
          </p>
        )}
        <div class="field">
          <label for="repoUrl">Repository URL or local path</label>
          <input
            id="repoUrl"
            name="repoUrl"
            type="text"
            inputMode="url"
            autoComplete="off"
            spellcheck={false}
            placeholder="https://github.com/org/repo.git"
            value={repoUrl}
            onInput={(e) => setRepoUrl(e.currentTarget.value)}
            {...describe("repoUrl")}
          />
          {errorOf("repoUrl")}
        </div>
        <div class="row">
          <div class="field">
            <label for="ref">Ref</label>
            <input
              id="ref"
              name="ref"
              type="text"
              autoComplete="off"
              spellcheck={false}
              placeholder="default branch"
              value={ref}
              onInput={(e) => setRef(e.currentTarget.value)}
              {...describe("ref")}
            />
            {errorOf("ref")}
          </div>
          <div class="field">
            <label for="ttl">TTL (seconds)</label>
            <input
              id="ttl"
              name="ttl"
              type="number"
              inputMode="numeric"
              placeholder="server default"
              value={ttl}
              onInput={(e) => setTtl(e.currentTarget.value)}
              {...describe("ttl")}
            />
            {errorOf("ttl")}
          </div>
          <div class="field">
            <label for="previewPort">Preview port</label>
            <input
              id="previewPort"
              name="previewPort"
              type="number"
              inputMode="numeric"
              placeholder="EXPOSE"
              value={previewPort}
              onInput={(e) => setPreviewPort(e.currentTarget.value)}
              {...describe("previewPort", "previewPort-hint")}
            />
            <p id="previewPort-hint" class="muted field-hint">
              For a Dockerfile without EXPOSE: the port the app listens on.
            </p>
            {errorOf("previewPort")}
          </div>
        </div>
        <fieldset class="field" {...describe("mode")} tabIndex={-1}>
          <legend>Mode</legend>
          {(["auto", "compose", "dockerfile"] as const).map((m) => (
            <label key={m} class="choice">
              <input type="radio" name="mode" value={m} checked={mode === m} onChange={() => setMode(m)} />{" "}
              {m === "auto" ? "Auto" : m === "compose" ? "Compose" : "Dockerfile"}
            </label>
          ))}
          {errorOf("mode")}
        </fieldset>
        <fieldset class="field" {...describe("env")} tabIndex={-1}>
          <legend>Environment</legend>
          {env.map((pair, i) => (
            <div class="env-row" key={i}>
              <input
                aria-label={`Name ${i + 1}`}
                class="env-name"
                type="text"
                spellcheck={false}
                autoComplete="off"
                placeholder="NAME"
                value={pair.name}
                onInput={(e) => {
                  const v = e.currentTarget.value;
                  setEnv((list) => list.map((p, j) => (j === i ? { ...p, name: v } : p)));
                }}
              />
              <input
                aria-label={`Value ${i + 1}`}
                class="env-value"
                type="text"
                spellcheck={false}
                autoComplete="off"
                placeholder="value"
                value={pair.value}
                onInput={(e) => {
                  const v = e.currentTarget.value;
                  setEnv((list) => list.map((p, j) => (j === i ? { ...p, value: v } : p)));
                }}
              />
              <button
                type="button"
                class="secondary"
                aria-label={`Remove variable ${i + 1}`}
                onClick={() => setEnv((list) => list.filter((_, j) => j !== i))}
              >
                Remove
              </button>
            </div>
          ))}
          <button
            type="button"
            class="secondary"
            onClick={() => setEnv((list) => [...list, { name: "", value: "" }])}
          >
            Add variable
          </button>
          {errorOf("env")}
        </fieldset>
        <button type="submit" disabled={busy}>
          {busy ? "Starting…" : "Start run"}
        </button>
      </form>
    </section>
  );
}
