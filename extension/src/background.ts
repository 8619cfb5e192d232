/**
 * The service worker: the only part of the extension that holds the API's token and calls the API.
 * Pages (popup, options) and the content script on github.com send it `Request`s; the token never
 * reaches a page, and the content script cannot ask for it. The API answers this extension's origin
 * only (`automation/api/cors.ts`), so no host permission is needed.
 */
import type { Reply, Request, RunView, SettingsView } from "./messages";
import { previewUrlOf } from "./messages";

const DEFAULT_API_URL = "http://127.0.0.1:7380";

/** An API error, with the field the API names. */
class ApiError extends Error {
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

async function settings(): Promise<{ apiUrl: string; token?: string }> {
  const stored = await chrome.storage.local.get(["apiUrl", "token"]);
  return {
    apiUrl: typeof stored.apiUrl === "string" ? stored.apiUrl : DEFAULT_API_URL,
    token: typeof stored.token === "string" ? stored.token : undefined,
  };
}

/** Calls the API with the stored token; `override` checks settings before they are saved. */
async function api<T>(
  method: string,
  path: string,
  body?: unknown,
  override?: { apiUrl: string; token?: string },
): Promise<T> {
  const { apiUrl, token } = override ?? (await settings());
  if (!token && path !== "/readyz") throw new ApiError("set the API's token in the extension's options");
  const headers: Record<string, string> = {};
  if (token && path !== "/readyz") headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  let res: Response;
  try {
    res = await fetch(new URL(path, apiUrl), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "omit",
      cache: "no-store",
    });
  } catch {
    throw new ApiError(`the RepoRunner API at ${apiUrl} cannot be reached`);
  }
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!res.ok) {
    const error = (parsed as { error?: { message?: unknown; field?: unknown } } | undefined)?.error;
    throw new ApiError(
      typeof error?.message === "string" ? error.message : `the API answered ${res.status}`,
      typeof error?.field === "string" ? error.field : undefined,
    );
  }
  return parsed as T;
}

const currentKey = (repoUrl: string) => `run:${repoUrl}`;

async function answer(request: Request): Promise<unknown> {
  switch (request.type) {
    case "settings:get": {
      const { apiUrl, token } = await settings();
      return { apiUrl, hasToken: Boolean(token) } satisfies SettingsView;
    }
    case "settings:save": {
      let url: URL;
      try {
        url = new URL(request.apiUrl);
      } catch {
        throw new ApiError("the API's address is not a URL", "apiUrl");
      }
      if (url.protocol !== "http:" && url.protocol !== "https:") {
        throw new ApiError("the API's address must be http or https", "apiUrl");
      }
      const apiUrl = url.origin;
      const token = request.token || (await settings()).token;
      const ready = await api<{ status: string }>("GET", "/readyz", undefined, { apiUrl }).catch(
        (e: Error) => {
          throw new ApiError(`${e.message} (GET /readyz)`, "apiUrl");
        },
      );
      if (ready?.status !== "ok") throw new ApiError("the API is not ready", "apiUrl");
      if (!token) throw new ApiError("a token is required", "token");
      const who = await api<{ owner: string }>("GET", "/session", undefined, { apiUrl, token }).catch(
        (e: Error) => {
          throw new ApiError(e.message, "token");
        },
      );
      await chrome.storage.local.set({ apiUrl, token });
      return { owner: who.owner };
    }
    case "runs:list":
      return (await api<{ items: RunView[] }>("GET", "/runs?limit=50")).items;
    case "run:start": {
      const run = await api<{ id: string }>("POST", "/runs", {
        repoUrl: request.repoUrl,
        mode: request.mode,
        ...(request.ref ? { ref: request.ref } : {}),
      });
      await chrome.storage.local.set({ [currentKey(request.repoUrl)]: run.id });
      return run;
    }
    case "run:get":
      return api<RunView>("GET", `/runs/${encodeURIComponent(request.id)}`);
    case "run:stop":
      return api<unknown>("DELETE", `/runs/${encodeURIComponent(request.id)}`);
    case "run:preview": {
      const run = await api<RunView>("GET", `/runs/${encodeURIComponent(request.id)}`);
      const url = previewUrlOf(run);
      if (run.status !== "READY" || !url) throw new ApiError("the run has no preview yet");
      await chrome.tabs.create({ url });
      return { url };
    }
    case "run:current": {
      const key = currentKey(request.repoUrl);
      const id = (await chrome.storage.local.get(key))[key];
      return typeof id === "string" ? id : null;
    }
  }
}

chrome.runtime.onMessage.addListener((message, sender, sendResponse) => {
  // Only this extension's own pages and content scripts (no `externally_connectable`).
  if (sender.id !== chrome.runtime.id) return false;
  answer(message as Request).then(
    (value): void => sendResponse({ ok: true, value } satisfies Reply<unknown>),
    (error: Error): void =>
      sendResponse({
        ok: false,
        error: error.message,
        ...(error instanceof ApiError && error.field ? { field: error.field } : {}),
      } satisfies Reply<unknown>),
  );
  return true;
});
