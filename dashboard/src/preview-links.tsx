/**
 * A READY run's previews: through the gateway (`previewUrls`) and on localhost (`localUrls`).
 *
 * The session cookie belongs to the dashboard's host name, and cookies ignore ports: a preview on the
 * same host name (127.0.0.1:<port>) would receive it, and a preview runs whatever its repository
 * ships. So a preview link on the dashboard's own loopback name is given the other loopback name
 * (127.0.0.1 ↔ localhost): the same server, a host the cookie is never sent to.
 */
import type { Run } from "./api";

export function previewHref(url: string, dashboardHost = location.hostname): string {
  try {
    const u = new URL(url);
    const swap: Record<string, string> = { "127.0.0.1": "localhost", localhost: "127.0.0.1" };
    if (u.hostname === dashboardHost && swap[u.hostname]) u.hostname = swap[u.hostname]!;
    return u.toString();
  } catch {
    return url;
  }
}

export function PreviewLinks({ run }: { run: Run }) {
  const entries = [
    ...Object.entries(run.previewUrls).map(([service, url]) => ({ service, url, where: "preview" })),
    ...Object.entries(run.localUrls).map(([service, url]) => ({ service, url, where: "localhost" })),
  ];
  if (entries.length === 0) return <p class="muted">No previews: the run publishes no port.</p>;
  return (
    <ul class="previews" aria-label="Previews">
      {entries.map(({ service, url, where }) =>
        // A TCP preview (a database, a broker) is no page: its address is for a client, not a link.
        url.startsWith("tcp://") ? (
          <li key={`${where}-${service}`}>
            {service} <code class="mono">{url}</code>{" "}
            <span class="muted">({where}: TCP, connect with a client)</span>
          </li>
        ) : (
          <li key={`${where}-${service}`}>
            <a href={previewHref(url)} target="_blank" rel="noopener noreferrer" class="preview-link">
              Open {service}
            </a>{" "}
            <span class="muted">
              ({where}: {previewHref(url)})
            </span>
          </li>
        ),
      )}
    </ul>
  );
}
