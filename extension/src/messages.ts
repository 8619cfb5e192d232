/**
 * What the extension's pages and content script ask the background service worker, which alone
 * holds the API's address and token and alone calls the API.
 */

/** A run as the API shows it (the fields the extension reads). */
export interface RunView {
  readonly id: string;
  readonly status: string;
  readonly repoUrl: string;
  readonly ref?: string;
  readonly mode: string;
  readonly reason?: string;
  readonly previewUrls?: Record<string, string>;
  readonly localUrls?: Record<string, string>;
  readonly createdAt: string;
  readonly expiresAt: string;
}

/** A run's mode as the API takes it. */
export type RunMode = "auto" | "compose" | "dockerfile";

/** The requests the background answers. */
export type Request =
  | { readonly type: "settings:get" }
  | { readonly type: "settings:save"; readonly apiUrl: string; readonly token: string }
  | { readonly type: "runs:list" }
  | { readonly type: "run:start"; readonly repoUrl: string; readonly ref?: string; readonly mode: RunMode }
  | { readonly type: "run:get"; readonly id: string }
  | { readonly type: "run:stop"; readonly id: string }
  | { readonly type: "run:preview"; readonly id: string }
  | { readonly type: "run:current"; readonly repoUrl: string };

/** The background's answer: a value, or an error in words (and the field it names, if any). */
export type Reply<T> = { ok: true; value: T } | { ok: false; error: string; field?: string };

/** Settings as pages may see them: never the token itself. */
export interface SettingsView {
  readonly apiUrl: string;
  readonly hasToken: boolean;
}

/** An error the background reported, with the field the API named. */
export class ExtensionError extends Error {
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = "ExtensionError";
  }
}

/** Asks the background; throws `ExtensionError` when it answers with an error. */
export async function ask<T>(request: Request): Promise<T> {
  const reply = await chrome.runtime.sendMessage<Reply<T> | undefined>(request);
  if (!reply) throw new ExtensionError("the extension's background did not answer");
  if (!reply.ok) throw new ExtensionError(reply.error, reply.field);
  return reply.value;
}

/** States after which a run changes no more. */
export const FINAL_STATES: readonly string[] = ["DESTROYED", "EXPIRED"];

/** The address to open for a run's preview: the local forward when there is one, else the gateway's. */
export function previewUrlOf(run: RunView): string | undefined {
  return Object.values(run.localUrls ?? {})[0] ?? Object.values(run.previewUrls ?? {})[0];
}
