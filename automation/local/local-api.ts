/**
 * The few Run API calls `down` makes to remove every run of the local instance, over HTTP with the
 * user's token: the same path a user's own `DELETE /runs/:id` takes, so records, events and stacks
 * are removed the way the API always removes them.
 */
export interface RunSummary {
  readonly id: string;
  readonly status: string;
}

export class LocalApi {
  constructor(
    private readonly url: string,
    private readonly token: string,
  ) {}

  private async call(method: string, path: string): Promise<unknown> {
    const response = await fetch(`${this.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.token}` },
      signal: AbortSignal.timeout(30_000),
    });
    const body = (await response.json().catch(() => ({}))) as { error?: { message?: string } };
    if (!response.ok)
      throw new Error(`${method} ${path}: ${response.status} ${body.error?.message ?? ""}`.trim());
    return body;
  }

  async healthy(): Promise<boolean> {
    try {
      return (await fetch(`${this.url}/healthz`, { signal: AbortSignal.timeout(3_000) })).ok;
    } catch {
      return false;
    }
  }

  /** Every run of the token's owner, all pages. */
  async allRuns(): Promise<RunSummary[]> {
    const runs: RunSummary[] = [];
    let cursor: string | undefined;
    do {
      const page = (await this.call(
        "GET",
        `/runs?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
      )) as {
        items: RunSummary[];
        nextCursor?: string | null;
      };
      runs.push(...page.items);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return runs;
  }

  async destroy(id: string): Promise<void> {
    await this.call("DELETE", `/runs/${id}`);
  }
}
