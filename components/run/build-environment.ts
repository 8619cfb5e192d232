/**
 * The environment of the commands a run executes on a repository's behalf (`docker build`, the image
 * load, a registry push): a short allow-list, never the Run API's own variables (database and Redis
 * URLs, AWS credentials, `REPORUNNER_*`, the Pulumi passphrase). The engine starts the Pulumi CLI with
 * this list plus the CLI's own variables, and every build script drops anything else it inherited
 * from the Command provider before it starts.
 */

/** What docker, kind, k3d and ctr need to reach their engine and find their tools and config. */
export const BUILD_ENVIRONMENT: readonly string[] = [
  "PATH",
  "HOME",
  "USER",
  "LOGNAME",
  "TMPDIR",
  "LANG",
  "LC_ALL",
  "LC_CTYPE",
  "TZ",
  "SSL_CERT_FILE",
  "SSL_CERT_DIR",
  "HTTP_PROXY",
  "HTTPS_PROXY",
  "NO_PROXY",
  "http_proxy",
  "https_proxy",
  "no_proxy",
  "XDG_RUNTIME_DIR",
  "DOCKER_HOST",
  "DOCKER_CONTEXT",
  "DOCKER_CONFIG",
  "DOCKER_CERT_PATH",
  "DOCKER_TLS_VERIFY",
  "DOCKER_BUILDKIT",
  "BUILDKIT_PROGRESS",
  "KIND_EXPERIMENTAL_PROVIDER",
];

/** The variable a build argument's value travels in, from the Command's secret environment to the build. */
export function buildArgVariable(name: string): string {
  return `RR_BUILD_ARG_${name}`;
}

/**
 * Shell lines that unset every exported variable except `BUILD_ENVIRONMENT` and `keep` (the
 * Command's own: build arguments, registry login, inline Dockerfile). Entries of `keep` ending in `*`
 * keep every name with that prefix. The Command provider hands its whole environment to the script;
 * these lines make the script's environment the allow-list whatever the provider was given.
 */
export function environmentScrubLines(keep: readonly string[]): string[] {
  const patterns = [...BUILD_ENVIRONMENT, ...keep].join("|");
  return [
    `for name in $(env | sed -n 's/^\\([A-Za-z_][A-Za-z0-9_]*\\)=.*/\\1/p'); do`,
    `  case "$name" in ${patterns}) ;; *) unset "$name" 2>/dev/null || true ;; esac`,
    "done",
  ];
}
