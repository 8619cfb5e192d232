/**
 * Finds a GitHub repository page and the container sources in its file list. Detection reads the
 * page only (the file list GitHub renders), not GitHub's REST API: the page is there already, needs
 * no token and no rate limit, and it shows the ref being browsed. Only root-level files count, by
 * the names the run's own source detection uses (`components/run/source/detect.ts`).
 */

export const COMPOSE_FILE_NAMES = [
  "compose.yaml",
  "compose.yml",
  "docker-compose.yml",
  "docker-compose.yaml",
];
export const DOCKERFILE_NAMES = ["Dockerfile", "dockerfile"];

/** First path segments on github.com that are GitHub's own pages, not an owner. */
const NOT_OWNERS = new Set([
  "about",
  "apps",
  "collections",
  "enterprise",
  "explore",
  "features",
  "login",
  "marketplace",
  "new",
  "notifications",
  "orgs",
  "organizations",
  "pricing",
  "pulls",
  "issues",
  "search",
  "settings",
  "sponsors",
  "topics",
  "trending",
]);

/** A repository page: its owner and name, and the ref in the address when one is browsed. */
export interface RepoPage {
  readonly owner: string;
  readonly repo: string;
  readonly ref?: string;
}

/** What the page's file list shows. */
export interface Detection {
  readonly compose?: string;
  readonly dockerfile?: string;
  /** The ref the file links point at (the branch shown). */
  readonly ref?: string;
}

const NAME = /^[A-Za-z0-9_.-]{1,100}$/;

/** The repository a github.com path shows: `/<owner>/<repo>` or `/<owner>/<repo>/tree/<ref>`. */
export function repoPageOf(pathname: string): RepoPage | undefined {
  const parts = pathname.split("/").filter(Boolean);
  const [owner, repo, kind, ...rest] = parts;
  if (!owner || !repo || NOT_OWNERS.has(owner.toLowerCase())) return undefined;
  if (!NAME.test(owner) || !NAME.test(repo) || repo.endsWith(".git")) return undefined;
  if (kind === undefined) return { owner, repo };
  if (kind === "tree" && rest.length > 0) return { owner, repo, ref: rest.map(decodeURIComponent).join("/") };
  return undefined;
}

/**
 * Reads the file list's links (`/<owner>/<repo>/blob/<ref>/<file>`) for a Dockerfile or a compose
 * file at the repository's root. `hrefs` are the links' paths (`a.pathname`).
 */
export function detectSources(page: RepoPage, hrefs: readonly string[]): Detection {
  const prefix = `/${page.owner}/${page.repo}/blob/`.toLowerCase();
  let compose: string | undefined;
  let dockerfile: string | undefined;
  let ref: string | undefined;
  for (const href of hrefs) {
    if (!href.toLowerCase().startsWith(prefix)) continue;
    const tail = href.slice(prefix.length).split("/").map(decodeURIComponent);
    const file = tail.pop();
    // With the ref browsed known, a file is at the root when the rest of the path is that ref.
    const at = tail.join("/");
    if (!file || (page.ref !== undefined ? at !== page.ref : tail.length !== 1)) continue;
    if (COMPOSE_FILE_NAMES.includes(file)) {
      // The first in precedence order wins, as `docker compose` picks it.
      if (compose === undefined || COMPOSE_FILE_NAMES.indexOf(file) < COMPOSE_FILE_NAMES.indexOf(compose)) {
        compose = file;
      }
      ref ??= at;
    } else if (DOCKERFILE_NAMES.includes(file)) {
      dockerfile ??= file;
      ref ??= at;
    }
  }
  return { compose, dockerfile, ref };
}
