/**
 * The content script on github.com: on a repository page whose file list shows a Dockerfile or a
 * compose file, a green "Run Locally" button, and its panel (Start Run with a compose/Dockerfile
 * choice when both exist, the run's live state, Open Preview, Stop Run). It lives in a shadow root,
 * so GitHub's styles and ours do not meet, and it asks the background for everything: the page never
 * sees the token or the API.
 */
import { detectSources, repoPageOf, type Detection, type RepoPage } from "./detect";
import { ask, ExtensionError, FINAL_STATES, previewUrlOf, type RunMode, type RunView } from "./messages";
import { PANEL_CSS } from "./panel-style";

/** How often the panel reads its run: often while it moves, seldom once it has settled. */
const POLL_MS = 1000;
const SETTLED_POLL_MS = 5000;
const SETTLED = ["READY", "FAILED", "CANCELLED"];
const HOST_ID = "reporunner-run-locally";

interface Shown {
  readonly key: string;
  readonly host: HTMLElement;
  stop(): void;
}
let shown: Shown | undefined;

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Partial<HTMLElementTagNameMap[K]> & { dataset?: Record<string, string> } = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  const { dataset, ...rest } = props;
  Object.assign(node, rest);
  for (const [k, v] of Object.entries(dataset ?? {})) node.dataset[k] = v;
  node.append(...children);
  return node;
}

/** Builds the button and panel for one repository; `stop()` ends its polling. */
function mount(page: RepoPage, found: Detection): Shown {
  const repoUrl = `https://github.com/${page.owner}/${page.repo}.git`;
  const ref = page.ref ?? found.ref;
  const host = el("div", { id: HOST_ID });
  const root = host.attachShadow({ mode: "open" });
  root.append(el("style", { textContent: PANEL_CSS }));

  const button = el("button", { className: "run-locally", type: "button", textContent: "Run Locally" });
  button.setAttribute("aria-expanded", "false");
  const panel = el("section", { className: "panel", hidden: true });
  panel.setAttribute("aria-label", "RepoRunner");
  root.append(button, panel);

  const both = found.compose !== undefined && found.dockerfile !== undefined;
  let mode: RunMode = found.compose ? "compose" : "dockerfile";
  const status = el("output", { className: "status", textContent: "not started" });
  status.dataset.testid = "rr-status";
  const message = el("p", { className: "message", role: "status" });
  const start = el("button", { type: "button", className: "primary", textContent: "Start Run" });
  const preview = el("button", { type: "button", textContent: "Open Preview", disabled: true });
  const stopRun = el("button", { type: "button", textContent: "Stop Run", disabled: true });

  const sources = el("p", {
    className: "sources",
    textContent: `Found ${[found.compose, found.dockerfile].filter(Boolean).join(" and ")}${ref ? ` on ${ref}` : ""}.`,
  });
  panel.append(el("h2", { textContent: `${page.owner}/${page.repo}` }), sources);
  if (both) {
    const toggle = el("fieldset", { className: "mode" }, el("legend", { textContent: "Run with" }));
    for (const [value, label] of [
      ["compose", `Compose (${found.compose})`],
      ["dockerfile", `Dockerfile (${found.dockerfile})`],
    ] as const) {
      const input = el("input", { type: "radio", name: "rr-mode", value, checked: value === mode });
      input.addEventListener("change", () => {
        if (input.checked) mode = value;
      });
      toggle.append(el("label", {}, input, ` ${label}`));
    }
    panel.append(toggle);
  }
  panel.append(
    el("p", { className: "state" }, "State: ", status),
    el("div", { className: "actions" }, start, preview, stopRun),
    message,
  );

  let runId: string | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let ended = false;

  const say = (text: string, isError = false) => {
    message.textContent = text;
    message.classList.toggle("error", isError);
  };

  const show = (run: RunView) => {
    status.textContent = run.status;
    status.dataset.status = run.status;
    const final = FINAL_STATES.includes(run.status);
    preview.disabled = run.status !== "READY" || !previewUrlOf(run);
    stopRun.disabled = final || run.status === "DESTROYING";
    start.disabled = !final && run.status !== "FAILED" && run.status !== "CANCELLED";
    if (run.status === "FAILED" && run.reason) say(run.reason, true);
  };

  const follow = async () => {
    timer = undefined;
    if (!runId || ended) return;
    let delay = POLL_MS;
    try {
      const run = await ask<RunView>({ type: "run:get", id: runId });
      show(run);
      if (FINAL_STATES.includes(run.status)) return;
      if (SETTLED.includes(run.status)) delay = SETTLED_POLL_MS;
    } catch (error) {
      say((error as Error).message, true);
    }
    if (!ended) timer = setTimeout(follow, delay);
  };

  const track = (id: string) => {
    runId = id;
    if (timer !== undefined) clearTimeout(timer);
    void follow();
  };

  start.addEventListener("click", async () => {
    start.disabled = true;
    say("");
    try {
      const run = await ask<{ id: string; status: string }>({ type: "run:start", repoUrl, ref, mode });
      status.textContent = run.status;
      track(run.id);
    } catch (error) {
      start.disabled = false;
      const e = error as ExtensionError;
      say(e.field ? `${e.message} (${e.field})` : e.message, true);
    }
  });
  preview.addEventListener("click", async () => {
    if (!runId) return;
    try {
      const { url } = await ask<{ url: string }>({ type: "run:preview", id: runId });
      say(`Opened ${url}`);
    } catch (error) {
      say((error as Error).message, true);
    }
  });
  stopRun.addEventListener("click", async () => {
    if (!runId) return;
    stopRun.disabled = true;
    try {
      await ask({ type: "run:stop", id: runId });
      track(runId);
    } catch (error) {
      stopRun.disabled = false;
      say((error as Error).message, true);
    }
  });
  button.addEventListener("click", () => {
    panel.hidden = !panel.hidden;
    button.setAttribute("aria-expanded", String(!panel.hidden));
  });

  // A run started here before (this tab or another) is followed again.
  ask<string | null>({ type: "run:current", repoUrl }).then(
    (id) => {
      if (id) track(id);
    },
    () => undefined,
  );

  return {
    key: `${repoUrl}#${ref ?? ""}#${found.compose ?? ""}#${found.dockerfile ?? ""}`,
    host,
    stop() {
      ended = true;
      if (timer !== undefined) clearTimeout(timer);
      host.remove();
    },
  };
}

/** Shows, updates or removes the button for what the page shows now. */
function scan(): void {
  const page = repoPageOf(location.pathname);
  const hrefs = page
    ? [...document.querySelectorAll<HTMLAnchorElement>("a[href]")].map((a) => a.pathname)
    : [];
  const found = page ? detectSources(page, hrefs) : {};
  if (!page || (!found.compose && !found.dockerfile)) {
    shown?.stop();
    shown = undefined;
    return;
  }
  const key = `https://github.com/${page.owner}/${page.repo}.git#${page.ref ?? found.ref ?? ""}#${found.compose ?? ""}#${found.dockerfile ?? ""}`;
  if (shown?.key === key && shown.host.isConnected) return;
  shown?.stop();
  shown = mount(page, found);
  document.body.append(shown.host);
}

// GitHub changes pages without reloading them: look again when the document changes (debounced).
let pending: ReturnType<typeof setTimeout> | undefined;
new MutationObserver(() => {
  if (pending !== undefined) return;
  pending = setTimeout(() => {
    pending = undefined;
    scan();
  }, 300);
}).observe(document.documentElement, { childList: true, subtree: true });
scan();
