/** Hash routes: `#/` (runs), `#/runs/<id>`, `#/sign-in/<code>` (the link `npm start` prints). */
import { useEffect, useState } from "preact/hooks";

export type Route = { page: "runs" } | { page: "run"; id: string } | { page: "sign-in"; code: string };

export function parseRoute(hash: string): Route {
  const run = /^#\/runs\/([a-z0-9]+)$/.exec(hash);
  if (run) return { page: "run", id: run[1]! };
  const signIn = /^#\/sign-in\/([A-Za-z0-9_-]+)$/.exec(hash);
  if (signIn) return { page: "sign-in", code: signIn[1]! };
  return { page: "runs" };
}

export function useRoute(): Route {
  const [route, setRoute] = useState(parseRoute(location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(location.hash));
    addEventListener("hashchange", onChange);
    return () => removeEventListener("hashchange", onChange);
  }, []);
  return route;
}

export function go(hash: string): void {
  location.hash = hash;
}
