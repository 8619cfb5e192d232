import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { ImageLoader } from "../cluster/image-loader";
import { gatewayUrl } from "../gateway/routes";
import { createImageBuilds } from "./image-builds";
import { createLocalImageLoads, pulledImages } from "./local-images";
import { createPullSecret, RUN_PULL_SECRET, type RegistryCredentials } from "./pull-secret";
import { DEFAULT_RUN_QUOTA, type RunQuota } from "./quota";
import { createRunEnvSecret } from "./run-env";
import { runManifests } from "./run-manifests";
import { deleteWithRunNamespace } from "./delete-with-namespace";
import { createSandbox, runNamespaceName } from "./sandbox";
import { hiddenValues, redact } from "./secret-values";
import type { SourceMode } from "./source/detect";
import { detectMigrations } from "./source/migrations";
import { translateSource } from "./translate-source";
import { timed, type TranslateTiming } from "./translate-timing";
import { createWorkloads } from "./workloads";

import { REPO_RUN_TYPE } from "./repo-run-type";

export { REPO_RUN_TYPE };

/** Run ids are short, lowercase and DNS-safe: they name the stack and the namespace. */
export const RUN_ID_PATTERN = /^[a-z0-9]{8,12}$/;

export interface RepoRunArgs {
  /** `[a-z0-9]{8,12}`; the namespace is `run-<id>`. */
  readonly runId: string;
  /** The repository, checked out at `commitSha` by the caller. */
  readonly sourceDir: string;
  /** The commit that is checked out; reported in the outputs. */
  readonly commitSha: string;
  /** `auto` (default: compose file first, then Dockerfile), `dockerfile` or `compose`. */
  readonly mode?: SourceMode;
  /** The cluster's provider; every object of the run is created through it. */
  readonly provider: k8s.Provider;
  /** How built images reach the nodes (`LocalCluster.imageLoader`). */
  readonly imageLoader: ImageLoader;
  /** Host of the NodePort preview URLs (default `localhost`); used when there is no gateway. */
  readonly previewHost?: string;
  /**
   * The platform's preview gateway (`http://localhost:30080`): preview URLs are then
   * `<base>/run-<id>/<service>/`. Unset: each preview is its NodePort on `previewHost`.
   */
  readonly previewBaseUrl?: string;
  /**
   * Environment added to every container, and the values of `${VAR}` in a compose file. The values
   * are secrets: pods get them only from the run's Secret (`envFrom`, `secretKeyRef`), builds only
   * from the build command's secret environment, and whatever still holds one is encrypted in the
   * state; the warnings show `[secret]` in their place.
   */
  readonly env?: Readonly<Record<string, string>>;
  /** Compose profiles to enable. */
  readonly profiles?: readonly string[];
  /** The port a lone Dockerfile's app listens on, published as a preview when it EXPOSEs none. */
  readonly previewPort?: number;
  /** Quota of the run's namespace (default `DEFAULT_RUN_QUOTA`). */
  readonly quota?: Partial<RunQuota>;
  /** Image with `sh` and `nc` for the containers that wait on dependencies (default `busybox:latest`). */
  readonly waitImage?: string;
  /**
   * Credentials of the registry images are pushed to (hybrid mode: ECR, `imageLoader` `registry`):
   * the push logs in with them, and the namespace gets a `kubernetes.io/dockerconfigjson` Secret
   * (`registry-pull`) that every pod names in `imagePullSecrets`. Unset: no login, no pull Secret.
   */
  readonly imagePullSecret?: pulumi.Input<RegistryCredentials>;
}

/**
 * One repository run: translate its Dockerfile or compose file, build and load its images, make an
 * isolated namespace, deploy the workloads (Pulumi waits until every one is Ready) and publish a
 * preview URL for every port the repository exposes.
 */
export class RepoRun extends pulumi.ComponentResource {
  public readonly namespace: pulumi.Output<string>;
  public readonly commitSha: pulumi.Output<string>;
  /** Service → image reference that runs. */
  public readonly images: pulumi.Output<Record<string, string>>;
  /**
   * Preview → URL reachable from this machine. Behind the gateway, only the HTTP previews: a gateway
   * URL is an HTTP path, which means nothing to a TCP preview (it is reached at its local URL).
   */
  public readonly previewUrls: pulumi.Output<Record<string, string>>;
  /**
   * Every preview, keyed like `previewUrls`: the preview Service in the run's namespace and the app's
   * own port on it, for clients that forward to it themselves (the Run API's localhost previews), and
   * the port such a client offers it on (`localPort`: the one compose publishes).
   */
  public readonly previewTargets: pulumi.Output<
    Record<string, { service: string; port: number; localPort: number; protocol: "http" | "tcp" }>
  >;
  /**
   * The previews that are TCP endpoints (a database, a broker), not web pages: the run checks them
   * with a connection, not a request (`compose/preview-protocol.ts` has the rule).
   */
  public readonly tcpPreviews: pulumi.Output<string[]>;
  /** What translated imperfectly, and why the namespace is not `restricted` if it is not. */
  public readonly warnings: pulumi.Output<string[]>;
  /** The Pod Security level the namespace enforces. */
  public readonly podSecurity: pulumi.Output<string>;
  /** When the translation ran (the Run API's `translate` span); changes on every update. */
  public readonly translateTiming: pulumi.Output<TranslateTiming>;

  constructor(name: string, args: RepoRunArgs, opts?: pulumi.ComponentResourceOptions) {
    super(
      REPO_RUN_TYPE,
      name,
      {},
      {
        ...opts,
        transformations: [...(opts?.transformations ?? []), deleteWithRunNamespace()],
      },
    );
    if (!RUN_ID_PATTERN.test(args.runId)) {
      throw new pulumi.ResourceError(`runId must match ${RUN_ID_PATTERN}, got "${args.runId}"`, this);
    }
    const hidden = hiddenValues(args.env ?? {});
    let translation: ReturnType<typeof translateSource>;
    let translateTiming: TranslateTiming;
    try {
      ({ value: translation, timing: translateTiming } = timed(() =>
        translateSource(args.sourceDir, {
          runId: args.runId,
          mode: args.mode ?? "auto",
          environment: args.env,
          profiles: args.profiles,
          waitImage: args.waitImage,
          previewPort: args.previewPort,
        }),
      ));
    } catch (error) {
      // The message is the user's reason (what was refused, where, what to change): no stack, no class name.
      throw new pulumi.ResourceError(redact((error as Error).message, hidden), this, true);
    }

    const images = createImageBuilds(
      name,
      {
        sourceDir: args.sourceDir,
        builds: translation.images,
        loader: args.imageLoader,
        registryCredentials: args.imagePullSecret,
        hidden,
      },
      this,
    );
    const prepared = runManifests(translation, {
      builtImages: images.references,
      migrations: detectMigrations(args.sourceDir),
      pullSecret: args.imagePullSecret ? RUN_PULL_SECRET : undefined,
      runEnv: args.env,
    });
    const localImages = createLocalImageLoads(
      name,
      {
        images: pulledImages(prepared.manifests, new Set(images.references.values())),
        loader: args.imageLoader,
      },
      this,
    );
    const sandbox = createSandbox(
      name,
      {
        runId: args.runId,
        podSecurity: translation.podSecurity.level,
        quota: { ...DEFAULT_RUN_QUOTA, ...args.quota },
        // Without a gateway, previews are NodePorts reached from the host: admit them from anywhere.
        nodePortPreviews: !args.previewBaseUrl,
      },
      this,
      args.provider,
    );
    const runEnv = createRunEnvSecret(
      name,
      { runId: args.runId, env: args.env ?? {} },
      this,
      args.provider,
      sandbox.ready,
    );
    const pullSecret = args.imagePullSecret
      ? [
          createPullSecret(
            name,
            { runId: args.runId, credentials: args.imagePullSecret },
            this,
            args.provider,
            sandbox.ready,
          ),
        ]
      : [];
    const resources = createWorkloads(
      name,
      prepared.manifests,
      this,
      args.provider,
      [...sandbox.ready, runEnv, ...pullSecret, ...images.commands, ...localImages],
      hidden,
    );

    const namespace = runNamespaceName(args.runId);
    const host = args.previewHost ?? "localhost";
    const urls = prepared.previews.map((preview) => {
      if (args.previewBaseUrl) {
        return pulumi.output({
          ...preview,
          // Left out below: the gateway speaks HTTP, so a TCP preview has no URL there.
          url:
            preview.protocol === "http"
              ? gatewayUrl(args.previewBaseUrl, namespace, preview.segment)
              : undefined,
        });
      }
      const service = resources.get(`Service/${preview.previewServiceName}`) as k8s.core.v1.Service;
      return service.spec.ports[0].nodePort.apply((nodePort) => ({
        ...preview,
        // A TCP preview (a database, a broker) is no page: its URL says how to reach it, not a browser.
        url: `${preview.protocol === "tcp" ? "tcp" : "http"}://${host}:${nodePort}`,
      }));
    });
    this.namespace = pulumi.output(namespace);
    this.commitSha = pulumi.output(args.commitSha);
    this.images = pulumi.output(images.byService);
    // Named over every preview before any is left out, so each keeps the key it has in `previewTargets`.
    this.previewUrls = pulumi
      .all(urls)
      .apply((all) =>
        Object.fromEntries(
          Object.entries(byPreviewName(all, (p) => p.url)).filter(
            (entry): entry is [string, string] => entry[1] !== undefined,
          ),
        ),
      );
    this.previewTargets = pulumi.output(
      byPreviewName(prepared.previews, (p) => ({
        service: p.previewServiceName,
        port: p.port,
        localPort: p.localPort,
        protocol: p.protocol,
      })),
    );
    this.tcpPreviews = pulumi.output(
      Object.entries(byPreviewName(prepared.previews, (p) => p.protocol))
        .filter(([, protocol]) => protocol === "tcp")
        .map(([key]) => key),
    );
    this.warnings = pulumi.output(
      [
        ...translation.warnings.map((w: { path: string; message: string }) => `${w.path}: ${w.message}`),
        ...prepared.notes,
        ...(translation.podSecurity.level === "baseline"
          ? [
              `Pod Security is baseline, not restricted: ${translation.podSecurity.reasons.join("; ")}`,
              translation.podSecurity.capabilities,
            ]
          : []),
      ].map((warning) => redact(warning, hidden)),
    );
    this.podSecurity = pulumi.output(translation.podSecurity.level);
    this.translateTiming = pulumi.output(translateTiming);
    this.registerOutputs({
      namespace: this.namespace,
      commitSha: this.commitSha,
      images: this.images,
      previewUrls: this.previewUrls,
      previewTargets: this.previewTargets,
      tcpPreviews: this.tcpPreviews,
      warnings: this.warnings,
      podSecurity: this.podSecurity,
      translateTiming: this.translateTiming,
    });
  }
}

/** Keyed `web` for a service's first preview port, `web:8443` for the others. */
function byPreviewName<P extends { service: string; port: number }, V>(
  previews: readonly P[],
  value: (preview: P) => V,
): Record<string, V> {
  const named: Record<string, V> = {};
  for (const preview of previews)
    named[preview.service in named ? `${preview.service}:${preview.port}` : preview.service] = value(preview);
  return named;
}
