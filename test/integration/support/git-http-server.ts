import { spawn } from "node:child_process";
import * as http from "node:http";
import * as path from "node:path";

/**
 * Git's smart HTTP protocol on 127.0.0.1 (or another loopback address), served by `git http-backend` (the CGI program Git ships)
 * for every repository under `root`: what a run clones when a test needs an http(s) URL. Shallow
 * fetches work, as on a hosted Git server.
 */
export async function serveGitOverHttp(
  root: string,
  options: { host?: string; onRequest?: (path: string) => void } = {},
): Promise<{ url: (repoDir: string) => string; port: number; close: () => Promise<void> }> {
  const host = options.host ?? "127.0.0.1";
  const server = http.createServer((req, res) => {
    options.onRequest?.(req.url ?? "/");
    const url = new URL(req.url ?? "/", `http://${host}`);
    const cgi = spawn("git", ["http-backend"], {
      env: {
        ...process.env,
        GIT_PROJECT_ROOT: root,
        GIT_HTTP_EXPORT_ALL: "1",
        REQUEST_METHOD: req.method ?? "GET",
        PATH_INFO: decodeURIComponent(url.pathname),
        QUERY_STRING: url.search.slice(1),
        CONTENT_TYPE: req.headers["content-type"] ?? "",
        HTTP_CONTENT_ENCODING: req.headers["content-encoding"] ?? "",
        GIT_PROTOCOL: String(req.headers["git-protocol"] ?? ""),
        REMOTE_ADDR: "127.0.0.1",
      },
    });
    req.pipe(cgi.stdin);
    let head = Buffer.alloc(0);
    let headersSent = false;
    cgi.stdout.on("data", (chunk: Buffer) => {
      if (headersSent) return void res.write(chunk);
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf("\r\n\r\n");
      if (end < 0) return;
      let status = 200;
      for (const line of head.subarray(0, end).toString().split("\r\n")) {
        const [name, ...value] = line.split(":");
        if (/^status$/i.test(name)) status = Number.parseInt(value.join(":"), 10);
        else res.setHeader(name, value.join(":").trim());
      }
      res.writeHead(status);
      headersSent = true;
      res.write(head.subarray(end + 4));
    });
    cgi.on("close", () => res.end());
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: (repoDir) => `http://${host}:${port}/${path.relative(root, repoDir)}`,
    port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
